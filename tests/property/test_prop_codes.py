"""Code normalisation: any text is either a canonical code or a UsageError; spellings of one code agree."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from policykg.codes import normalize_icd, normalize_procedure, split_codes
from policykg.errors import UsageError

CANONICAL_ICD = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z](\.[0-9A-Z]{1,4})?$")
CANONICAL_PROC = re.compile(r"^(\d{4}[0-9FTU]|[A-V]\d{4})$")
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

icd_codes = st.builds(lambda a, b, c, rest: a + b + c + ("." + rest if rest else ""),
                      st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), st.sampled_from("0123456789"),
                      st.sampled_from(ALNUM), st.text(ALNUM, max_size=4))


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(st.text(max_size=80))
def test_any_text_is_a_canonical_code_or_a_usage_error(text: str) -> None:
    for normalize, canonical in ((normalize_icd, CANONICAL_ICD), (normalize_procedure, CANONICAL_PROC)):
        try:
            code = normalize(text)
        except UsageError as exc:
            assert "\n" not in exc.message
            continue
        assert canonical.match(code), (text, code)
        assert normalize(code) == code  # idempotent


@given(icd_codes, st.sampled_from(["", " ", "\t", "\u00a0", "  \n"]), st.booleans(), st.booleans(), st.booleans())
def test_spellings_of_one_icd_code_agree(code: str, pad: str, lower: bool, dotless: bool, wide: bool) -> None:
    spelled = code.replace(".", "") if dotless else code
    spelled = spelled.lower() if lower else spelled
    spelled = full_width(spelled) if wide else spelled
    assert normalize_icd(pad + spelled + pad) == normalize_icd(code) == code


@given(st.lists(st.text(max_size=12), max_size=6))
def test_split_codes_never_yields_empty_or_separator_parts(values: list[str]) -> None:
    for part in split_codes(values):
        assert part and part == part.strip() and "," not in part and ";" not in part
