"""Running named queries against the store and turning results into plain Python rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .queries import bind, bound_text, get


def term_value(term: Any) -> Any:
    """An rdflib term as a JSON-friendly Python value (IRIs and plain strings as str, numbers as numbers)."""
    if term is None:
        return None
    from decimal import Decimal

    from rdflib import Literal

    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, Decimal):
            return float(value) if value != value.to_integral_value() else int(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if isinstance(value, Literal):  # unknown datatype: keep the lexical form
            return str(value)
        return value
    return str(term)


def result_rows(result: Any) -> list[dict[str, Any]]:
    """SELECT results as dicts of variable name -> rdflib term (unbound variables omitted)."""
    names = [str(v) for v in result.vars]
    out = []
    for row in result:
        out.append({n: row[i] for i, n in enumerate(names) if row[i] is not None})
    return out


def run_named(store: Any, name: str, params: dict[str, str] | None = None, *, group: str = "",
              terms: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run a named SELECT query with string parameters (checked and typed) or ready RDF terms."""
    nq = get(name, group)
    bindings = bind(nq, params or {})
    if terms:
        for key in terms:
            if nq.param(key) is None:
                raise ValueError(f"query {name!r} has no parameter {key!r}")
        bindings.update({k: v for k, v in terms.items() if v is not None})
    return result_rows(store.query(bound_text(nq, bindings)))


def values(rows: Iterable[dict[str, Any]], key: str) -> list[Any]:
    return [term_value(r[key]) for r in rows if key in r]
