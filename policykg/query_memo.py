"""Remembered answers of named queries over one store build, so that a warm coverage check runs no SPARQL.

A build never changes once written (a new graph is a new build directory), so a named query with the same
parameters gives the same rows for as long as the store is open; remembering them is exact. Two parameters
vary more than the answers do, and are keyed on what the query can tell apart:

- coverage-evaluate compares `age_months` only with the graph's age bounds (decision-table-age-bounds): two
  ages with the same bounds at or below them get the same rows, so the key is that count;
- policy-in-effect compares `service_date` only with effective dates (decision-table-effective-dates): the
  key is the number of effective dates on or before it.

Both queries return neither parameter, so their rows really are the same. Where the graph's values are not
plain decimals or dates the parameter itself is the key. Stores other than an open build (policykg.store's
PolicyStore) are queried every time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .sparql import run_named, term_value

MAX_ENTRIES = 50_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class _Bounds:
    ok: bool  # every bound is a plain decimal or integer, compared exactly
    values: list[Decimal]


class QueryMemo:
    """run_named with memory; `run` takes the same arguments."""

    def __init__(self, store: Any, max_entries: int = MAX_ENTRIES) -> None:
        self.store = store
        self.enabled = getattr(getattr(store, "info", None), "build", None) is not None
        self.max_entries = max_entries
        self._rows: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._age_bounds: _Bounds | None = None
        self._dates: list[str] | None = None

    def run(self, name: str, params: dict[str, str] | None = None, *,
            terms: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if not self.enabled:
            return run_named(self.store, name, params, terms=terms)
        key = self._key(name, params or {}, terms or {})
        rows = self._rows.get(key)
        if rows is None:
            rows = run_named(self.store, name, params, terms=terms)
            if len(self._rows) >= self.max_entries:
                self._rows.clear()  # bounded memory; a long-running process refills what it uses
            self._rows[key] = rows
        return rows

    def _key(self, name: str, params: dict[str, str], terms: dict[str, Any]) -> tuple[Any, ...]:
        p = dict(params)
        t = {k: v for k, v in terms.items() if v is not None}
        if name == "coverage-evaluate" and "age_months" in t:
            cell = self._age_cell(t["age_months"])
            if cell is not None:
                t["age_months"] = cell
        if name == "policy-in-effect" and "service_date" in p:
            cell = self._date_cell(p["service_date"])
            if cell is not None:
                p["service_date"] = cell
        return name, tuple(sorted(p.items())), tuple(sorted(t.items(), key=lambda kv: kv[0]))

    def _age_cell(self, age: Any) -> tuple[str, int] | None:
        if self._age_bounds is None:
            self._age_bounds = self._read_age_bounds()
        if not self._age_bounds.ok:
            return None
        try:
            value = Decimal(str(age))
        except InvalidOperation:
            return None
        return "age-cell", bisect_right(self._age_bounds.values, value)

    def _read_age_bounds(self) -> _Bounds:
        values = []
        for r in run_named(self.store, "decision-table-age-bounds"):
            term = r.get("bound")
            datatype = str(getattr(term, "datatype", "") or "")
            if not datatype.endswith(("#decimal", "#integer")) or not isinstance(term_value(term), int | float):
                return _Bounds(False, [])
            values.append(Decimal(str(term)))
        return _Bounds(True, sorted(values))

    def _date_cell(self, day: str) -> tuple[str, int] | None:
        if self._dates is None:
            rows = run_named(self.store, "decision-table-effective-dates")
            dates = [term_value(r.get("effectiveDate")) for r in rows]
            ok = all(isinstance(d, str) and _DATE.match(d) for d in dates)
            self._dates = sorted(dates) if ok else ["invalid"]
        if self._dates == ["invalid"] or not _DATE.match(day):
            return None
        return "date-cell", bisect_right(self._dates, day)
