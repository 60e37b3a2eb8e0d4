"""Ad-hoc SPARQL from the command line: guard, run, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import DataError, UsageError
from .formatting import RDF_FORMATS, render_rows
from .query_guard import guard_query

TABULAR = ("table", "json", "csv", "tsv")


def run_adhoc(text: str, fmt: str, *, store_dir: Path | None = None, endpoint: str | None = None,
              timeout: float = 30.0) -> str:
    """Run one read-only query and return its rendering in `fmt`."""
    if endpoint:
        from .remote import run_remote_query  # issue: remote stores

        guarded = guard_query(text, known_graphs=None if "FROM" not in text.upper() else set())
        return run_remote_query(endpoint, guarded, fmt, timeout=timeout)
    from .store import PolicyStore

    store = PolicyStore.open(store_dir)
    graphs = {str(g.value) for g in store.ox.named_graphs()}
    guarded = guard_query(text, known_graphs=graphs)
    return run_guarded(store, guarded, fmt)


def run_guarded(store: Any, guarded: Any, fmt: str) -> str:
    """Run a query the guard let through on the embedded store."""
    if guarded.form in ("SELECT", "ASK") and fmt not in TABULAR:
        raise UsageError(f"{guarded.form} results come as table, json, csv or tsv, not {fmt!r}")
    if guarded.form in ("CONSTRUCT", "DESCRIBE") and fmt not in RDF_FORMATS and fmt != "table":
        raise UsageError(f"{guarded.form} results come as turtle, nt, jsonld, xml, not {fmt!r}")
    try:
        result = store.query(guarded.text)
    except SyntaxError as exc:
        raise UsageError(f"SPARQL syntax error: {str(exc).splitlines()[0]}") from None
    except (ValueError, RuntimeError) as exc:
        raise DataError(f"query failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if guarded.form == "ASK":
        answer = bool(result.askAnswer)
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": answer})
        return "true" if answer else "false"
    if guarded.form == "SELECT":
        from .sparql import result_rows

        columns = [str(v) for v in result.vars]
        return render_rows(result_rows(result), columns, fmt)
    graph = result.graph
    rdffmt = "turtle" if fmt == "table" else fmt
    name = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml", "trig": "trig", "nq": "nquads"}[rdffmt]
    if name == "json-ld":
        return graph.serialize(format="json-ld", auto_compact=False)
    return graph.serialize(format=name)
