"""Code normalisation: documented rules, clear rejections."""

from __future__ import annotations

import pytest

from policykg.codes import normalize_icd, normalize_procedure, split_codes
from policykg.errors import UsageError


@pytest.mark.parametrize("raw,expected", [
    ("Q05.4", "Q05.4"), ("Q054", "Q05.4"), ("q05.4", "Q05.4"), (" Q05.4 ", "Q05.4"), ("Ｑ０５.４", "Q05.4"),
    ("q054\t", "Q05.4"), ("Q05", "Q05"), ("S00.00XA", "S00.00XA"), ("S0000XA", "S00.00XA"), ("G96.08", "G96.08"),
])
def test_icd_normalisation(raw: str, expected: str) -> None:
    assert normalize_icd(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "Q", "Q0", "05.4", "Q05..4", "Q0.54", "Q05.4'", "Q05.4\"}",
                                 "Q05.4 OR 1=1", "Q05\x00", "Q05.4" * 20, "Q05.44444", "<http://x>"])
def test_icd_rejections_are_usage_errors(raw: str) -> None:
    with pytest.raises(UsageError):
        normalize_icd(raw)


@pytest.mark.parametrize("raw,expected", [("76800", "76800"), (" 76800 ", "76800"), ("0001f", "0001F"),
                                          ("g0101", "G0101"), ("７６８００", "76800")])
def test_procedure_normalisation(raw: str, expected: str) -> None:
    assert normalize_procedure(raw) == expected


@pytest.mark.parametrize("raw", ["", "7680", "768000", "76800;DROP", "ABCDE", "Z9999"])
def test_procedure_rejections(raw: str) -> None:
    with pytest.raises(UsageError):
        normalize_procedure(raw)


def test_split_codes_takes_repeats_and_lists() -> None:
    assert split_codes(["Q05.4,Q06.0", " G95.0 ", ""]) == ["Q05.4", "Q06.0", "G95.0"]
    assert split_codes(["Q05.4;Q06.0"], ";") == ["Q05.4", "Q06.0"]
