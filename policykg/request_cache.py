"""Claim lines to ServiceRequests fast: requests_io.to_service_request, with each field's parsing remembered.

A claim file has millions of lines but only a few thousand distinct codes, ages and dates, and normalising
them (Unicode NFKC, patterns, decimal arithmetic) costs ~10 µs a line. RequestParser calls the very same
functions (policykg.codes, policykg.request) once per distinct field value and combines the results in
make_request's order, so that it returns what to_service_request returns and raises the error it raises,
first problem first. tests/adjudicate/test_request_cache.py checks that on generated lines.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from .codes import normalize_icd, normalize_procedure, split_codes
from .errors import PolicyKGError, UsageError
from .request import ServiceRequest, age_in_months, normalize_setting, parse_age, parse_date

MAX_MEMORY = 20_000  # field values remembered per field; emptied when full


class RequestParser:
    """parse(cpt, icd, age, birth_date, service_date, setting) -> ServiceRequest, or raises like make_request."""

    def __init__(self) -> None:
        self._cpt = _Field(normalize_procedure)
        self._code = _Field(normalize_icd)
        self._icd = _Field(self._icd_field)
        self._service = _Field(parse_date, "service date")
        self._birth = _Field(parse_date, "birth date")
        self._age = _Field(parse_age)
        self._setting = _Field(normalize_setting)

    def parse(self, cpt: str, icd: str, age: str, birth_date: str, service_date: str, setting: str) -> ServiceRequest:
        """Fields as read from a claim line ('' when absent)."""
        if not cpt:
            raise UsageError("cpt is empty")
        if not icd:
            raise UsageError("icd is empty")
        list_error, codes = self._icd.get(icd)
        if list_error is not None:
            raise list_error.with_traceback(None)
        proc = self._cpt.get(cpt)
        if isinstance(codes, PolicyKGError):
            raise codes.with_traceback(None)
        svc: date | None = self._service.get(service_date) if service_date else None
        born: date | None = self._birth.get(birth_date) if birth_date else None
        if age and born is not None:
            raise UsageError("give either --age or --birth-date with --service-date, not both")
        if born is not None:
            if svc is None:
                raise UsageError("--birth-date needs --service-date")
            months: Decimal = age_in_months(born, svc)
        elif age:
            months = self._age.get(age)
        else:
            raise UsageError("the patient's age is needed: --age (e.g. 3m) or --birth-date with --service-date")
        norm_setting = self._setting.get(setting) if setting else None
        return ServiceRequest(proc, list(codes), months, norm_setting or None, svc, born, age or None)

    def _icd_field(self, raw: str) -> tuple[PolicyKGError | None, list[str] | PolicyKGError]:
        """(error about the list itself, checked before the procedure code; codes or the first code's error)."""
        parts = split_codes([raw], ";")
        if not parts:
            return UsageError("at least one ICD-10-CM code is needed (--icd)"), []
        if len(parts) > 50:
            return UsageError(f"too many diagnosis codes ({len(parts)}): at most 50"), []
        codes: list[str] = []
        try:
            for part in parts:
                code = self._code.get(part)
                if code not in codes:
                    codes.append(code)
        except PolicyKGError as exc:
            return None, exc.with_traceback(None)
        return None, codes


class _Field:
    """One field's parser with its answers remembered (an error is remembered and raised again)."""

    __slots__ = ("args", "fn", "memory")

    def __init__(self, fn: Any, *args: Any) -> None:
        self.fn, self.args = fn, args
        self.memory: dict[str, Any] = {}

    def get(self, raw: str) -> Any:
        found = self.memory.get(raw)
        if found is None:
            if len(self.memory) >= MAX_MEMORY:
                self.memory.clear()
            try:
                found = self.fn(raw, *self.args)
            except PolicyKGError as exc:
                found = exc.with_traceback(None)  # remembered: drop the frames its traceback holds
            self.memory[raw] = found
        if isinstance(found, PolicyKGError):
            raise found.with_traceback(None)
        return found
