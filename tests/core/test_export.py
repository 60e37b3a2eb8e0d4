"""Export in every format; TriG keeps the named graphs; the RDF/XML opens in owlready2."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, Graph

from policykg.cli import main

POLICY_GRAPH = "https://w3id.org/policykg/graph/cigna/cpg038/2024-09-15"
ONTOLOGY_GRAPH = "https://w3id.org/policykg/graph/ontology"


@pytest.mark.parametrize("fmt,rdflib_format", [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"),
                                               ("xml", "xml")])
def test_triple_formats_round_trip(store_dir: Path, tmp_path: Path, fmt: str, rdflib_format: str) -> None:
    out = tmp_path / f"g.{fmt}"
    assert main(["export", "--store", str(store_dir), "-f", fmt, "-o", str(out), "--graph", POLICY_GRAPH,
                 "--graph", ONTOLOGY_GRAPH]) == 0
    g = Graph().parse(out, format=rdflib_format)
    assert 2000 < len(g) < 10_000
    assert list(tmp_path.glob(".*")) == []  # no temporary file left behind


def test_trig_keeps_named_graphs(store_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.trig"
    assert main(["export", "--store", str(store_dir), "-f", "trig", "-o", str(out), "--graph", POLICY_GRAPH,
                 "--graph", POLICY_GRAPH + "/curated"]) == 0
    ds = Dataset().parse(out, format="trig")
    names = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert {POLICY_GRAPH, POLICY_GRAPH + "/curated"} <= names


def test_whole_graph_export(store_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "all.nt"
    assert main(["export", "--store", str(store_dir), "-f", "nt", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    with open(out, "rb") as fh:
        assert sum(1 for _ in fh) > 600_000


def test_rdf_xml_opens_in_owlready2(store_dir: Path, tmp_path: Path) -> None:
    import owlready2

    out = tmp_path / "policykg.owl"
    assert main(["export", "--store", str(store_dir), "-f", "xml", "-o", str(out), "--graph", ONTOLOGY_GRAPH,
                 "--graph", POLICY_GRAPH]) == 0
    world = owlready2.World()
    onto = world.get_ontology(out.as_uri()).load()
    stmt_class = world.search_one(iri="https://w3id.org/policykg/ns#CoverageStatement")
    assert stmt_class is not None
    assert len(list(stmt_class.instances())) == 3
    assert onto is not None


def test_bad_export_targets(store_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["export", "--store", str(store_dir), "-f", "nt", "-o", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main(["export", "--store", str(store_dir), "-f", "nt", "-o", str(tmp_path / "no" / "x.nt")]) == 2
    assert main(["export", "--store", str(store_dir), "-f", "nt", "-o", str(tmp_path / "x.nt"), "--graph",
                 "http://nope"]) == 2
