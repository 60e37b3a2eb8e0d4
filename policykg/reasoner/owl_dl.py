"""The reasoning model as OWL 2 DL in an owlready2 world, for HermiT.

Every class of model.py keeps its full definition (owl:equivalentClass), age and date bounds included as
datatype restrictions (xsd:decimal / xsd:integer facets, both in HermiT's OWL 2 datatype map). The world
also holds the policykg ontology (so every pkg: property is declared with its OWL type), the policy facts
and the requests; owlready2 writes it as N-Triples for HermiT (hermit.py).
"""

from __future__ import annotations

import io
import types
from typing import Any

from rdflib import Graph

from .model import (
    AGE,
    BROADER,
    BROADER_TRANSITIVE,
    DAY,
    DERIVED_FROM,
    DIAGNOSIS,
    ENTRY_OF,
    HAS_ENTRY,
    INCLUDED_IN,
    INCLUDES_CODE,
    PROCEDURE,
    REQUEST,
    SETTING,
    And,
    DataRange,
    Expr,
    Named,
    ReasoningModel,
    Some,
    Value,
)

ONTOLOGY_IRI = "https://w3id.org/policykg/reasoning"


def _split(iri: str) -> tuple[str, str]:
    cut = max(iri.rfind("#"), iri.rfind("/")) + 1
    return iri[:cut], iri[cut:]


class DLWorld:
    """An owlready2 world with the policykg ontology, the policy facts and the model's classes."""

    def __init__(self, model: ReasoningModel, ontology_ntriples: bytes) -> None:
        import owlready2

        self.o = owlready2
        self.model = model
        self.world = owlready2.World()
        self.world.get_ontology("https://w3id.org/policykg/ns").load(
            fileobj=io.BytesIO(ontology_ntriples), format="ntriples")
        self.load_triples(model.facts.graph, "https://w3id.org/policykg/reasoning/facts")
        self.onto = self.world.get_ontology(ONTOLOGY_IRI)
        self._declare_properties()
        for info in model.classes.values():
            c = self._class(info.iri)
            c.label = [info.label]
            if info.source:
                self.derived_from[c].append(self.individual(info.source))
        for axiom in model.axioms:
            c = self._class(axiom.cls)
            if axiom.kind == "equivalent":
                c.equivalent_to.append(self.expr(axiom.expr))
            else:
                c.is_a.append(self.expr(axiom.expr))

    def load_triples(self, graph: Graph, iri: str) -> None:
        """Add an rdflib graph to the world as its own ontology (facts, requests)."""
        data = graph.serialize(format="nt", encoding="utf-8")
        self.world.get_ontology(iri).load(fileobj=io.BytesIO(data), format="ntriples")

    def _new(self, iri: str, bases: tuple[Any, ...]) -> Any:
        existing = self.world[iri]
        if existing is not None:
            return existing
        base, name = _split(iri)
        with self.onto:
            return types.new_class(name, bases, {}, lambda ns: ns.update(namespace=self.onto.get_namespace(base)))

    def _class(self, iri: str) -> Any:
        return self._new(iri, (self.o.Thing,))

    def individual(self, iri: str) -> Any:
        existing = self.world[iri]
        if existing is not None:
            return existing
        base, name = _split(iri)
        return self.o.Thing(name, namespace=self.onto.get_namespace(base))

    def _declare_properties(self) -> None:
        o = self.o
        self._new(REQUEST, (o.Thing,))
        for iri in (PROCEDURE, DIAGNOSIS, SETTING):
            self._new(iri, (o.ObjectProperty,)).domain = [self.world[REQUEST]]
        self._new(AGE, (o.DataProperty, o.FunctionalProperty)).range = [float]  # xsd:decimal
        self._new(DAY, (o.DataProperty, o.FunctionalProperty)).range = [int]  # xsd:integer
        self._new(INCLUDED_IN, (o.ObjectProperty,)).inverse_property = self.world[INCLUDES_CODE]
        self._new(ENTRY_OF, (o.ObjectProperty,)).inverse_property = self.world[HAS_ENTRY]
        transitive = self._new(BROADER_TRANSITIVE, (o.ObjectProperty, o.TransitiveProperty))
        self.world[BROADER].is_a.append(transitive)
        self.derived_from = self._new(DERIVED_FROM, (o.AnnotationProperty,))

    def expr(self, e: Expr) -> Any:
        """A model expression as an owlready2 class construct."""
        o = self.o
        if isinstance(e, Named):
            return self._class(e.iri)
        if isinstance(e, And):
            return o.And([self.expr(p) for p in e.parts])
        if isinstance(e, Some):
            return self.world[e.prop].some(self.expr(e.filler))
        if isinstance(e, Value):
            return self.world[e.prop].value(self.individual(e.individual))
        if isinstance(e, DataRange):
            py = float if e.datatype == "decimal" else int
            facets = {}
            if e.min_inclusive is not None:
                facets["min_inclusive"] = py(e.min_inclusive)
            if e.max_exclusive is not None:
                facets["max_exclusive"] = py(e.max_exclusive)
            return self.world[e.prop].some(o.ConstrainedDatatype(py, **facets))
        raise TypeError(f"not a model expression: {e!r}")
