"""Hostile and odd input to `check` and `query`: codes, parameters, ages, dates.

Every bad value is refused with exit 2 and one line naming it; every odd but meaningful value is normalised
as documented (policykg.codes, policykg.request); nothing reaches a query as text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Recorder, assert_one_line_error, cli

CHECK = ("check", "--cpt", "76800", "--service-date", "2025-01-15", "-f", "json")


def run_check(capsys, store_dir: Path, *args: str) -> tuple[int, dict | None, str]:  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, *CHECK, "--store", str(store_dir), *args)
    return code, (json.loads(out) if code == 0 else None), err


@pytest.mark.parametrize("raw", ["Q05.4", "q05.4", "Q054", "q054", " Q05.4 ", "\tq054\n", "Ｑ０５.４", "Ｑ０５４",
                                 "Q05.4\u00a0"])
def test_documented_code_normalisation(capsys, store_dir: Path, raw: str) -> None:  # type: ignore[no-untyped-def]
    code, result, err = run_check(capsys, store_dir, "--icd", raw, "--age", "3m")
    assert code == 0, err
    assert result is not None
    assert result["codes"][1]["code"] == "Q05.4"
    assert result["determination"] == "medically_necessary"


@pytest.mark.parametrize("raw,fragment", [
    ('Q05.4" } ; DROP ALL #', "malformed ICD-10-CM code"),
    ("Q05.4'", "malformed ICD-10-CM code"),
    ("Q05.4}", "malformed ICD-10-CM code"),
    ("<http://example.org/x>", "malformed ICD-10-CM code"),
    ("Q05.4 UNION { ?s ?p ?o }", "malformed ICD-10-CM code"),
    ("Q05\u200b.4", "control or invisible"),
    ("Q05.4\u202e", "control or invisible"),
    ("Q05.4\x1b[31m", "control or invisible"),
    ("Q" * 10_000, "too long"),
    ("Q0.54", "malformed ICD-10-CM code"),
    ("Q05..4", "malformed ICD-10-CM code"),
    ("05.4", "malformed ICD-10-CM code"),
])
def test_hostile_codes_are_refused(capsys, store_dir: Path, raw: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_check(capsys, store_dir, "--icd", raw, "--age", "3m")
    assert code == 2
    assert_one_line_error(err)
    assert fragment in err
    assert "\x1b" not in err and "\u202e" not in err  # echoed values are escaped, never raw control characters


def test_empty_code_is_refused(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_check(capsys, store_dir, "--icd", " , ", "--age", "3m")
    assert code == 2 and "at least one ICD-10-CM code" in err


@pytest.mark.parametrize("cpt", ['76800" }', "7680O", "76800 OR 1", "<urn:x>", "", "７６８００\u0000"])
def test_hostile_procedure_codes_are_refused(capsys, store_dir: Path, cpt: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(capsys, "check", "--store", str(store_dir), "--cpt", cpt, "--icd", "Q05.4", "--age", "3m")
    assert code == 2
    assert_one_line_error(err)


def test_existing_code_not_in_policy_is_an_answer_unknown_code_is_an_error(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    # R10.9 exists in ICD-10-CM but the policy does not list it: an answer (not medically necessary), exit 0
    code, result, err = run_check(capsys, store_dir, "--icd", "R10.9", "--age", "3m")
    assert code == 0, err
    assert result is not None and result["determination"] == "not_medically_necessary"
    assert result["codes"][1]["listed"] is False
    # well-formed codes that ICD-10-CM does not have: an error, exit 2, whatever their spelling
    for raw in ("Q99.99", "q9999", "Q05.40", "Z99.999"):
        code, _, err = run_check(capsys, store_dir, "--icd", raw, "--age", "3m")
        assert code == 2, raw
        assert_one_line_error(err)
        assert "unknown ICD-10-CM code" in err
    # one unknown code among known ones is still an error, not a partial answer
    code, _, err = run_check(capsys, store_dir, "--icd", "Q05.4,Q99.99", "--age", "3m")
    assert code == 2 and "Q99.99" in err


@pytest.mark.parametrize("age,fragment", [
    ("-1y", "negative"), ("-0d", "negative"), ("1.5m", "fractional"), ("0,5y", "fractional"),
    ("99999999999999999999y", "more than 130 years"), ("9" * 5000 + "d", "more than 130 years"),
    ("131y", "more than 130 years"), ("three", "malformed"), ("3", "malformed"), ("1e3m", "malformed"),
    ("NaNy", "malformed"), ("inf", "malformed"), ("3 m 2 d", "malformed"), ("", "empty"), ("٣m", "malformed"),
    ("3m\x00", "malformed"),
])
def test_bad_ages(capsys, store_dir: Path, age: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_check(capsys, store_dir, "--icd", "Q05.4", "--age", age)
    assert code == 2, err
    assert_one_line_error(err)
    assert fragment in err


@pytest.mark.parametrize("birth,service,fragment", [
    ("2024-02-30", "2025-01-01", "not a real calendar date"),
    ("2023-02-29", "2025-01-01", "not a real calendar date"),
    ("2024-13-01", "2025-01-01", "not a real calendar date"),
    ("0000-01-01", "2025-01-01", "not a real calendar date"),
    ("2024-1-1", "2025-01-01", "not a date YYYY-MM-DD"),
    ("01/02/2024", "2025-01-01", "not a date YYYY-MM-DD"),
    ("yesterday", "2025-01-01", "not a date YYYY-MM-DD"),
    ("٢٠٢٤-٠١-٠١", "2025-01-01", "not a date YYYY-MM-DD"),
    ("2024-05-01", "2024-03-01", "before birth"),
    ("1800-01-01", "2025-01-01", "more than 130 years"),
    ("2024-01-01", "2025-01-01T10:00", "not a date YYYY-MM-DD"),
])
def test_bad_dates(capsys, store_dir: Path, birth: str, service: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(capsys, "check", "--store", str(store_dir), "--cpt", "76800", "--icd", "Q05.4",
                       "--birth-date", birth, "--service-date", service)
    assert code == 2, err
    assert_one_line_error(err)
    assert fragment in err


def test_full_width_dates_are_read_like_codes(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, "check", "--store", str(store_dir), "--cpt", "76800", "--icd", "Q05.4",
                         "--birth-date", "２０２４-１０-１５", "--service-date", "2025-01-15", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["request"]["birth_date"] == "2024-10-15"


def test_service_date_outside_the_policy_is_an_explained_answer(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, "check", "--store", str(store_dir), "--cpt", "76800", "--icd", "Q05.4", "--age",
                         "3m", "--service-date", "2020-01-01", "-f", "json")
    assert code == 0, err
    r = json.loads(out)
    assert r["determination"] == "no_policy_in_effect"
    assert "not in effect on 2020-01-01" in r["reason"] and "2024-09-15" in r["reason"]
    assert r["statements"] == [] and r["policy"] is None


def test_calendar_age_at_the_bound(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Born 2023-01-15: under 24 months on 2025-01-14, 24 months on 2025-01-15 (the infant statement ends)."""
    dets = []
    for day in ("2025-01-14", "2025-01-15"):
        code, out, err = cli(capsys, "check", "--store", str(store_dir), "--cpt", "76800", "--icd", "Q05.4",
                             "--birth-date", "2023-01-15", "--service-date", day, "-f", "json")
        assert code == 0, err
        dets.append(json.loads(out)["determination"])
    assert dets == ["medically_necessary", "not_medically_necessary"]


# -- named-query parameters: bound as typed RDF terms, never pasted ---------------------------------------
def test_string_parameter_injection_is_inert(capsys, store_dir: Path, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    hostile = f'ACR" }} }} SERVICE <{recorder.url}> {{ ?s ?p ?o }} #'
    code, out, err = cli(capsys, "query", "--store", str(store_dir), "citations-by-organisation", "-p",
                         f"acronym={hostile}", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["rows"] == []  # a literal that matches nothing, not a query fragment
    assert recorder.hits == []


def test_code_parameter_injection_is_refused(capsys, store_dir: Path, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    hostile = f'Q05.4" }} }} SERVICE <{recorder.url}> {{ ?s ?p ?o }} #'
    code, out, err = cli(capsys, "query", "--store", str(store_dir), "statements-for-code", "-p", f"icd={hostile}")
    assert code == 2 and out == "" and "parameter 'icd'" in err
    assert recorder.hits == []


@pytest.mark.parametrize("value,fragment", [
    ("http://x> } SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } #", "absolute IRI"),
    ("http://x/{a}", "absolute IRI"),
    ("javascript:alert(1)", "absolute IRI"),
    ("", "absolute IRI"),
    ("relative/path", "absolute IRI"),
    ("http://x/" + "a" * 3000, "longer than"),
    ("http://x/\x07", "control characters"),
])
def test_iri_parameters_are_validated(capsys, store_dir: Path, value: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(capsys, "query", "--store", str(store_dir), "evidence-for-statement", "-p",
                       f"statement={value}")
    assert code == 2
    assert_one_line_error(err)
    assert fragment in err


@pytest.mark.parametrize("value,fragment", [
    ("2024-02-30", "must be a date"), ("2024-01-01'}", "must be a date"), ("", "must be a date"),
    ("x" * 5000, "longer than"), ("2024-01-01\n", "control characters"),
])
def test_date_parameters_are_validated(capsys, store_dir: Path, value: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(capsys, "query", "--store", str(store_dir), "policy-in-effect", "-p", f"service_date={value}")
    assert code == 2
    assert_one_line_error(err)
    assert fragment in err
