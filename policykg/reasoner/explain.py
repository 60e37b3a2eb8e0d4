"""Why a request was classified as it was: the axioms and facts behind each decision, in readable form.

For an inferred Applies(T,S) class the explanation is a justification: the class's definition, and for
each of its conjuncts the axioms and asserted facts that satisfy it (the date and age against the
datatype bounds, the procedure's entry in the table's list, the diagnosis or the listed ancestor it
descends from through skos:broader, the setting), then the subclass axioms to Meets(S) and the outcome.
tests/reasoner/test_explain.py checks that these facts alone, with the class definitions, make HermiT
infer the same class. For a default-rule decision it names the closed-world step and, per statement,
the conjunct the request did not meet.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from ..request import ServiceRequest
from .abox import CodeFragment, Pattern, procedure_iri
from .closed_world import Decision, unmet
from .engines import Classification
from .model import (
    AGE,
    BROADER,
    DAY,
    DIAGNOSIS,
    HAS_ENTRY,
    INCLUDES_CODE,
    PROCEDURE,
    REQUEST,
    SETTING,
    And,
    DataRange,
    Expr,
    Named,
    R,
    ReasoningModel,
    Some,
    Value,
)

PREFIXES = (
    ("https://w3id.org/policykg/icd10cm/code/", "icd:"),
    ("https://w3id.org/policykg/cpt/", "cpt:"),
    ("https://w3id.org/policykg/ns#", "pkg:"),
    ("http://www.w3.org/2004/02/skos/core#", "skos:"),
    ("https://w3id.org/policykg/reasoning/procedure/", "procedure:"),
)


class Fact(str):
    """A line of an explanation that states an asserted fact, with the fact as an RDF triple.

    Lines are plain text for people; the triple lets a test hand exactly the facts an explanation names
    to HermiT and check that they suffice (tests/reasoner/test_explain.py).
    """

    triple: tuple[Any, Any, Any]

    def __new__(cls, text: str, s: str, p: str, o: Any) -> Fact:
        obj = super().__new__(cls, text)
        obj.triple = (URIRef(s), URIRef(p), o if isinstance(o, Literal) else URIRef(o))
        return obj


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else format(Decimal(value).normalize(), "f")


def name(model: ReasoningModel, iri: str) -> str:
    """A short readable name: Kind(source) for the model's classes, prefix:local for codes and terms."""
    info = model.classes.get(iri)
    if info is not None:
        if iri == REQUEST:
            return "ServiceRequest"
        if info.kind in ("InEffect", "AddressedBy", "ListedProcedure") and info.source in model.facts.policies:
            p = model.facts.policies[info.source]
            return f"{info.kind}({p.identifier} {p.effective})"
        if info.kind == "Applies":
            table = next(t for (t, s), c in model.applies.items() if c == iri)
            return f"Applies({table.rsplit('/', 1)[-1]} × {(info.source or '').rsplit('/', 1)[-1]})"
        tail = (info.source or "").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        return f"{info.kind}({tail})"
    if iri.startswith(R):
        return iri[len(R):]
    for base, prefix in PREFIXES:
        if iri.startswith(base):
            return prefix + iri[len(base):]
    return iri.rsplit("/", 1)[-1]


def render(model: ReasoningModel, e: Expr) -> str:
    """An expression in DL notation (⊓, ∃, {a}, datatype facets)."""
    if isinstance(e, Named):
        return name(model, e.iri)
    if isinstance(e, And):
        return " ⊓ ".join(render(model, p) for p in e.parts)
    if isinstance(e, Some):
        return f"∃{name(model, e.prop)}.{render(model, e.filler)}"
    if isinstance(e, Value):
        return f"∃{name(model, e.prop)}.{{{name(model, e.individual)}}}"
    facets = ([f"≥ {_fmt(e.min_inclusive)}"] if e.min_inclusive is not None else []) + \
             ([f"< {_fmt(e.max_exclusive)}"] if e.max_exclusive is not None else [])
    return f"∃{name(model, e.prop)}.{e.datatype}[{', '.join(facets)}]"


class Explainer:
    """Explanations for the patterns of one classification."""

    def __init__(self, model: ReasoningModel, result: Classification, codes: CodeFragment) -> None:
        self.model = model
        self.result = result
        self.codes = codes

    def definition(self, cls: str) -> str:
        d = self.model.definition(cls)
        return f"{name(self.model, cls)} ≡ {render(self.model, d.expr)}" if d else name(self.model, cls)

    def explain(self, decision: Decision, pattern: Pattern, req: ServiceRequest, day: date) -> list[str]:
        """The axioms and facts behind the decision, for this request (its own age and date)."""
        if decision.classes:
            lines: list[str] = []
            for cls in decision.classes:
                lines.extend(line for line in self.applies(cls, pattern, req, day) if line not in lines)
            return lines
        if decision.closed_world:
            return self.default_rule(decision, pattern, req, day)
        if decision.determination == "no_policy_in_effect":
            return [*self.procedure_listed(decision.listing, pattern, req), self.day_fact(pattern, day),
                    *(f"not {self.definition(self.model.in_effect[p])}" for p in decision.listing)]
        return [f"request procedure {name(self.model, procedure_iri(self.model, req.cpt))}",
                "no AddressedBy class inferred: no policy lists the procedure"]

    def applies(self, cls: str, pattern: Pattern, req: ServiceRequest, day: date) -> list[str]:
        m = self.model
        lines = [self.definition(cls)]
        d = m.definition(cls)
        parts = d.expr.parts if d is not None and isinstance(d.expr, And) else ()
        for part in parts:
            lines.extend(self.conjunct(part, pattern, req, day))
        for axiom in m.axioms:
            if axiom.kind == "subclass" and axiom.cls == cls and isinstance(axiom.expr, Named):
                lines.append(f"{name(m, cls)} ⊑ {name(m, axiom.expr.iri)}")
        return lines

    def conjunct(self, part: Expr, pattern: Pattern, req: ServiceRequest, day: date) -> list[str]:
        m = self.model
        if isinstance(part, Named):
            if part.iri == REQUEST:
                return []
            d = m.definition(part.iri)
            fact = []
            if d is not None and isinstance(d.expr, And):
                for p in d.expr.parts:
                    if isinstance(p, DataRange) and p.prop == AGE and req.age_months is not None:
                        fact.append(Fact(f"request ageMonths {_fmt(req.age_months)}", pattern.iri, AGE,
                                         Literal(Decimal(req.age_months), datatype=XSD.decimal)))
                    elif isinstance(p, DataRange) and p.prop == DAY:
                        fact.append(self.day_fact(pattern, day))
            if fact and self.result.engine == "rl":
                fact.append(f"{name(m, part.iri)} asserted before RL reasoning (OWL 2 RL has no datatype facets)")
            return [self.definition(part.iri), *fact]
        if isinstance(part, Some) and part.prop == PROCEDURE and isinstance(part.filler, Named):
            return self.procedure(part.filler.iri, pattern, req)
        if isinstance(part, Some) and part.prop == DIAGNOSIS and isinstance(part.filler, Named):
            return self.diagnosis(part.filler.iri, pattern, req)
        if isinstance(part, Value) and part.prop == SETTING:
            return [Fact(f"request setting {name(m, part.individual)}", pattern.iri, SETTING, part.individual)]
        return [render(m, part)]

    def _including(self, lists: list[str], code_iri: str) -> tuple[str, str] | None:
        for lst in lists:
            for entry, (_, included) in sorted(self.model.facts.lists.get(lst, {}).items()):
                if code_iri in included:
                    return lst, entry
        return None

    def day_fact(self, pattern: Pattern, day: date) -> Fact:
        return Fact(f"request serviceDay {day_number_text(day)}", pattern.iri, DAY,
                    Literal(day.toordinal(), datatype=XSD.integer))

    def listing(self, lst: str, entry: str, code: str) -> list[str]:
        """The two policy facts that put a code on a list: the entry includes it, the list has the entry."""
        m = self.model
        return [Fact(f"{name(m, entry)} includesCode {name(m, code)}", entry, INCLUDES_CODE, code),
                Fact(f"{name(m, lst)} hasEntry {name(m, entry)}", lst, HAS_ENTRY, entry)]

    def procedure(self, table_class: str, pattern: Pattern, req: ServiceRequest) -> list[str]:
        m = self.model
        proc = procedure_iri(m, req.cpt)
        table = next(t for t, c in m.table_procedure.items() if c == table_class)
        found = self._including(list(m.facts.tables[table].procedure_lists), proc)
        lines: list[str] = [Fact(f"request procedure {name(m, proc)}", pattern.iri, PROCEDURE, proc)]
        if found:
            lst, entry = found
            lines += [*self.listing(lst, entry, proc), self.definition(m.code_in[lst]),
                      f"{name(m, m.code_in[lst])} ⊑ {name(m, table_class)}"]
        return lines

    def procedure_listed(self, policies: list[str], pattern: Pattern, req: ServiceRequest) -> list[str]:
        m = self.model
        proc = procedure_iri(m, req.cpt)
        lines: list[str] = [Fact(f"request procedure {name(m, proc)}", pattern.iri, PROCEDURE, proc)]
        for p in policies:
            found = self._including(list(m.facts.policies[p].procedure_lists), proc)
            if found:
                lst, entry = found
                lines += [*self.listing(lst, entry, proc),
                          f"{name(m, m.code_in[lst])} ⊑ {name(m, m.listed_procedure[p])}",
                          self.definition(m.addressed_by[p])]
        return lines

    def diagnosis(self, table_class: str, pattern: Pattern, req: ServiceRequest) -> list[str]:
        m = self.model
        table = next(t for t, c in m.table_diagnosis.items() if c == table_class)
        lists = list(m.facts.tables[table].diagnosis_lists)
        for code in req.icd:
            if table_class not in self.result.of(self.codes.iri[code]):
                continue
            iri = self.codes.iri[code]
            lines: list[str] = [Fact(f"request diagnosis {name(m, iri)}", pattern.iri, DIAGNOSIS, iri)]
            found = self._including(lists, iri)
            if found:
                lst, entry = found
                return [*lines, *self.listing(lst, entry, iri), self.definition(m.code_in[lst]),
                        f"{name(m, m.code_in[lst])} ⊑ {name(m, table_class)}"]
            for ancestor in self.codes.ancestors(iri):
                found = self._including(lists, ancestor)
                if found:
                    lst, entry = found
                    steps = [Fact(f"{name(m, a)} skos:broader {name(m, b)}", a, BROADER, b)
                             for a, b in itertools.pairwise(self._path(iri, ancestor))]
                    return [*lines, *steps,
                            "skos:broader ⊑ skos:broaderTransitive; skos:broaderTransitive is transitive",
                            *self.listing(lst, entry, ancestor),
                            self.definition(m.code_in[lst]), self.definition(m.under[lst]),
                            f"{name(m, m.under[lst])} ⊑ {name(m, table_class)}"]
        return [f"∃diagnosis.{name(m, table_class)}"]

    def _path(self, start: str, goal: str) -> list[str]:
        """A skos:broader path from a code up to one of its ancestors (breadth-first)."""
        paths = {start: [start]}
        todo = [start]
        while todo:
            c = todo.pop(0)
            if c == goal:
                return paths[c]
            for parent in sorted(self.codes.parents.get(c, ())):
                if parent not in paths:
                    paths[parent] = [*paths[c], parent]
                    todo.append(parent)
        return [start, goal]

    def default_rule(self, decision: Decision, pattern: Pattern, req: ServiceRequest, day: date) -> list[str]:
        m = self.model
        policy = m.facts.policies[decision.policy or ""]
        lines = [*self.procedure_listed([policy.iri], pattern, req), self.definition(m.in_effect[policy.iri]),
                 self.day_fact(pattern, day),
                 "closed world: no Applies class of the policy was inferred, so none of its statements applies"]
        for (t, _), cls in sorted(m.applies.items()):
            if t not in policy.tables:
                continue
            missing = unmet(m, self.result, pattern, self.codes, cls)
            why = ", ".join(render(m, p) for p in missing) or "not inferred"
            lines.append(f"not {name(m, cls)}: unmet {why}{self._values(missing, req)}")
        for s in decision.statements:
            st = m.facts.statements[s]
            lines.append(f"default rule {name(m, s)} (pkg:DefaultRule, determination {st.determination})")
        return lines

    @staticmethod
    def _values(missing: list[Expr], req: ServiceRequest) -> str:
        shown = []
        for p in missing:
            if isinstance(p, Named) and "Population" in p.iri:
                shown.append(f"ageMonths {_fmt(req.age_months) or 'unknown'}")
            if isinstance(p, Value) and p.prop == SETTING:
                shown.append(f"setting {req.setting or 'none given'}")
            if isinstance(p, Some) and p.prop == DIAGNOSIS:
                shown.append(f"diagnoses {', '.join(req.icd)}")
        return f" ({'; '.join(shown)})" if shown else ""


def day_number_text(day: date) -> str:
    return f"{day.toordinal()} ({day.isoformat()})"
