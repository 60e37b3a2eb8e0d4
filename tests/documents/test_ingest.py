"""Ingesting into a store: a new version, the same version as the shipped graph, re-ingest, dry run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rdflib import URIRef
from samples import NEXT, NOW, SHIPPED

from policykg.sparql import run_named, term_value


def test_next_version_is_a_new_version_of_the_shipped_series(ingest_store: Any) -> None:
    r = ingest_store.next_report
    assert (r.mode, r.policy, r.revision_of, r.written) == ("new-version", NEXT, SHIPPED, True)
    assert r.series == "https://w3id.org/policykg/id/cigna/cpg038"
    assert r.graph_file == "policy-cigna-cpg038-2025-01-15"
    assert (ingest_store.root / "ingested" / "policy-cigna-cpg038-2025-01-15.nq").is_file()
    assert r.counts["diagnosis_entries"] == 34 and r.counts["diagnosis_codes"] == 52
    # the series, the CPT codes and the publishers are described by the shipped graph: not restated
    assert "https://w3id.org/policykg/cpt/76800" in r.kept_existing
    assert "https://w3id.org/policykg/id/cigna/cpg038" in r.kept_existing


def test_versions_of_the_series(ingested: Any) -> None:
    rows = [{k: term_value(v) for k, v in r.items()} for r in run_named(ingested, "policy-versions")]
    assert [(r["policy"], r["effectiveDate"], r.get("revisionOf")) for r in rows] == [
        (SHIPPED, "2024-09-15", None), (NEXT, "2025-01-15", SHIPPED)]
    for day, policy in (("2024-09-15", SHIPPED), ("2025-01-14", SHIPPED), ("2025-01-15", NEXT)):
        in_effect = run_named(ingested, "policy-in-effect", {"service_date": day})
        assert [term_value(r["policy"]) for r in in_effect] == [policy], day


def test_same_version_becomes_a_source_of_the_shipped_version(ingest_store: Any, ingested: Any) -> None:
    r = ingest_store.same_report
    assert (r.mode, r.existing_version, r.policy) == ("source-of-existing-version", SHIPPED, SHIPPED)
    assert r.triples_added == 11 and r.counts["statements"] == 3  # extracted, compared, not added as a version
    levels = {c["level"] for c in r.comparison}
    assert levels == {"citation"}  # statements, criteria and codes agree with the curated graph
    rows = list(ingested.query("SELECT ?v ?sha WHERE { ?v prov:wasDerivedFrom ?doc . ?doc dcterms:identifier ?sha }",
                               {"v": URIRef(SHIPPED)}))
    assert [str(row[1]) for row in rows] == [
        "sha256:2111266ff7c2a89c485366a99c5eaaf0c1a8c649c698986e79c15a3812a057fb"]
    versions = ingested.query('SELECT ?p WHERE { ?p a pkg:CoveragePolicy ; pkg:effectiveDate "2024-09-15"^^xsd:date }')
    assert [str(row[0]) for row in versions] == [SHIPPED]  # one version on that date: checks stay unambiguous


def test_ingested_statement_provenance_in_the_store(ingested: Any, documents: dict[str, Path]) -> None:
    text = documents["cpg038-2025"].read_text(encoding="utf-8")
    statement = NEXT.removesuffix("policy") + "statement-3"
    (row,) = run_named(ingested, "statement-detail", {"statement": statement})
    r = {k: term_value(v) for k, v in row.items()}
    assert r["determination"] == "not_medically_necessary" and r["section"] == "GUIDELINES > Not Medically Necessary"
    assert text[r["start"]:r["end"]] == r["quote"] and r["quote"].startswith("Diagnostic ultrasound of the spine")
    evidence = run_named(ingested, "evidence-for-statement", {"statement": statement})
    assert len(evidence) == 15 and {term_value(e["stance"]) for e in evidence} == {"supports", "background"}


def test_dry_run_writes_nothing(ingest_store: Any, documents: dict[str, Path]) -> None:
    from policykg.ingest import ingest

    folder = ingest_store.root / "ingested"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    current = (ingest_store.root / "current").resolve()
    report = ingest(documents["cpg038-2025"], ingest_store.root, dry_run=True, now=NOW)
    assert report.mode == "replaces-ingested-version" and not report.written
    assert report.triples_added == ingest_store.next_report.triples_added
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert (ingest_store.root / "current").resolve() == current


def test_reingest_replaces_and_other_layout_adds_nothing(tmp_path: Path, ingest_store: Any,
                                                         documents: dict[str, Path]) -> None:
    """On a copy of the store: re-ingesting a version replaces its file; a refused document changes nothing."""
    import shutil

    import pytest
    from policykg.loaders.policy_errors import EmptyDocument, NotAPolicyDocument

    from policykg.ingest import ingest

    root = tmp_path / "store"
    shutil.copytree(ingest_store.root, root, symlinks=True)
    files = sorted(p.name for p in (root / "ingested").iterdir())
    assert files == ["policy-cigna-cpg038-2024-09-15.nq", "policy-cigna-cpg038-2025-01-15.nq"]
    again = ingest(documents["cpg038-2025"], root, now=NOW + dt.timedelta(days=1))
    assert again.mode == "replaces-ingested-version" and again.revision_of == SHIPPED
    assert sorted(p.name for p in (root / "ingested").iterdir()) == files
    current = (root / "current").resolve()
    with pytest.raises(NotAPolicyDocument, match="not found: a title line with a policy number"):
        ingest(documents["other"], root)
    with pytest.raises(EmptyDocument):
        ingest(documents["empty"], root)
    assert sorted(p.name for p in (root / "ingested").iterdir()) == files
    assert (root / "current").resolve() == current
