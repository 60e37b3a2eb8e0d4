"""The reasoner path and the SPARQL path agree on every request of a generated grid.

The grid (policykg.reasoner.grid) takes every listed code, their unlisted siblings, parents and children,
and a seeded random sample, at ages around every age bound, with and without each setting, for every
listed procedure and one unlisted, and dates around every effective date. SPARQL (Checker.check) answers
one representative request per pattern; a separate test checks, request by request on a slice of the grid,
that requests sharing a pattern get the same SPARQL answer, so the dedup cannot hide a disagreement.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from policykg.reasoner.abox import PatternKey, pattern_key
from policykg.reasoner.grid import build_grid, grid_codes


def _sparql(checker: Any, req: Any) -> tuple[str, list[str]]:
    result = checker.check(req)
    return result["determination"], [s["iri"] for s in result["statements"]]


def _keys(model: Any, grid: list[Any]) -> list[PatternKey]:
    from datetime import date

    return [pattern_key(model, r, r.service_date or date.today()) for r in grid]


def _sparql_by_pattern(checker: Any, model: Any, grid: list[Any]) -> dict[PatternKey, tuple[str, list[str]]]:
    out: dict[PatternKey, tuple[str, list[str]]] = {}
    for key, req in zip(_keys(model, grid), grid, strict=True):
        if key not in out:
            out[key] = _sparql(checker, req)
    return out


def _disagreements(run: Any, model: Any, grid: list[Any], expected: dict[PatternKey, Any]) -> list[str]:
    bad = []
    for key, req, res in zip(_keys(model, grid), grid, run.results, strict=True):
        got = (res.decision.determination, res.decision.statements)
        if got != expected[key]:
            bad.append(f"{req.to_json()}: reasoner {got}, sparql {expected[key]}")
    return bad


@pytest.fixture(scope="module")
def grid(store, rl_classifier) -> list[Any]:  # type: ignore[no-untyped-def]
    return build_grid(store, rl_classifier.model)


@pytest.fixture(scope="module")
def expected(checker, rl_classifier, grid):  # type: ignore[no-untyped-def]
    return _sparql_by_pattern(checker, rl_classifier.model, grid)


def test_grid_covers_codes_ages_settings_and_every_outcome(store, rl_classifier, grid, expected) -> None:  # type: ignore[no-untyped-def]
    codes = grid_codes(store, rl_classifier.model)
    listed_in_store = {str(r[0]) for r in store.query(
        "SELECT DISTINCT ?c WHERE { ?t pkg:diagnosisCodeList/pkg:hasEntry/pkg:includesCode ?c }")}
    assert len(codes.listed) == len(listed_in_store) == 53  # 35 entries, ranges expanded
    assert len(codes.family) >= 50 and len(codes.sample) >= 50
    assert len(grid) >= 5000
    ages = {r.age_text for r in grid}
    assert {"23m", "24m", "25m", "2y", "730d", "731d", "104w", "105w"} <= ages
    assert {r.setting for r in grid} == {None, "intraoperative"}
    outcomes = Counter(det for det, _ in expected.values())
    assert set(outcomes) == {"medically_necessary", "not_medically_necessary", "not_addressed",
                             "no_policy_in_effect"}, outcomes


def test_requests_sharing_a_pattern_get_the_same_sparql_answer(checker, rl_classifier, grid, expected) -> None:  # type: ignore[no-untyped-def]
    """The dedup is sound: per request, on every age and setting of a slice of codes and dates."""
    rng = random.Random(4)
    keys = _keys(rl_classifier.model, grid)
    chosen = {r.icd[0] for r in grid if r.cpt == "76800"}
    codes = set(rng.sample(sorted(chosen), 12)) | {"Q05.4", "G96.08"}
    checked = 0
    for key, req in zip(keys, grid, strict=True):
        if req.icd[0] in codes and len(req.icd) == 1:
            assert _sparql(checker, req) == expected[key], req.to_json()
            checked += 1
    assert checked >= 300


def test_rl_engine_agrees_with_sparql_on_the_whole_grid(rl_classifier, grid, expected) -> None:  # type: ignore[no-untyped-def]
    run = rl_classifier.classify(grid)
    assert run.engine == "rl" and run.patterns == len(expected)
    assert all(not isinstance(r, Exception) for r in run.results)
    bad = _disagreements(run, rl_classifier.model, grid, expected)
    assert not bad, f"{len(bad)} disagreement(s), first: {bad[:3]}"


def test_hermit_agrees_with_sparql_on_the_whole_grid(hermit_classifier, grid, expected) -> None:  # type: ignore[no-untyped-def]
    run = hermit_classifier.classify(grid)
    assert run.engine == "hermit" and run.patterns == len(expected)
    bad = _disagreements(run, hermit_classifier.model, grid, expected)
    assert not bad, f"{len(bad)} disagreement(s), first: {bad[:3]}"


def test_both_engines_agree_on_a_synthetic_policy(synthetic_store) -> None:  # type: ignore[no-untyped-def]
    """Category codes matched through skos:broader, lower and upper age bounds, a replaced version, an
    experimental table and a version without a default rule (tests/reasoner/conftest.py)."""
    from policykg.check import Checker
    from policykg.reasoner.classify import Classifier

    rl = Classifier(synthetic_store, engine="rl")
    grid = build_grid(synthetic_store, rl.model, sample=10, procedures=["99990", "99991"])
    expected = _sparql_by_pattern(Checker(synthetic_store), rl.model, grid)
    outcomes = Counter(det for det, _ in expected.values())
    assert {"medically_necessary", "not_medically_necessary", "not_addressed", "no_policy_in_effect",
            "experimental_investigational_unproven"} <= set(outcomes), outcomes
    descendants = [r for r in grid if r.icd[0].startswith("G96.") and r.cpt == "99990"]
    assert descendants, "the grid must hold descendants of the listed category G96"
    run = rl.classify(grid)
    assert not _disagreements(run, rl.model, grid, expected)
    assert any(res.decision.determination == "medically_necessary" for r, res in zip(grid, run.results, strict=True)
               if r in descendants)
    # HermiT on a slice: every date window, both bounds of the first version, the category's children
    hermit = Classifier(synthetic_store, engine="hermit")
    keys = _keys(rl.model, grid)
    firsts: dict[PatternKey, Any] = {}
    for key, req in zip(keys, grid, strict=True):
        firsts.setdefault(key, req)
    picked = list(firsts.values())[:: max(1, len(firsts) // 300)]
    hrun = hermit.classify(picked)
    assert not _disagreements(hrun, hermit.model, picked, expected)
