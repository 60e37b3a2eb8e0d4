"""The coverage check on cases derived from the policy text."""

from __future__ import annotations

from datetime import date

import pytest

from policykg.errors import UnknownCodeError, UsageError
from policykg.request import make_request

LISTED = ["C70.1", "C72.0", "C72.1", "D32.1", "D33.4", "D48.0", "G95.0", "G96.08", "G96.09", "G97.51", "G97.61",
          "G97.63", "P10.0", "P10.1", "P10.2", "P10.3", "P10.8", "P10.9", "P11.5", "P52.0", "P52.1", "P52.21",
          "P52.22", "P52.3", "P52.4", "P52.5", "P52.6", "P52.8", "P52.9", "Q05.0", "Q05.1", "Q05.2", "Q05.3",
          "Q05.4", "Q05.5", "Q05.6", "Q05.7", "Q05.8", "Q05.9", "Q06.0", "Q06.1", "Q06.2", "Q06.3", "Q06.4",
          "Q06.8", "Q06.9", "Q07.00", "Q07.01", "Q07.02", "Q07.03", "Q42.2", "Q42.3", "Q76.49"]
TODAY = date(2025, 1, 15)


def run(checker, **kw):  # type: ignore[no-untyped-def]
    return checker.check(make_request(**kw), today=TODAY)


@pytest.mark.parametrize("code", LISTED)
def test_every_listed_code_is_covered_for_an_infant(checker, code: str) -> None:  # type: ignore[no-untyped-def]
    r = run(checker, cpt="76800", icd=[code], age="3m")
    assert r["determination"] == "medically_necessary"
    assert [s["iri"].rsplit("/", 1)[-1] for s in r["statements"]] == ["statement-infant"]
    assert r["codes"][1]["listed"] is True


@pytest.mark.parametrize("code", ["Q06.5", "Q07.8", "Q05", "Q76.0", "P11.0", "G95.1", "M54.50", "G96.00"])
def test_unlisted_or_nonexistent_siblings(checker, code: str) -> None:  # type: ignore[no-untyped-def]
    if code in ("Q06.5",):
        with pytest.raises(UnknownCodeError):
            run(checker, cpt="76800", icd=[code], age="3m")
        return
    r = run(checker, cpt="76800", icd=[code], age="3m")
    assert r["determination"] == "not_medically_necessary"
    assert r["statements"][0]["iri"].endswith("statement-other-indications")
    assert "All other codes" in r["reason"]


@pytest.mark.parametrize("age,expected", [("23m", "medically_necessary"), ("24m", "not_medically_necessary"),
                                          ("2y", "not_medically_necessary"), ("1y", "medically_necessary"),
                                          ("730d", "medically_necessary"), ("731d", "not_medically_necessary"),
                                          ("104w", "medically_necessary"), ("105w", "not_medically_necessary"),
                                          ("0d", "medically_necessary")])
def test_age_boundary(checker, age: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert run(checker, cpt="76800", icd=["Q05.4"], age=age)["determination"] == expected


def test_birth_and_service_dates(checker) -> None:  # type: ignore[no-untyped-def]
    before = run(checker, cpt="76800", icd=["Q05.4"], birth_date="2023-01-10", service_date="2025-01-09")
    on = run(checker, cpt="76800", icd=["Q05.4"], birth_date="2023-01-10", service_date="2025-01-10")
    assert before["determination"] == "medically_necessary"
    assert on["determination"] == "not_medically_necessary"
    assert on["service_date_used"] == "2025-01-10"


def test_date_before_the_policy_took_effect(checker) -> None:  # type: ignore[no-untyped-def]
    r = run(checker, cpt="76800", icd=["Q05.4"], birth_date="2024-01-01", service_date="2024-09-14")
    assert r["determination"] == "no_policy_in_effect"
    assert "2024-09-15" in r["reason"]
    r = run(checker, cpt="76800", icd=["Q05.4"], birth_date="2024-01-01", service_date="2024-09-15")
    assert r["determination"] == "medically_necessary"


def test_intraoperative(checker) -> None:  # type: ignore[no-untyped-def]
    r = run(checker, cpt="76800", icd=["C72.0"], age="40y", setting="intraoperative")
    assert r["determination"] == "medically_necessary"
    assert [s["iri"].rsplit("/", 1)[-1] for s in r["statements"]] == ["statement-intraoperative"]
    assert {e["label"] for e in r["evidence"]} >= {"Hara et al. 2001", "Nojiri et al. 2019"}
    r = run(checker, cpt="76800", icd=["C72.0"], age="40y")
    assert r["determination"] == "not_medically_necessary"
    assert "intraoperative" in r["reason"]
    r = run(checker, cpt="76800", icd=["M48.06"], age="40y", setting="intraoperative")
    assert r["determination"] == "not_medically_necessary"
    with pytest.raises(UsageError, match="unknown setting"):
        run(checker, cpt="76800", icd=["C72.0"], age="40y", setting="outpatient")


def test_infant_and_intraoperative_both_decide(checker) -> None:  # type: ignore[no-untyped-def]
    r = run(checker, cpt="76800", icd=["Q05.4"], age="3m", setting="intraoperative")
    assert {s["iri"].rsplit("/", 1)[-1] for s in r["statements"]} == {"statement-infant", "statement-intraoperative"}


def test_lumbar_puncture_table(checker) -> None:  # type: ignore[no-untyped-def]
    for cpt in ("62270", "76942"):
        assert run(checker, cpt=cpt, icd=["R50.9"], age="10d")["determination"] == "medically_necessary"
        assert run(checker, cpt=cpt, icd=["R50.9"], age="3y")["determination"] == "not_medically_necessary"


def test_not_addressed_and_several_codes(checker) -> None:  # type: ignore[no-untyped-def]
    assert run(checker, cpt="99213", icd=["Q05.4"], age="3m")["determination"] == "not_addressed"
    r = run(checker, cpt="76800", icd=["R10.9", "Q05.4"], age="3m")
    assert r["determination"] == "medically_necessary"
    assert [c["listed"] for c in r["codes"][1:]] == [False, True]


def test_json_shape_and_evidence(checker) -> None:  # type: ignore[no-untyped-def]
    r = run(checker, cpt="76800", icd=["Q05.4"], age="3m")
    assert {"determination", "policy", "statements", "codes", "evidence", "warnings", "reason"} <= set(r)
    assert r["policy"]["id"] == "CPG 038" and r["policy"]["effective_date"] == "2024-09-15"
    s = r["statements"][0]
    assert s["section"] == "GUIDELINES > Medically Necessary" and s["page"] == 1
    q = r["codes"][1]
    assert q["list_entries"] == ["Q05.0-Q05.9"] and q["label"].startswith("Unspecified spina bifida")
    assert "evaluation of suspected defects" in q["indications"]
    assert {"label": "Hughes et al. 2003", "stance": "supports", "year": 2003}.items() <= \
        next(e for e in r["evidence"] if e["label"] == "Hughes et al. 2003").items()


def test_warnings(checker) -> None:  # type: ignore[no-untyped-def]
    r = run(checker, cpt="76800", icd=["Q05"], age="3m")
    assert any("not billable" in w and "Q05.0-Q05.9" in w for w in r["warnings"])
    r = run(checker, cpt="76800", icd=["Q76.0"], age="3m")
    assert any("resembles listed entry Q05.0-Q05.9" in w for w in r["warnings"])


def test_lumbar_puncture_names_its_indication(checker) -> None:  # type: ignore[no-untyped-def]
    r = run(checker, cpt="76942", icd=["R50.9"], age="2m")
    assert "indication: guidance for lumbar puncture" in r["reason"]
