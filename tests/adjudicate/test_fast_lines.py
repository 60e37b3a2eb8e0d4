"""The table engine's line path (policykg.adjudicate_fast) and the split between processes
(policykg.adjudicate_split) write exactly what the general path writes: same bytes, same summary.

The general path (`fast=False`) is itself compared with the SPARQL Checker in test_table_agrees.py.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from policykg import adjudicate_split
from policykg.adjudicate import adjudicate_file
from policykg.adjudicate_engines import make_engine
from policykg.errors import DataError

DAY = date(2025, 1, 15)
HEADER = ["claim_id", "cpt", "icd", "age", "birth_date", "service_date", "setting"]
# lines the generator does not write: odd spacing and case, quoting, lists with blanks and repeats, every error
ODD = [
    ["  s1 ", " 76800 ", " q05.4 ", " 3m ", "", " 2024-10-01 ", ""],
    ["s2", "76800", "Q054;Q05.4;G95.0", "3m", "", "2024-10-01", ""],
    ["s3", "76800", "Q05.4;;G95.0", "3m", "", "2024-10-01", ""],
    ["s4", "76800", "Q05.4; G95.0", "3m", "", "2024-10-01", "INTRAOPERATIVE"],
    ["s5, with a comma", "76800", "Q05.4", "3m", "", "2024-10-01", ""],
    ['s6 "quoted"', "76800", "Q05.4", "3m", "", "2024-10-01", ""],
    ["s7\nnew line", "76800", "Q05.4", "3m", "", "2024-10-01", ""],
    ["s8", "76800", "Ｑ０５.４", "３m", "", "2024-10-01", ""],
    ["s9", "76800", "Q05.4", "3m", "2024-01-01", "2024-10-01", ""],
    ["s10", "76800", "Q05.4", "", "2024-01-01", "", ""],
    ["s11", "76800", "Q05.4", "", "2024-01-01", "2024-10-01", ""],
    ["s12", "76800", "Q05.4", "", "2024-11-01", "2024-10-01", ""],
    ["s13", "76800", "Q05.4X", "3m", "", "2024-10-01", ""],
    ["s14", "76800", "Q99.99", "3m", "", "2024-10-01", ""],
    ["s15", "76800", "Q05.4", "3m", "", "2024-10-01", "bedside"],
    ["s16", "76800", "Q05.4", "3m", "", "2024-10-01", "Bad Setting!"],
    ["s17", "768", "Q05.4", "3m", "", "2024-10-01", ""],
    ["s18", "76800", "Q05.4", "1.5m", "", "2024-10-01", ""],
    ["s19", "76800", "Q05.4", "3m", "", "2024-02-30", ""],
    ["s20", "", "Q05.4", "3m", "", "", ""],
    ["s21", "76800", "   ", "3m", "", "", ""],
    ["", "", "", "", "", "", ""],
    ["s22", "76800", ";".join(["Q05.4"] * 51), "3m", "", "2024-10-01", ""],
    ["s23", "76800", "Q05.4", "45d", "", "", ""],
    ["s24", "62270", "P10.1", "23m", "", "2024-09-15", "intraoperative"],
    ["s25", "76800", "Q05.4", "  ", "2023-02-28", "2024-10-01", ""],
]


def _generated(claims_module: Any, table: dict[str, Any], lines: int, seed: int) -> list[list[str]]:
    path = Path(f"/tmp/policykg-test-claims-{seed}.csv")
    try:
        claims_module.write_claims(path, lines, claims_module.code_pools(table), seed=seed)
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.reader(fh))[1:]
    finally:
        path.unlink(missing_ok=True)


def _write_csv(path: Path, rows: list[list[str]], extra: str = "") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)
        fh.write(extra)
    return path


def _write_jsonl(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i, row in enumerate(rows):
            obj: dict[str, Any] = {k: v for k, v in zip(HEADER, row, strict=True) if v or i % 2}
            if i % 7 == 3 and obj.get("age", "").endswith("m") and obj["age"][:-1].isdigit():
                obj["icd"] = obj.get("icd", "").split(";")  # a list, as the format allows
            fh.write(json.dumps(obj, ensure_ascii=i % 3 == 0) + "\n")
        fh.write("\n{not json\n[1, 2]\n" + json.dumps({"cpt": "76800", "icd": "Q05.4", "age": 3}) + "\n")
        fh.write("[" * 5000 + "\n")  # deeper than json's recursion limit: a rejected line, not a traceback
        fh.write(json.dumps({"cpt": "76800", "icd": "Q05.4", "age": "3m", "colour": "blue"}) + "\n")
    return path


def _run(store: Any, source: Path, out: Path, **options: Any) -> tuple[bytes, Any]:
    summary = adjudicate_file(make_engine("table", store), source, out, today=DAY, **options)
    summary.seconds = 0.0
    return out.read_bytes(), summary


@pytest.fixture(scope="module")
def rows(claims_module, table) -> list[list[str]]:  # type: ignore[no-untyped-def]
    generated = _generated(claims_module, table, 4000, seed=11)
    # the odd lines twice, among the generated ones: the second time, their parts are remembered
    return generated[:1000] + ODD + generated[1000:3000] + ODD + generated[3000:]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_line_path_writes_what_the_general_path_writes(store, rows, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    source = _write_csv(tmp_path / "c.csv", rows) if fmt == "csv" else _write_jsonl(tmp_path / "c.jsonl", rows)
    general, general_summary = _run(store, source, tmp_path / f"general.{fmt}", fast=False)
    fast, fast_summary = _run(store, source, tmp_path / f"fast.{fmt}", jobs=1)
    assert fast == general
    assert general_summary.rejected >= 2 * 13  # the odd lines' 13 errors, twice (and the generator's)
    assert (fast_summary.lines, fast_summary.determinations, fast_summary.rejected, fast_summary.first_rejected) == (
        general_summary.lines, general_summary.determinations, general_summary.rejected,
        general_summary.first_rejected)
    # answers are remembered per (pick, codes, setting, age cell), not per line content: fewer computations
    assert fast_summary.asked < 0.75 * general_summary.asked


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_split_between_processes_writes_the_same_bytes(store, rows, tmp_path: Path, monkeypatch, fmt: str) -> None:  # type: ignore[no-untyped-def]
    # no double quote in a split CSV file: the odd lines with quotes and line ends are left out here
    plain = [r for r in rows if not any('"' in f or "\n" in f or "," in f for f in r)]
    source = _write_csv(tmp_path / "c.csv", plain) if fmt == "csv" else _write_jsonl(tmp_path / "c.jsonl", plain)
    one, one_summary = _run(store, source, tmp_path / f"one.{fmt}", jobs=1)
    monkeypatch.setattr(adjudicate_split, "MIN_BYTES", 1)
    ranges = adjudicate_split.plan(source, fmt, 3)
    assert ranges is not None and len(ranges.ranges) == 3
    seen: list[int] = []
    split, split_summary = _run(store, source, tmp_path / f"split.{fmt}", jobs=3, on_progress=seen.append)
    assert split == one
    assert (split_summary.lines, split_summary.determinations, split_summary.rejected) == (
        one_summary.lines, one_summary.determinations, one_summary.rejected)
    # rejected lines keep their numbers in the whole file, whichever process read them
    assert split_summary.first_rejected == one_summary.first_rejected
    assert seen[-1] == one_summary.lines
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no part or temporary file left


def test_plan_cuts_on_line_starts_and_numbers_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    body = "".join(f"c{i},76800,Q05.4,{i % 30}m,,,\n" for i in range(5000))
    path.write_text("claim_id,cpt,icd,age,birth_date,service_date,setting\n" + body, encoding="utf-8")
    data = path.read_bytes()
    split = adjudicate_split.plan(path, "csv", 4, min_bytes=1)
    assert split is not None and split.header.startswith(b"claim_id,")
    assert split.ranges[0].start == len(split.header)
    assert split.ranges[-1].end == len(data)
    for a, b in zip(split.ranges, split.ranges[1:], strict=False):
        assert a.end == b.start and data[b.start - 1:b.start] == b"\n"
    for r in split.ranges:
        assert r.first_line == data[:r.start].count(b"\n") + 1
    # a double quote anywhere: a quoted field may hold a line end, so one process reads the file
    path.write_text(path.read_text() + '"c9",76800,Q05.4,3m,,,\n', encoding="utf-8")
    assert adjudicate_split.plan(path, "csv", 4, min_bytes=1) is None
    assert adjudicate_split.plan(path, "csv", 1, min_bytes=1) is None
    assert adjudicate_split.plan(path, "csv", 4) is None  # small: not worth a process


def test_an_error_in_a_child_range_fails_the_run_and_leaves_nothing(store, rows, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    plain = [r for r in rows if not any('"' in f or "\n" in f or "," in f for f in r)]
    source = _write_csv(tmp_path / "c.csv", plain)
    source.write_bytes(source.read_bytes() + b"c-last,76800,Q05.4,3m,,,\xff\n")  # not UTF-8, in the last range
    monkeypatch.setattr(adjudicate_split, "MIN_BYTES", 1)
    out = tmp_path / "out" / "r.csv"
    out.parent.mkdir()
    with pytest.raises(DataError, match="not UTF-8"):
        adjudicate_file(make_engine("table", store), source, out, today=DAY, jobs=2)
    assert list(out.parent.iterdir()) == []  # neither the result nor a part file
