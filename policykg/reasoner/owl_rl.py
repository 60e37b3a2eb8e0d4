"""The reasoning model within the OWL 2 RL profile, as RDF triples for RL engines (reasonable, owlrl).

OWL 2 RL allows an existential restriction (∃p.C, ∃p.{a}) and intersections only on the left of a subclass
axiom, and no datatype restrictions. So each definition C ≡ E becomes its sufficient half E ⊑ C, which is
all classification needs; classes defined by an age or date bound are left out and asserted per request
instead (abox.asserted_bounds). The property axioms used are RL ones: inverseOf, subPropertyOf,
TransitiveProperty.
"""

from __future__ import annotations

from rdflib import RDF, RDFS, BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL

from .model import (
    BROADER,
    BROADER_TRANSITIVE,
    ENTRY_OF,
    HAS_ENTRY,
    INCLUDED_IN,
    INCLUDES_CODE,
    And,
    DataRange,
    Expr,
    Named,
    ReasoningModel,
    Some,
    Value,
)


def _has_data_range(e: Expr) -> bool:
    if isinstance(e, DataRange):
        return True
    if isinstance(e, And):
        return any(_has_data_range(p) for p in e.parts)
    if isinstance(e, Some):
        return _has_data_range(e.filler)
    return False


def _node(g: Graph, e: Expr) -> URIRef | BNode:
    if isinstance(e, Named):
        return URIRef(e.iri)
    node = BNode()
    if isinstance(e, And):
        g.add((node, RDF.type, OWL.Class))
        items = BNode()
        Collection(g, items, [_node(g, p) for p in e.parts])
        g.add((node, OWL.intersectionOf, items))
        return node
    g.add((node, RDF.type, OWL.Restriction))
    if isinstance(e, Some):
        g.add((node, OWL.onProperty, URIRef(e.prop)))
        g.add((node, OWL.someValuesFrom, _node(g, e.filler)))
        return node
    if isinstance(e, Value):
        g.add((node, OWL.onProperty, URIRef(e.prop)))
        g.add((node, OWL.hasValue, URIRef(e.individual)))
        return node
    raise TypeError(f"not an OWL 2 RL subclass expression: {e!r}")


def rl_tbox(model: ReasoningModel) -> Graph:
    """The model's axioms in OWL 2 RL (sufficient conditions), without the datatype-defined classes."""
    g = Graph()
    g.add((URIRef(INCLUDED_IN), OWL.inverseOf, URIRef(INCLUDES_CODE)))
    g.add((URIRef(ENTRY_OF), OWL.inverseOf, URIRef(HAS_ENTRY)))
    g.add((URIRef(BROADER), RDFS.subPropertyOf, URIRef(BROADER_TRANSITIVE)))
    g.add((URIRef(BROADER_TRANSITIVE), RDF.type, OWL.TransitiveProperty))
    for iri in model.classes:
        g.add((URIRef(iri), RDF.type, OWL.Class))
    for axiom in model.axioms:
        if axiom.kind == "subclass":
            g.add((URIRef(axiom.cls), RDFS.subClassOf, _node(g, axiom.expr)))
        elif not _has_data_range(axiom.expr):
            g.add((_node(g, axiom.expr), RDFS.subClassOf, URIRef(axiom.cls)))
    return g
