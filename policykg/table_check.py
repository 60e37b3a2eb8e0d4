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
from .errors import PolicyKGError, UnknownCodeError, UsageError
from .request import ServiceRequest

MAX_TEMPLATES = 50_000  # answers remembered with placeholders (~1 kB each); emptied when full
_AGE, _DAY = "\0age\0", "\0day\0"  # placeholders: NUL cannot occur in the table's texts (checked)


class TableChecker:
    """Answers coverage checks from a decision table (a dict from decision_table.load_table)."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table
        self.billable = dict.fromkeys(table["codes"]["billable"].split(), True)
        self.billable.update(dict.fromkeys(table["codes"]["not_billable"].split(), False))
        self.epoch_dates = [day for day, _ in table["epochs"]]
        self._templates: dict[tuple[Any, ...], Any] = {}
        self._age_texts: dict[Decimal | None, str] = {}
        bounds = [b for by_policy in table["rules"].values() for rules in by_policy.values() for r in rules
                  for b in (*r["below"], *r["at_least"])]
        # templates need ages compared exactly (decimal bounds) and texts that cannot contain the placeholders
        self._templating = all(b[0] == "decimal" for b in bounds) and "\\u0000" not in json.dumps(table)
        self._bounds = sorted({Decimal(b[1]) for b in bounds}) if self._templating else []

    def row(self, req: ServiceRequest, today: date) -> dict[str, Any]:
        """check() as a result row (determination, statement, reason, warnings), from a template when possible.

        The answer depends on the age only through which bounds it reaches, and on the date only through
        which effective dates it follows, except for the texts that print them. So the answer is computed
        once per (procedure, codes, setting, policy period, age cell) with placeholders for those texts,
        and each request fills them in: a dictionary look-up and two replacements instead of an evaluation.
        Errors (unknown code or setting) are raised as check() raises them.
        """
        if not self._templating:
            return _row(self.check(req, today))
        day = req.service_date or today
        day_iso = day.isoformat()
        age = req.age_months
        key = (req.cpt, tuple(req.icd), req.setting, bisect_right(self.epoch_dates, day_iso),
               None if age is None else bisect_right(self._bounds, age), req.service_date is None,
               day_iso if req.service_date is None else None)
        template = self._templates.get(key)
        if template is None:
            if len(self._templates) >= MAX_TEMPLATES:
                self._templates.clear()
            try:
                template = _row(self.check(req, today, age_text=_AGE, day_text=_DAY))
            except PolicyKGError as exc:
                template = exc.with_traceback(None)
            self._templates[key] = template
        if isinstance(template, PolicyKGError):
            raise template.with_traceback(None)
        age_text = self._age_texts.get(age)
        if age_text is None:
            if len(self._age_texts) >= MAX_TEMPLATES:
                self._age_texts.clear()
            age_text = self._age_texts[age] = months_text(age)
        reason = template["reason"]
        if "\0" in reason:
            reason = reason.replace(_AGE, age_text).replace(_DAY, day_iso)
        warnings = template["warnings"]
        if warnings:
            warnings = [w.replace(_AGE, age_text).replace(_DAY, day_iso) if "\0" in w else w for w in warnings]
        return {"determination": template["determination"], "statement": template["statement"], "reason": reason,
                "warnings": warnings}

    def check(self, req: ServiceRequest, today: date | None = None, *, age_text: str | None = None,
              day_text: str | None = None) -> dict[str, Any]:
        """determination, statements (IRIs), reason, warnings, policy (IRI): as Checker.check gives them.

        age_text and day_text replace the age (months_text) and the date used in the texts; `row` passes
        placeholders to make a template.
        """
        t = self.table
        warnings: list[str] = []
        for code in req.icd:
            if code not in self.billable:
                raise UnknownCodeError(f"unknown ICD-10-CM code {code}: it is not in the loaded ICD-10-CM release")
        setting_iri = None
        if req.setting is not None:
            known = t["settings"]
            if req.setting not in known:
                raise UsageError(f"unknown setting {req.setting!r}: known settings are {', '.join(sorted(known))}")
            setting_iri = known[req.setting]
        day = req.service_date or today or date.today()
        day_text = day.isoformat() if day_text is None else day_text
        age_text = months_text(req.age_months) if age_text is None else age_text
        if req.service_date is None:
            warnings.append(f"no service date given: used the policy versions in effect on {day_text}")
        proc = t["procedures"].get(req.cpt)
        listing = proc["policies"] if proc else []
        if not listing:
            return _answer("not_addressed", [], f"no policy lists procedure code {req.cpt}", warnings)
        i = bisect_right(self.epoch_dates, day.isoformat()) - 1
        in_effect = t["epochs"][i][1] if i >= 0 else []
        candidates = [p for p in in_effect if p["iri"] in listing]
        if not candidates:
            return _answer("no_policy_in_effect", [], f"procedure {req.cpt} is addressed by a policy that was not in "
                           f"effect on {day_text} (earliest effective date {proc['earliest']})", warnings)
        policy = candidates[0]
        if len(candidates) > 1:
            warnings.append("several policies in effect list this procedure; answered with "
                            f"{policy['id']} ({policy['effective_date']})")
        applicable, failures, listed = self._evaluate(req, policy["iri"], setting_iri, age_text)
        for code in req.icd:
            self._code_warnings(code, code in listed, warnings)
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
            reason = f"CPT {req.cpt} for {age_text}: " + "; ".join(parts)
            return _answer(determination, list(applicable), reason, warnings, policy["iri"])
        defaults = t["defaults"].get(req.cpt, {}).get(policy["iri"], [])
        if not defaults:
            return _answer("not_addressed", [], f"{policy['id']} lists {req.cpt} but no statement or default rule "
                           "decides it", warnings, policy["iri"])
        labels = t["statement_labels"]
        statements = list(dict.fromkeys(d["statement"] for d in defaults))
        other = sorted({d["all_other_label"] for d in defaults if d["all_other"]})
        why = [f"'{labels.get(stmt)}' does not apply: {'; '.join(sorted(reasons))}"
               for stmt, reasons in failures.items()]
        reason = " | ".join(why) if why else "no statement of the policy applies"
        reason += f" -> default rule: {labels.get(statements[0])}"
        if other and not listed:
            reason += f" (diagnosis codes: {other[0]})"
        return _answer(defaults[0]["determination"], statements, reason, warnings, policy["iri"])

    def _evaluate(self, req: ServiceRequest, policy: str, setting_iri: str | None, age_text: str
                  ) -> tuple[dict[str, dict[str, Any]], dict[str, set[str]], set[str]]:
        """The statements that apply, why the others do not, and the codes a table lists (coverage-evaluate)."""
        rules = self.table["rules"].get(req.cpt, {}).get(policy, [])
        listed_by_table = self.table["listed"]
        applicable: dict[str, dict[str, Any]] = {}
        failures: dict[str, set[str]] = {}
        listed: set[str] = set()
        age = req.age_months
        for code in req.icd:
            for rule in rules:
                entries = listed_by_table.get(rule["table"], {}).get(code, []) if rule["dx_list"] else []
                if any(entries):
                    listed.add(code)
                dx_ok = bool(entries) or not rule["dx_list"]
                age_ok = (not any(_excludes(age, b, below=True) for b in rule["below"])
                          and not any(_excludes(age, b, below=False) for b in rule["at_least"]))
                setting_ok = all(s == setting_iri for s in rule["settings"]) if setting_iri else not rule["settings"]
                stmt = rule["statement"]
                if dx_ok and age_ok and setting_ok:
                    entry = applicable.setdefault(stmt, {"determination": rule["determination"], "label": rule["label"],
                                                         "codes": [], "indications": []})
                    entry["codes"].append(code if entries else None)
                    entry["indications"].extend(rule["indications"])
                    continue
                why = failures.setdefault(stmt, set())
                if not dx_ok:
                    why.add(f"{code} is not on the table's diagnosis list")
                if not age_ok:
                    for bound in rule["below"]:
                        why.add(f"age {age_text} is not under {bound[2]:g} months")
                    for bound in rule["at_least"]:
                        why.add(f"age {age_text} is under {bound[2]:g} months")
                if not setting_ok:
                    for s in rule["settings"]:
                        label = s.rsplit("#", 1)[-1].lower()
                        why.add(f"requires the {label} setting" + ("" if req.setting else " (no --setting given)"))
        return applicable, failures, listed

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
