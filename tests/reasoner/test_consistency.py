"""The ontology, the CPG 038 graphs and the reasoning classes are consistent under HermiT (owlready2)."""

from __future__ import annotations

import pytest
from rdflib import Graph

from policykg.reasoner.consistency import check_consistency, policy_graphs
from policykg.reasoner.hermit import InconsistentOntology


def test_shipped_graph_is_consistent(store) -> None:  # type: ignore[no-untyped-def]
    graphs = policy_graphs(store)
    assert len(graphs) > 2000  # policy + evidence + anchors + curated, not the ICD-10-CM release
    assert check_consistency(store) > 0


def test_a_contradiction_is_found(store) -> None:  # type: ignore[no-untyped-def]
    bad = Graph().parse(format="turtle", data="""
        @prefix pkg: <https://w3id.org/policykg/ns#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        pkg:MedicallyNecessary owl:differentFrom pkg:NotMedicallyNecessary .
        <https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/statement-infant>
            pkg:determination pkg:NotMedicallyNecessary .""")
    with pytest.raises(InconsistentOntology):
        check_consistency(store, extra=bad)
