"""The table engine's line path for `adjudicate`: a claim line's raw fields straight to its result text.

Why: at a million lines, a dict, a ServiceRequest, an answer dict and a csv.writer call per line cost ~20 µs
a line, against ~0.5 µs to read it. Here each part of a line is looked up in a memo of its own, and the
answer is looked up as text ready to write:

- procedure, diagnosis list, service date, age (or birth date with service date), setting: raw field ->
  normalised value, by the functions RequestParser and make_request call (policykg.codes, policykg.request).
  A value that is not valid is not remembered: its line takes the general path (policykg.adjudicate),
  which reports it exactly as before;
- (procedure, service date) -> the policy picked and its warnings, or the whole answer when those decide it
  (TableChecker.picked);
- (that pick, codes, setting, age cell) -> the answer rendered by ResultWriter.render with the age left as a
  placeholder and split on it: a line's text is its claim id, then `age_text.join(parts)`.

Every answer text comes from TableChecker.picked/template and ResultWriter.render, so a line's text is the one
the general path writes; tests/adjudicate/test_fast_lines.py compares both paths byte for byte on generated
files with every kind of error. Nothing here knows a code, age bound or setting of any policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from .check import _months_text as months_text
from .codes import normalize_icd, normalize_procedure
from .errors import PolicyKGError
from .request import ServiceRequest, months_and_days, months_value, normalize_setting, parse_age, parse_date
from .requests_io import ResultWriter
from .table_check import AGE_MARK, TableChecker

MEMORY = 50_000  # entries per memo of parts (~0.2 kB each); a memo is emptied when full
ANSWERS = 30_000  # rendered answers remembered (~1 kB each) for one diagnosis code, and as many for several:
# kept apart, so that the many combinations of codes seen once do not push out the few single codes seen often
_SAFE_AGE = re.compile(r"[0-9A-Za-z .+-]+")  # an age text that no CSV or JSON rendering changes or quotes
_PLAIN_ID = re.compile(r"[0-9A-Za-z_.:/#-]*")  # a claim id written as is in CSV and between quotes in JSON
_JSON_HEAD = '{"claim_id": '


class FastLines:
    """line(claim_id, cpt, icd, age, birth_date, service_date, setting) -> (determination, pieces) or None.

    The pieces of a result's text are written one after the other (not joined per line: a million ~400-byte
    strings made and freed cost more than the lookups that produce them).
    Fields are raw (not yet stripped), as read from the file; '' when absent. None means: this line needs
    the general path (a value that is not valid, or text this path does not render).
    """

    def __init__(self, checker: TableChecker, writer: ResultWriter, today: date) -> None:
        if not checker.templating:
            raise ValueError("the decision table's age bounds are not all decimals: no templates")
        self.checker = checker
        self.today = today
        self.csv = writer.fmt == "csv"
        self._render = writer.render
        self._mark = AGE_MARK if self.csv else json.dumps(AGE_MARK)[1:-1]
        empty = writer.render({"claim_id": "", "warnings": []})
        self._skip = 0 if self.csv else len(_JSON_HEAD) + 2
        if not self.csv and not empty.startswith(_JSON_HEAD + '""'):
            raise ValueError("unexpected JSON rendering of a result")
        self._proc: dict[str, str] = {}
        self._codes: dict[str, tuple[str, ...]] = {}
        self._code: dict[str, str] = {}
        self._dates: dict[str, date] = {}
        self._ages: dict[str, tuple[int, str, Decimal]] = {}
        self._born: dict[tuple[str, str], tuple[int, str, Decimal]] = {}
        self._by_parts: dict[tuple[int, int], tuple[int, str, Decimal]] = {}
        self._settings: dict[str, str | None] = {"": None}
        self._picks: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._pick_ids: dict[tuple[str, str, tuple[str, ...]], int] = {}
        self._answers: dict[tuple[Any, ...], tuple[str, tuple[str, ...]]] = {}  # one diagnosis code
        self._combined: dict[tuple[Any, ...], tuple[str, tuple[str, ...]]] = {}  # several
        self.computed = 0  # answers computed (the rest were looked up)

        self.line = self._line_function()

    def _line_function(self) -> Callable[[str, str, str, str, str, str, str], tuple[str, tuple[str, ...]] | None]:
        """`line`, as a closure over the memos (cleared in place, never replaced): the hot loop of a run
        looks them up as local names, not attributes."""
        proc_get, codes_get, settings_get = self._proc.get, self._codes.get, self._settings.get
        picks_get, born_get, ages_get = self._picks.get, self._born.get, self._ages.get
        answers_get, combined_get = self._answers.get, self._combined.get
        procedure, icd_codes, setting_of, pick_of = self._procedure, self._icd, self._setting, self._pick
        born_age, age_of, compute = self._born_age, self._age, self._answer
        plain = _PLAIN_ID.fullmatch
        csv_out = self.csv
        dumps = json.dumps

        def line(cid: str, cpt: str, icd: str, age: str, birth: str, svc: str, setting: str
                 ) -> tuple[str, tuple[str, ...]] | None:
            p = proc_get(cpt)
            if p is None and (p := procedure(cpt)) is None:
                return None
            codes = codes_get(icd)
            if codes is None and (codes := icd_codes(icd)) is None:
                return None
            s = settings_get(setting, "")
            if s == "" and (s := setting_of(setting)) == "":
                return None
            pick = picks_get((p, svc))
            if pick is None and (pick := pick_of(p, svc)) is None:
                return None
            if birth:
                if age or not svc:
                    return None
                a = born_get((birth, svc))
                if a is None and (a := born_age(birth, svc)) is None:
                    return None
            else:
                a = ages_get(age)
                if a is None and (a := age_of(age)) is None:
                    return None
            head = cid.strip()
            if not (head.isalnum() or plain(head)):
                if csv_out:
                    return None
                head = _JSON_HEAD + dumps(head, ensure_ascii=False)
            elif not csv_out:
                head = _JSON_HEAD + '"' + head + '"'
            early = pick[0]
            if early is not None:
                return early[0], (head, early[1])
            key = (pick[1], codes, s, a[0])
            answer = answers_get(key) if len(codes) == 1 else combined_get(key)
            if answer is None:
                answer = compute(key, p, codes, s, a, pick)
            parts = answer[1]
            n = len(parts)
            if n == 1:
                return answer[0], (head, parts[0])
            if n == 2:
                return answer[0], (head, parts[0], a[1], parts[1])
            return answer[0], (head, a[1].join(parts))

        return line

    # misses: compute, remember valid values only -------------------------------------------------------
    def _procedure(self, raw: str) -> str | None:
        value = raw.strip()
        try:
            p = normalize_procedure(value) if value else None
        except PolicyKGError:
            return None
        if p is not None:
            _remember(self._proc, raw, p)
        return p

    def _icd(self, raw: str) -> tuple[str, ...] | None:
        """The distinct codes of a diagnosis list, all known; each code normalised once (split_codes with ';'
        gives the same parts when none is blank, and blank parts are left to the general path)."""
        parts = raw.strip().split(";")
        if len(parts) > 50:
            return None
        codes: list[str] = []
        memo = self._code
        for part in parts:
            code = memo.get(part)
            if code is None:
                if not part.strip():
                    return None
                try:
                    code = normalize_icd(part)
                except PolicyKGError:
                    return None
                if code not in self.checker.billable:
                    return None  # an unknown code: the general path reports it
                _remember(memo, part, code)
            if code not in codes:
                codes.append(code)
        found = tuple(codes)
        _remember(self._codes, raw, found)
        return found

    def _setting(self, raw: str) -> str | None:
        value = raw.strip()
        if not value:
            return ""  # blank, not absent: the general path decides
        try:
            s = normalize_setting(value)
        except PolicyKGError:
            return ""
        if s not in self.checker.table["settings"]:
            return ""
        _remember(self._settings, raw, s)
        return s

    def _date(self, raw: str, birth: bool = False) -> date | None:
        """A valid date, remembered (one memo for both roles: only the wording of an error differs)."""
        found = self._dates.get(raw)
        if found is not None:
            return found
        value = raw.strip()
        if not value:
            return None
        try:
            day = parse_date(value, "birth date" if birth else "service date")
        except PolicyKGError:
            return None
        _remember(self._dates, raw, day)
        return day

    def _pick(self, p: str, svc: str) -> tuple[Any, ...] | None:
        """(None, pick id, policy, warnings), or ((determination, text), -1, None, ()) when the procedure and
        date decide the answer alone."""
        if svc:
            day = self._date(svc)
            if day is None:
                return None
        else:
            day = None
        try:
            early, policy, warnings = self.checker.picked(ServiceRequest(p, [], None, None, day), self.today)
        except PolicyKGError:
            return None
        if early is not None:
            pick: tuple[Any, ...] = ((early["determination"], self._text(early)), -1, None, ())
        else:
            assert policy is not None
            ident = self._pick_ids.setdefault((p, policy["iri"], warnings), len(self._pick_ids))
            pick = (None, ident, policy, warnings)
        _remember(self._picks, (p, svc), pick)
        return pick

    def _text(self, row: dict[str, Any]) -> str:
        """A result's text after the claim id: ResultWriter.render's, with CSV's fields quoted here when
        that is sure to give the same text (text fields without a line end: csv.QUOTE_MINIMAL quotes a field
        with a comma or a double quote, doubling the quotes)."""
        warnings = row["warnings"]
        fields = (row["determination"], row["statement"], row["reason"],
                  " | ".join(warnings) if type(warnings) is list else warnings)
        out = [""]
        for f in fields:
            if not self.csv or type(f) is not str or "\n" in f or "\r" in f:
                return self._render({"claim_id": "", **row})[self._skip:]
            out.append(f'"{f.replace(chr(34), chr(34) * 2)}"' if "," in f or '"' in f else f)
        return ",".join(out) + "\n"

    def _cell(self, months: Decimal) -> tuple[int, str, Decimal] | None:
        """(age cell, age text, age): any age of a cell gets the same answer template."""
        text = months_text(months)
        if not _SAFE_AGE.fullmatch(text):
            return None
        return self.checker.age_cell(months), text, months

    def _age(self, raw: str) -> tuple[int, str, Decimal] | None:
        value = raw.strip()
        if not value:
            return None
        try:
            months = parse_age(value)
        except PolicyKGError:
            return None
        cell = self._cell(months)
        if cell is not None:
            _remember(self._ages, raw, cell)
        return cell

    def _born_age(self, birth: str, svc: str) -> tuple[int, str, Decimal] | None:
        """The age cell from a birth date and a service date: nearly every pair is new, but their
        (months, days) parts repeat, so the Decimal age and its text are made once per parts."""
        born, day = self._date(birth, birth=True), self._date(svc)
        if born is None or day is None:
            return None
        try:
            parts = months_and_days(born, day)
        except PolicyKGError:
            return None
        cell = self._by_parts.get(parts)
        if cell is None:
            cell = self._cell(months_value(*parts))
            if cell is None:
                return None
            _remember(self._by_parts, parts, cell)
        _remember(self._born, (birth, svc), cell)
        return cell

    def _answer(self, key: tuple[Any, ...], p: str, codes: tuple[str, ...], s: str | None,
                a: tuple[int, str, Decimal], pick: tuple[Any, ...]) -> tuple[str, tuple[str, ...]]:
        row = self.checker.template(ServiceRequest(p, list(codes), a[2], s), pick[2], pick[3])
        text = self._text(row)
        answer = (row["determination"], tuple(text.split(self._mark)) if self._mark in text else (text,))
        self.computed += 1
        _remember(self._answers if len(codes) == 1 else self._combined, key, answer, ANSWERS)
        return answer


def _remember(memo: dict[Any, Any], key: Any, value: Any, size: int = MEMORY) -> None:
    if len(memo) >= size:
        memo.clear()
    memo[key] = value
