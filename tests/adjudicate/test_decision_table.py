"""The decision table: compiled by named queries, cached next to the build, and answering as the SPARQL engine does."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from policykg.queries import registry

from policykg import decision_table
from policykg.adjudicate import adjudicate_file, raise_on_rejected
from policykg.adjudicate_engines import SparqlEngine, TableEngine
from policykg.errors import DataError

TODAY = date(2025, 1, 15)


def test_table_queries_are_named_queries() -> None:
    names = [n for n in decision_table.QUERIES if n.startswith("decision-table-")]
    assert len(names) == 7
    library = registry()
    for name in names:
        assert library[name].summary.startswith("Decision table:")
        assert library[name].params == ()  # whole-graph queries: nothing to bind


def test_table_is_cached_next_to_the_build(store, table, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = Path(store.info.build) / decision_table.CACHE_NAME
    assert path.is_file()
    cached = json.loads(path.read_text(encoding="utf-8"))
    assert cached["build"] == Path(store.info.build).name
    assert cached["queries"] == decision_table.queries_digest()
    assert oct(path.stat().st_mode & 0o777) == "0o644"

    def no_compile(_store: Any) -> dict[str, Any]:
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(decision_table, "compile_table", no_compile)
    assert decision_table.load_table(store) == table


def _elsewhere(store: Any, build: Path) -> Any:
    """The session store's graph, seen as if its build directory were `build`."""
    return SimpleNamespace(info=SimpleNamespace(build=build), query=store.query, ox=store.ox, dataset=store.dataset)


def test_stale_or_damaged_cache_is_recompiled(store, table, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "build"
    target.mkdir()
    cache = target / decision_table.CACHE_NAME
    for stale in ('{"format": 1, "queries": "an older text"}', "{not json"):
        cache.write_text(stale, encoding="utf-8")
        fresh = decision_table.load_table(_elsewhere(store, target))
        assert {k: v for k, v in fresh.items() if k != "build"} == {k: v for k, v in table.items() if k != "build"}
        assert json.loads(cache.read_text(encoding="utf-8"))["queries"] == decision_table.queries_digest()


def test_unwritable_cache_is_tolerated(store, table, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "missing" / "build"  # a directory that does not exist: nothing can be written there
    fresh = decision_table.load_table(_elsewhere(store, target))
    assert fresh["codes"] == table["codes"]


def test_table_holds_graph_facts(table) -> None:  # type: ignore[no-untyped-def]
    codes = table["codes"]["billable"].split() + table["codes"]["not_billable"].split()
    assert 70_000 < len(codes) < 101_000
    assert table["epochs"] and table["procedures"] and table["rules"] and table["listed"]
    for by_policy in table["rules"].values():
        for rules in by_policy.values():
            for rule in rules:
                assert rule["statement"].startswith("https://") and rule["determination"]
                assert all(b[0] == "decimal" for b in (*rule["below"], *rule["at_least"]))


def test_random_claim_files_agree(store, table, claims_module, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A generated claim file (the benchmark's mix, with malformed lines) gives the same result file on both."""
    pools = claims_module.code_pools(table, seed=3)
    source = claims_module.write_claims(tmp_path / "claims.csv", 1500, pools, seed=11)
    outputs = {}
    for engine in (TableEngine(store), SparqlEngine(store)):
        out = tmp_path / f"{engine.name}.csv"
        summary = adjudicate_file(engine, source, out, today=TODAY, chunk=400, memory=300)
        assert summary.lines == 1500
        outputs[engine.name] = out.read_text(encoding="utf-8")
    assert outputs["table"] == outputs["sparql"]
    assert outputs["table"].count("\n") == 1501
    determinations = {line.split(",")[1] for line in outputs["table"].splitlines()[1:]}
    assert {"medically_necessary", "not_medically_necessary", "not_addressed", "no_policy_in_effect"} <= determinations


def test_summary_and_exit_status(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "c.csv"
    source.write_text("claim_id,cpt,icd,age\na,76800,Q05.4,3m\nb,76800,Q05.4,3q\n", encoding="utf-8")
    summary = adjudicate_file(TableEngine(store), source, tmp_path / "r.csv", today=TODAY)
    assert (summary.lines, summary.rejected, summary.asked) == (2, 1, 1)
    assert summary.determinations == {"medically_necessary": 1, "error": 1}
    assert "2 line(s) with the table engine" in summary.line()
    with pytest.raises(DataError, match="1 of 2 line"):
        raise_on_rejected(summary)
