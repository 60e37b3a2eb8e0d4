"""The extraction of the shared CPG 038 text agrees with the shipped, curated CPG 038 graph.

Compared: statements (determination, default rule, indication labels, age bound, setting), code tables
(determination, CPT codes, diagnosis entries as printed, codes after range expansion), and the cited works
by first author or organisation and year. The statement each citation is cited for and its stance are
inferred (loaders/policy_citing.py); they are measured against the curators' choices, not required equal.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS

from policykg.ingest import icd_release
from policykg.namespaces import CITO, PKG

SHIPPED = URIRef("https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/policy")


@pytest.fixture(scope="module")
def shipped() -> Graph:
    from policykg.loaders.code_lists import expand_code_lists
    from policykg.loaders.packaged import read_policy_part

    g = Graph()
    for suffix in ("", "-evidence", "-anchors"):
        g.parse(data=read_policy_part("cigna-cpg038-2024-09-15", suffix), format="turtle")
    expand_code_lists(g, icd_release())
    return g


def _local(term: Any) -> str:
    return str(term).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _ordered(g: Graph, subject: Any, predicate: URIRef) -> list[Any]:
    return sorted(g.objects(subject, predicate), key=lambda o: int(g.value(o, PKG.order)))


def statements(g: Graph, policy: URIRef) -> list[dict[str, Any]]:
    out = []
    for s in _ordered(g, policy, PKG.hasStatement):
        pops = list(g.objects(s, PKG.hasPopulation))
        out.append({
            "determination": _local(g.value(s, PKG.determination)),
            "default": (s, RDF.type, PKG.DefaultRule) in g,
            "indications": [str(g.value(i, RDFS.label)) for i in _ordered(g, s, PKG.hasIndication)],
            "age_below": sorted(float(a) for p in pops for a in g.objects(p, PKG.ageBelowMonths)),
            "settings": sorted(_local(x) for x in g.objects(s, PKG.requiresSetting)),
            "thresholds": sorted((str(g.value(c, PKG.comparator)), float(g.value(c, PKG.quantityValue)),
                                  str(g.value(c, PKG.unit)))
                                 for i in g.objects(s, PKG.hasIndication) for c in g.objects(i, PKG.hasCriterion)),
        })
    return out


def tables(g: Graph, policy: URIRef) -> list[dict[str, Any]]:
    out = []
    for t in _ordered(g, policy, PKG.hasCodeTable):
        def entries(prop: URIRef, table: Any = t) -> list[Any]:
            return [e for lst in g.objects(table, prop) for e in g.objects(lst, PKG.hasEntry)]

        dx = entries(PKG.diagnosisCodeList)
        out.append({
            "determination": _local(g.value(t, PKG.determination)),
            "procedures": sorted(_local(c) for e in entries(PKG.procedureCodeList)
                                 for c in g.objects(e, PKG.includesCode)),
            "entries": sorted((str(g.value(e, SKOS.notation) or "All other codes"), str(g.value(e, RDFS.label)))
                              for e in dx),
            "expanded": sorted({_local(c) for e in dx for c in g.objects(e, PKG.includesCode)}),
            "statement_orders": sorted(int(g.value(s, PKG.order)) for s in g.objects(t, PKG.appliesToStatement)),
        })
    return out


def works(g: Graph) -> Counter[tuple[str, int]]:
    """Cited works by (first author or organisation, year), from the label and dcterms:issued."""
    cited = {w for w in g.objects(None, CITO.hasCitedEntity)}
    return Counter((str(g.value(w, RDFS.label)).split()[0].lower(), int(str(g.value(w, DCTERMS.issued))[:4]))
                   for w in cited)


def cited_for(g: Graph) -> dict[tuple[str, int], set[int]]:
    out: dict[tuple[str, int], set[int]] = {}
    for c in g.subjects(RDF.type, CITO.Citation):
        w = g.value(c, CITO.hasCitedEntity)
        key = (str(g.value(w, RDFS.label)).split()[0].lower(), int(str(g.value(w, DCTERMS.issued))[:4]))
        out.setdefault(key, set()).add(int(g.value(g.value(c, CITO.hasCitingEntity), PKG.order)))
    return out


def test_statements_agree(shipped: Graph, cpg038_mapped: Any) -> None:
    ours = statements(cpg038_mapped.graph, cpg038_mapped.iris.policy)
    assert ours == statements(shipped, SHIPPED)
    assert [s["determination"] for s in ours] == ["MedicallyNecessary", "MedicallyNecessary", "NotMedicallyNecessary"]
    assert ours[0]["age_below"] == [24.0] and ours[1]["settings"] == ["Intraoperative"]
    assert sum(len(s["indications"]) for s in ours) == 11


def test_code_tables_agree(shipped: Graph, cpg038_mapped: Any) -> None:
    ours = tables(cpg038_mapped.graph, cpg038_mapped.iris.policy)
    assert ours == tables(shipped, SHIPPED)
    assert [t["procedures"] for t in ours] == [["76800"], ["76800"], ["62270", "76942"]]
    assert len(ours[0]["entries"]) == 35 and len(ours[0]["expanded"]) == 53
    assert ours[1]["entries"] == [("All other codes", "All other codes")]


def test_lumbar_puncture_table_bills_its_indication(shipped: Graph, cpg038_mapped: Any) -> None:
    g = cpg038_mapped.graph
    (table,) = [t for t in g.subjects(RDF.type, PKG.CodeTable) if (t, PKG.appliesToIndication, None) in g]
    assert str(g.value(g.value(table, PKG.appliesToIndication), RDFS.label)) == "guidance for lumbar puncture"
    other = next(g.subjects(RDF.type, PKG.AllOtherCodes))
    lists = {_local(x) for x in g.objects(other, PKG.otherThan)}
    assert lists == {"icd-10-cm-codes"} and str(g.value(other, PKG.otherThan)).endswith("table-1/icd-10-cm-codes")


def test_cited_works_agree(shipped: Graph, cpg038_mapped: Any) -> None:
    ours, theirs = works(cpg038_mapped.graph), works(shipped)
    assert ours == theirs
    assert sum(ours.values()) == 31 and ours[("acr", 2021)] == 2


def test_citations_are_cited_for_a_statement_the_curators_chose(shipped: Graph, cpg038_mapped: Any) -> None:
    ours, theirs = cited_for(cpg038_mapped.graph), cited_for(shipped)
    assert set(ours) == set(theirs)
    assert all(ours[k] <= theirs[k] for k in ours), {k: (ours[k], theirs[k]) for k in ours if not ours[k] <= theirs[k]}


def test_inferred_stances_against_the_curated_ones(shipped: Graph, cpg038_mapped: Any) -> None:
    """Measured: 26 of 33 citations get the curators' stance; none gets the opposite one."""
    def stances(g: Graph) -> dict[tuple[str, int, int], set[str]]:
        out: dict[tuple[str, int, int], set[str]] = {}
        for c in g.subjects(RDF.type, CITO.Citation):
            w, s = g.value(c, CITO.hasCitedEntity), g.value(c, CITO.hasCitingEntity)
            key = (str(g.value(w, RDFS.label)).split()[0].lower(), int(str(g.value(w, DCTERMS.issued))[:4]),
                   int(g.value(s, PKG.order)))
            out.setdefault(key, set()).add(_local(g.value(c, PKG.stance)))
        return out

    ours, theirs = stances(cpg038_mapped.graph), stances(shipped)
    g = cpg038_mapped.graph
    agree = opposite = 0
    for c in g.subjects(RDF.type, CITO.Citation):
        w, s = g.value(c, CITO.hasCitedEntity), g.value(c, CITO.hasCitingEntity)
        key = (str(g.value(w, RDFS.label)).split()[0].lower(), int(str(g.value(w, DCTERMS.issued))[:4]),
               int(g.value(s, PKG.order)))
        mine, curated = _local(g.value(c, PKG.stance)), theirs.get(key, set())
        agree += mine in curated
        opposite += {mine} | curated >= {"Supports", "DoesNotSupport"} and mine not in curated
    assert len(ours) <= 33 and agree == 26 and opposite == 0
