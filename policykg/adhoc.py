"""Ad-hoc SPARQL from the command line: guard, run in a killable worker, render.

The guard (policykg.query_guard) caps size and nesting and refuses what must never run before any engine
parses the text; the query then runs in a fresh child process (policykg.worker) with time, memory and row
limits, so a crash or an overrun costs a worker, not the CLI. Remote endpoints get the same guard and the
remote client's own time limit.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from .errors import DataError, UsageError
from .formatting import RDF_FORMATS, render_rows
from .query_guard import GuardedQuery, guard_query

TABULAR = ("table", "json", "csv", "tsv")


def run_adhoc(text: str, fmt: str, *, store_dir: Path | None = None, endpoint: str | None = None,
              timeout: float = 30.0, max_rows: int | None = None, memory_mb: int | None = None) -> str:
    """Run one read-only query and return its rendering in `fmt`."""
    from .worker import DEFAULT_MAX_ROWS, DEFAULT_MEMORY_MB, Limits, WorkerRequest, run_in_worker

    limits = Limits(timeout=timeout, memory_mb=memory_mb or DEFAULT_MEMORY_MB, max_rows=max_rows or DEFAULT_MAX_ROWS)
    if endpoint:
        from .remote import run_remote_query

        return run_remote_query(endpoint, guard_query(text, known_graphs=None), fmt, timeout=timeout)
    from .store import default_store_dir, ensure_store

    root = store_dir or default_store_dir()
    graphs = _StoreGraphs(root)
    guarded = guard_query(text, known_graphs=graphs)
    check_format(guarded.form, fmt)
    build = graphs.build if graphs.build is not None else ensure_store(root).build
    return run_in_worker(WorkerRequest(str(build), guarded.text, guarded.form, fmt, limits, guarded.from_graphs))


class _StoreGraphs:
    """The store's named graphs, for the guard's FROM check; the store is opened only if a FROM asks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.build: Path | None = None
        self._graphs: set[str] | None = None

    def __contains__(self, iri: object) -> bool:
        if self._graphs is None:
            import pyoxigraph as ox

            from .store import ensure_store

            self.build = ensure_store(self.root).build
            store = ox.Store.read_only(str(self.build / "oxigraph"))
            self._graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
            del store
        return iri in self._graphs


def check_format(form: str, fmt: str) -> None:
    """Refuse an output format that does not fit the query form, before anything runs."""
    if form in ("SELECT", "ASK") and fmt not in TABULAR:
        raise UsageError(f"{form} results come as table, json, csv or tsv, not {fmt!r}")
    if form in ("CONSTRUCT", "DESCRIBE") and fmt not in RDF_FORMATS and fmt != "table":
        raise UsageError(f"{form} results come as turtle, nt, jsonld, xml, not {fmt!r}")


def run_guarded(store: Any, guarded: GuardedQuery, fmt: str, *, max_rows: int | None = None) -> str:
    """Run a query the guard let through on a store (`.query(text)` -> rdflib Result) and render it.

    Runs inside the worker for the embedded store and in-process for remote stores (policykg.remote). With
    `max_rows`, a result with more rows (or triples) than that is an error, never a truncated answer.
    """
    check_format(guarded.form, fmt)
    try:
        result = store.query(guarded.text)
    except SyntaxError as exc:
        raise UsageError(f"SPARQL syntax error: {str(exc).splitlines()[0] if str(exc) else 'invalid query'}") from None
    except (ValueError, RuntimeError, OSError) as exc:
        raise DataError(f"query failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if guarded.form == "ASK":
        answer = bool(result.askAnswer)
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": answer})
        return "true" if answer else "false"
    if guarded.form == "SELECT":
        columns = [str(v) for v in result.vars]
        rows = _select_rows(result, columns, max_rows)
        return render_rows(rows, columns, fmt)
    graph = result.graph
    if max_rows is not None and len(graph) > max_rows:
        _too_many(max_rows, "triples")
    rdffmt = "turtle" if fmt == "table" else fmt
    name = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml", "trig": "trig", "nq": "nquads"}[rdffmt]
    if name == "json-ld":
        return graph.serialize(format="json-ld", auto_compact=False)
    return graph.serialize(format=name)


def _select_rows(result: Any, columns: list[str], max_rows: int | None) -> list[dict[str, Any]]:
    """Rows as dicts of rdflib terms, reading at most max_rows + 1 solutions from the (lazy) result."""
    try:
        solutions = list(itertools.islice(iter(result), None if max_rows is None else max_rows + 1))
    except (ValueError, RuntimeError, OSError) as exc:  # evaluation errors surface while iterating
        raise DataError(f"query failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if max_rows is not None and len(solutions) > max_rows:
        _too_many(max_rows, "rows")
    return [{n: row[i] for i, n in enumerate(columns) if row[i] is not None} for row in solutions]


def _too_many(limit: int, what: str) -> None:
    from .worker import QueryLimitExceeded

    raise QueryLimitExceeded(f"the result has more than {limit} {what} (the row limit): add LIMIT to the query")

