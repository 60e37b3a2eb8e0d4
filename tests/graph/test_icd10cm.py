"""The ICD-10-CM graph: the complete CMS tabular release as SKOS."""

from __future__ import annotations

from policykg.sparql import run_named


def _count(store, where: str) -> int:  # type: ignore[no-untyped-def]
    r = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    return int(next(iter(r))[0])


def test_release_size_and_kinds(store) -> None:  # type: ignore[no-untyped-def]
    chapters = _count(store, "?c a pkg:ICD10CMChapter")
    blocks = _count(store, "?c a pkg:ICD10CMBlock")
    codes = _count(store, "?c a pkg:ICD10CMCode")
    assert chapters == 22
    assert 250 < blocks < 350
    assert 95_000 < chapters + blocks + codes < 101_000
    billable = _count(store, "?c pkg:billable true")
    assert 70_000 < billable < codes


def test_hierarchy_has_no_loops_and_blocks_have_own_iris(store) -> None:  # type: ignore[no-untyped-def]
    # B10 is both a block and a category name: they must be distinct nodes
    rows = list(store.query('SELECT ?x ?t WHERE { ?x skos:notation "B10" ; a ?t }'))
    kinds = {str(t).rsplit("#", 1)[-1] for _, t in rows}
    assert {"ICD10CMBlock", "ICD10CMCode"} <= kinds
    assert _count(store, "?x skos:broader+ ?x") == 0


def test_code_info_and_path_to_chapter(store) -> None:  # type: ignore[no-untyped-def]
    rows = run_named(store, "code-info", {"icd": "Q05.4"})
    assert str(rows[0]["title"]) == "Unspecified spina bifida with hydrocephalus"
    assert rows[0]["billable"].toPython() is True
    assert str(rows[0]["parentNotation"]) == "Q05"
    chain = [str(r[0]) for r in store.query(
        'SELECT ?n WHERE { ?c skos:notation "Q05.4" ; skos:broader+ ?a . ?a skos:notation ?n }')]
    assert set(chain) == {"Q05", "Q00-Q07", "17"}


def test_release_is_recorded(store) -> None:  # type: ignore[no-untyped-def]
    rows = list(store.query("SELECT ?r ?d ?src WHERE { ?r a pkg:CodeSystemRelease ; pkg:releaseDate ?d ; "
                            "dcterms:source ?src }"))
    assert len(rows) == 1
    assert str(rows[0][1]) == "2026-04-01"
    assert "icd10c-tabular-April-1-2026.xml" in str(rows[0][2])
