"""RequestParser gives exactly what requests_io.to_service_request gives: the same request or the same error."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policykg.errors import PolicyKGError
from policykg.request_cache import RequestParser
from policykg.requests_io import RequestRow, to_service_request

CPT = ["76800", "62270", "7680", "0001F", "G0101", "", "ABCDE", "76800 ", "７６８００", "x" * 70]
ICD = ["Q05.4", "Q054", "q05.4", "Q05.4;G95.0", "Q05.4;Q054", ";", "", "Q05.4X;Q06.1", "Ｑ０５.４", "Q05.4;;G95.0",
       ";".join(["Q05.4"] * 51), "Q05.4;" + ";".join(f"A{i:02d}" for i in range(55)), "Q05.4\u200b", "R10.9,Q05.4"]
AGE = ["3m", "2y", "730d", "104w", "", "-3m", "1.5m", "3 months", "131y", " 3m ", "0d"]
DATE = ["2024-10-01", "", "2024-02-30", "2024-1-1", "2023-01-10", "2030-01-01", "1890-01-01"]
SETTING = ["", "intraoperative", "Intraoperative", " inpatient ", "intra operative", "x" * 50, "1abc"]


def _plain(outcome: Any) -> Any:
    if isinstance(outcome, PolicyKGError):
        return ("error", type(outcome).__name__, str(outcome))
    return (outcome.cpt, outcome.icd, outcome.age_months, outcome.setting, outcome.service_date, outcome.birth_date,
            outcome.age_text)


def _reference(fields: dict[str, str]) -> Any:
    try:
        return to_service_request(RequestRow(1, {k: v for k, v in fields.items() if v}))
    except PolicyKGError as exc:
        return exc


def _fast(parser: RequestParser, fields: dict[str, str]) -> Any:
    try:
        return parser.parse(fields["cpt"], fields["icd"], fields["age"], fields["birth_date"], fields["service_date"],
                            fields["setting"])
    except PolicyKGError as exc:
        return exc


PARSER = RequestParser()  # shared on purpose: remembered values must not leak between lines


@settings(max_examples=1500, deadline=None)
@given(cpt=st.sampled_from(CPT), icd=st.sampled_from(ICD), age=st.sampled_from(AGE), birth=st.sampled_from(DATE),
       service=st.sampled_from(DATE), setting=st.sampled_from(SETTING))
def test_same_request_or_same_error(cpt: str, icd: str, age: str, birth: str, service: str, setting: str) -> None:
    fields = {"cpt": cpt, "icd": icd, "age": age, "birth_date": birth, "service_date": service, "setting": setting}
    expected = _plain(_reference(fields))
    assert _plain(_fast(PARSER, fields)) == expected
    assert _plain(_fast(PARSER, fields)) == expected  # and again, from memory


@settings(max_examples=300, deadline=None)
@given(text=st.text(min_size=1, max_size=12))
def test_arbitrary_codes(text: str) -> None:
    fields = {"cpt": "76800", "icd": text, "age": "3m", "birth_date": "", "service_date": "", "setting": ""}
    assert _plain(_fast(PARSER, fields)) == _plain(_reference(fields))


def test_a_remembered_error_does_not_grow() -> None:
    parser = RequestParser()
    fields = ("76800", "Q0!5", "3m", "", "", "")
    depths = []
    for _ in range(3):
        try:
            parser.parse(*fields)
        except PolicyKGError as exc:
            tb, depth = exc.__traceback__, 0
            while tb is not None:
                depth, tb = depth + 1, tb.tb_next
            depths.append(depth)
    assert len(set(depths)) == 1, depths
