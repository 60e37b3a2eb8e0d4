"""The SPARQL 1.1 Protocol endpoint and the analysts' query page (`policykg serve`).

Layout, one job per module:

    config.py       ServerConfig: limits and where the store is
    protocol.py     an HTTP request -> the query and its dataset, or a 4xx (SPARQL 1.1 Protocol rules)
    negotiation.py  Accept header -> result format, and the media types we answer with
    worker.py       runs inside a query worker process: one query, row limit, native serialisers
    pool.py         the killable worker processes: time limits that really free the CPU
    description.py  the SPARQL Service Description
    named.py        the named queries over HTTP (/queries)
    app.py          the Starlette application: routes, access log, error responses
    static/         the browser page and the vendored YASGUI build

Nothing here imports Starlette at package import time: the worker processes import `worker` only.
"""
