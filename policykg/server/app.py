"""The Starlette application: /sparql, /queries, /health, the page at /, and the access log.

Every request that runs a query goes the same way: protocol rules (protocol.py) -> the lexical guard
(policykg.query_guard, before any engine parses the text) -> content negotiation -> a worker process with a
time limit and a row limit (pool.py). Errors are one line of text/plain with the status that says what went
wrong; nothing here answers 200 with a partial result.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..query_guard import QueryRefused, guard_query
from .config import ServerConfig
from .negotiation import CONTENT_TYPES, GRAPH_OFFERS, choose, offers_for
from .pool import QueryPool
from .protocol import MAX_BODY_BYTES, ProtocolError, build_request
from .worker import Job, Outcome

STATIC = Path(__file__).parent / "static"
access_log = logging.getLogger("policykg.access")
# the page loads nothing from elsewhere: scripts, styles, fonts and queries all come from this server
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")


@dataclass
class Service:
    """What the routes share: settings, the worker pool and the store's named graphs with their sizes."""

    config: ServerConfig
    pool: QueryPool
    graphs: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    @property
    def known_graphs(self) -> set[str]:
        return set(self.graphs)


def error(status: int, message: str) -> PlainTextResponse:
    """One line of text/plain: what went wrong, for people and for logs."""
    line = message.strip().splitlines()[0] if message.strip() else "error"
    return PlainTextResponse(line + "\n", status_code=status)


def graph_sizes(db_path: Path) -> dict[str, int]:
    """Named graphs and their triple counts, read once at start-up (the store is read-only)."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(db_path))
    sizes = {str(r["g"].value): int(r["n"].value)
             for r in store.query("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    for g in store.named_graphs():  # empty named graphs too
        sizes.setdefault(g.value, 0)
    return sizes


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` (never read whole first)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise ProtocolError(413, f"the request body is larger than {limit // 1024} KiB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(413, f"the request body is larger than {limit // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)


def respond(outcome: Outcome, fmt: str) -> Response:
    if outcome.status != 200:
        return error(outcome.status, outcome.message)
    return Response(outcome.body, media_type=CONTENT_TYPES[fmt], headers={"Vary": "Accept"})


def negotiate(request: Request, offers: dict[str, str]) -> str:
    fmt = choose(request.headers.get("accept"), offers)
    if fmt is None:
        raise ProtocolError(406, f"none of the accepted media types can be served; offered: {', '.join(offers)}")
    return fmt


async def sparql_endpoint(request: Request) -> Response:
    """GET, POST form and POST direct queries; GET with no parameters is the service description."""
    service: Service = request.app.state.service
    body = await read_body(request) if request.method == "POST" else None
    req = build_request(request.method, request.scope.get("query_string", b""), request.headers.get("content-type"),
                        body)
    endpoint = str(request.url_for("sparql"))
    if req.query is None:
        return description_response(request, service, endpoint)
    guarded = guard_query(req.query, service.known_graphs)
    fmt = negotiate(request, offers_for(guarded.form))
    job = Job(query=guarded.text, form=guarded.form, fmt=fmt, max_rows=service.config.max_rows,
              default_graphs=req.default_graphs if req.has_dataset else None,
              named_graphs=req.named_graphs if req.has_dataset else None,
              union_default_graph=service.config.union_default_graph and not guarded.from_graphs,
              base_iri=endpoint)
    return respond(await service.pool.run(job), fmt)


def description_response(request: Request, service: Service, endpoint: str) -> Response:
    import pyoxigraph as ox

    from .description import PREFIXES, service_description

    fmt = negotiate(request, GRAPH_OFFERS)
    rdf_formats = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
                   "rdfxml": ox.RdfFormat.RDF_XML}
    triples = service_description(endpoint, service.graphs, service.config.union_default_graph)
    body = ox.serialize(triples, format=rdf_formats[fmt], prefixes=PREFIXES if fmt == "turtle" else None)
    return Response(body, media_type=CONTENT_TYPES[fmt], headers={"Vary": "Accept"})


async def health(request: Request) -> JSONResponse:
    """Answered by the event loop alone: it stays fast while every worker is busy."""
    service: Service = request.app.state.service
    return JSONResponse({"status": "ok", "graphs": len(service.graphs), "triples": sum(service.graphs.values()),
                         "workers": service.pool.status(), "max_rows": service.config.max_rows,
                         "uptime_s": round(time.time() - service.started, 1)})


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": PAGE_CSP,
                                                        "X-Content-Type-Options": "nosniff"})


async def protocol_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProtocolError | QueryRefused)
    return error(exc.status, str(exc))


class AccessLog:
    """One line per request: client, request line (query string cut at 300 characters), status, bytes, time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = {"status": 500, "bytes": 0}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            client = scope.get("client") or ("-", 0)
            qs = scope.get("query_string", b"").decode("latin-1")
            target = scope.get("path", "") + ("?" + qs if qs else "")
            access_log.info('%s "%s %s" %d %d %.1fms', client[0], scope.get("method", "-"), target[:300],
                            state["status"], state["bytes"], (time.perf_counter() - start) * 1000)


def create_app(config: ServerConfig) -> Starlette:
    """The application; its lifespan starts the worker pool and reads the store's graphs."""
    from ..namespaces import PREFIXES
    from .named import list_queries, run_named_query

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = QueryPool(config.db_path, config.workers, config.timeout, config.queue_wait, dict(PREFIXES))
        await pool.start()
        app.state.service = Service(config, pool, graph_sizes(config.db_path))
        try:
            yield
        finally:
            pool.close()

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/sparql", sparql_endpoint, methods=["GET", "POST"], name="sparql"),
        Route("/queries", list_queries, methods=["GET"]),
        Route("/queries/{name}", run_named_query, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers: dict[Any, Any] = {ProtocolError: protocol_error, QueryRefused: protocol_error}
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)
    app.add_middleware(AccessLog)
    return app
