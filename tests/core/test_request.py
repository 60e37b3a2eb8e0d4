"""Ages, dates and requests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from policykg.errors import UsageError
from policykg.request import age_in_months, make_request, parse_age


@pytest.mark.parametrize("text,months", [("3m", Decimal(3)), ("2y", Decimal(24)), ("23m", Decimal(23)),
                                         ("0d", Decimal(0)), ("6w", Decimal("1.3799")), ("10d", Decimal("0.3285")),
                                         ("730d", Decimal("23.9836")), ("731d", Decimal("24.0164")),
                                         (" 3M ", Decimal(3)), ("３ｍ", Decimal(3))])
def test_parse_age(text: str, months: Decimal) -> None:
    assert parse_age(text) == months


@pytest.mark.parametrize("text,fragment", [("-3m", "negative"), ("1.5y", "fractional"), ("3", "malformed"),
                                           ("3 months", "malformed"), ("", "empty"), ("999999y", "more than"),
                                           ("3x", "malformed"), ("１.５y", "fractional")])
def test_bad_ages(text: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        parse_age(text)


def test_calendar_age_turns_24_months_on_the_second_birthday() -> None:
    assert age_in_months(date(2022, 3, 15), date(2024, 3, 14)) < 24
    assert age_in_months(date(2022, 3, 15), date(2024, 3, 15)) == 24
    assert age_in_months(date(2024, 1, 31), date(2024, 2, 29)) < 1
    assert age_in_months(date(2024, 1, 31), date(2024, 3, 1)) >= 1


def test_request_rules() -> None:
    r = make_request("76800", ["q054", "Q05.4", "G95.0"], age="3m")
    assert r.icd == ["Q05.4", "G95.0"]
    with pytest.raises(UsageError, match="before birth"):
        make_request("76800", ["Q05.4"], birth_date="2024-05-01", service_date="2024-04-01")
    with pytest.raises(UsageError, match="not a real calendar date"):
        make_request("76800", ["Q05.4"], birth_date="2024-02-30", service_date="2024-04-01")
    with pytest.raises(UsageError, match="not both"):
        make_request("76800", ["Q05.4"], age="3m", birth_date="2024-01-01", service_date="2024-04-01")
    with pytest.raises(UsageError, match="age is needed"):
        make_request("76800", ["Q05.4"])
    with pytest.raises(UsageError, match="needs --service-date"):
        make_request("76800", ["Q05.4"], birth_date="2024-01-01")
    with pytest.raises(UsageError):
        make_request("76800", [], age="3m")
