"""`policykg validate`: the shipped graph passes; each rule fails on a graph broken for it alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from policykg.cli import main
from policykg.validate import GraphTarget, validate_graphs

PKG = Namespace("https://w3id.org/policykg/ns#")
CPG = Namespace("https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/")
ICD = Namespace("https://w3id.org/policykg/icd10cm/code/")
CPT = Namespace("https://w3id.org/policykg/cpt/")
CITO = Namespace("http://purl.org/spar/cito/")
DCTERMS = Namespace("http://purl.org/dc/terms/")



def _nquads(ds: Dataset) -> str:
    """N-Quads of a dataset's named graphs (rdflib's own writer warns about a deprecated API)."""
    out = []
    for g in ds.graphs():
        if isinstance(g.identifier, URIRef) and len(g):
            out.extend(line[:-1].rstrip() + f" <{g.identifier}> .\n"
                       for line in g.serialize(format="nt").splitlines() if line.endswith("."))
    return "".join(out)


@pytest.fixture(scope="module")
def shipped(store) -> Graph:  # type: ignore[no-untyped-def]
    """Ontology + policy graphs, plus the ICD-10-CM codes the lists include (for the code-existence query)."""
    from policykg.reasoner.consistency import policy_graphs

    g = policy_graphs(store, include_ontology=True)
    for row in store.query("""CONSTRUCT { ?c a pkg:ICD10CMCode ; skos:notation ?n ; skos:inScheme ?r }
                              WHERE { ?e pkg:includesCode ?c . ?c a pkg:ICD10CMCode ; skos:notation ?n ;
                                      skos:inScheme ?r }"""):
        g.add(row)
    return g


def _copy(g: Graph) -> Graph:
    out = Graph()
    for t in g:
        out.add(t)
    return out


def _drop(*triples: tuple) -> Callable[[Graph], None]:
    def edit(g: Graph) -> None:
        for t in triples:
            g.remove(t)
    return edit


def _add(*triples: tuple) -> Callable[[Graph], None]:
    def edit(g: Graph) -> None:
        for t in triples:
            g.add(t)
    return edit


BREAKS: dict[str, tuple[str, Callable[[Graph], None]]] = {
    "statement without determination": ("StatementShape", _drop((CPG["statement-infant"], PKG.determination, None))),
    "statement without anchor": ("StatementShape", _drop((CPG["statement-intraoperative"], PKG.anchor, None))),
    "citation without stance": ("CitationShape", _drop((CPG["citation-01"], PKG.stance, None))),
    "citation of a work without year": ("CitationShape", _drop((URIRef("https://w3id.org/policykg/id/work/hara-2001"),
                                                               DCTERMS.issued, None))),
    "indication of no statement": ("IndicationShape", _drop((None, PKG.hasIndication, CPG["indication-retethering"]))),
    "policy without effective date": ("PolicyShape", _drop((CPG.policy, PKG.effectiveDate, None))),
    "table without procedure list": ("CodeTableShape", _drop((CPG["table-lumbar-puncture-mn"], PKG.procedureCodeList,
                                                               None))),
    "age bound not a decimal": ("PopulationShape", lambda g: g.set((CPG["population-under-2-years"],
                                                                    PKG.ageBelowMonths, Literal("two years")))),
    "listed code not in the release": ("listed-code-not-in-release", _add((CPG["entry-Q42.2"], PKG.includesCode,
                                                                          ICD["Q42.9X"]))),
    "statement covered and not covered": ("statement-conflicting-determinations", _add(
        (CPG["statement-intraoperative"], PKG.determination, PKG.NotMedicallyNecessary))),
    "same codes in a covered and a not-covered table": ("request-covered-and-not-covered", _add(
        (CPG["table-x"], RDF.type, PKG.CodeTable), (CPG["table-x"], PKG.order, Literal(9)),
        (CPG["table-x"], PKG.determination, PKG.NotMedicallyNecessary),
        (CPG["table-x"], PKG.procedureCodeList, CPG["list-spinal-ultrasound-cpt"]),
        (CPG["table-x"], PKG.diagnosisCodeList, CPG["list-spinal-ultrasound-icd"]),
        (CPG["table-x"], PKG.appliesToStatement, CPG["statement-x"]),
        (CPG.policy, PKG.hasCodeTable, CPG["table-x"]),
        (CPG["statement-x"], RDF.type, PKG.CoverageStatement), (CPG["statement-x"], PKG.anchor, CPG["anchor-title"]),
        (CPG["statement-x"], URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("x")),
        (CPG["statement-x"], PKG.determination, PKG.NotMedicallyNecessary))),
    "table refers to a statement of another determination": ("table-statement-determination-mismatch", _add(
        (CPG["table-lumbar-puncture-mn"], PKG.appliesToStatement, CPG["statement-other-indications"]))),
}


# A statement with two determinations also breaks the one-determination shape, and one of the two
# differs from its table's: three rules, all rightly.
ALSO = {"statement covered and not covered": ("StatementShape", "table-statement-determination-mismatch")}


def test_shipped_graph_passes(shipped) -> None:  # type: ignore[no-untyped-def]
    report = validate_graphs(shipped, GraphTarget(shipped))
    assert report.conforms, report.render()
    assert report.shapes == 7 and report.queries == 4


def test_every_rule_has_a_broken_graph(shipped) -> None:  # type: ignore[no-untyped-def]
    """Each shape and each QC query is exercised below (so the suite cannot shrink unnoticed)."""
    report = validate_graphs(shipped, GraphTarget(shipped))
    assert {rule for rule, _ in BREAKS.values()} == {*report.rules, "StatementShape", "CitationShape",
                                                      "IndicationShape", "PolicyShape", "CodeTableShape",
                                                      "PopulationShape"}
    assert len(BREAKS) == 12


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_rule_fails_on_its_own_broken_graph(shipped, case) -> None:  # type: ignore[no-untyped-def]
    rule, edit = BREAKS[case]
    broken = _copy(shipped)
    edit(broken)
    report = validate_graphs(broken, GraphTarget(broken))
    assert {v.rule for v in report.violations} == {rule, *ALSO.get(case, ())}, report.render()
    assert rule in report.render()


def test_cli_validate_passes_on_the_shipped_store(store_dir, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(["validate", "--consistency", "--store", str(store_dir)])
    out = capsys.readouterr().out
    assert rc == 0 and out.startswith("0 violation(s)") and "consistent under HermiT" in out


def test_cli_validate_fails_with_exit_8_on_a_broken_store(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A store whose ingested graph holds an orphan indication and a statement without determination."""
    from policykg.store import ensure_store

    ds = Dataset()
    g = ds.graph(URIRef("https://w3id.org/policykg/graph/test/broken"))
    orphan = URIRef("https://w3id.org/policykg/id/test/orphan-indication")
    g.add((orphan, RDF.type, PKG.Indication))
    g.add((CPG["statement-z"], RDF.type, PKG.CoverageStatement))
    g.add((CPG["statement-z"], SKOS.notation, Literal("z")))
    (tmp_path / "ingested").mkdir()
    (tmp_path / "ingested" / "broken.nq").write_text(_nquads(ds), encoding="utf-8")
    ensure_store(tmp_path)
    rc = main(["validate", "--store", str(tmp_path)])
    captured = capsys.readouterr()
    assert rc == 8
    assert "IndicationShape" in captured.out and str(orphan) in captured.out
    assert "StatementShape" in captured.out and "statement-z" in captured.out
    assert captured.err.startswith("policykg: error: validation failed: ") and captured.err.count("\n") == 1
