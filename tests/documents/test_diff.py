"""`policykg diff`: versions given as IRIs (store) or files (parsed, not ingested), as text and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from samples import NEXT, SHIPPED

from policykg.cli import main
from policykg.diff import diff


def _changes(result: Any, *levels: str) -> list[tuple[str, str, str, str | None, str | None]]:
    return [(c.level, c.kind, c.what, c.old, c.new) for c in result.changes if c.level in levels]


def test_shipped_against_the_next_version_in_the_store(ingest_store: Any) -> None:
    result = diff(SHIPPED, NEXT, ingest_store.root)
    assert _changes(result, "policy") == [
        ("policy", "changed", "effective date", "2024-09-15", "2025-01-15"),
        ("policy", "changed", "next review date", "2025-09-15", "2026-01-15")]
    assert _changes(result, "statement", "criterion") == []
    assert _changes(result, "code") == [
        ("code", "removed", "diagnosis entry Q76.49", "Other congenital malformations of spine, not associated with "
         "scoliosis", None),
        ("code", "removed", "diagnosis codes (expanded)", "Q76.49", None)]


def test_a_file_compares_like_its_ingested_version(ingest_store: Any, documents: dict[str, Path]) -> None:
    from_store = diff(SHIPPED, NEXT, ingest_store.root)
    from_file = diff(SHIPPED, str(documents["cpg038-2025"]), ingest_store.root)
    assert from_file.changes == from_store.changes
    assert from_file.new.origin == str(documents["cpg038-2025"])


def test_two_files_statement_criterion_and_citation_changes(tmp_path: Path, policy_text: str) -> None:
    edited = (policy_text
              .replace("(i.e., <2 \nyears of age)", "(i.e., <3 \nyears of age)")
              .replace("• guidance for lumbar puncture \n", "• ultrasound guidance for lumbar puncture in neonates \n")
              .replace("• post-operative assessment for cord retethering \n", "")
              .replace(" (Tsui, et al., 2010)", "")
              .replace("Not Medically Necessary  \n", "Spinal elastography is considered medically necessary for "
                       "evaluation of tethered cord.\n\nNot Medically Necessary  \n"))
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text(policy_text, encoding="utf-8")
    new.write_text(edited, encoding="utf-8")
    result = diff(str(old), str(new))
    assert _changes(result, "policy", "code") == []
    assert _changes(result, "statement") == [
        ("statement", "added", "statement", None, "Spinal elastography for evaluation of tethered cord"),
        ("statement", "changed", "population", "< 24 months", "< 36 months"),
        ("statement", "reworded", "statement text",
         "Spinal and/or paraspinal ultrasound is considered medically necessary in newborns and infants (i.e., <2 "
         "\nyears of age) for ANY of the following indications:",
         "Spinal and/or paraspinal ultrasound is considered medically necessary in newborns and infants (i.e., <3 "
         "\nyears of age) for ANY of the following indications:")]
    assert _changes(result, "criterion") == [
        ("criterion", "removed", "indication", "post-operative assessment for cord retethering", None),
        ("criterion", "reworded", "indication", "guidance for lumbar puncture",
         "ultrasound guidance for lumbar puncture in neonates")]
    removed = [c for c in result.changes if c.level == "citation" and c.kind == "removed"]
    assert [(c.what, c.old) for c in removed] == [("cited work", "Tsui et al. 2010")]
    assert diff(str(old), str(old)).changes == []


def test_cli_text_and_json(capsys: Any, ingest_store: Any) -> None:
    code = main(["diff", "--store", str(ingest_store.root), SHIPPED, NEXT])
    text = capsys.readouterr().out
    assert code == 0 and "removed diagnosis entry Q76.49" in text and text.startswith("old: CPG 038 Spinal Ultrasound")
    code = main(["diff", "--store", str(ingest_store.root), SHIPPED, NEXT, "-f", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["counts"]["code"] == {"removed": 2} and data["new"]["policy"] == NEXT
    assert data["old"]["effectiveDate"] == "2024-09-15"


@pytest.mark.parametrize(("args", "fragment"), [
    (["/no/such/file.txt", SHIPPED], "no such file"),
    (["https://w3id.org/policykg/id/nothing/policy", SHIPPED], "is not a policy version"),
])
def test_cli_bad_input(capsys: Any, ingest_store: Any, args: list[str], fragment: str) -> None:
    code = main(["diff", "--store", str(ingest_store.root), *args])
    out, err = capsys.readouterr()
    assert code == 3 and out == "" and fragment in err and len(err.strip().splitlines()) == 1


def test_cli_other_layout(capsys: Any, ingest_store: Any, documents: dict[str, Path]) -> None:
    code = main(["diff", "--store", str(ingest_store.root), SHIPPED, str(documents["other"])])
    err = capsys.readouterr().err
    assert code == 3 and "not a coverage-policy document; not found:" in err and len(err.strip().splitlines()) == 1
