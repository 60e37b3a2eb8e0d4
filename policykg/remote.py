"""Existing SPARQL stores: run our queries on them (SPARQLWrapper) and push our graphs into them.

Reading: a remote answer is data only if it is whole. A body that does not parse, a Content-Type that is
not the one asked for, an HTTP 206, and Virtuoso's partial-answer headers (X-SQL-State, sent with "anytime"
results cut by a time limit; X-SPARQL-MaxRows, sent when ResultSetMaxRows truncated the result) are all a
RemoteError (exit 7), never rows. Our queries rely on default prefixes (policykg.namespaces.PREFIXES) and on
the default graph being the union of the named graphs; the declarations are added here, the union is the
store's setting (docs/triple-stores.md).

Writing (`push`): each named graph of our store keeps its IRI. With a Graph Store Protocol URL alone, one
PUT per graph replaces it in one request, which Oxigraph, Fuseki (TDB2) and GraphDB run as one transaction.
Stores that cannot take a whole graph in one request (Virtuoso) get the graph in chunks into a staging graph,
then one SPARQL Update `MOVE <staging> TO <graph>`, the swap being one update request. With an update
endpoint alone, the chunks are INSERT DATA requests. Blank nodes keep their identity only within one
request, so every triple that mentions one travels in the first chunk.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import RemoteError, UsageError

PARTIAL_HEADERS = ("x-sql-state", "x-sparql-maxrows")
RESULT_TYPES = ("application/sparql-results+json", "application/json")
GRAPH_TYPES = ("text/turtle", "application/x-turtle", "application/turtle")
GSP_CHUNK = 20_000
UPDATE_CHUNK = 1_000  # Virtuoso's SPARQL compiler gives up on INSERT DATA much past a few thousand triples
_PREFIX_DECL = re.compile(r"(?i)\bPREFIX\s+([A-Za-z][\w.\-]*)?:")


def with_prefixes(text: str) -> str:
    """The query with PREFIX declarations for our default prefixes that it does not declare itself."""
    from .namespaces import PREFIXES

    declared = {m.group(1) or "" for m in _PREFIX_DECL.finditer(text)}
    lines = [f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items() if p not in declared]
    return "\n".join([*lines, text]) if lines else text


def _check_endpoint(endpoint: str) -> None:
    if not re.match(r"^https?://[^\s/]+", endpoint):
        raise UsageError(f"endpoint must be an http(s) URL, got {endpoint[:80]!r}")


def _fetch(endpoint: str, text: str, graph: bool, timeout: float) -> bytes:
    """POST one query through SPARQLWrapper; the whole body, or a RemoteError saying why not."""
    import http.client
    import urllib.error

    from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    _check_endpoint(endpoint)
    client = SPARQLWrapper(endpoint)
    client.setQuery(with_prefixes(text))
    client.setMethod(POST)
    client.setOnlyConneg(True)  # Accept header only: no format=/output= parameters some stores reject
    client.setReturnFormat(TURTLE if graph else JSON)
    client.setTimeout(max(1, round(timeout)))
    try:
        result = client.query()
        headers = {k.lower(): v for k, v in result.response.info().items()}
        status = getattr(result.response, "status", 200)
        body = result.response.read()
    except SPARQLWrapperException as exc:
        raise RemoteError(f"{endpoint}: {str(exc).splitlines()[0][:300]}") from None
    except urllib.error.HTTPError as exc:
        raise RemoteError(f"{endpoint}: HTTP {exc.code} {exc.reason}") from None
    except TimeoutError:
        raise RemoteError(f"{endpoint}: no answer within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        raise RemoteError(f"{endpoint}: cannot connect ({exc.reason})") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:  # IncompleteRead and friends: a cut-off body
        raise RemoteError(f"{endpoint}: incomplete answer ({type(exc).__name__})") from None
    check_whole(endpoint, status, headers, graph)
    return body


def check_whole(endpoint: str, status: int, headers: dict[str, str], graph: bool) -> None:
    """Refuse answers the server itself marks as partial, or that are not what was asked for."""
    for name in PARTIAL_HEADERS:
        if name in headers:
            raise RemoteError(f"{endpoint}: the answer is partial ({name}: {headers[name][:80]}); "
                              "raise the store's result or time limits")
    if status == 206:
        raise RemoteError(f"{endpoint}: the answer is partial (HTTP 206)")
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    wanted = GRAPH_TYPES if graph else RESULT_TYPES
    if ctype not in wanted:
        raise RemoteError(f"{endpoint}: expected {wanted[0]}, got {ctype or 'no Content-Type'}")


def _parse_results(endpoint: str, body: bytes) -> Any:
    from rdflib.query import Result

    try:
        doc = json.loads(body)
        if not isinstance(doc, dict) or "head" not in doc or ("boolean" not in doc and not isinstance(
                doc.get("results", {}).get("bindings"), list)):
            raise ValueError("not a SPARQL JSON result")
        return Result.parse(io.BytesIO(body), format="json")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:  # deep nesting: RecursionError
        raise RemoteError(f"{endpoint}: unparseable SPARQL JSON result ({str(exc)[:120]})") from None


def _parse_graph(endpoint: str, body: bytes) -> Any:
    from rdflib import Graph
    from rdflib.query import Result

    graph = Graph()
    try:
        graph.parse(data=body, format="turtle")
    except Exception as exc:  # rdflib raises many parser-specific types
        raise RemoteError(f"{endpoint}: unparseable Turtle ({str(exc).splitlines()[0][:120]})") from None
    result = Result("CONSTRUCT")
    result.graph = graph
    return result


class RemoteStore:
    """Looks like PolicyStore to policykg.adhoc.run_guarded: `.query(text)` returns an rdflib Result."""

    def __init__(self, endpoint: str, timeout: float) -> None:
        self.endpoint = endpoint
        self.timeout = timeout

    def query(self, text: str) -> Any:
        from .query_guard import guard_query

        graph = guard_query(text).form in ("CONSTRUCT", "DESCRIBE")
        body = _fetch(self.endpoint, text, graph, self.timeout)
        return _parse_graph(self.endpoint, body) if graph else _parse_results(self.endpoint, body)


def run_remote_select(endpoint: str, query_text: str, *, timeout: float = 30.0) -> tuple[list[str], list[dict]]:
    """A SELECT on a remote endpoint: (columns, rows of rdflib terms), as the embedded path returns them."""
    from .sparql import result_rows

    result = RemoteStore(endpoint, timeout).query(query_text)
    return [str(v) for v in result.vars or []], result_rows(result)


def run_remote_query(endpoint: str, guarded: Any, fmt: str, *, timeout: float = 30.0) -> str:
    """A guarded ad-hoc query on a remote endpoint, rendered exactly like the embedded path."""
    from .adhoc import run_guarded

    return run_guarded(RemoteStore(endpoint, timeout), guarded, fmt)


# --- pushing our graphs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pushed:
    graph: str
    triples: int
    seconds: float
    method: str


def _auth(user: str | None, password: str | None) -> Any:
    """Basic or Digest, whichever the server's 401 challenge asks for (Virtuoso: Digest; Fuseki: Basic)."""
    import httpx

    if user is None:
        return None
    if password is None:
        raise UsageError("--user needs --password")

    class ChallengeAuth(httpx.Auth):
        requires_request_body = True

        def __init__(self) -> None:
            self.scheme: Any = None

        def auth_flow(self, request: Any) -> Any:
            if self.scheme is not None:
                yield from self.scheme.auth_flow(request)
                return
            response = yield request
            if response.status_code != 401:
                return
            digest = response.headers.get("www-authenticate", "").lower().startswith("digest")
            self.scheme = httpx.DigestAuth(user, password) if digest else httpx.BasicAuth(user, password)
            yield from self.scheme.auth_flow(request)

    return ChallengeAuth()


def _chunks(triples: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Triples with blank nodes all in the first chunk, the rest in chunks of `size`."""
    import pyoxigraph as ox

    plain, blank = [], []
    for t in triples:
        (blank if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) else plain).append(t)
    first = blank + plain[: max(0, size - len(blank))]
    if first:
        yield first
    rest = iter(plain[len(first) - len(blank):])
    while chunk := list(itertools.islice(rest, size)):
        yield chunk


def _ok(response: Any, what: str) -> None:
    if response.status_code >= 300:
        line = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        raise RemoteError(f"{what}: HTTP {response.status_code} {line}".rstrip())


def _update(client: Any, url: str, text: str) -> None:
    _ok(client.post(url, data={"update": text}), f"SPARQL Update at {url}")


def push_graph(client: Any, triples: list[Any], graph: str, *, gsp: str | None, update: str | None,
               chunk: int) -> str:
    """Replace one graph of the remote store; returns the method used."""
    import pyoxigraph as ox

    def nt(ts: list[Any]) -> bytes:
        return ox.serialize(ts, format=ox.RdfFormat.N_TRIPLES)

    headers = {"Content-Type": "application/n-triples"}
    if gsp and not update:
        _ok(client.put(gsp, params={"graph": graph}, content=nt(triples), headers=headers), f"PUT {gsp}")
        return "gsp-put"
    assert update is not None
    staging = f"urn:policykg:staging:{uuid.uuid4().hex}"
    try:
        for part in _chunks(triples, chunk):
            if gsp:
                _ok(client.post(gsp, params={"graph": staging}, content=nt(part), headers=headers), f"POST {gsp}")
            else:
                _update(client, update, f"INSERT DATA {{ GRAPH <{staging}> {{\n{nt(part).decode()}}} }}")
        _update(client, update, f"MOVE <{staging}> TO <{graph}>" if triples else f"DROP SILENT GRAPH <{graph}>")
    except BaseException:
        with contextlib.suppress(Exception):  # the first error is the one to report
            _update(client, update, f"DROP SILENT GRAPH <{staging}>")
        raise
    return "gsp-chunks+move" if gsp else "update-chunks+move"


def push(store: Any, *, endpoint: str | None, update_endpoint: str | None = None, graphs: list[str] | None = None,
         user: str | None = None, password: str | None = None, timeout: float = 600.0,
         chunk: int | None = None) -> list[Pushed]:
    """Load our named graphs (all, or `graphs`) into a remote store, each replacing the graph of the same IRI."""
    import httpx
    import pyoxigraph as ox

    if not endpoint and not update_endpoint:
        raise UsageError("give --endpoint (Graph Store Protocol URL) and/or --update-endpoint")
    for url in (endpoint, update_endpoint):
        if url:
            _check_endpoint(url)
    ours = [g.value for g in store.named_graphs()]
    wanted = graphs or sorted(ours)
    unknown = [g for g in wanted if g not in ours]
    if unknown:
        raise UsageError(f"the store has no graph {unknown[0]} (graphs: {', '.join(sorted(ours))})")
    size = chunk or (GSP_CHUNK if endpoint else UPDATE_CHUNK)
    done = []
    try:
        with httpx.Client(auth=_auth(user, password), timeout=timeout) as client:
            for g in wanted:
                t0 = time.perf_counter()
                triples = [q.triple for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))]
                method = push_graph(client, triples, g, gsp=endpoint, update=update_endpoint, chunk=size)
                done.append(Pushed(g, len(triples), round(time.perf_counter() - t0, 2), method))
    except httpx.TimeoutException:
        raise RemoteError(f"the store did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise RemoteError(f"cannot reach the store: {str(exc)[:200] or type(exc).__name__}") from None
    return done
