"""The closed-world step, made explicit: from inferred classes to a determination.

OWL reasons under the open-world assumption: that a request was not classified under any statement's class
does not entail that no statement applies (it may have a diagnosis nobody told the reasoner about). The
policy's "not medically necessary for ANY other indication" and its "All other codes" row need the
opposite reading. So, after classification and outside OWL, this step closes the world over what the
reasoner inferred, exactly as coverage-default.rq does for the SPARQL engine:

1. no policy lists the procedure (no AddressedBy class)          -> not_addressed
2. policies list it, none is in effect on the date of service    -> no_policy_in_effect
3. the policy in effect (latest effective date first) has an inferred Applies(T,S) class
                                                                  -> the tables' determination; S decide
4. otherwise, what is not inferred is taken to be false: the policy's DefaultRule statements decide
   (their determination); a policy without one leaves the request not_addressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .abox import CodeFragment, Pattern, procedure_iri
from .engines import Classification
from .model import DIAGNOSIS, PROCEDURE, SETTING, And, Expr, Named, ReasoningModel, Some, Value


@dataclass
class Decision:
    """What the reasoner path decided for one pattern, and through which classes."""

    determination: str
    policy: str | None = None
    statements: list[str] = field(default_factory=list)  # deciding statements, in the Checker's order
    classes: list[str] = field(default_factory=list)  # the inferred Applies classes that decided
    closed_world: bool = False  # decided by the default rules, after the closed-world step
    listing: list[str] = field(default_factory=list)  # policies that list the procedure


def decide(model: ReasoningModel, result: Classification, pattern: Pattern, codes: CodeFragment) -> Decision:
    """Steps 1-4 above for one classified pattern."""
    facts = model.facts
    types = result.of(pattern.iri)
    listing = sorted(p for p, c in model.addressed_by.items() if c in types)
    if not listing:
        return Decision("not_addressed")
    in_effect = sorted((p for p in listing if model.in_effect[p] in types),
                       key=lambda p: (-facts.policies[p].effective.toordinal(), p))
    if not in_effect:
        return Decision("no_policy_in_effect", listing=listing)
    policy = facts.policies[in_effect[0]]
    applicable = sorted(((t, s) for (t, s), c in model.applies.items() if t in policy.tables and c in types),
                        key=lambda ts: (facts.tables[ts[0]].order, facts.statements[ts[1]].order))
    if applicable:
        dets = {facts.tables[t].determination for t, _ in applicable}
        determination = "medically_necessary" if "medically_necessary" in dets else sorted(dets)[0]
        statements: list[str] = []
        for code in pattern.request.icd:  # the Checker's order: codes as given, then table and statement order
            code_types = result.of(codes.iri[code])
            for t, s in applicable:
                diagnosis = model.table_diagnosis.get(t)
                if (diagnosis is None or diagnosis in code_types) and s not in statements:
                    statements.append(s)
        for _, s in applicable:  # unreachable when the code types are complete; kept so no statement is lost
            if s not in statements:
                statements.append(s)
        return Decision(determination, policy.iri, statements, [model.applies[ts] for ts in applicable],
                        listing=listing)
    if not policy.defaults:
        return Decision("not_addressed", policy.iri, listing=listing)
    determination = facts.statements[policy.defaults[0]].determination
    return Decision(determination, policy.iri, list(policy.defaults), [], True, listing)


def unmet(model: ReasoningModel, result: Classification, pattern: Pattern, codes: CodeFragment,
          cls: str) -> list[Expr]:
    """The conjuncts of a defined class that the pattern's individual was not inferred to meet."""
    definition = model.definition(cls)
    if definition is None:
        return []
    parts = definition.expr.parts if isinstance(definition.expr, And) else (definition.expr,)
    req = pattern.request
    types = result.of(pattern.iri)
    out: list[Expr] = []
    for part in parts:
        if isinstance(part, Named):
            ok = part.iri in types
        elif isinstance(part, Some) and part.prop == PROCEDURE and isinstance(part.filler, Named):
            ok = part.filler.iri in result.of(procedure_iri(model, req.cpt))
        elif isinstance(part, Some) and part.prop == DIAGNOSIS and isinstance(part.filler, Named):
            filler = part.filler.iri
            ok = any(filler in result.of(codes.iri[c]) for c in req.icd)
        elif isinstance(part, Value) and part.prop == SETTING:
            ok = req.setting is not None and model.facts.settings.get(req.setting) == part.individual
        else:
            ok = True
        if not ok:
            out.append(part)
    return out
