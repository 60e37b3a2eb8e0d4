"""The SPARQL 1.1 Protocol's request rules: turn an HTTP request into a query and its dataset, or a 4xx.

Three ways to send a query (GET with ?query=, POST form-encoded, POST with the query as the body) and the
dataset parameters default-graph-uri / named-graph-uri. Decoding is strict: a body or query string that is
not UTF-8 is a 400, not a query with replacement characters. Updates are refused here, on every path, before
any engine sees them: this endpoint is read-only by construction.

Dataset parameters name graphs of the store; a name the store does not have is an empty graph. Nothing is
ever fetched from those IRIs (unlike FROM <url> in some engines, which is why the guard refuses unknown
FROM graphs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_BODY_BYTES = 256 * 1024  # a form-encoded query of the guard's 64 KiB can triple in size
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
UPDATE_PARAMS = ("update", "using-graph-uri", "using-named-graph-uri")
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
READ_ONLY = "SPARQL Update is refused: this endpoint is read-only"


class ProtocolError(Exception):
    """A request the endpoint answers with a 4xx: `status` and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class QueryRequest:
    """What a protocol request asks for; `query` is None for a bare GET (the service description)."""

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    @property
    def has_dataset(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def parse_params(raw: bytes, where: str) -> list[tuple[str, str]]:
    """application/x-www-form-urlencoded pairs, decoded strictly as UTF-8."""
    try:
        text = raw.decode("ascii")
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(400, f"the {where} is not UTF-8 / percent-encoded UTF-8") from None


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """(media type, charset) of a Content-Type header, lower-cased; ('', None) when absent."""
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for p in parts[1:]:
        key, _, value = p.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


def check_charset(charset: str | None) -> None:
    if charset is not None and charset not in ("utf-8", "utf8"):
        raise ProtocolError(400, f"only UTF-8 request bodies are accepted, not charset={charset[:40]}")


def decode_body(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the request body is not valid UTF-8 (byte {exc.start})") from None


def _iris(params: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    values = tuple(v for k, v in params if k == name)
    for v in values:
        if not _ABSOLUTE_IRI.match(v):
            raise ProtocolError(400, f"{name} must be an absolute IRI, got {v[:80]!r}")
    return values


def build_request(method: str, query_string: bytes, content_type: str | None, body: bytes | None) -> QueryRequest:
    """Apply the protocol's rules to an already-read request (body None for GET)."""
    params = parse_params(query_string, "query string")
    if method == "POST":
        ctype, charset = media_type(content_type)
        if ctype == UPDATE:
            raise ProtocolError(403, READ_ONLY)
        check_charset(charset)
        if ctype == FORM:
            params += parse_params(body or b"", "form body")
        elif ctype == QUERY:
            if any(k == "query" for k, _ in params):
                raise ProtocolError(400, "a direct POST carries the query in its body, not also in ?query=")
            params.append(("query", decode_body(body or b"")))
        elif not ctype:
            raise ProtocolError(415, f"a POST needs a Content-Type: {QUERY} or {FORM}")
        else:
            raise ProtocolError(415, f"unsupported Content-Type {ctype[:60]!r}: send {QUERY} or {FORM}")
    names = [k for k, _ in params]
    if any(n in UPDATE_PARAMS for n in names):
        raise ProtocolError(403, READ_ONLY)
    queries = [v for k, v in params if k == "query"]
    if len(queries) > 1:
        raise ProtocolError(400, "more than one query parameter")
    default_graphs, named_graphs = _iris(params, "default-graph-uri"), _iris(params, "named-graph-uri")
    if not queries:
        if method == "GET" and not params:
            return QueryRequest(None)
        raise ProtocolError(400, "missing the query parameter")
    return QueryRequest(queries[0], default_graphs, named_graphs)
