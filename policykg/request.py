"""A service request (procedure, diagnoses, age, setting, date) parsed and checked before any query runs.

Ages are an integer with a unit: d (days), w (weeks), m (months) or y (years). They are compared with the
policy's bounds in months: m and y exactly (2y = 24 months); days and weeks at the mean month length
(30.4375 days), so 730d is 23.98 months and counts as under 2 years. With --birth-date and --service-date
the age is exact calendar months: a child is under 24 months until the day of the second birthday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from .codes import normalize_icd, normalize_procedure
from .errors import UsageError

DAYS_PER_MONTH = Decimal("30.4375")
MAX_AGE_YEARS = 130
_AGE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.I | re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


def parse_age(text: str) -> Decimal:
    """'3m' -> 3, '10d' -> 0.3285, '2y' -> 24 (months, as a Decimal rounded to 4 places)."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError("age is empty: give an integer and a unit d, w, m or y (e.g. 10d, 6w, 3m, 2y)")
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    m = _AGE.match(text)
    if not m:
        if re.match(r"^\s*-", text):
            raise UsageError(f"age {text.strip()[:20]!r} is negative")
        if re.match(r"^\s*\d+[.,]\d+", text, re.ASCII):
            raise UsageError(f"age {text.strip()[:20]!r} is fractional: use a smaller unit (e.g. 45d, not 1.5m)")
        raise UsageError(
            f"malformed age {text.strip()[:20]!r}: give an integer and a unit d, w, m or y (e.g. 10d, 6w, 3m, 2y)")
    if len(m.group(1).lstrip("0")) > 6:  # before int(): a 5,000-digit age must not cost a big-int conversion
        raise UsageError(f"age {text.strip()[:20]!r} is more than {MAX_AGE_YEARS} years")
    n, unit = int(m.group(1)), m.group(2).lower()
    months = {"d": Decimal(n) / DAYS_PER_MONTH, "w": Decimal(n * 7) / DAYS_PER_MONTH,
              "m": Decimal(n), "y": Decimal(n * 12)}[unit]
    if months > MAX_AGE_YEARS * 12:
        raise UsageError(f"age {text.strip()} is more than {MAX_AGE_YEARS} years")
    return months.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


def parse_date(text: str, what: str) -> date:
    """'2024-03-01' -> date; full-width digits are read after NFKC like codes and ages; other scripts' digits
    and every other shape are refused ("not a date"), impossible days are refused ("not a real calendar date")."""
    import unicodedata

    if not isinstance(text, str):
        raise UsageError(f"{what} must be text")
    value = unicodedata.normalize("NFKC", text).strip()
    if not _DATE.fullmatch(value):
        raise UsageError(f"{what} {text.strip()[:30]!r} is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{what} {value} is not a real calendar date") from None


def age_in_months(birth: date, service: date) -> Decimal:
    """Exact calendar age: complete months, plus the fraction of the month since the last monthly birthday."""
    return months_value(*months_and_days(birth, service))


def months_and_days(birth: date, service: date) -> tuple[int, int]:
    """(complete months, days since the last monthly anniversary): the integer parts of age_in_months."""
    if service < birth:
        raise UsageError(f"service date {service} is before birth date {birth}")
    months = (service.year - birth.year) * 12 + (service.month - birth.month)
    if service.day < birth.day:
        months -= 1
    if months > MAX_AGE_YEARS * 12:
        raise UsageError(f"birth date {birth} makes the patient more than {MAX_AGE_YEARS} years old")
    # days since the last monthly anniversary, over 31, keeps the value below the next whole month
    anniversary_month = birth.month + months
    y, mth = birth.year + (anniversary_month - 1) // 12, (anniversary_month - 1) % 12 + 1
    import calendar

    day = min(birth.day, calendar.monthrange(y, mth)[1])
    return months, (service - date(y, mth, day)).days


def months_value(months: int, days: int) -> Decimal:
    """age_in_months from its integer parts."""
    return (Decimal(months) + Decimal(days) / Decimal(31)).quantize(Decimal("0.0001"))


@dataclass
class ServiceRequest:
    """What a coverage check is asked about, normalised."""

    cpt: str
    icd: list[str]
    age_months: Decimal | None = None
    setting: str | None = None
    service_date: date | None = None
    birth_date: date | None = None
    age_text: str | None = None
    inputs: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "cpt": self.cpt, "icd": self.icd,
            "age_months": float(self.age_months) if self.age_months is not None else None,
            "age": self.age_text, "setting": self.setting,
            "service_date": self.service_date.isoformat() if self.service_date else None,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
        }


def make_request(cpt: str, icd: list[str], *, age: str | None = None, birth_date: str | None = None,
                 service_date: str | None = None, setting: str | None = None) -> ServiceRequest:
    """Validate and normalise every part of a request; a UsageError names the first problem found."""
    if not icd:
        raise UsageError("at least one ICD-10-CM code is needed (--icd)")
    if len(icd) > 50:
        raise UsageError(f"too many diagnosis codes ({len(icd)}): at most 50")
    proc = normalize_procedure(cpt)
    codes: list[str] = []
    for raw in icd:
        code = normalize_icd(raw)
        if code not in codes:
            codes.append(code)
    svc = parse_date(service_date, "service date") if service_date else None
    born = parse_date(birth_date, "birth date") if birth_date else None
    if age is not None and born is not None:
        raise UsageError("give either --age or --birth-date with --service-date, not both")
    if born is not None:
        if svc is None:
            raise UsageError("--birth-date needs --service-date")
        months = age_in_months(born, svc)
    elif age is not None:
        months = parse_age(age)
    else:
        raise UsageError("the patient's age is needed: --age (e.g. 3m) or --birth-date with --service-date")
    if setting is not None:
        setting = normalize_setting(setting)
    return ServiceRequest(proc, codes, months, setting or None, svc, born, age)


_SETTING = re.compile(r"[a-z][a-z_-]{0,40}")


def normalize_setting(raw: str) -> str:
    """' Intraoperative ' -> 'intraoperative'; a UsageError for anything not shaped like a setting name."""
    setting = raw.strip().lower()
    if not _SETTING.fullmatch(setting):
        raise UsageError(f"malformed setting {setting[:40]!r}")
    return setting
