"""The policy's criteria as OWL classes, written once as engine-neutral expressions.

For each code table T of a policy P and each (non-default) statement S that T refers to, one defined class:

    Applies(T,S) ≡ ServiceRequest ⊓ InEffect(P) ⊓ ∃procedure.TableProcedure(T)
                   [⊓ ∃diagnosis.TableDiagnosis(T)]      when T has a diagnosis list
                   [⊓ Population(pop)]                   for each population of S (age bounds)
                   [⊓ ∃setting.{X}]                      for each setting S requires
    InEffect(P)    ≡ ServiceRequest ⊓ ∃serviceDay.integer[≥ effective day, < next version's day]
    Population(p)  ≡ ServiceRequest ⊓ ∃ageMonths.decimal[≥ at least, < below]
    CodeIn(L)      ≡ ∃includedIn.(∃entryOf.{L})          a code some entry of list L includes
    Under(L)       ≡ ∃broaderTransitive.CodeIn(L)        a code below such a code (skos:broader, transitive)
    CodeIn(L) ⊑ TableDiagnosis(T);  Under(L) ⊑ TableDiagnosis(T)        for each diagnosis list L of T
    CodeIn(L) ⊑ TableProcedure(T);  CodeIn(L) ⊑ ListedProcedure(P)    for each procedure list L of T, of P
    AddressedBy(P) ≡ ServiceRequest ⊓ ∃procedure.ListedProcedure(P)
    Applies(T,S) ⊑ Meets(S);  Applies(T,S) ⊑ Outcome(determination of T)

This is the semantics of queries/coverage-evaluate.rq (a table's diagnosis list matches a code or any of its
ancestors; every age bound and required setting must hold; unknown age or setting meets none). Unions are
written as several subclass axioms rather than one equivalence, which keeps the ontology Horn (fast for
HermiT) and its sufficient conditions inside OWL 2 RL. Default rules are not classes: they need the closed-world step
(closed_world.py). owl_dl.py writes these axioms for HermiT, owl_rl.py for the RL engines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .policy_facts import PolicyFacts, Population

R = "https://w3id.org/policykg/reasoning#"
PKG_NS = "https://w3id.org/policykg/ns#"
SKOS_NS = "http://www.w3.org/2004/02/skos/core#"

REQUEST = R + "ServiceRequest"
PROCEDURE = R + "procedure"
DIAGNOSIS = R + "diagnosis"
SETTING = R + "setting"
AGE = R + "ageMonths"
DAY = R + "serviceDay"
INCLUDED_IN = R + "includedIn"  # owl:inverseOf pkg:includesCode
ENTRY_OF = R + "entryOf"  # owl:inverseOf pkg:hasEntry
DERIVED_FROM = R + "derivedFrom"  # annotation: the policy individual a class stands for
INCLUDES_CODE = PKG_NS + "includesCode"
HAS_ENTRY = PKG_NS + "hasEntry"
BROADER = SKOS_NS + "broader"
BROADER_TRANSITIVE = SKOS_NS + "broaderTransitive"


@dataclass(frozen=True)
class Named:
    iri: str


@dataclass(frozen=True)
class And:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Some:
    prop: str
    filler: Expr


@dataclass(frozen=True)
class Value:
    prop: str
    individual: str


@dataclass(frozen=True)
class DataRange:
    """∃prop.datatype[≥ min_inclusive, < max_exclusive]: what RL engines cannot evaluate."""

    prop: str
    datatype: str  # "decimal" or "integer"
    min_inclusive: Decimal | None
    max_exclusive: Decimal | None

    def holds(self, value: Decimal | None) -> bool:
        if value is None:
            return False
        if self.min_inclusive is not None and value < self.min_inclusive:
            return False
        return not (self.max_exclusive is not None and value >= self.max_exclusive)


Expr = Named | And | Some | Value | DataRange


@dataclass(frozen=True)
class Axiom:
    """kind 'equivalent': cls ≡ expr; 'subclass': cls ⊑ expr (a Named class)."""

    kind: str
    cls: str
    expr: Expr


@dataclass(frozen=True)
class ClassInfo:
    iri: str
    kind: str
    label: str
    source: str | None = None  # the policy individual (statement, table, list, population, policy)


@dataclass
class ReasoningModel:
    facts: PolicyFacts
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    axioms: list[Axiom] = field(default_factory=list)
    applies: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, statement) -> class
    meets: dict[str, str] = field(default_factory=dict)  # statement -> class
    in_effect: dict[str, str] = field(default_factory=dict)  # policy -> class
    addressed_by: dict[str, str] = field(default_factory=dict)  # policy -> class
    listed_procedure: dict[str, str] = field(default_factory=dict)  # policy -> class of the codes it lists
    population: dict[str, str] = field(default_factory=dict)  # population -> class
    code_in: dict[str, str] = field(default_factory=dict)  # list -> class
    under: dict[str, str] = field(default_factory=dict)  # list -> class of codes below its codes
    table_procedure: dict[str, str] = field(default_factory=dict)
    table_diagnosis: dict[str, str] = field(default_factory=dict)
    outcome: dict[str, str] = field(default_factory=dict)  # determination notation -> class

    def definition(self, cls: str) -> Axiom | None:
        return next((a for a in self.axioms if a.kind == "equivalent" and a.cls == cls), None)

    def data_ranges(self) -> list[tuple[str, DataRange]]:
        """(class, range) for each class defined by a datatype restriction: the bounds of every request."""
        out = []
        for a in self.axioms:
            if a.kind == "equivalent" and isinstance(a.expr, And):
                out.extend((a.cls, p) for p in a.expr.parts if isinstance(p, DataRange))
        return out


def slug(iri: str) -> str:
    """A readable, stable local name for a class derived from a policy individual."""
    tail = iri.split("/id/", 1)[-1] if "/id/" in iri else iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", tail).strip("-")


def day_number(day: date) -> int:
    """A date as the integer HermiT can compare (proleptic Gregorian ordinal; HermiT has no xsd:date)."""
    return day.toordinal()


def build_model(facts: PolicyFacts) -> ReasoningModel:
    """All classes and axioms for the policies in `facts`."""
    return _Builder(facts).build()


class _Builder:
    def __init__(self, facts: PolicyFacts) -> None:
        self.m = ReasoningModel(facts)
        self.request = Named(REQUEST)

    def cls(self, kind: str, source: str, label: str, name: str | None = None) -> str:
        iri = R + kind + "-" + (name or slug(source))
        self.m.classes[iri] = ClassInfo(iri, kind, label, source)
        return iri

    def build(self) -> ReasoningModel:
        m, facts = self.m, self.m.facts
        m.classes[REQUEST] = ClassInfo(REQUEST, "ServiceRequest", "service request")
        for lst in sorted(facts.lists):
            m.code_in[lst] = c = self.cls("CodeIn", lst, f"code included by an entry of {slug(lst)}")
            m.axioms.append(Axiom("equivalent", c, Some(INCLUDED_IN, Value(ENTRY_OF, lst))))
        for p in sorted(facts.policies.values(), key=lambda x: x.iri):
            window = f"from {p.effective}" + (f" until {p.until}" if p.until else "")
            m.in_effect[p.iri] = c = self.cls("InEffect", p.iri, f"date of service within {p.identifier} {window}")
            until = Decimal(day_number(p.until)) if p.until else None
            days = DataRange(DAY, "integer", Decimal(day_number(p.effective)), until)
            m.axioms.append(Axiom("equivalent", c, And((self.request, days))))
            m.listed_procedure[p.iri] = listed = self.cls("ListedProcedure", p.iri,
                                                          f"procedure code listed by {p.identifier}")
            m.addressed_by[p.iri] = c = self.cls("AddressedBy", p.iri, f"request for a procedure {p.identifier} lists")
            m.axioms.append(Axiom("equivalent", c, And((self.request, Some(PROCEDURE, Named(listed))))))
            for lst in p.procedure_lists:
                m.axioms.append(Axiom("subclass", m.code_in[lst], Named(listed)))
            for t_iri in p.tables:
                self.table(p.iri, t_iri)
        return m

    def table(self, policy: str, table: str) -> None:
        m = self.m
        t = m.facts.tables[table]
        m.table_procedure[table] = tp = self.cls("TableProcedure", table, f"procedure code of table '{t.label}'")
        for lst in t.procedure_lists:
            m.axioms.append(Axiom("subclass", m.code_in[lst], Named(tp)))
        if t.diagnosis_lists:
            m.table_diagnosis[table] = td = self.cls(
                "TableDiagnosis", table, f"diagnosis code listed by table '{t.label}', or a descendant of one")
            for lst in t.diagnosis_lists:
                m.axioms.append(Axiom("subclass", m.code_in[lst], Named(td)))
                m.axioms.append(Axiom("subclass", self.under(lst), Named(td)))
        if t.determination not in m.outcome:
            m.outcome[t.determination] = self.cls(
                "Outcome", t.determination_iri, f"request found {t.determination.replace('_', ' ')}")
        for statement in t.statements:
            self.applies(policy, table, statement)

    def under(self, lst: str) -> str:
        """Under(L) ≡ ∃broaderTransitive.CodeIn(L): a code below a code the list includes."""
        m = self.m
        if lst not in m.under:
            m.under[lst] = c = self.cls("Under", lst, f"code below a code included by {slug(lst)}")
            m.axioms.append(Axiom("equivalent", c, Some(BROADER_TRANSITIVE, Named(m.code_in[lst]))))
        return m.under[lst]

    def population(self, pop: Population) -> str:
        m = self.m
        if pop.iri not in m.population:
            bounds = ([f"≥ {pop.at_least:g}"] if pop.at_least is not None else []) + \
                     ([f"< {pop.below:g}"] if pop.below is not None else [])
            label = f"age in months {' and '.join(bounds) or 'any'}"
            m.population[pop.iri] = c = self.cls("Population", pop.iri, label)
            expr: Expr = And((self.request, DataRange(AGE, "decimal", pop.at_least, pop.below))) if bounds \
                else self.request
            m.axioms.append(Axiom("equivalent", c, expr))
        return m.population[pop.iri]

    def applies(self, policy: str, table: str, statement: str) -> None:
        m = self.m
        s, t = m.facts.statements[statement], m.facts.tables[table]
        parts: list[Expr] = [self.request, Named(m.in_effect[policy]), Some(PROCEDURE, Named(m.table_procedure[table]))]
        if table in m.table_diagnosis:
            parts.append(Some(DIAGNOSIS, Named(m.table_diagnosis[table])))
        parts.extend(Named(self.population(pop)) for pop in s.populations)
        parts.extend(Value(SETTING, setting) for setting in s.settings)
        if statement not in m.meets:
            m.meets[statement] = self.cls("Meets", statement, f"meets '{s.label}'")
        c = self.cls("Applies", statement, f"table '{t.label}' with the criteria of '{s.label}'",
                     name=f"{slug(table)}--{slug(statement.rsplit('/', 1)[-1])}")
        m.applies[(table, statement)] = c
        m.axioms.append(Axiom("equivalent", c, And(tuple(parts))))
        m.axioms.append(Axiom("subclass", c, Named(m.meets[statement])))
        m.axioms.append(Axiom("subclass", c, Named(m.outcome[t.determination])))
