"""The named queries over HTTP: GET /queries lists them, GET /queries/NAME?param=value runs one.

Parameters are checked and typed by the registry (policykg.queries.bind) and bound as a VALUES block
(bound_text): the same text the CLI runs. Asking for `application/sparql-query` returns that bound text
with its PREFIX declarations instead of running it, so the page can open it in the editor.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..query_guard import guard_query
from .negotiation import RESULT_OFFERS
from .protocol import ProtocolError, parse_params
from .worker import Job

TEXT_OFFERS = {**RESULT_OFFERS, "application/sparql-query": "sparql"}


async def list_queries(request: Request) -> JSONResponse:
    from ..queries import registry

    return JSONResponse([{**q.to_json(), "path": f"/queries/{q.name}"} for q in registry().values()])


async def run_named_query(request: Request) -> Response:
    from ..queries import ParameterError, bind, bound_text, get
    from ..remote import with_prefixes
    from .app import Service, negotiate, respond

    service: Service = request.app.state.service
    name = request.path_params["name"]
    values: dict[str, str] = {}
    for key, value in parse_params(request.scope.get("query_string", b""), "query string"):
        if key in values:
            raise ProtocolError(400, f"parameter {key!r} given twice")
        values[key] = value
    try:
        nq = get(name)
    except ParameterError as exc:
        raise ProtocolError(404, str(exc)) from None
    try:
        text = bound_text(nq, bind(nq, values))
    except ParameterError as exc:
        raise ProtocolError(400, str(exc)) from None
    fmt = negotiate(request, TEXT_OFFERS if nq.kind in ("SELECT", "ASK") else {"application/sparql-query": "sparql"})
    if fmt == "sparql":
        return Response(with_prefixes(text), media_type="application/sparql-query; charset=utf-8")
    guarded = guard_query(text, service.known_graphs)
    job = Job(query=guarded.text, form=guarded.form, fmt=fmt, max_rows=service.config.max_rows,
              union_default_graph=service.config.union_default_graph)
    return respond(await service.pool.run(job), fmt)
