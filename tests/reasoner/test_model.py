"""The classes: full OWL 2 DL definitions for HermiT, OWL 2 RL sufficient conditions for RL engines."""

from __future__ import annotations

from datetime import date

from rdflib import Graph
from rdflib.namespace import OWL, RDFS

from policykg.reasoner import engines
from policykg.reasoner.abox import Pattern, abox_graph, asserted_bounds, lookup_codes, pattern_key
from policykg.reasoner.model import DataRange
from policykg.reasoner.owl_rl import rl_tbox
from policykg.request import make_request

DAY = date(2025, 1, 10)


def test_model_has_one_applies_class_per_table_and_statement(rl_classifier) -> None:  # type: ignore[no-untyped-def]
    model = rl_classifier.model
    assert sorted(k[1].rsplit("/", 1)[-1] for k in model.applies) == [
        "statement-infant", "statement-infant", "statement-intraoperative"]
    bounds = [dr for _, dr in model.data_ranges()]
    assert any(isinstance(dr, DataRange) and dr.max_exclusive == 24 for dr in bounds)


def test_rl_tbox_stays_in_owl2_rl(rl_classifier) -> None:  # type: ignore[no-untyped-def]
    g = rl_tbox(rl_classifier.model)
    assert not list(g.triples((None, OWL.withRestrictions, None)))  # no datatype facets
    assert not list(g.triples((None, OWL.equivalentClass, None)))  # definitions only as E ⊑ C
    assert not list(g.triples((None, OWL.unionOf, None)))
    for node in g.subjects(OWL.someValuesFrom, None):  # existentials only on the left of ⊑
        assert not list(g.triples((None, RDFS.subClassOf, node)))


def test_dl_world_keeps_full_definitions(store, rl_classifier) -> None:  # type: ignore[no-untyped-def]
    import io

    from policykg.reasoner.owl_dl import DLWorld

    dl = DLWorld(rl_classifier.model, engines.ontology_ntriples(store))
    buf = io.BytesIO()
    dl.world.save(buf, format="ntriples")
    g = Graph().parse(data=buf.getvalue(), format="nt")
    assert len(list(g.triples((None, OWL.equivalentClass, None)))) >= len(rl_classifier.model.applies) + 2
    assert list(g.triples((None, OWL.withRestrictions, None)))


def _patterns(classifier, requests):  # type: ignore[no-untyped-def]
    return [Pattern(pattern_key(classifier.model, r, DAY), r, DAY, f"https://w3id.org/policykg/reasoning/request/{i}")
            for i, r in enumerate(requests)]


def test_rl_engine_needs_the_asserted_bounds(store, rl_classifier) -> None:  # type: ignore[no-untyped-def]
    """Without the bound classes asserted first, an RL engine silently misses the age criterion."""
    model = rl_classifier.model
    req = make_request("76800", ["Q05.4"], age="3m", service_date=DAY.isoformat())
    pats = _patterns(rl_classifier, [req])
    codes = lookup_codes(store, {"Q05.4"})
    applies = model.applies[next(k for k in model.applies if k[1].endswith("statement-infant") and "spinal" in k[0])]
    with_bounds = engines.run_rl(model, abox_graph(model, pats, codes), asserted_bounds(model, pats))
    without = engines.run_rl(model, abox_graph(model, pats, codes), Graph())
    assert applies in with_bounds.of(pats[0].iri)
    assert applies not in without.of(pats[0].iri)


def test_owlrl_fallback_agrees_with_reasonable(store, rl_classifier, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model = rl_classifier.model
    reqs = [make_request("76800", [c], age=a, setting=s, service_date=DAY.isoformat())
            for c in ("Q05.4", "M54.50") for a in ("3m", "30m") for s in (None, "intraoperative")]
    pats = _patterns(rl_classifier, reqs)
    codes = lookup_codes(store, {c for r in reqs for c in r.icd})
    fast = engines.run_rl(model, abox_graph(model, pats, codes), asserted_bounds(model, pats))
    monkeypatch.setattr(engines, "_rl_engine", lambda: "owlrl")
    slow = engines.run_rl(model, abox_graph(model, pats, codes), asserted_bounds(model, pats))
    assert fast.note == "reasonable" and slow.note == "owlrl"
    assert all(fast.of(p.iri) == slow.of(p.iri) for p in pats)
    assert sum(1 for p in pats if any("Applies" in c for c in fast.of(p.iri))) == 3


def test_patterns_group_requests_by_side_of_each_bound(rl_classifier) -> None:  # type: ignore[no-untyped-def]
    model = rl_classifier.model
    keys = {a: pattern_key(model, make_request("76800", ["Q05.4"], age=a), DAY)
            for a in ("3m", "23m", "730d", "24m", "2y", "731d", "10y")}
    assert keys["3m"] == keys["23m"] == keys["730d"]
    assert keys["24m"] == keys["2y"] == keys["731d"] == keys["10y"]
    assert keys["3m"] != keys["24m"]
