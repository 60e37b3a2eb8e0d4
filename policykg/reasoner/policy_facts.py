"""The policy facts the reasoner needs, read from the store: versions, code tables, lists, statements, bounds.

One CONSTRUCT pulls the part of every policy graph that decides coverage (not the evidence, anchors or
the ICD-10-CM release), and `read_policies` turns it into plain records. The same triples are handed to
the reasoners as facts, so the classes refer to the policy's own individuals (lists, entries, settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from ..namespaces import PKG

FACTS_QUERY = """
CONSTRUCT { ?s ?p ?o }
WHERE {
  VALUES ?p { rdf:type rdfs:label skos:notation pkg:order pkg:effectiveDate dcterms:isVersionOf
              dcterms:identifier pkg:hasCodeTable pkg:hasStatement pkg:procedureCodeList
              pkg:diagnosisCodeList pkg:determination pkg:appliesToStatement pkg:hasEntry
              pkg:includesCode pkg:hasPopulation pkg:ageBelowMonths pkg:ageAtLeastMonths
              pkg:requiresSetting pkg:otherThan }
  { ?s a pkg:CoveragePolicy . ?s ?p ?o }
  UNION { ?policy pkg:hasCodeTable|pkg:hasStatement ?s . ?s ?p ?o }
  UNION { ?table pkg:procedureCodeList|pkg:diagnosisCodeList ?s . ?s ?p ?o }
  UNION { ?table pkg:procedureCodeList|pkg:diagnosisCodeList ?list . ?list pkg:hasEntry ?s . ?s ?p ?o }
  UNION { ?statement pkg:hasPopulation ?s . ?s ?p ?o }
  UNION { ?s a pkg:Setting . ?s ?p ?o }
  UNION { ?s a pkg:Determination . ?s ?p ?o }
}
"""  # each branch binds ?s before ?s ?p ?o: one join over all triples would scan the ICD-10-CM graph


PROCEDURES_QUERY = """
SELECT DISTINCT ?code ?notation
WHERE {
  ?table pkg:procedureCodeList/pkg:hasEntry/pkg:includesCode ?code .
  ?code a pkg:ProcedureCode ; skos:notation ?notation ; skos:prefLabel ?label .  # typed as procedure-info.rq wants
}
"""


@dataclass(frozen=True)
class Population:
    iri: str
    below: Decimal | None  # exclusive upper bound in months
    at_least: Decimal | None  # inclusive lower bound in months


@dataclass(frozen=True)
class Statement:
    iri: str
    label: str
    order: int
    determination: str  # notation, e.g. medically_necessary
    is_default: bool
    populations: tuple[Population, ...]
    settings: tuple[str, ...]  # required setting IRIs


@dataclass(frozen=True)
class Table:
    iri: str
    policy: str
    label: str
    order: int
    determination: str
    determination_iri: str
    procedure_lists: tuple[str, ...]
    diagnosis_lists: tuple[str, ...]
    statements: tuple[str, ...]  # non-default statements whose criteria the table refers to


@dataclass(frozen=True)
class Policy:
    iri: str
    identifier: str
    effective: date
    until: date | None  # the next version of the series takes effect on this day
    tables: tuple[str, ...]
    defaults: tuple[str, ...]  # default-rule statements ('ANY other indication'), in IRI order
    procedure_lists: tuple[str, ...]  # of all its tables: a procedure on one of them is addressed by the policy


@dataclass
class PolicyFacts:
    """Everything the classes are built from, plus the triples themselves."""

    graph: Graph
    policies: dict[str, Policy]
    tables: dict[str, Table]
    statements: dict[str, Statement]
    settings: dict[str, str]  # notation -> IRI
    determination_labels: dict[str, str]  # notation -> label
    lists: dict[str, dict[str, tuple[str | None, tuple[str, ...]]]]  # list -> entry -> (notation, codes)
    procedures: dict[str, str]  # notation -> IRI of the procedure codes the tables list


def _one(g: Graph, s: Any, p: Any) -> Any:
    return next(iter(g.objects(s, p)), None)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def read_facts(store: Any) -> PolicyFacts:
    """Run the facts CONSTRUCT on the store and read the policies out of it."""
    graph = Graph()
    for triple in store.query(FACTS_QUERY):
        graph.add(triple)
    facts = read_policies(graph)
    facts.procedures = {str(row[1]): str(row[0]) for row in store.query(PROCEDURES_QUERY)}
    return facts


def read_policies(g: Graph) -> PolicyFacts:
    """Policies, tables and statements from a facts graph (procedures are looked up by read_facts)."""
    notation = {s: str(o) for s, o in g.subject_objects(SKOS.notation)}
    statements: dict[str, Statement] = {}
    for s in set(g.subjects(RDF.type, PKG.CoverageStatement)):
        pops = []
        for pop in sorted(g.objects(s, PKG.hasPopulation)):
            pops.append(Population(str(pop), _decimal(_one(g, pop, PKG.ageBelowMonths)),
                                   _decimal(_one(g, pop, PKG.ageAtLeastMonths))))
        det = _one(g, s, PKG.determination)
        is_default = (s, RDF.type, PKG.DefaultRule) in g
        if _one(g, s, RDFS.label) is None or det not in notation or (_one(g, s, PKG.order) is None and not is_default):
            continue  # the coverage queries need a label, a determination notation and (but defaults) an order
        statements[str(s)] = Statement(
            str(s), _text(_one(g, s, RDFS.label)), int(_one(g, s, PKG.order) or 0),
            notation[det], is_default, tuple(pops),
            tuple(sorted(str(x) for x in g.objects(s, PKG.requiresSetting))))
    tables: dict[str, Table] = {}
    policies: dict[str, Policy] = {}
    versions: list[tuple[str, str | None, date]] = []
    for p in set(g.subjects(RDF.type, PKG.CoveragePolicy)):
        eff = _one(g, p, PKG.effectiveDate)
        if not isinstance(eff, Literal) or not isinstance(eff.toPython(), date):
            continue  # a policy without an effective date is never in effect (as in policy-in-effect.rq)
        series = _one(g, p, DCTERMS.isVersionOf)
        versions.append((str(p), str(series) if series is not None else None, eff.toPython()))
    for iri, series, eff in versions:
        p = URIRef(iri)
        later = [d for other, s2, d in versions if other != iri and s2 is not None and s2 == series and d > eff]
        for t in set(g.objects(p, PKG.hasCodeTable)):
            det = _one(g, t, PKG.determination)
            if _one(g, t, PKG.order) is None or det not in notation:
                continue  # as in coverage-evaluate.rq: a table needs an order and a determination notation
            tables[str(t)] = Table(
                str(t), iri, _text(_one(g, t, RDFS.label)), int(_one(g, t, PKG.order) or 0),
                notation.get(det, _text(det)), _text(det),
                tuple(sorted(str(x) for x in g.objects(t, PKG.procedureCodeList))),
                tuple(sorted(str(x) for x in g.objects(t, PKG.diagnosisCodeList))),
                tuple(sorted(str(x) for x in g.objects(t, PKG.appliesToStatement)
                             if str(x) in statements and not statements[str(x)].is_default)))
        defaults = tuple(sorted(str(s) for s in g.objects(p, PKG.hasStatement)
                                if str(s) in statements and statements[str(s)].is_default))
        proc_lists = tuple(sorted({str(x) for t in g.objects(p, PKG.hasCodeTable)
                                   for x in g.objects(t, PKG.procedureCodeList)}))
        policies[iri] = Policy(iri, _text(_one(g, p, DCTERMS.identifier)), eff, min(later, default=None),
                               tuple(sorted(str(t) for t in g.objects(p, PKG.hasCodeTable) if str(t) in tables)),
                               defaults, proc_lists)
    lists: dict[str, dict[str, tuple[str | None, tuple[str, ...]]]] = {}
    used = {x for t in tables.values() for x in (*t.procedure_lists, *t.diagnosis_lists)}
    used |= {x for p in policies.values() for x in p.procedure_lists}
    for lst in used:
        lists[lst] = {str(e): (notation.get(e), tuple(sorted(str(c) for c in g.objects(e, PKG.includesCode))))
                      for e in g.objects(URIRef(lst), PKG.hasEntry)}
    settings = {str(o): str(s) for s in g.subjects(RDF.type, PKG.Setting) for o in g.objects(s, SKOS.notation)}
    det_labels = {str(o): _text(_one(g, s, RDFS.label))
                  for s in g.subjects(RDF.type, PKG.Determination) for o in g.objects(s, SKOS.notation)}
    return PolicyFacts(g, policies, tables, statements, settings, det_labels, lists, {})
