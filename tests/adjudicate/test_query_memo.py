"""Checker's memory of query answers changes no answer: the same JSON as asking every query every time."""

from __future__ import annotations

import random
from datetime import date
from types import SimpleNamespace

from policykg.check import Checker
from policykg.query_memo import QueryMemo
from policykg.request import make_request

TODAY = date(2025, 1, 15)


def test_memory_changes_no_answer(store, table) -> None:  # type: ignore[no-untyped-def]
    remembering = Checker(store)
    asking = Checker(SimpleNamespace(query=store.query))  # not an open build: every query runs
    assert not asking._run.__self__.enabled and remembering._run.__self__.enabled
    rng = random.Random(9)
    listed = sorted({icd for by_code in table["listed"].values() for icd in by_code})
    codes = rng.sample(listed, 8) + rng.sample(sorted(table["similar"]), 4) + ["Q05", "M54.50"]
    ages = ["0d", "1m", "23m", "730d", "731d", "24m", "25m", "2y", "40y", "104w", "105w"]
    days = [None, "2024-09-14", "2024-09-15", "2024-09-16", "2025-06-01"]
    cases = 0
    for _ in range(120):
        req = make_request(rng.choice(["76800", "62270", "99213"]), rng.sample(codes, rng.randint(1, 2)),
                           age=rng.choice(ages), service_date=rng.choice(days),
                           setting=rng.choice([None, "intraoperative"]))
        assert remembering.check(req, TODAY) == asking.check(req, TODAY), req
        cases += 1
    assert cases == 120


def test_keys_follow_what_a_query_can_tell_apart(store) -> None:  # type: ignore[no-untyped-def]
    from rdflib import Literal
    from rdflib.namespace import XSD

    memo = QueryMemo(store)

    def age_key(months: str) -> tuple:  # type: ignore[type-arg]
        return memo._key("coverage-evaluate", {"cpt": "76800", "icd": "Q05.4"},
                         {"age_months": Literal(months, datatype=XSD.decimal)})

    assert age_key("3") == age_key("23.9999")  # same side of every bound of the graph (24 months)
    assert age_key("23.9999") != age_key("24")
    assert age_key("24") == age_key("480")

    def date_key(day: str) -> tuple:  # type: ignore[type-arg]
        return memo._key("policy-in-effect", {"service_date": day}, {})

    assert date_key("2024-09-15") == date_key("2025-12-31")
    assert date_key("2024-09-14") != date_key("2024-09-15")
    assert memo._key("code-info", {"icd": "Q05.4"}, {}) != memo._key("code-info", {"icd": "Q05.5"}, {})
