"""The fast path answers exactly as the SPARQL engine (policykg.check.Checker) on the whole generated grid.

Grid: every procedure code a policy lists and one it does not; every ICD-10-CM code a diagnosis list includes,
the unlisted siblings of each (same parent in the graph), their parents, and random codes of the release;
ages on both sides of every age bound of the graph (in months, days, weeks, years, and from birth dates);
no setting and every setting; no service date, dates before, on and after every effective date. Both the
plain evaluation (TableChecker.check) and the templated one that `adjudicate` uses (TableChecker.row, with
its memory warm from earlier cases) are compared with Checker.check, field by field, including errors.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from policykg.errors import PolicyKGError
from policykg.request import ServiceRequest, make_request

TODAY = date(2025, 1, 15)
MIN_CASES = 20_000  # the grid below has more; fewer means it shrank


def _sparql(checker: Any, req: ServiceRequest) -> tuple[Any, ...]:
    try:
        r = checker.check(req, TODAY)
    except PolicyKGError as exc:
        return ("error", type(exc).__name__, str(exc))
    return (r["determination"], " ".join(s["iri"] for s in r["statements"]), r["reason"], r["warnings"])


def _table(table_checker: Any, req: ServiceRequest) -> tuple[Any, ...]:
    try:
        r = table_checker.check(req, TODAY)
    except PolicyKGError as exc:
        return ("error", type(exc).__name__, str(exc))
    return (r["determination"], " ".join(r["statements"]), r["reason"], r["warnings"])


def _row(table_checker: Any, req: ServiceRequest) -> tuple[Any, ...]:
    try:
        r = table_checker.row(req, TODAY)
    except PolicyKGError as exc:
        return ("error", type(exc).__name__, str(exc))
    return (r["determination"], r["statement"], r["reason"], r["warnings"])


def _grid_codes(store: Any, table: dict[str, Any]) -> list[str]:
    listed = sorted({icd for by_code in table["listed"].values() for icd in by_code})
    values = " ".join(f'"{c}"' for c in listed)  # codes read from the graph itself, not user input
    # siblings and parents as two plain joins: a UNION with BIND here made Oxigraph scan the whole release
    siblings = store.query(f"SELECT DISTINCT ?n WHERE {{ VALUES ?l {{ {values} }} ?c skos:notation ?l ; "
                           "skos:broader ?p . ?s skos:broader ?p . ?s a pkg:ICD10CMCode ; skos:notation ?n }")
    parents = store.query(f"SELECT DISTINCT ?n WHERE {{ VALUES ?l {{ {values} }} ?c skos:notation ?l ; "
                          "skos:broader ?p . ?p a pkg:ICD10CMCode ; skos:notation ?n }")
    around = sorted({str(r[0]) for r in [*siblings, *parents]} - set(listed))
    rng = random.Random(38)
    everything = table["codes"]["billable"].split() + table["codes"]["not_billable"].split()
    return listed + around + rng.sample(everything, 40) + ["Q06.5", "Z99.999"]  # and two codes that do not exist


def _ages(table: dict[str, Any]) -> list[dict[str, str]]:
    bounds = {Decimal(b[1]) for by_policy in table["rules"].values() for rules in by_policy.values()
              for r in rules for b in (*r["below"], *r["at_least"])}
    ages = [{"age": "0d"}, {"age": "40y"}]
    for b in sorted(bounds):
        months = int(b)
        ages += [{"age": f"{months - 1}m"}, {"age": f"{months}m"}, {"age": f"{months + 1}m"}]
        days = int(b * Decimal("30.4375"))
        ages += [{"age": f"{days}d"}, {"age": f"{days + 1}d"}, {"age": f"{months // 12}y"}]
        born = date(2022, 6, 10)
        on = date(born.year + months // 12, born.month + months % 12, born.day) if months % 12 == 0 else None
        if on is not None:
            for day in (on - timedelta(days=1), on):
                ages.append({"birth_date": born.isoformat(), "service_date": day.isoformat()})
    return ages


def _dates(table: dict[str, Any]) -> list[str | None]:
    out: list[str | None] = [None]
    for day, _ in table["epochs"]:
        d = date.fromisoformat(day)
        out += [(d - timedelta(days=1)).isoformat(), d.isoformat(), (d + timedelta(days=200)).isoformat()]
    return out


def test_the_grid(store, checker, table, table_checker) -> None:  # type: ignore[no-untyped-def]
    cpts = [*sorted(table["procedures"]), "99213"]
    settings = [None, *sorted(table["settings"])]
    codes = _grid_codes(store, table)
    ages = _ages(table)
    dates = _dates(table)
    cases = differences = 0
    seen: set[str] = set()
    first: list[str] = []
    for cpt in cpts:
        for code in codes:
            for age in ages:
                for setting in settings:
                    for day in dates if "service_date" not in age else [age["service_date"]]:
                        try:
                            req = make_request(cpt, [code], age=age.get("age"), birth_date=age.get("birth_date"),
                                               service_date=day, setting=setting)
                        except PolicyKGError:
                            continue
                        expected = _sparql(checker, req)
                        cases += 1
                        seen.add(expected[0])
                        for got in (_table(table_checker, req), _row(table_checker, req)):
                            if got != expected:
                                differences += 1
                                if len(first) < 3:
                                    first.append(f"{cpt} {code} {age} {setting} {day}:\n  sparql {expected}\n"
                                                 f"  table  {got}")
    assert differences == 0, "\n".join(first)
    assert cases >= MIN_CASES, cases
    assert {"medically_necessary", "not_medically_necessary", "not_addressed", "no_policy_in_effect",
            "error"} <= seen


@pytest.mark.parametrize("seed", [1, 2])
def test_several_codes_per_request(checker, table, table_checker, seed: int) -> None:  # type: ignore[no-untyped-def]
    """Requests with 2-4 codes, listed and not, in random order (combined as coverage-evaluate rows are)."""
    rng = random.Random(seed)
    listed = sorted({icd for by_code in table["listed"].values() for icd in by_code})
    pool = listed + sorted(table["similar"]) + sorted(table["below"]) + rng.sample(
        table["codes"]["billable"].split(), 50)
    cases = 0
    for _ in range(400):
        codes = rng.sample(pool, rng.randint(2, 4))
        req = make_request(rng.choice(sorted(table["procedures"])), codes, age=rng.choice(["3m", "23m", "24m", "3y"]),
                           setting=rng.choice([None, *table["settings"]]),
                           service_date=rng.choice(["2024-09-14", "2024-10-01", None]))
        expected = _sparql(checker, req)
        assert _table(table_checker, req) == expected, req
        assert _row(table_checker, req) == expected, req
        cases += 1
    assert cases == 400
