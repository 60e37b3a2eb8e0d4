"""`policykg classify FILE [-o OUT]`: one result per request, in order; bad rows are error results."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from policykg.cli import main

ROWS = [
    ("c1", "76800", "Q05.4", "3m", "2025-01-10", ""),
    ("c2", "76800", "M54.50", "3m", "2025-01-10", ""),
    ("c3", "76800", "Q05.4", "30m", "2025-01-10", "intraoperative"),
    ("c4", "62270", "M54.50", "2y", "2025-01-10", ""),
    ("c5", "76800", "Q07.01", "3m", "2024-09-01", ""),
    ("c6", "72148", "Q05.4", "3m", "2025-01-10", ""),
    ("c7", "76800", "Q05.4", "3m", "2025-02-11", ""),  # same pattern as c1
]
EXPECTED = ["medically_necessary", "not_medically_necessary", "medically_necessary", "not_medically_necessary",
            "no_policy_in_effect", "not_addressed", "medically_necessary"]


def _write(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["claim_id", "cpt", "icd", "age", "service_date", "setting"])
        w.writerows(rows)
    return path


@pytest.mark.parametrize("engine", ["hermit", "rl"])
def test_classify_writes_one_result_per_request(store_dir, tmp_path, capsys, engine) -> None:  # type: ignore[no-untyped-def]
    src = _write(tmp_path / "requests.csv", ROWS)
    out = tmp_path / "results.jsonl"
    rc = main(["classify", str(src), "-o", str(out), "--reasoner", engine, "--store", str(store_dir)])
    err = capsys.readouterr().err
    assert rc == 0, err
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["claim_id"] for r in results] == [r[0] for r in ROWS]
    assert [r["determination"] for r in results] == EXPECTED
    assert results[0]["statement"].endswith("statement-infant")
    assert "Applies(table-spinal-ultrasound-mn × statement-infant)" in results[0]["reason"]
    assert "closed world" in results[1]["reason"]
    assert f"with {engine}" in err and "6 pattern(s)" in err


def test_bad_rows_become_error_results_and_exit_3(store_dir, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = _write(tmp_path / "requests.csv", [ROWS[0], ("bad1", "76800", "Q99.99", "3m", "", ""),
                                             ("bad2", "76800", "Q05.4", "3x", "", ""), ROWS[1]])
    out = tmp_path / "results.csv"
    rc = main(["classify", str(src), "-o", str(out), "--store", str(store_dir)])
    err = capsys.readouterr().err
    assert rc == 3
    assert "2 of 4 request(s) could not be classified" in err and "Traceback" not in err
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["determination"] for r in rows] == ["medically_necessary", "error", "error", "not_medically_necessary"]
    assert rows[1]["reason"] == "line 3: unknown ICD-10-CM code Q99.99: it is not in the loaded ICD-10-CM release"


def test_batches_do_not_change_results(store_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _write(tmp_path / "requests.csv", ROWS)
    one, many = tmp_path / "one.jsonl", tmp_path / "many.jsonl"
    assert main(["classify", str(src), "-o", str(one), "--reasoner", "rl", "--store", str(store_dir)]) == 0
    assert main(["classify", str(src), "-o", str(many), "--reasoner", "rl", "--batch", "2",
                 "--store", str(store_dir)]) == 0
    assert one.read_text() == many.read_text()


def test_missing_file_is_one_line(store_dir, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(["classify", str(tmp_path / "nope.csv"), "--store", str(store_dir)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "does not exist" in err


def test_timeout_exits_5_and_leaves_no_result_file(store_dir, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = _write(tmp_path / "requests.csv", ROWS)
    out = tmp_path / "results.jsonl"
    rc = main(["classify", str(src), "-o", str(out), "--reasoner", "hermit", "--timeout", "0.1",
               "--store", str(store_dir)])
    err = capsys.readouterr().err
    assert rc == 5 and "time limit" in err and err.count("\n") == 1
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["requests.csv"]
