"""`check --service-date` picks the version in effect: the ingested 2025 version (Q76.49 removed) changes answers."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from samples import NEXT, SHIPPED

from policykg.check import Checker
from policykg.cli import main
from policykg.request import make_request


@pytest.fixture(scope="module")
def checker(ingested: Any) -> Checker:
    return Checker(ingested)


@pytest.mark.parametrize(("day", "policy", "expected"), [
    ("2024-10-01", SHIPPED, "medically_necessary"),
    ("2025-01-14", SHIPPED, "medically_necessary"),
    ("2025-01-15", NEXT, "not_medically_necessary"),
    ("2025-06-30", NEXT, "not_medically_necessary"),
])
def test_removed_code_changes_the_answer_with_the_service_date(checker: Checker, day: str, policy: str,
                                                               expected: str) -> None:
    r = checker.check(make_request("76800", ["Q76.49"], age="3m", service_date=day))
    assert (r["determination"], r["policy"]["iri"]) == (expected, policy)
    assert not any("several policies" in w for w in r["warnings"])
    if expected == "not_medically_necessary":
        assert r["statements"][0]["iri"] == NEXT.removesuffix("policy") + "statement-3"
        assert "All other codes" in r["reason"]


def test_unchanged_codes_keep_their_answer_in_both_versions(checker: Checker) -> None:
    for day, policy in (("2024-10-01", SHIPPED), ("2025-02-01", NEXT)):
        r = checker.check(make_request("76800", ["Q05.4"], age="3m", service_date=day))
        assert (r["determination"], r["policy"]["iri"]) == ("medically_necessary", policy)
        assert r["codes"][1]["list_entries"] == ["Q05.0-Q05.9"]
    later = checker.check(make_request("76800", ["C72.0"], age="40y", setting="intraoperative",
                                       service_date="2025-02-01"))
    assert later["determination"] == "medically_necessary"
    assert later["statements"][0]["iri"] == NEXT.removesuffix("policy") + "statement-2"
    assert later["evidence"] and {e["stance"] for e in later["evidence"]} <= {"supports", "background"}


def test_check_cli_reports_the_version_used(capsys: Any, ingest_store: Any) -> None:
    code = main(["check", "--store", str(ingest_store.root), "--cpt", "76800", "--icd", "Q76.49", "--birth-date",
                 "2024-12-01", "--service-date", "2025-03-01", "-f", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["policy"]["effective_date"] == "2025-01-15" and out["policy"]["iri"] == NEXT
    assert out["determination"] == "not_medically_necessary"
    assert date.fromisoformat(out["service_date_used"]) == date(2025, 3, 1)
