"""Explanations are justifications: the facts they name, with the class definitions alone (no other
policy facts), make HermiT infer the deciding class; without one of them it does not."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rdflib import RDF, Graph, URIRef

from policykg.reasoner.classify import Classifier
from policykg.reasoner.engines import ontology_ntriples, run_hermit
from policykg.reasoner.explain import Fact
from policykg.reasoner.model import AGE, DIAGNOSIS, REQUEST, SETTING
from policykg.request import make_request


def _justify(store, classifier, req, drop: str | None = None):  # type: ignore[no-untyped-def]
    item = classifier.classify([req]).results[0]
    facts = [line for line in item.explanation if isinstance(line, Fact)]
    assert facts, item.explanation
    subject = next(f.triple[0] for f in facts if str(f.triple[1]) in (AGE, DIAGNOSIS, SETTING))
    g = Graph()
    g.add((subject, RDF.type, URIRef(REQUEST)))
    for f in facts:
        if drop is None or str(f.triple[1]) != drop:
            g.add(f.triple)
    bare = replace(classifier.model, facts=replace(classifier.model.facts, graph=Graph()))  # definitions only
    result = run_hermit(bare, ontology_ntriples(store), [g], timeout=120)
    return item.decision, result.of(str(subject))


@pytest.mark.parametrize(("req", "dropped"), [
    (("76800", ["Q05.4"], "3m", None), AGE),
    (("76800", ["M54.50", "G95.0"], "30m", "intraoperative"), SETTING),
    (("62270", ["M54.50"], "20m", None), AGE),
])
def test_explanation_facts_suffice_and_are_needed(store, hermit_classifier, req, dropped) -> None:  # type: ignore[no-untyped-def]
    cpt, icd, age, setting = req
    request = make_request(cpt, icd, age=age, setting=setting, service_date="2025-01-10")
    decision, types = _justify(store, hermit_classifier, request)
    assert decision.classes and set(decision.classes) <= types
    _, without = _justify(store, hermit_classifier, request, drop=dropped)
    assert not set(decision.classes) & without


def test_explanation_through_an_ancestor(synthetic_store) -> None:  # type: ignore[no-untyped-def]
    classifier = Classifier(synthetic_store, engine="hermit")
    request = make_request("99990", ["G96.00"], age="5y", service_date="2025-08-01")
    decision, types = _justify(synthetic_store, classifier, request)
    item = classifier.classify([request]).results[0]
    text = " ; ".join(item.explanation)
    assert "icd:G96.00 skos:broader icd:G96.0" in text and "icd:G96.0 skos:broader icd:G96" in text
    assert decision.determination == "medically_necessary" and set(decision.classes) <= types


def test_default_rule_explanation_names_the_closed_world_and_what_failed(rl_classifier) -> None:  # type: ignore[no-untyped-def]
    item = rl_classifier.classify([make_request("76800", ["Q05.4"], age="30m", service_date="2025-01-10")]).results[0]
    assert item.decision.closed_world and item.decision.determination == "not_medically_necessary"
    text = " ; ".join(item.explanation)
    assert "closed world: no Applies class of the policy was inferred" in text
    assert "unmet Population(population-under-2-years) (ageMonths 30)" in text
    assert "default rule statement-other-indications" in text
