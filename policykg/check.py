"""The coverage check: is this procedure, with these diagnoses, for this patient, medically necessary, and why?

Every fact comes from named SPARQL queries over the graph; this module only combines their rows:
1. pick the policy version in effect on the date of service (policy-in-effect);
2. for each diagnosis, ask which code tables and statements could decide and which of their criteria hold
   (coverage-evaluate); a statement applies when all of them hold;
3. closed-world step, made explicit: when no statement applies but the policy lists the procedure, the
   policy's default rules decide ('ANY other indication', 'All other codes') (coverage-default); when no
   policy lists the procedure, the answer is not_addressed.
Nothing here restates the policy: no codes, ages or settings appear in this file.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from .errors import UnknownCodeError, UsageError
from .query_memo import QueryMemo
from .request import ServiceRequest
from .sparql import term_value

PKG = "https://w3id.org/policykg/ns#"


def _v(row: dict[str, Any], key: str) -> Any:
    return term_value(row.get(key))


def _months_text(months: Decimal | None) -> str:
    if months is None:
        return "unknown age"
    value = float(months)
    return f"{value:g} months" if value == int(value) else f"{value:.2f} months"


class Checker:
    """Answers coverage checks against one open store (reusable: keeps small look-ups warm)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        # every query below goes through the memo: on an open build, a warm check runs no SPARQL
        self._run = QueryMemo(store).run
        self._settings: dict[str, str] | None = None
        self._statement_cache: dict[str, dict[str, Any]] = {}
        self._evidence_cache: dict[str, list[dict[str, Any]]] = {}

    # -- look-ups ------------------------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        if self._settings is None:
            self._settings = {_v(r, "notation"): _v(r, "setting") for r in self._run("settings")}
        return self._settings

    def statement(self, iri: str) -> dict[str, Any]:
        if iri not in self._statement_cache:
            rows = self._run("statement-detail", {"statement": iri})
            r = rows[0] if rows else {}
            self._statement_cache[iri] = {
                "iri": iri, "label": _v(r, "label"), "determination": _v(r, "determination"),
                "section": _v(r, "section"), "page": _v(r, "page"),
                "page_estimated": bool(_v(r, "pageEstimated")), "quote": _v(r, "quote"),
                "offsets": [_v(r, "start"), _v(r, "end")] if "start" in r else None,
            }
        return dict(self._statement_cache[iri])

    def evidence(self, statement: str) -> list[dict[str, Any]]:
        if statement not in self._evidence_cache:
            self._evidence_cache[statement] = [
                {"work": _v(r, "work"), "label": _v(r, "label"), "authors": _v(r, "authors"),
                 "year": int(str(_v(r, "year"))[:4]) if "year" in r else None, "type": _v(r, "type"),
                 "stance": _v(r, "stance"), "statement": statement, "section": _v(r, "section"),
                 "page": _v(r, "page"), "sentence": _v(r, "sentence")}
                for r in self._run("evidence-for-statement", {"statement": statement})]
        return [dict(e) for e in self._evidence_cache[statement]]

    def policies_in_effect(self, day: date) -> list[dict[str, Any]]:
        return [{"iri": _v(r, "policy"), "id": _v(r, "identifier"), "title": _v(r, "title"),
                 "effective_date": _v(r, "effectiveDate"), "next_review_date": _v(r, "nextReviewDate"),
                 "series": _v(r, "series")}
                for r in self._run("policy-in-effect", {"service_date": day.isoformat()})]

    # -- the check -----------------------------------------------------------------------------
    def check(self, req: ServiceRequest, today: date | None = None) -> dict[str, Any]:
        from rdflib import Literal, URIRef
        from rdflib.namespace import XSD

        warnings: list[str] = []
        codes: list[dict[str, Any]] = []
        for code in req.icd:
            info = self._run("code-info", {"icd": code})
            if not info:
                raise UnknownCodeError(f"unknown ICD-10-CM code {code}: it is not in the loaded ICD-10-CM release")
            codes.append({"input": code, "code": code, "system": "ICD-10-CM", "label": _v(info[0], "title"),
                          "billable": bool(_v(info[0], "billable")), "listed": False, "list_entries": [],
                          "indications": []})
        setting_iri = None
        if req.setting is not None:
            known = self.settings()
            if req.setting not in known:
                raise UsageError(f"unknown setting {req.setting!r}: known settings are {', '.join(sorted(known))}")
            setting_iri = known[req.setting]

        day = req.service_date or today or date.today()
        if req.service_date is None:
            warnings.append(f"no service date given: used the policy versions in effect on {day.isoformat()}")
        in_effect = self.policies_in_effect(day)
        proc_rows = self._run("procedure-info", {"cpt": req.cpt})
        listing_policies = {_v(r, "policy") for r in proc_rows if "policy" in r}
        proc = {"input": req.cpt, "code": req.cpt, "system": "CPT/HCPCS",
                "label": _v(proc_rows[0], "label") if proc_rows else None, "listed": bool(listing_policies)}
        base = {"request": req.to_json(), "codes": [proc, *codes], "service_date_used": day.isoformat()}

        candidates = [p for p in in_effect if p["iri"] in listing_policies]
        if not listing_policies:
            return {**base, "determination": "not_addressed", "policy": None, "statements": [], "evidence": [],
                    "reason": f"no policy lists procedure code {req.cpt}", "warnings": warnings}
        if not candidates:
            versions = [r for r in self._run("policy-versions")
                        if _v(r, "policy") in listing_policies]
            first = min((_v(r, "effectiveDate") for r in versions), default=None)
            return {**base, "determination": "no_policy_in_effect", "policy": None, "statements": [],
                    "evidence": [], "warnings": warnings,
                    "reason": f"procedure {req.cpt} is addressed by a policy that was not in effect on "
                              f"{day.isoformat()} (earliest effective date {first})"}
        policy = candidates[0]
        if len(candidates) > 1:
            warnings.append("several policies in effect list this procedure; answered with "
                            f"{policy['id']} ({policy['effective_date']})")
        policy_term = URIRef(policy["iri"])
        age_term = Literal(req.age_months, datatype=XSD.decimal) if req.age_months is not None else None

        applicable: dict[str, dict[str, Any]] = {}
        failures: dict[str, set[str]] = {}
        for c in codes:
            rows = self._run("coverage-evaluate", {"cpt": req.cpt, "icd": c["code"]},
                             terms={"age_months": age_term, "setting": URIRef(setting_iri) if setting_iri else None,
                                    "policy": policy_term})
            for r in rows:
                stmt = _v(r, "statement")
                entry = _v(r, "entryNotation")
                if _v(r, "entry") and entry and entry not in c["list_entries"]:
                    c["listed"] = True
                    c["list_entries"].append(entry)
                ok = (bool(_v(r, "dx_ok")), bool(_v(r, "age_ok")), bool(_v(r, "setting_ok")))
                if all(ok):
                    applicable.setdefault(stmt, {"statement": stmt, "determination": _v(r, "determination"),
                                                 "label": _v(r, "statementLabel"), "codes": [], "indications": []})
                    applicable[stmt]["codes"].append(c["code"] if _v(r, "entry") else None)
                    if r.get("tableIndication") is not None:
                        applicable[stmt]["indications"].append(_v(r, "tableIndication"))
                    continue
                why = failures.setdefault(stmt, set())
                if not ok[0]:
                    why.add(f"{c['code']} is not on the table's diagnosis list")
                if not ok[1]:
                    bound = _v(r, "ageBelow")
                    least = _v(r, "ageAtLeast")
                    if bound is not None:
                        why.add(f"age {_months_text(req.age_months)} is not under {bound:g} months")
                    if least is not None:
                        why.add(f"age {_months_text(req.age_months)} is under {least:g} months")
                if not ok[2]:
                    label = _v(r, "requiredSetting").rsplit("#", 1)[-1].lower()
                    why.add(f"requires the {label} setting" + ("" if req.setting else " (no --setting given)"))
        for c in codes:
            c["indications"] = sorted({_v(r, "indicationLabel") for r in
                                       self._run("code-indications", {"icd": c["code"]})})
            self._code_warnings(c, warnings)

        if applicable:
            determinations = {a["determination"] for a in applicable.values()}
            determination = ("medically_necessary" if "medically_necessary" in determinations
                             else sorted(determinations)[0])
            statements = [self.statement(s) for s in applicable]
            parts = []
            for a in applicable.values():
                listed = [x for x in a["codes"] if x]
                via = f" with {', '.join(dict.fromkeys(listed))} listed" if listed else ""
                if a["indications"]:
                    via += f" (indication: {'; '.join(dict.fromkeys(a['indications']))})"
                parts.append(f"meets '{a['label']}'{via}")
            reason = f"CPT {req.cpt} for {_months_text(req.age_months)}: " + "; ".join(parts)
        else:
            defaults = self._run("coverage-default", {"cpt": req.cpt}, terms={"policy": policy_term})
            if not defaults:
                return {**base, "determination": "not_addressed", "policy": policy, "statements": [],
                        "evidence": [], "warnings": warnings,
                        "reason": f"{policy['id']} lists {req.cpt} but no statement or default rule decides it"}
            determination = _v(defaults[0], "determination")
            statements = [self.statement(s) for s in dict.fromkeys(_v(r, "statement") for r in defaults)]
            other = sorted({_v(r, "allOtherCodesLabel") for r in defaults if "allOtherCodes" in r})
            not_applying: list[str] = []
            for stmt, reasons in failures.items():
                label = self.statement(stmt)["label"]
                not_applying.append(f"'{label}' does not apply: {'; '.join(sorted(reasons))}")
            reason = " | ".join(not_applying) if not_applying else "no statement of the policy applies"
            reason += f" -> default rule: {statements[0]['label']}"
            if other and not any(c["listed"] for c in codes):
                reason += f" (diagnosis codes: {other[0]})"
        evidence: list[dict[str, Any]] = []
        for s in statements:
            evidence.extend(self.evidence(s["iri"]))
        return {**base, "determination": determination, "policy": policy, "statements": statements,
                "reason": reason, "evidence": evidence, "warnings": warnings}

    def _code_warnings(self, c: dict[str, Any], warnings: list[str]) -> None:
        if not c["billable"]:
            below = sorted({_v(r, "entryNotation") for r in self._run("listed-descendants", {"icd": c["code"]})})
            msg = f"{c['code']} is not billable (it has more specific codes)"
            if below:
                msg += f"; listed codes under it: {', '.join(below)}"
            warnings.append(msg)
        if not c["listed"]:
            similar = self._run("similar-listed-entries", {"icd": c["code"]})
            for r in similar[:3]:
                warnings.append(f"{c['code']} ({c['label']}) is not listed, but resembles listed entry "
                                f"{_v(r, 'entryNotation')} ({_v(r, 'entryLabel')}): {_v(r, 'why')}")


def check(store: Any, req: ServiceRequest, today: date | None = None) -> dict[str, Any]:
    """One coverage check (see Checker.check)."""
    return Checker(store).check(req, today)
