"""The reasoners: HermiT (OWL 2 DL, through owlready2) and an OWL 2 RL engine; both return inferred types.

HermiT gets the full definitions and derives the age and date bounds itself. Its realisation grows faster
than linearly with the number of individuals (measured here: 100 patterns 1.9 s, 300 8.5 s, 1,000 82 s in
one run), so patterns go to HermiT in parts of HERMIT_PART, two JVMs at a time. The RL engine gets the
RL axioms with the bound classes asserted; `reasonable` (Rust) is used when installed, else owlrl (pure
Python, much slower).
`auto` picks HermiT up to HERMIT_MAX_PATTERNS distinct patterns and RL above. Only classes of the
reasoning namespace are reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rdflib import RDF, Graph, URIRef

from ..errors import UsageError
from .model import R, ReasoningModel

ENGINES = ("auto", "hermit", "rl")
HERMIT_MAX_PATTERNS = 500
HERMIT_PART = 100  # patterns per HermiT run: realisation grows faster than linearly with the ABox
HERMIT_WORKERS = 2
DEFAULT_TIMEOUT = 120.0
ONTOLOGY_GRAPH = "https://w3id.org/policykg/graph/ontology"


@dataclass
class Classification:
    """Inferred classes (reasoning namespace only) of every request and code individual."""

    engine: str
    seconds: float
    types: dict[str, set[str]] = field(default_factory=dict)
    note: str = ""

    def of(self, individual: str) -> set[str]:
        return self.types.get(individual, set())


def choose_engine(engine: str, patterns: int) -> str:
    if engine not in ENGINES:
        raise UsageError(f"unknown reasoner {engine!r}: use one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "hermit" if patterns <= HERMIT_MAX_PATTERNS else "rl"
    return engine


def ontology_ntriples(store: Any) -> bytes:
    """The policykg ontology graph of the store, as N-Triples (declarations for HermiT)."""
    import pyoxigraph as ox

    return bytes(store.ox.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(ONTOLOGY_GRAPH)))


def run_hermit(model: ReasoningModel, ontology_nt: bytes, aboxes: list[Graph], timeout: float,
               workers: int = HERMIT_WORKERS) -> Classification:
    """Classify with HermiT: the DL classes and the policy facts in an owlready2 world, each ABox part apart."""
    from .hermit import classify_parts
    from .owl_dl import DLWorld

    t0 = time.perf_counter()
    dl = DLWorld(model, ontology_nt)
    parts = [abox.serialize(format="nt", encoding="utf-8") for abox in aboxes]
    taxonomies = classify_parts(dl.world, parts, timeout, workers)
    types: dict[str, set[str]] = {}
    for abox, tax in zip(aboxes, taxonomies, strict=True):
        for s in {str(x) for x in abox.subjects(RDF.type, None)}:
            types[s] = {c for c in tax.all_types(s) if c.startswith(R)}
    note = f"HermiT, {len(parts)} run(s), {workers} at a time"
    return Classification("hermit", time.perf_counter() - t0, types, note)


def _rl_engine() -> str:
    try:
        import reasonable  # noqa: F401
    except ImportError:
        return "owlrl"
    return "reasonable"


def run_rl(model: ReasoningModel, abox: Graph, bounds: Graph) -> Classification:
    """Classify with an OWL 2 RL engine: RL axioms + facts + requests + asserted bound classes."""
    from .owl_rl import rl_tbox

    t0 = time.perf_counter()
    g = rl_tbox(model)
    for part in (model.facts.graph, abox, bounds):
        for triple in part:
            g.add(triple)
    name = _rl_engine()
    if name == "reasonable":
        import reasonable

        reasoner = reasonable.PyReasoner()
        reasoner.from_graph(g)
        triples = reasoner.reason()
    else:
        import owlrl

        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
        triples = g
    subjects = {s for s in abox.subjects(RDF.type, None)}
    types: dict[str, set[str]] = {str(s): set() for s in subjects}
    for s, p, o in triples:
        if p == RDF.type and isinstance(o, URIRef) and str(o).startswith(R) and str(s) in types:
            types[str(s)].add(str(o))
    return Classification("rl", time.perf_counter() - t0, types, name)
