"""A lexical guard that every ad-hoc query passes before any SPARQL engine parses it.

Why lexical: the engines are the thing being protected. pyoxigraph and the Oxigraph server follow SERVICE
even when read-only, rdflib Datasets dereference FROM <url>, and deeply nested queries crash the parsers.
So size and nesting are capped, and the query is tokenised (strings, IRIs and comments skipped) to refuse,
before parsing: SPARQL Update and LOAD, SERVICE in any spelling, and FROM / FROM NAMED that name anything
but a graph of the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UsageError

MAX_QUERY_BYTES = 64 * 1024
MAX_NESTING = 64
MAX_TOKENS = 20_000

UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?::[A-Za-z0-9_\-.%]*)?|:[A-Za-z0-9_\-.%]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>.)
    """,
    re.X | re.S,
)


class QueryRefused(UsageError):
    """A query the guard will not let through; `status` is the HTTP status the endpoint answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class GuardedQuery:
    text: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    from_graphs: tuple[str, ...]


def guard_query(text: str | bytes, known_graphs: set[str] | None = None) -> GuardedQuery:
    """Check an ad-hoc query; raise QueryRefused with a one-line reason, or return what was found."""
    if isinstance(text, bytes):
        if len(text) > MAX_QUERY_BYTES:
            raise QueryRefused(f"query is larger than {MAX_QUERY_BYTES // 1024} KiB", 413)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QueryRefused(f"query is not valid UTF-8 (byte {exc.start})") from None
    if len(text.encode("utf-8")) > MAX_QUERY_BYTES:
        raise QueryRefused(f"query is larger than {MAX_QUERY_BYTES // 1024} KiB", 413)
    if not text.strip():
        raise QueryRefused("query is empty")
    if "\x00" in text:
        raise QueryRefused("query contains a NUL character")
    depth = max_depth = 0
    tokens = 0
    form: str | None = None
    prev_word = ""
    from_graphs: list[str] = []
    expect_from_iri = False
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        tokens += 1
        if tokens > MAX_TOKENS:
            raise QueryRefused(f"query has more than {MAX_TOKENS} tokens", 413)
        value = m.group(0)
        if kind == "open":
            depth += 1
            max_depth = max(max_depth, depth)
            if max_depth > MAX_NESTING:
                raise QueryRefused(f"query nests deeper than {MAX_NESTING} levels")
        elif kind == "close":
            depth -= 1
        elif kind == "word":
            upper = value.upper()
            if ":" in value:
                prev_word = ""
                continue
            if upper == "SERVICE":
                raise QueryRefused("SERVICE (federated query) is refused: this endpoint makes no outbound requests",
                                   403)
            if upper in UPDATE_KEYWORDS and form is None:
                raise QueryRefused(f"SPARQL Update ({upper}) is refused: the graph is read-only", 403)
            if upper in FORMS and form is None:
                form = upper
            if upper == "FROM" or (upper == "NAMED" and prev_word == "FROM"):
                expect_from_iri = True
            elif expect_from_iri:
                raise QueryRefused("FROM must name a graph IRI written in full (<...>)")
            prev_word = upper
            continue
        elif kind == "iri" and expect_from_iri:
            iri = value[1:-1]
            if known_graphs is None or iri not in known_graphs:
                raise QueryRefused(f"FROM <{iri[:80]}> is refused: it is not a graph of this store "
                                   "(nothing is fetched from URLs or files)", 403)
            from_graphs.append(iri)
            expect_from_iri = False
        elif expect_from_iri:
            raise QueryRefused("FROM must name a graph IRI written in full (<...>)")
        prev_word = ""
    if depth != 0:
        raise QueryRefused("unbalanced brackets in query")
    if form is None:
        raise QueryRefused("not a query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return GuardedQuery(text, form, tuple(from_graphs))
