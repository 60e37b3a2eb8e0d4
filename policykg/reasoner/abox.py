"""Requests as OWL individuals, one per distinct request pattern.

A determination depends only on the procedure, the diagnosis codes, the setting, and on which side of each
bound of the policies the age and the date of service fall (model.data_ranges). Requests that agree on all
of these form one pattern; each pattern is classified once, by one individual, whatever the number of
claim lines that share it. The diagnosis codes come with their ancestors (skos:broader, from the
ICD-10-CM graph of the store) so that the reasoner, not a query, finds listed ancestors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import OWL, XSD

from ..request import ServiceRequest
from .model import AGE, BROADER, DAY, DIAGNOSIS, PROCEDURE, REQUEST, SETTING, ReasoningModel, day_number

REQUEST_BASE = "https://w3id.org/policykg/reasoning/request/"
UNLISTED_PROCEDURE_BASE = "https://w3id.org/policykg/reasoning/procedure/"
CHUNK = 500

CODES_QUERY = """
SELECT ?notation ?code ?title ?billable
WHERE {
  ?code a pkg:ICD10CMCode ; skos:notation ?notation ; skos:prefLabel ?title ; skos:inScheme ?release .
  OPTIONAL { ?code pkg:billable ?billable }
}
"""
EDGES_QUERY = """
SELECT DISTINCT ?child ?parent
WHERE {
  ?code skos:broader* ?child .
  ?child skos:broader ?parent .
}
"""


@dataclass
class CodeFragment:
    """The requested ICD-10-CM codes that exist, with their titles, billable flags and ancestor edges."""

    iri: dict[str, str] = field(default_factory=dict)  # notation -> IRI
    title: dict[str, str] = field(default_factory=dict)
    billable: dict[str, bool] = field(default_factory=dict)
    parents: dict[str, set[str]] = field(default_factory=dict)  # IRI -> parent IRIs

    def ancestors(self, iri: str) -> list[str]:
        """Ancestors nearest first (breadth-first), without the code itself."""
        out: list[str] = []
        todo = [iri]
        while todo:
            nxt: list[str] = []
            for c in todo:
                for p in sorted(self.parents.get(c, ())):
                    if p not in out:
                        out.append(p)
                        nxt.append(p)
            todo = nxt
        return out


def values_block(var: str, terms: list[Any]) -> str:
    """A VALUES block of RDF terms (n3 of typed rdflib terms: bound, never pasted user text)."""
    return f"VALUES ?{var} {{ {' '.join(t.n3() for t in terms)} }}"


def bind_values(query: str, values: str) -> str:
    """The query with a VALUES block at the top of its WHERE clause."""
    head, body = query.split("WHERE {", 1)
    return f"{head}WHERE {{\n  {values}\n{body}"


def lookup_codes(store: Any, notations: set[str]) -> CodeFragment:
    """Look the codes up in the store (typed terms in a VALUES block, never pasted text), chunk by chunk."""
    frag = CodeFragment()
    ordered = sorted(notations)
    for i in range(0, len(ordered), CHUNK):
        chunk = [Literal(n, datatype=XSD.string) for n in ordered[i:i + CHUNK]]
        for row in store.query(bind_values(CODES_QUERY, values_block("notation", chunk))):
            n = str(row[0])
            frag.iri[n] = str(row[1])
            frag.title[n] = str(row[2])
            frag.billable[n] = bool(row[3].toPython()) if row[3] is not None else True
    iris = sorted(frag.iri.values())
    for i in range(0, len(iris), CHUNK):
        chunk_iris = [URIRef(x) for x in iris[i:i + CHUNK]]
        for row in store.query(bind_values(EDGES_QUERY, values_block("code", chunk_iris))):
            frag.parents.setdefault(str(row[0]), set()).add(str(row[1]))
    return frag


@dataclass(frozen=True)
class PatternKey:
    cpt: str
    icd: tuple[str, ...]
    setting: str | None
    sides: tuple[bool, ...]  # for each datatype bound of the model: does the request meet it?


@dataclass
class Pattern:
    """One distinct request pattern and the individual that stands for it."""

    key: PatternKey
    request: ServiceRequest  # the first request of the pattern: its age and date are the ones asserted
    day: date
    iri: str


def bound_values(req: ServiceRequest, day: date) -> dict[str, Decimal | None]:
    return {AGE: req.age_months, DAY: Decimal(day_number(day))}


def pattern_key(model: ReasoningModel, req: ServiceRequest, day: date) -> PatternKey:
    values = bound_values(req, day)
    sides = tuple(dr.holds(values.get(dr.prop)) for _, dr in model.data_ranges())
    return PatternKey(req.cpt, tuple(req.icd), req.setting, sides)


def procedure_iri(model: ReasoningModel, cpt: str) -> str:
    return model.facts.procedures.get(cpt) or UNLISTED_PROCEDURE_BASE + cpt


def abox_graph(model: ReasoningModel, patterns: list[Pattern], codes: CodeFragment) -> Graph:
    """The pattern individuals with their procedure, diagnoses, age, day and setting, and the code ancestry."""
    g = Graph()
    for p in patterns:
        r = URIRef(p.iri)
        req = p.request
        g.add((r, RDF.type, OWL.NamedIndividual))
        g.add((r, RDF.type, URIRef(REQUEST)))
        proc = URIRef(procedure_iri(model, req.cpt))
        g.add((r, URIRef(PROCEDURE), proc))
        g.add((proc, RDF.type, OWL.NamedIndividual))
        for code in req.icd:
            g.add((r, URIRef(DIAGNOSIS), URIRef(codes.iri[code])))
        if req.age_months is not None:
            g.add((r, URIRef(AGE), Literal(Decimal(req.age_months), datatype=XSD.decimal)))
        g.add((r, URIRef(DAY), Literal(day_number(p.day), datatype=XSD.integer)))
        if req.setting is not None:
            g.add((r, URIRef(SETTING), URIRef(model.facts.settings[req.setting])))
    seen: set[str] = set()
    todo = [codes.iri[c] for p in patterns for c in p.request.icd]
    while todo:
        c = todo.pop()
        if c in seen:
            continue
        seen.add(c)
        g.add((URIRef(c), RDF.type, OWL.NamedIndividual))
        for parent in codes.parents.get(c, ()):
            g.add((URIRef(c), URIRef(BROADER), URIRef(parent)))
            todo.append(parent)
    return g


def asserted_bounds(model: ReasoningModel, patterns: list[Pattern]) -> Graph:
    """For RL engines only: membership of the classes defined by datatype facets, computed here.

    OWL 2 RL has no datatype restrictions, and RL engines silently skip them; so the classes defined by an
    age or date bound are asserted for each request whose value meets the bound. HermiT never sees these.
    """
    g = Graph()
    for p in patterns:
        values = bound_values(p.request, p.day)
        for cls, dr in model.data_ranges():
            if dr.holds(values.get(dr.prop)):
                g.add((URIRef(p.iri), RDF.type, URIRef(cls)))
    return g
