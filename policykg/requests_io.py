"""Request files shared by `classify` and `adjudicate`, and their result files.

Input: CSV with a header row, or JSON Lines (.jsonl / .ndjson) with the same keys: claim_id, cpt, icd (one
or more ICD-10-CM codes separated by ';'), age (as in `check`), birth_date, service_date, setting (empty
where unknown). Rows are streamed: memory stays flat whatever the file size.
Output: one result per request with claim_id, determination, statement, reason, warnings, in the input's
format unless the output file's extension names another; written to a temporary file and renamed, so a
failed run never leaves a half-written result file.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .codes import split_codes
from .errors import DataError, UsageError
from .request import ServiceRequest, make_request

REQUEST_KEYS = ("claim_id", "cpt", "icd", "age", "birth_date", "service_date", "setting")
RESULT_KEYS = ("claim_id", "determination", "statement", "reason", "warnings")
MAX_LINE = 64 * 1024


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise UsageError(f"{path.name}: unknown request file type {suffix or '(none)'}: use .csv, .jsonl or .ndjson")


@dataclass
class RequestRow:
    """One line of a request file: its line number and its raw values (strings)."""

    line: int
    values: dict[str, str]

    @property
    def claim_id(self) -> str:
        return self.values.get("claim_id", "") or ""


def read_requests(path: Path) -> Iterator[RequestRow | DataError]:
    """Yield each request row, or a DataError naming the line for a row that cannot be read at all."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"request file {path} does not exist or is not a file")
    fmt = file_format(path)
    try:
        fh = open(path, encoding="utf-8", newline="")  # noqa: SIM115 (closed by the with-block below; opened first so errors are one line)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        try:
            if fmt == "csv":
                yield from _read_csv(fh, path)
            else:
                yield from _read_jsonl(fh, path)
        except UnicodeDecodeError as exc:
            raise DataError(f"{path.name}: not UTF-8 text (byte {exc.start})") from None


def _read_csv(fh: TextIO, path: Path) -> Iterator[RequestRow | DataError]:
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{path.name}: empty file (a header row is needed)") from None
    except csv.Error as exc:
        raise DataError(f"{path.name}: line 1: {exc}") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [k for k in ("cpt", "icd") if k not in header]
    if missing:
        raise DataError(f"{path.name}: the header lacks column(s) {', '.join(missing)} "
                        f"(expected {', '.join(REQUEST_KEYS)})")
    unknown = [h for h in header if h not in REQUEST_KEYS]
    if unknown:
        raise DataError(f"{path.name}: unknown column(s) {', '.join(unknown)} (expected {', '.join(REQUEST_KEYS)})")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield DataError(f"line {reader.line_num}: {exc}")
            continue
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            yield DataError(f"line {reader.line_num}: {len(row)} fields, the header has {len(header)}")
            continue
        yield RequestRow(reader.line_num, {k: v.strip() for k, v in zip(header, row, strict=True)})


def _read_jsonl(fh: TextIO, path: Path) -> Iterator[RequestRow | DataError]:
    for n, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            yield DataError(f"line {n}: longer than {MAX_LINE} characters")
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            yield DataError(f"line {n}: not JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield DataError(f"line {n}: expected a JSON object")
            continue
        unknown = [k for k in obj if k not in REQUEST_KEYS]
        if unknown:
            yield DataError(f"line {n}: unknown key(s) {', '.join(map(str, unknown))}")
            continue
        values: dict[str, str] = {}
        for k, v in obj.items():
            if v is None:
                continue
            if isinstance(v, list) and k == "icd":
                v = ";".join(str(x) for x in v)
            if isinstance(v, (dict, list, bool)):
                values = {}
                yield DataError(f"line {n}: {k} must be a string or number")
                break
            values[k] = str(v).strip()
        else:
            yield RequestRow(n, values)


def to_service_request(row: RequestRow) -> ServiceRequest:
    """A request row as a ServiceRequest (UsageError naming the field for bad values)."""
    v = row.values
    if not v.get("cpt"):
        raise UsageError("cpt is empty")
    if not v.get("icd"):
        raise UsageError("icd is empty")
    return make_request(v["cpt"], split_codes([v["icd"]], ";"), age=v.get("age") or None,
                        birth_date=v.get("birth_date") or None, service_date=v.get("service_date") or None,
                        setting=v.get("setting") or None)


class ResultWriter:
    """Writes results in CSV or JSON Lines to a temporary file, renamed into place on success."""

    def __init__(self, path: Path | None, fmt: str, stdout: TextIO | None = None) -> None:
        self.path = Path(path) if path else None
        self.fmt = fmt
        self._stdout = stdout
        self._tmp: str | None = None
        self._fh: TextIO | None = None
        self._csv: Any = None
        self.count = 0

    def __enter__(self) -> ResultWriter:
        if self.path is not None:
            if self.path.is_dir():
                raise UsageError(f"{self.path} is a directory: give a file name")
            parent = self.path.parent if str(self.path.parent) else Path(".")
            if not parent.is_dir():
                raise UsageError(f"directory {parent} does not exist")
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=parent)
            self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        else:
            import sys

            self._fh = self._stdout or sys.stdout
        if self.fmt == "csv":
            self._csv = csv.writer(self._fh, lineterminator="\n")
            self._csv.writerow(RESULT_KEYS)
        return self

    def write(self, result: dict[str, Any]) -> None:
        assert self._fh is not None
        row = {k: result.get(k, "") for k in RESULT_KEYS}
        if isinstance(row["warnings"], list):
            row["warnings"] = row["warnings"] if self.fmt == "jsonl" else " | ".join(row["warnings"])
        if self.fmt == "csv":
            self._csv.writerow(["" if row[k] is None else row[k] for k in RESULT_KEYS])
        else:
            self._fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.count += 1

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self.path is None:
            if self._fh is not None:
                self._fh.flush()
            return
        assert self._fh is not None and self._tmp is not None
        self._fh.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            Path(self._tmp).unlink(missing_ok=True)


def output_format(input_path: Path, output_path: Path | None) -> str:
    """Results take the input's format unless the output file's extension names another."""
    if output_path is not None and output_path.suffix:
        return file_format(output_path)
    return file_format(input_path)
