"""The fast coverage path: Checker.check's determination, statements, reason and warnings from the decision table.

This module combines rows of the decision table (policykg.decision_table) exactly as policykg.check.Checker
combines the rows of its queries, so that both give the same answer; tests/adjudicate/test_table_agrees.py
proves it on every listed code, unlisted siblings, random codes, ages around every bound, each setting and
dates before and after each effective date. Like Checker, it knows no code, age or setting of any policy.
It answers what `adjudicate` reports (no code labels, curated indications or evidence): for the full JSON
answer, use Checker.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .check import _months_text as months_text
from .errors import UnknownCodeError, UsageError
from .request import ServiceRequest

MAX_TEMPLATES = 50_000  # answers remembered with a placeholder for the age (~1 kB each); emptied when full
_AGE = "\0age\0"  # the placeholder: NUL cannot occur in the table's texts (checked)
AGE_MARK = _AGE


class TableChecker:
    """Answers coverage checks from a decision table (a dict from decision_table.load_table)."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table
        self.billable = dict.fromkeys(table["codes"]["billable"].split(), True)
        self.billable.update(dict.fromkeys(table["codes"]["not_billable"].split(), False))
        self.epoch_dates = [day for day, _ in table["epochs"]]
        self._templates: dict[tuple[Any, ...], Any] = {}
        self._events: dict[tuple[Any, ...], Any] = {}
        self._age_texts: dict[Decimal | None, str] = {}
        self._defaults: dict[tuple[str, str], tuple[Any, ...]] = {}
        bounds = [b for by_policy in table["rules"].values() for rules in by_policy.values() for r in rules
                  for b in (*r["below"], *r["at_least"])]
        # templates need ages compared exactly (decimal bounds) and texts that cannot contain the placeholder
        self._templating = all(b[0] == "decimal" for b in bounds) and "\\u0000" not in json.dumps(table)
        self._bounds = sorted({Decimal(b[1]) for b in bounds}) if self._templating else []

    def row(self, req: ServiceRequest, today: date) -> dict[str, Any]:
        """check() as a result row (determination, statement, reason, warnings), from a template when possible.

        Past the look-ups that pick the policy (cheap), the answer depends on the age only through which
        bounds it reaches, except for the texts that print it. So that part is computed once per (procedure,
        policy, codes, setting, age cell) with a placeholder for the age, and each request fills it in: a
        dictionary look-up and a replacement instead of an evaluation. Errors are raised as check() raises them.
        """
        early, policy, setting_iri, warnings = self._prelude(req, today)
        if early is not None:
            return _row(early)
        age = req.age_months
        if not self._templating:
            determination, statements, reason, code_warnings = self._decide(req, policy, setting_iri,
                                                                            months_text(age))
            return {"determination": determination, "statement": " ".join(statements), "reason": reason,
                    "warnings": warnings + code_warnings}
        key = (req.cpt, policy["iri"], tuple(req.icd), req.setting,
               None if age is None else bisect_right(self._bounds, age))
        template = self._templates.get(key)
        if template is None:
            if len(self._templates) >= MAX_TEMPLATES:
                self._templates.clear()
            determination, statements, reason, code_warnings = self._decide(req, policy, setting_iri, _AGE)
            template = self._templates[key] = (determination, " ".join(statements), reason, code_warnings)
        age_text = self._age_texts.get(age)
        if age_text is None:
            if len(self._age_texts) >= MAX_TEMPLATES:
                self._age_texts.clear()
            age_text = self._age_texts[age] = months_text(age)
        return {"determination": template[0], "statement": template[1], "reason": template[2].replace(_AGE, age_text),
                "warnings": [*warnings, *template[3]]}

    @property
    def templating(self) -> bool:
        """Whether answers can be templated on the age (every age bound is an exact decimal)."""
        return self._templating

    def age_cell(self, months: Decimal) -> int:
        """Which of the policy's age bounds an age reaches: answers with the same cell differ only in its text."""
        return bisect_right(self._bounds, months)

    def picked(self, req: ServiceRequest, today: date
               ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, tuple[str, ...]]:
        """(the result row when the procedure and date alone decide it, else None; the policy picked; the
        warnings so far): what row() depends on besides codes, setting and age. The codes and setting of
        `req` are checked first, as row() checks them."""
        early, policy, _, warnings = self._prelude(req, today)
        if early is not None:
            return _row(early), None, ()
        return None, policy, tuple(warnings)

    def template(self, req: ServiceRequest, policy: dict[str, Any], warnings: tuple[str, ...]) -> dict[str, Any]:
        """row() under the policy and warnings `picked` gave, with the age left as the placeholder AGE_MARK
        wherever its text would be printed: the same for every request with the same procedure, pick, codes,
        setting and age cell (only when `templating`). The codes and setting must be known ones."""
        setting_iri = self.table["settings"][req.setting] if req.setting is not None else None
        determination, statements, reason, code_warnings = self._decide(req, policy, setting_iri, _AGE)
        return {"determination": determination, "statement": " ".join(statements), "reason": reason,
                "warnings": [*warnings, *code_warnings]}

    def check(self, req: ServiceRequest, today: date | None = None) -> dict[str, Any]:
        """determination, statements (IRIs), reason, warnings, policy (IRI): as Checker.check gives them."""
        early, policy, setting_iri, warnings = self._prelude(req, today)
        if early is not None:
            return early
        determination, statements, reason, code_warnings = self._decide(req, policy, setting_iri,
                                                                        months_text(req.age_months))
        return _answer(determination, statements, reason, warnings + code_warnings, policy["iri"])

    def _prelude(self, req: ServiceRequest, today: date | None
                 ) -> tuple[dict[str, Any] | None, dict[str, Any], str | None, list[str]]:
        """Codes and setting checked, date and policy picked: (an early answer or None, policy, setting IRI,
        warnings so far). Checker.check's steps up to coverage-evaluate."""
        t = self.table
        warnings: list[str] = []
        billable = self.billable
        for code in req.icd:
            if code not in billable:
                raise UnknownCodeError(f"unknown ICD-10-CM code {code}: it is not in the loaded ICD-10-CM release")
        setting_iri = None
        if req.setting is not None:
            known = t["settings"]
            if req.setting not in known:
                raise UsageError(f"unknown setting {req.setting!r}: known settings are {', '.join(sorted(known))}")
            setting_iri = known[req.setting]
        day = req.service_date or today or date.today()
        day_iso = day.isoformat()
        if req.service_date is None:
            warnings.append(f"no service date given: used the policy versions in effect on {day_iso}")
        proc = t["procedures"].get(req.cpt)
        listing = proc["policies"] if proc else []
        if not listing:
            return _answer("not_addressed", [], f"no policy lists procedure code {req.cpt}", warnings), {}, None, []
        i = bisect_right(self.epoch_dates, day_iso) - 1
        in_effect = t["epochs"][i][1] if i >= 0 else []
        candidates = [p for p in in_effect if p["iri"] in listing]
        if not candidates:
            return _answer("no_policy_in_effect", [], f"procedure {req.cpt} is addressed by a policy that was not in "
                           f"effect on {day_iso} (earliest effective date {proc['earliest']})", warnings), {}, None, []
        policy = candidates[0]
        if len(candidates) > 1:
            warnings.append("several policies in effect list this procedure; answered with "
                            f"{policy['id']} ({policy['effective_date']})")
        return None, policy, setting_iri, warnings

    def _decide(self, req: ServiceRequest, policy: dict[str, Any], setting_iri: str | None, age_text: str
                ) -> tuple[str, list[str], str, list[str]]:
        """(determination, statements, reason, the codes' warnings) under a policy: Checker.check's steps from
        coverage-evaluate on (the age printed as age_text)."""
        t = self.table
        warnings: list[str] = []
        applicable: dict[str, dict[str, Any]] = {}
        failures: dict[str, set[str]] = {}
        listed = False
        piri, cpt, setting = policy["iri"], req.cpt, req.setting
        remembered: Any = None
        if self._templating and age_text == _AGE:  # the keys of _code_events' memory, the age cell found once
            age = req.age_months
            cell = None if age is None else bisect_right(self._bounds, age)
            remembered = self._events.get
        for code in req.icd:  # coverage-evaluate, one code after the other, rows in table and statement order
            found = remembered((cpt, piri, code, setting, cell)) if remembered is not None else None
            code_listed, events, code_warnings = found or self._code_events(req, piri, code, setting_iri, age_text)
            listed = listed or code_listed
            for event in events:
                if event[0]:
                    _, stmt, determination, label, via, indications = event
                    entry = applicable.setdefault(stmt, {"determination": determination, "label": label,
                                                         "codes": [], "indications": []})
                    entry["codes"].append(via)
                    entry["indications"].extend(indications)
                elif (known := failures.get(event[1])) is not None:
                    known.update(event[2])
                else:
                    failures[event[1]] = set(event[2])
            if code_warnings:
                warnings.extend(code_warnings)
        if applicable:
            determinations = {a["determination"] for a in applicable.values()}
            determination = ("medically_necessary" if "medically_necessary" in determinations
                             else sorted(determinations)[0])
            parts = []
            for a in applicable.values():
                codes = [x for x in a["codes"] if x]
                via = f" with {', '.join(dict.fromkeys(codes))} listed" if codes else ""
                if a["indications"]:
                    via += f" (indication: {'; '.join(dict.fromkeys(a['indications']))})"
                parts.append(f"meets '{a['label']}'{via}")
            return determination, list(applicable), f"CPT {req.cpt} for {age_text}: " + "; ".join(parts), warnings
        default = self._default(req.cpt, policy)
        if len(default) == 3:
            return default[0], [], default[1], warnings
        determination, statements, suffix, other_suffix = default
        labels = t["statement_labels"]
        why = [f"'{labels.get(stmt)}' does not apply: {'; '.join(sorted(reasons))}"
               for stmt, reasons in failures.items()]
        reason = (" | ".join(why) if why else "no statement of the policy applies") + suffix
        if other_suffix and not listed:
            reason += other_suffix
        return determination, list(statements), reason, warnings

    def _default(self, cpt: str, policy: dict[str, Any]) -> tuple[Any, ...]:
        """The default rule's part of an answer for a procedure under a policy, worked out once: (determination,
        statements, reason suffix, suffix when no code is listed), or (determination, reason, None) when
        there is no default rule."""
        key = (cpt, policy["iri"])
        found = self._defaults.get(key)
        if found is not None:
            return found
        t = self.table
        defaults = t["defaults"].get(cpt, {}).get(policy["iri"], [])
        if not defaults:
            found = ("not_addressed", f"{policy['id']} lists {cpt} but no statement or default rule decides it", None)
        else:
            labels = t["statement_labels"]
            statements = tuple(dict.fromkeys(d["statement"] for d in defaults))
            other = sorted({d["all_other_label"] for d in defaults if d["all_other"]})
            found = (defaults[0]["determination"], statements, f" -> default rule: {labels.get(statements[0])}",
                     f" (diagnosis codes: {other[0]})" if other else "")
        self._defaults[key] = found
        return found

    def _code_events(self, req: ServiceRequest, policy: str, code: str, setting_iri: str | None, age_text: str
                     ) -> tuple[bool, list[tuple[Any, ...]], list[str]]:
        """One code's coverage-evaluate rows, as (listed, events, the code's warnings); remembered per
        (procedure, policy, code, setting, age cell) when templating (the age is printed as age_text then)."""
        key = None
        if self._templating and age_text == _AGE:
            age = req.age_months
            key = (req.cpt, policy, code, req.setting, None if age is None else bisect_right(self._bounds, age))
            found = self._events.get(key)
            if found is not None:
                return found
        rules = self.table["rules"].get(req.cpt, {}).get(policy, [])
        listed_by_table = self.table["listed"]
        age = req.age_months
        listed = False
        events: list[tuple[Any, ...]] = []
        for rule in rules:
            entries = listed_by_table.get(rule["table"], {}).get(code, []) if rule["dx_list"] else []
            if any(entries):
                listed = True
            dx_ok = bool(entries) or not rule["dx_list"]
            age_ok = (not any(_excludes(age, b, below=True) for b in rule["below"])
                      and not any(_excludes(age, b, below=False) for b in rule["at_least"]))
            setting_ok = all(s == setting_iri for s in rule["settings"]) if setting_iri else not rule["settings"]
            stmt = rule["statement"]
            if dx_ok and age_ok and setting_ok:
                events.append((True, stmt, rule["determination"], rule["label"], code if entries else None,
                               rule["indications"]))
                continue
            why: list[str] = []
            if not dx_ok:
                why.append(f"{code} is not on the table's diagnosis list")
            if not age_ok:
                why.extend(f"age {age_text} is not under {bound[2]:g} months" for bound in rule["below"])
                why.extend(f"age {age_text} is under {bound[2]:g} months" for bound in rule["at_least"])
            if not setting_ok:
                for s in rule["settings"]:
                    label = s.rsplit("#", 1)[-1].lower()
                    why.append(f"requires the {label} setting" + ("" if req.setting else " (no --setting given)"))
            events.append((False, stmt, why))
        warnings: list[str] = []
        self._code_warnings(code, listed, warnings)
        found = (listed, events, warnings)
        if key is not None:
            if len(self._events) >= MAX_TEMPLATES:
                self._events.clear()
            self._events[key] = found
        return found

    def _code_warnings(self, code: str, listed: bool, warnings: list[str]) -> None:
        if not self.billable[code]:
            below = self.table["below"].get(code, [])
            msg = f"{code} is not billable (it has more specific codes)"
            if below:
                msg += f"; listed codes under it: {', '.join(below)}"
            warnings.append(msg)
        if not listed:
            similar = self.table["similar"].get(code)
            if similar:
                title = similar[0]
                for notation, label, why in similar[1]:
                    warnings.append(f"{code} ({title}) is not listed, but resembles listed entry {notation} ({label}): "
                                    f"{why}")


def _row(answer: dict[str, Any]) -> dict[str, Any]:
    return {"determination": answer["determination"], "statement": " ".join(answer["statements"]),
            "reason": answer["reason"], "warnings": answer["warnings"]}


def _excludes(age: Decimal | None, bound: list[Any], *, below: bool) -> bool:
    """Whether an age bound rules the age out, compared as SPARQL compares an xsd:decimal with it.

    below: the FILTER `age >= bound` of an ageBelowMonths bound; else `age < bound` of an ageAtLeastMonths one.
    No age rules out every bound (!BOUND); a bound SPARQL cannot compare with a decimal rules out nothing.
    """
    if age is None:
        return True
    kind, lexical = bound[0], bound[1]
    try:
        if kind == "decimal":
            value: Any = Decimal(lexical)
            a: Any = age
        elif kind == "double":
            value, a = float(lexical), float(age)
        else:
            return False
    except (InvalidOperation, ValueError):
        return False
    return a >= value if below else a < value


def _answer(determination: str, statements: list[str], reason: str, warnings: list[str],
            policy: str | None = None) -> dict[str, Any]:
    return {"determination": determination, "statements": statements, "reason": reason, "warnings": warnings,
            "policy": policy}
