"""`policykg adjudicate` through the entry point: one result per line, rejected lines, exit statuses, engines."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from policykg.cli import main

CLAIMS = """claim_id,cpt,icd,age,birth_date,service_date,setting
c1,76800,Q05.4,3m,,2024-10-01,
c2,76800,Q76.0,3y,,2024-10-01,
c3,76800,Q06.5,3m,,2024-10-01,
c4,76800,C72.0,40y,,2024-10-01,intraoperative
c5,7680,Q05.4,3m,,,
c6,76800,Q05.4,3m,,2024-01-01,
c7,76800,Q054;G95.0,,2023-01-10,2024-11-02,
c8,62270,Q05,3m,,2024-10-01
c9,99999,Q05.4,3m,,2024-10-01,
c10,76800,Q05.4,3m,,2024-10-01,
"""


def cli(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def claims(tmp_path: Path) -> Path:
    path = tmp_path / "claims.csv"
    path.write_text(CLAIMS, encoding="utf-8")
    return path


def test_one_result_per_line_and_rejected_lines(capsys, store_dir: Path, claims: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out_path = tmp_path / "results.csv"
    code, out, err = cli(capsys, "adjudicate", str(claims), "-o", str(out_path), "--store", str(store_dir),
                         "--today", "2025-01-15")
    assert code == 3  # DataError: some lines were rejected, after the results were written
    rows = list(csv.DictReader(out_path.open(encoding="utf-8")))
    assert [r["claim_id"] for r in rows] == ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "", "c9", "c10"]
    by_id = {r["claim_id"]: r for r in rows}
    assert by_id["c1"]["determination"] == "medically_necessary"
    assert by_id["c1"]["statement"].endswith("statement-infant")
    assert by_id["c2"]["determination"] == "not_medically_necessary"
    assert "resembles listed entry" in by_id["c2"]["warnings"]
    assert by_id["c4"]["statement"].endswith("statement-intraoperative")
    assert by_id["c6"]["determination"] == "no_policy_in_effect"
    assert by_id["c7"]["determination"] == "medically_necessary"
    assert by_id["c9"]["determination"] == "not_addressed"
    assert by_id["c10"] == {**by_id["c1"], "claim_id": "c10"}
    errors = [r for r in rows if r["determination"] == "error"]
    assert [e["reason"].split(":")[0] for e in errors] == ["line 4", "line 6", "line 9"]
    assert "unknown ICD-10-CM code Q06.5" in errors[0]["reason"]
    lines = err.strip().splitlines()
    assert lines[:3] == ["policykg: line 4: unknown ICD-10-CM code Q06.5: it is not in the loaded ICD-10-CM release",
                         "policykg: line 6: malformed CPT/HCPCS code '7680': expected five characters such as 76800, "
                         "0001F or G0101",
                         "policykg: line 9: 6 fields, the header has 7"]
    assert lines[3].startswith("adjudicated 10 line(s) with the table engine")
    assert lines[-1].startswith("policykg: error: 3 of 10 line(s) rejected")
    assert "Traceback" not in err and "\x1b[" not in err  # no traceback; no progress bar when not a terminal
    assert out == ""


def test_engines_agree_and_jsonl_output(capsys, store_dir: Path, claims: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outputs = {}
    for engine in ("table", "sparql"):
        path = tmp_path / f"{engine}.jsonl"
        code, _, _ = cli(capsys, "adjudicate", str(claims), "-o", str(path), "--engine", engine,
                         "--store", str(store_dir), "--today", "2025-01-15")
        assert code == 3
        outputs[engine] = path.read_text(encoding="utf-8")
    assert outputs["table"] == outputs["sparql"]
    first = json.loads(outputs["table"].splitlines()[0])
    assert set(first) == {"claim_id", "determination", "statement", "reason", "warnings"}
    assert isinstance(first["warnings"], list)


def test_clean_file_exits_zero_to_stdout(capsys, store_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ok.jsonl"
    path.write_text('{"claim_id": "a", "cpt": "76800", "icd": ["Q05.4"], "age": "3m", "service_date": "2024-10-01"}\n'
                    '{"claim_id": "b", "cpt": "76800", "icd": "M54.50", "age": "2y"}\n', encoding="utf-8")
    code, out, err = cli(capsys, "adjudicate", str(path), "--store", str(store_dir), "--today", "2025-01-15")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["determination"] for r in rows] == ["medically_necessary", "not_medically_necessary"]
    assert rows[1]["warnings"][0] == "no service date given: used the policy versions in effect on 2025-01-15"
    assert "0 rejected" in err


@pytest.mark.parametrize("args,status,fragment", [
    (["missing.csv"], 2, "does not exist"),
    (["{claims}", "--today", "2025-13-01"], 2, "--today"),
    (["{claims}", "-o", "out.txt"], 2, "unknown request file type"),
    (["{claims}", "--engine", "magic"], 2, "magic"),
])
def test_bad_arguments_are_one_line(capsys, store_dir: Path, claims: Path, tmp_path: Path, args: list[str],  # type: ignore[no-untyped-def]
                                    status: int, fragment: str) -> None:
    argv = [a.replace("{claims}", str(claims)) for a in args]
    argv = [str(tmp_path / a) if a in ("missing.csv", "out.txt") else a for a in argv]
    code, _, err = cli(capsys, "adjudicate", *argv, "--store", str(store_dir))
    assert code == status
    assert fragment in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unreadable_header_is_a_data_error(capsys, store_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text("id,code\n1,2\n", encoding="utf-8")
    code, _, err = cli(capsys, "adjudicate", str(path), "-o", str(tmp_path / "r.csv"), "--store", str(store_dir))
    assert code == 3
    assert "lacks column(s) cpt, icd" in err
    assert not (tmp_path / "r.csv").exists()  # no half-written result file


def test_reasoner_engine_answers_every_line(capsys, store_dir: Path, claims: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The reasoner path (policykg.reasoner.classify): one result per line, the same lines rejected."""
    path = tmp_path / "r.csv"
    code, _, err = cli(capsys, "adjudicate", str(claims), "-o", str(path), "--engine", "reasoner", "--reasoner", "rl",
                       "--store", str(store_dir), "--today", "2025-01-15")
    assert code == 3, err
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 10
    by_id = {r["claim_id"]: r["determination"] for r in rows}
    assert (by_id["c1"], by_id["c3"], by_id["c9"]) == ("medically_necessary", "error", "not_addressed")
    assert "with the reasoner engine" in err
