"""`check --engine reasoner` returns the SPARQL engine's JSON, with the reasoner's decision and reason."""

from __future__ import annotations

import json
from datetime import date

import pytest

from policykg.cli import main
from policykg.reasoner.engine import check_with_reasoner
from policykg.request import make_request

TODAY = date(2025, 3, 1)
CASES = [  # (cpt, icd, age, setting, service date) -> one of each determination and order of statements
    ("76800", ["Q05.4"], "3m", None, None),
    ("76800", ["Q05.4"], "30m", None, "2025-01-10"),
    ("76800", ["M54.50", "G95.0"], "5m", "intraoperative", "2025-01-10"),
    ("62270", ["M54.50"], "730d", None, "2025-01-10"),
    ("76800", ["Q07.01"], "3m", None, "2024-09-14"),
    ("72148", ["Q05.4"], "3m", None, "2025-01-10"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{'+'.join(c[1])}-{c[2]}-{c[3]}-{c[4]}")
def test_same_json_as_sparql_but_the_reason(store, checker, case) -> None:  # type: ignore[no-untyped-def]
    cpt, icd, age, setting, day = case
    req = make_request(cpt, icd, age=age, setting=setting, service_date=day)
    sparql = checker.check(req, TODAY)
    reasoned = check_with_reasoner(store, req, TODAY)
    assert set(reasoned) == set(sparql) == {"determination", "policy", "statements", "codes", "evidence", "reason",
                                            "warnings", "request", "service_date_used"}
    for key in sparql:
        if key != "reason":
            assert reasoned[key] == sparql[key], key
    assert reasoned["reason"].startswith("hermit: ")


def test_reason_names_the_class_and_the_axioms(store) -> None:  # type: ignore[no-untyped-def]
    result = check_with_reasoner(store, make_request("76800", ["Q05.4"], age="3m"), TODAY)
    reason = result["reason"]
    assert "Applies(table-spinal-ultrasound-mn × statement-infant)" in reason
    assert "∃ageMonths.decimal[< 24]" in reason and "request ageMonths 3" in reason
    assert "entry-Q05.0-Q05.9 includesCode icd:Q05.4" in reason


def test_cli_check_engine_reasoner(store_dir, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(["check", "--cpt", "76800", "--icd", "Q05.4", "--age", "3m", "--engine", "reasoner", "-f", "json",
               "--store", str(store_dir)])
    out = capsys.readouterr()
    assert rc == 0, out.err
    result = json.loads(out.out)
    assert result["determination"] == "medically_necessary"
    assert [s["iri"].rsplit("/", 1)[-1] for s in result["statements"]] == ["statement-infant"]


def test_cli_unknown_code_is_one_line_exit_2(store_dir, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(["check", "--cpt", "76800", "--icd", "Q99.99", "--age", "3m", "--engine", "reasoner",
               "--store", str(store_dir)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "unknown ICD-10-CM code Q99.99" in err and "Traceback" not in err
