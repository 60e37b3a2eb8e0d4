"""The ontology, the policy graphs and the reasoning classes checked for consistency under HermiT.

OWL consistency is the one check SHACL and SPARQL cannot make: that some interpretation satisfies every
axiom at once (functional properties, domains and ranges, the defined classes). The world holds the
policykg ontology, every policy and curated graph of the store (not the ICD-10-CM release) and the
reasoning model's classes, and HermiT answers whether owl:Thing is satisfiable.
"""

from __future__ import annotations

from typing import Any

from rdflib import Graph

from .engines import DEFAULT_TIMEOUT, ontology_ntriples
from .model import build_model
from .policy_facts import read_facts

ICD_GRAPH_PREFIX = "https://w3id.org/policykg/graph/icd10cm/"
ONTOLOGY_GRAPH = "https://w3id.org/policykg/graph/ontology"


def policy_graphs(store: Any, *, include_ontology: bool = False) -> Graph:
    """Every named graph of the store except the ICD-10-CM release(s), merged into one rdflib graph."""
    import pyoxigraph as ox

    g = Graph()
    for name in store.ox.named_graphs():
        iri = name.value
        if iri.startswith(ICD_GRAPH_PREFIX) or (iri == ONTOLOGY_GRAPH and not include_ontology):
            continue
        g.parse(data=store.ox.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name), format="nt")
    return g


def check_consistency(store: Any, timeout: float = DEFAULT_TIMEOUT, extra: Graph | None = None) -> float:
    """Raise InconsistentOntology (exit 3) unless ontology + policies + classes (+ extra) are consistent."""
    from .hermit import check_world_consistency
    from .owl_dl import DLWorld

    world = DLWorld(build_model(read_facts(store)), ontology_ntriples(store))
    world.load_triples(policy_graphs(store), "https://w3id.org/policykg/reasoning/policies")
    if extra is not None:
        world.load_triples(extra, "https://w3id.org/policykg/reasoning/extra")
    return check_world_consistency(world.world, timeout)
