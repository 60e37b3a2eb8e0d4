"""The ontology: parses, every term of ours has a label and a definition, and the Python namespace matches."""

from __future__ import annotations

from policykg.loaders.packaged import ontology_text
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from policykg.namespaces import PKG

NS = str(PKG._NS)


def _ontology() -> Graph:
    return Graph().parse(data=ontology_text(), format="turtle")


def test_every_term_of_ours_has_label_and_definition() -> None:
    g = _ontology()
    ours = {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(NS)}
    assert len(ours) > 80
    missing = sorted(str(s) for s in ours if g.value(s, RDFS.label) is None or g.value(s, SKOS.definition) is None)
    assert missing == []


def test_python_namespace_matches_the_ontology() -> None:
    g = _ontology()
    declared = {str(s)[len(NS):] for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(NS)}
    in_python = set(PKG.__annotations__)
    assert declared == in_python


def test_closed_namespace_rejects_misspelt_terms() -> None:
    import pytest

    with pytest.raises(AttributeError):
        PKG.CoverageStatment  # noqa: B018


def test_every_property_has_an_owl_type_and_no_punning() -> None:
    g = _ontology()
    classes = set(g.subjects(RDF.type, OWL.Class))
    individuals = {s for s in g.subjects(RDF.type, OWL.NamedIndividual)}
    assert not classes & individuals
    props = {p for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
             for p in g.subjects(RDF.type, t)}
    ours_props = {p for p in props if str(p).startswith(NS)}
    assert len(ours_props) > 40
    for t1, t2 in ((OWL.ObjectProperty, OWL.DatatypeProperty), (OWL.ObjectProperty, OWL.AnnotationProperty),
                   (OWL.DatatypeProperty, OWL.AnnotationProperty)):
        assert not set(g.subjects(RDF.type, t1)) & set(g.subjects(RDF.type, t2))


def test_the_ontology_has_a_stable_iri_and_version() -> None:
    g = _ontology()
    onto = URIRef("https://w3id.org/policykg/ns")
    assert (onto, RDF.type, OWL.Ontology) in g
    assert g.value(onto, OWL.versionIRI) is not None
