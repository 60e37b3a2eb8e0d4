"""The CPG 038 graph: everything the policy says, as facts, with exact counts derived from the policy text."""

from __future__ import annotations

from policykg.sparql import run_named, term_value

POLICY = "https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/policy"
CPG = "https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/"


def test_metadata(store) -> None:  # type: ignore[no-untyped-def]
    rows = run_named(store, "policy-metadata", {"policy": POLICY})
    assert len(rows) == 1
    r = {k: term_value(v) for k, v in rows[0].items()}
    assert r["identifier"] == "CPG 038"
    assert r["title"] == "Spinal Ultrasound"
    assert r["effectiveDate"] == "2024-09-15"
    assert r["nextReviewDate"] == "2025-09-15"
    assert r["pageCount"] == 11
    assert "Cigna" in r["publishers"] and "American Specialty Health" in r["publishers"]


def test_statements_and_indications(store) -> None:  # type: ignore[no-untyped-def]
    stmts = run_named(store, "policy-statements", {"policy": POLICY})
    assert [term_value(r["determination"]) for r in stmts] == [
        "medically_necessary", "medically_necessary", "not_medically_necessary"]
    assert [bool(term_value(r["isDefault"])) for r in stmts] == [False, False, True]
    assert term_value(stmts[0]["ageBelowMonths"]) == 24
    assert term_value(stmts[1]["setting"]) == "intraoperative"
    assert all("section" in r and "page" in r for r in stmts)
    infant = run_named(store, "statement-indications", {"statement": CPG + "statement-infant"})
    assert len(infant) == 8
    labels = [term_value(r["label"]) for r in infant]
    assert labels[5] == "guidance for lumbar puncture"
    dimple = next(r for r in infant if "stigmata" in term_value(r["label"]))
    assert "> 5 mm" in term_value(dimple["criteria"])
    other = run_named(store, "statement-indications", {"statement": CPG + "statement-other-indications"})
    assert len(other) == 3
    assert sum(len(term_value(r["examples"]).split("; ")) for r in other if r.get("examples")) == 6


def test_quantitative_dimple_criterion(store) -> None:  # type: ignore[no-untyped-def]
    rows = list(store.query("SELECT ?q ?c ?v ?u WHERE { ?i pkg:hasCriterion ?x . ?x pkg:measuredQuantity ?q ; "
                            "pkg:comparator ?c ; pkg:quantityValue ?v ; pkg:unit ?u } ORDER BY ?u"))
    assert [(str(c), float(v), str(u)) for _, c, v, u in rows] == [(">", 2.5, "cm"), (">", 5.0, "mm")]


def test_codes(store) -> None:  # type: ignore[no-untyped-def]
    covered = run_named(store, "covered-diagnoses", {"policy": POLICY})
    entries = {term_value(r["entryNotation"]) for r in covered}
    codes = {term_value(r["code"]) for r in covered}
    assert len(entries) == 35
    assert len(codes) == 53  # 32 single codes + Q05.0-Q05.9 (10) + Q06.0-Q06.9 (7) + Q07.00-Q07.03 (4)
    assert {"Q06.5", "Q06.6", "Q06.7"} & codes == set()
    assert all(term_value(r["billable"]) for r in covered)
    tables = run_named(store, "code-tables", {"policy": POLICY})
    cpts = {term_value(r["label"]): term_value(r["procedureCodes"]) for r in tables}
    assert cpts["Lumbar Puncture: considered medically necessary when criteria are met"] == "62270, 76942" or \
        cpts["Lumbar Puncture: considered medically necessary when criteria are met"] == "76942, 62270"
    assert sorted(term_value(r["determination"]) for r in tables) == [
        "medically_necessary", "medically_necessary", "not_medically_necessary"]
    assert run_named(store, "list-entries-not-billable-or-unknown") == []


def test_all_other_codes_rule(store) -> None:  # type: ignore[no-untyped-def]
    rows = list(store.query("SELECT ?e ?other WHERE { ?e a pkg:AllOtherCodes ; pkg:otherThan ?other }"))
    assert len(rows) == 1
    assert str(rows[0][1]).endswith("list-spinal-ultrasound-icd")


def test_citations(store) -> None:  # type: ignore[no-untyped-def]
    works = run_named(store, "literature-timeline")
    assert len(works) == 31
    years = [term_value(r["year"]) for r in works]
    assert years == sorted(years)
    by_org = {term_value(r["acronym"]) for r in run_named(store, "citations-by-organisation")}
    assert {"ACR", "AIUM", "AAN", "ACP", "APS", "ACA", "SPR", "SRU"} <= by_org
    rows = list(store.query("SELECT ?c WHERE { ?c a cito:Citation ; pkg:stance ?s ; pkg:anchor/pkg:sectionPath ?p }"))
    assert len(rows) == 33
    infant = run_named(store, "evidence-for-statement", {"statement": CPG + "statement-infant"})
    stances = {term_value(r["label"]): term_value(r["stance"]) for r in infant}
    assert stances["Hughes et al. 2003"] == "supports"
    assert stances["Gajagowni et al. 2024"] == "does_not_support"
    acr = next(r for r in infant if term_value(r["label"]).startswith("ACR 2007"))
    assert set(term_value(acr["authors"]).split("; ")) == {
        "American College of Radiology", "American Institute of Ultrasound in Medicine",
        "Society for Pediatric Radiology", "Society of Radiologists in Ultrasound"}


def test_curated_crosswalk_is_kept_apart(store) -> None:  # type: ignore[no-untyped-def]
    rows = run_named(store, "curated-mappings", {"policy": POLICY})
    assert rows and all(str(r["graph"]).endswith("/curated") for r in rows)
    assert {term_value(r["attributedTo"]) for r in rows} == {"policykg curators"}
    gaps = {term_value(r["label"]) for r in run_named(store, "indications-without-codes")}
    assert gaps == {"post-operative assessment for cord retethering", "guidance for lumbar puncture"}
    assert run_named(store, "codes-without-indication") == []
