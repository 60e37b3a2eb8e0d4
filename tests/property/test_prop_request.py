"""Ages and dates: any text parses or is a UsageError; valid values round-trip; calendar age is monotonic."""

from __future__ import annotations

import contextlib
import unicodedata
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from policykg.errors import UsageError
from policykg.request import MAX_AGE_YEARS, age_in_months, make_request, parse_age, parse_date

UNITS = {"d": Decimal("30.4375"), "w": Decimal("30.4375") / 7, "m": Decimal(1), "y": Decimal(1) / 12}


@given(st.text(max_size=40))
def test_any_age_text_is_months_in_range_or_a_usage_error(text: str) -> None:
    try:
        months = parse_age(text)
    except UsageError:
        return
    assert Decimal(0) <= months <= MAX_AGE_YEARS * 12


@given(st.integers(0, 2000), st.sampled_from("dwmyDWMY"), st.sampled_from(["", " ", "  "]))
def test_valid_ages_parse_and_grow_with_the_number(n: int, unit: str, pad: str) -> None:
    try:
        months = parse_age(f"{pad}{n}{pad}{unit}{pad}")
    except UsageError as exc:
        assert "more than" in exc.message  # the only reason a well-formed age is refused
        return
    assert abs(months - Decimal(n) / UNITS[unit.lower()]) <= Decimal("0.0001")
    if n:
        assert parse_age(f"{n - 1}{unit}") <= months


@given(st.dates())
def test_dates_round_trip(day: date) -> None:
    assert parse_date(day.isoformat(), "date") == day


@given(st.text(max_size=30))
def test_any_date_text_is_a_date_or_a_usage_error(text: str) -> None:
    try:
        day = parse_date(text, "date")
    except UsageError:
        return
    assert day.isoformat() == unicodedata.normalize("NFKC", text).strip()


@given(st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.integers(0, 40_000), st.integers(1, 400))
def test_calendar_age_is_monotonic_and_turns_24_on_the_second_birthday(birth: date, days: int, more: int) -> None:
    service = birth + timedelta(days=days)
    assume(service.year <= 9999 and (service - birth).days < MAX_AGE_YEARS * 365)
    try:
        age = age_in_months(birth, service)
    except UsageError:
        return
    assert age >= 0
    later = service + timedelta(days=more)
    with contextlib.suppress(UsageError):  # later may be past 130 years
        assert age_in_months(birth, later) > age
    try:
        second = birth.replace(year=birth.year + 2)
    except ValueError:  # born on 29 February
        second = date(birth.year + 2, 3, 1)
    assert (age < 24) == (service < second)


@given(st.text(max_size=20), st.lists(st.text(max_size=12), max_size=3), st.one_of(st.none(), st.text(max_size=12)),
       st.one_of(st.none(), st.text(max_size=12)), st.one_of(st.none(), st.text(max_size=12)),
       st.one_of(st.none(), st.text(max_size=12)))
def test_make_request_only_raises_usage_errors(cpt: str, icd: list[str], age: str | None, birth: str | None,
                                               service: str | None, setting: str | None) -> None:
    try:
        req = make_request(cpt, icd, age=age, birth_date=birth, service_date=service, setting=setting)
    except UsageError as exc:
        assert "\n" not in exc.message
        return
    assert req.icd and req.age_months is not None
