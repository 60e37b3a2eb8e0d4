"""`policykg check --engine reasoner`: the SPARQL engine's JSON, with the reasoner deciding.

The Checker (policykg.check) still does the look-ups: the codes and whether they are listed, the policy
record, statement details and evidence, and the warnings. The determination, the deciding statements (and
so the evidence shown) and the reason come from classification by HermiT and the closed-world step. Where
the two engines disagree, the reasoner's answer stands and a warning names the SPARQL engine's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..check import Checker
from ..errors import PolicyKGError
from ..request import ServiceRequest
from .classify import Classifier
from .engines import DEFAULT_TIMEOUT


def check_with_reasoner(store: Any, req: ServiceRequest, today: date | None = None, *, engine: str = "hermit",
                        timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Same keys as Checker.check: determination, policy, statements, codes, evidence, reason, warnings,
    request, service_date_used."""
    checker = Checker(store)
    base = checker.check(req, today)  # validates codes and setting exactly as the SPARQL engine does
    classifier = Classifier(store, engine=engine, timeout=timeout)
    run = classifier.classify([req], today=today)
    item = run.results[0]
    if isinstance(item, PolicyKGError):
        raise item
    decision = item.decision
    statements = [checker.statement(s) for s in decision.statements]
    evidence = [e for s in statements for e in checker.evidence(s["iri"])]
    policy = None
    if decision.policy is not None:
        in_effect = checker.policies_in_effect(item.service_date_used)
        policy = next((p for p in in_effect if p["iri"] == decision.policy), None)
    warnings = list(base["warnings"])
    sparql = (base["determination"], [s["iri"] for s in base["statements"]])
    if sparql != (decision.determination, decision.statements):
        warnings.append(f"the SPARQL engine answers {sparql[0]} with statements {', '.join(sparql[1]) or 'none'}")
    described = classifier.describe(item)
    return {**base, "determination": decision.determination, "policy": policy, "statements": statements,
            "evidence": evidence, "warnings": warnings,
            "reason": f"{run.engine}: {described['reason']}"}
