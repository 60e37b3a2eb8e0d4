"""Claim lines to ServiceRequests fast: requests_io.to_service_request, with each field's parsing remembered.

A claim file has millions of lines but only a few thousand distinct codes, ages and dates, and normalising
them (Unicode NFKC, patterns, decimal arithmetic) costs ~10 µs a line. RequestParser calls the very same
functions (policykg.codes, policykg.request) once per distinct field value and combines the results in
make_request's order, so that it returns what to_service_request returns and raises the error it raises,
first problem first. tests/adjudicate/test_request_cache.py checks that on generated lines.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from .codes import normalize_icd, normalize_procedure, split_codes
from .errors import PolicyKGError, UsageError
from .request import ServiceRequest, age_in_months, parse_age, parse_date

MAX_MEMORY = 20_000  # field values remembered per field; emptied when full
_SETTING = re.compile(r"[a-z][a-z_-]{0,40}")


class RequestParser:
    """parse(cpt, icd, age, birth_date, service_date, setting) -> ServiceRequest, or raises like make_request."""

    def __init__(self) -> None:
        self._cpt: dict[str, Any] = {}
        self._icd: dict[str, tuple[PolicyKGError | None, list[str] | PolicyKGError | None]] = {}
        self._service: dict[str, Any] = {}
        self._birth: dict[str, Any] = {}
        self._age: dict[str, Any] = {}
        self._setting: dict[str, Any] = {}
        self._proc_fn = _call(normalize_procedure)
        self._service_fn = _call(parse_date, "service date")
        self._birth_fn = _call(parse_date, "birth date")
        self._age_fn = _call(parse_age)

    def parse(self, cpt: str, icd: str, age: str, birth_date: str, service_date: str, setting: str) -> ServiceRequest:
        """Fields as read from a claim line ('' when absent)."""
        if not cpt:
            raise UsageError("cpt is empty")
        if not icd:
            raise UsageError("icd is empty")
        list_error, codes = _remember(self._icd, icd, _icd_field)
        if list_error is not None:
            raise list_error.with_traceback(None)
        proc = _value(_remember(self._cpt, cpt, self._proc_fn))
        codes = _value(codes)
        svc: date | None = _value(_remember(self._service, service_date, self._service_fn)) \
            if service_date else None
        born: date | None = _value(_remember(self._birth, birth_date, self._birth_fn)) \
            if birth_date else None
        if age and born is not None:
            raise UsageError("give either --age or --birth-date with --service-date, not both")
        if born is not None:
            if svc is None:
                raise UsageError("--birth-date needs --service-date")
            months: Decimal = age_in_months(born, svc)
        elif age:
            months = _value(_remember(self._age, age, self._age_fn))
        else:
            raise UsageError("the patient's age is needed: --age (e.g. 3m) or --birth-date with --service-date")
        norm_setting = _value(_remember(self._setting, setting, _setting_field)) if setting else None
        return ServiceRequest(proc, list(codes), months, norm_setting or None, svc, born, age or None)


def _remember(memory: dict[str, Any], raw: str, compute: Any) -> Any:
    found = memory.get(raw)
    if found is None:
        if len(memory) >= MAX_MEMORY:
            memory.clear()
        found = memory[raw] = compute(raw)
    return found


def _call(fn: Any, *args: Any) -> Any:
    """fn(raw, *args), with an error kept as the value (raised again by _value)."""
    def compute(raw: str) -> Any:
        try:
            return fn(raw, *args)
        except PolicyKGError as exc:
            return exc.with_traceback(None)  # remembered: drop the frames its traceback holds
    return compute


def _value(found: Any) -> Any:
    if isinstance(found, PolicyKGError):
        raise found.with_traceback(None)  # the same error object, raised again without growing its traceback
    return found


def _icd_field(raw: str) -> tuple[PolicyKGError | None, list[str] | PolicyKGError | None]:
    """(error about the list itself, checked before the procedure code; codes or the first code's error)."""
    parts = split_codes([raw], ";")
    if not parts:
        return UsageError("at least one ICD-10-CM code is needed (--icd)"), None
    if len(parts) > 50:
        return UsageError(f"too many diagnosis codes ({len(parts)}): at most 50"), None
    codes: list[str] = []
    try:
        for part in parts:
            code = normalize_icd(part)
            if code not in codes:
                codes.append(code)
    except PolicyKGError as exc:
        return None, exc.with_traceback(None)
    return None, codes


def _setting_field(raw: str) -> str | PolicyKGError:
    setting = raw.strip().lower()
    if not _SETTING.fullmatch(setting):
        return UsageError(f"malformed setting {setting[:40]!r}")
    return setting
