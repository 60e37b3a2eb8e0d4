"""The shared CPG 038 text mapped to RDF: exact counts and provenance on every fact (no store needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import PROV, SKOS

from policykg.ingest import count
from policykg.namespaces import CITO, OA, PKG

BASE = "https://w3id.org/policykg/id/ingested/cigna/cpg038/2024-09-15/"


def test_exact_counts(cpg038_mapped: Any) -> None:
    c = count(cpg038_mapped.graph)
    assert {k: c[k] for k in c if k != "triples"} == {
        "statements": 3, "default_rules": 1, "indications": 11, "quantitative_criteria": 2, "code_tables": 3,
        "code_lists": 4, "procedure_codes": 3, "diagnosis_entries": 35, "diagnosis_codes": 53, "all_other_codes": 1,
        "works": 31, "citations": 33, "anchors": 132,
    }


def test_findings_are_reported_not_dropped(cpg038_mapped: Any) -> None:
    kinds = sorted(f.kind for f in cpg038_mapped.findings)
    assert kinds == ["parser", "range-holes"]
    holes = next(f for f in cpg038_mapped.findings if f.kind == "range-holes")
    assert holes.subject == "Q06.0-Q06.9" and "Q06.5, Q06.6, Q06.7" in holes.message


def test_iris_are_minted_apart_from_the_curated_graph(cpg038_mapped: Any) -> None:
    g = cpg038_mapped.graph
    ours = {str(s) for s in g.subjects() if isinstance(s, URIRef)}
    curated = "https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/"
    assert not any(s.startswith(curated) for s in ours)
    assert str(cpg038_mapped.iris.policy) == BASE + "policy"
    assert (cpg038_mapped.iris.policy, PKG.effectiveDate, None) in g
    assert g.value(cpg038_mapped.iris.policy, URIRef("http://purl.org/dc/terms/isVersionOf")) == URIRef(
        "https://w3id.org/policykg/id/cigna/cpg038")


def test_every_anchor_quotes_the_span_at_its_offsets(cpg038_mapped: Any, policy_text: str) -> None:
    g = cpg038_mapped.graph
    anchors = set(g.subjects(RDF.type, OA.SpecificResource))
    assert len(anchors) == 132
    for a in anchors:
        selectors = list(g.objects(a, OA.hasSelector))
        quote = next(str(g.value(s, OA.exact)) for s in selectors if (s, RDF.type, OA.TextQuoteSelector) in g)
        pos = next(s for s in selectors if (s, RDF.type, OA.TextPositionSelector) in g)
        start, end = int(g.value(pos, OA.start)), int(g.value(pos, OA.end))
        assert policy_text[start:end] == quote, a
        assert g.value(a, OA.hasSource) == cpg038_mapped.iris.document
        assert g.value(a, PKG.sectionPath) is not None and g.value(a, PKG.page) is not None


def test_every_fact_is_derived_from_the_document_by_the_ingest_activity(cpg038_mapped: Any) -> None:
    g, iris = cpg038_mapped.graph, cpg038_mapped.iris
    anchored = set(g.subjects(PKG.anchor, None))
    assert len(anchored) == 132 - 4  # the policy has five anchors
    for fact in anchored:
        assert (fact, PROV.wasDerivedFrom, iris.document) in g
        assert (fact, PROV.wasGeneratedBy, iris.activity) in g
    assert (iris.activity, RDF.type, PROV.Activity) in g and (iris.activity, PROV.used, iris.document) in g
    assert str(g.value(iris.activity, PROV.startedAtTime)) == "2025-02-03T04:05:06+00:00"
    assert str(g.value(iris.document, URIRef("http://purl.org/dc/terms/identifier"))) == (
        "sha256:2111266ff7c2a89c485366a99c5eaaf0c1a8c649c698986e79c15a3812a057fb")
    assert str(g.value(iris.document, RDFS.label)) == "cigna-cpg038-spinal-ultrasound.txt"


def _anchor(g: Any, subject: str) -> dict[str, Any]:
    a = g.value(URIRef(BASE + subject), PKG.anchor)
    out = {"section": str(g.value(a, PKG.sectionPath)), "page": int(g.value(a, PKG.page)),
           "estimated": bool(g.value(a, PKG.pageEstimated).toPython())}
    for s in g.objects(a, OA.hasSelector):
        if g.value(s, OA.exact) is not None:
            out["quote"] = str(g.value(s, OA.exact))
        else:
            out["start"], out["end"] = int(g.value(s, OA.start)), int(g.value(s, OA.end))
    return out


def test_provenance_spot_checks(cpg038_mapped: Any) -> None:
    g = cpg038_mapped.graph
    intra = _anchor(g, "statement-2")
    assert intra["section"] == "GUIDELINES > Medically Necessary" and intra["start"] == 2845
    assert intra["quote"].startswith("Spinal and/or paraspinal ultrasound is considered medically necessary for use")
    assert (intra["page"], intra["estimated"]) == (2, True)  # as the curated anchor: one marker, line position
    lp = _anchor(g, "statement-1/indication-6")
    assert lp["quote"] == "guidance for lumbar puncture" and (lp["start"], lp["end"]) == (2619, 2647)
    title = g.value(URIRef(BASE + "policy"), PKG.anchor)
    assert str(g.value(URIRef(f"{title}/quote"), OA.exact)) == "Spinal Ultrasound (CPG 038)"
    assert int(g.value(title, PKG.page)) == 1 and not g.value(title, PKG.pageEstimated).toPython()
    hughes = next(c for c in g.subjects(RDF.type, CITO.Citation)
                  if str(g.value(c, CITO.hasCitedEntity)).endswith("/work/hughes-2003"))
    passage = _anchor(g, str(hughes)[len(BASE):])
    assert passage["section"] == "LITERATURE REVIEW > Use in Newborns and Infants"
    assert passage["quote"].startswith("A retrospective") and "first-line screening test for OSD." in passage["quote"]


def test_inferred_facts_say_so(cpg038_mapped: Any) -> None:
    g = cpg038_mapped.graph
    notes = [str(n) for c in g.subjects(RDF.type, CITO.Citation) for n in g.objects(c, SKOS.note)]
    assert len(notes) == 33 and all(n.startswith("inferred: cited-for inferred from heading words") for n in notes)
    tables = [str(g.value(t, SKOS.note)) for t in g.subjects(RDF.type, PKG.CodeTable)]
    assert any("guidance for lumbar puncture" in n for n in tables)
    assert any("title inherited" in n for n in tables)


def test_the_nquads_file_is_canonical(cpg038_mapped: Any, tmp_path: Path) -> None:
    from policykg.ingest import to_nquads

    data = to_nquads(cpg038_mapped.graph, cpg038_mapped.iris.graph)
    lines = data.decode().splitlines()
    assert lines == sorted(lines) and len(lines) == len(cpg038_mapped.graph)
    assert all(line.endswith(f"<{cpg038_mapped.iris.graph}> .") for line in lines)
    assert "_:" not in data.decode()  # selectors are IRIs: no blank node can merge with another file's
