"""Request files shared by `classify` and `adjudicate`, and their result files.

Input: CSV with a header row, or JSON Lines (.jsonl / .ndjson) with the same keys: claim_id, cpt, icd (one
or more ICD-10-CM codes separated by ';'), age (as in `check`), birth_date, service_date, setting (empty
where unknown). Rows are streamed: memory stays flat whatever the file size.
Output: one result per request with claim_id, determination, statement, reason, warnings, in the input's
format unless the output file's extension names another; written to a temporary file and renamed, so a
failed run never leaves a half-written result file.
"""

from __future__ import annotations

import contextlib
import csv
import io
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
    with open_request_file(path) as (fh, fmt):
        if fmt == "csv":
            yield from _read_csv(fh, Path(path))
        else:
            yield from _read_jsonl(fh, Path(path))


@contextlib.contextmanager
def open_request_file(path: Path) -> Iterator[tuple[TextIO, str]]:
    """(text stream, "csv" or "jsonl"), with one-line errors: no such file (UsageError), cannot be read or
    not UTF-8 (DataError, also when raised while reading inside the with-block)."""
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
            yield fh, fmt
        except UnicodeDecodeError as exc:
            raise DataError(f"{path.name}: not UTF-8 text (byte {exc.start})") from None


def csv_header(reader: Any, path: Path) -> list[str]:
    """The header row of a request CSV, checked (DataError when it is missing or names unknown columns)."""
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
    return header


def csv_item(header: list[str], row: list[str], line: int) -> RequestRow | DataError | None:
    """One CSV row as a request row, a DataError naming the line, or None for a blank row (skipped)."""
    if not row or all(not c.strip() for c in row):
        return None
    if len(row) != len(header):
        return DataError(f"line {line}: {len(row)} fields, the header has {len(header)}")
    return RequestRow(line, {k: v.strip() for k, v in zip(header, row, strict=True)})


def _read_csv(fh: TextIO, path: Path) -> Iterator[RequestRow | DataError]:
    reader = csv.reader(fh)
    header = csv_header(reader, path)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield DataError(f"line {reader.line_num}: {exc}")
            continue
        item = csv_item(header, row, reader.line_num)
        if item is not None:
            yield item


def _read_jsonl(fh: TextIO, path: Path) -> Iterator[RequestRow | DataError]:
    for n, line in enumerate(fh, start=1):
        item = jsonl_item(line, n)
        if item is not None:
            yield item


def jsonl_item(line: str, n: int) -> RequestRow | DataError | None:
    """One JSON Lines line as a request row, a DataError naming the line, or None for a blank line."""
    if not line.strip():
        return None
    if len(line) > MAX_LINE:
        return DataError(f"line {n}: longer than {MAX_LINE} characters")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return DataError(f"line {n}: not JSON ({exc.msg})")
    except (ValueError, RecursionError):
        return DataError(f"line {n}: not JSON (nested too deeply or not decodable)")
    if not isinstance(obj, dict):
        return DataError(f"line {n}: expected a JSON object")
    unknown = [k for k in obj if k not in REQUEST_KEYS]
    if unknown:
        return DataError(f"line {n}: unknown key(s) {', '.join(map(str, unknown))}")
    values: dict[str, str] = {}
    for k, v in obj.items():
        if v is None:
            continue
        if isinstance(v, list) and k == "icd":
            v = ";".join(str(x) for x in v)
        if isinstance(v, (dict, list, bool)):
            return DataError(f"line {n}: {k} must be a string or number")
        values[k] = str(v).strip()
    return RequestRow(n, values)


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
        self._buffer = io.StringIO()
        self._row_writer = csv.writer(self._buffer, lineterminator="\n")
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
            self._fh.write(",".join(RESULT_KEYS) + "\n")
        return self

    def render(self, result: dict[str, Any]) -> str:
        """One result as the text of its line (with the line end), exactly as `write` writes it."""
        row = {k: result.get(k, "") for k in RESULT_KEYS}
        if isinstance(row["warnings"], list):
            row["warnings"] = row["warnings"] if self.fmt == "jsonl" else " | ".join(row["warnings"])
        if self.fmt == "csv":
            self._buffer.seek(0)
            self._buffer.truncate()
            self._row_writer.writerow(["" if row[k] is None else row[k] for k in RESULT_KEYS])
            return self._buffer.getvalue()
        return json.dumps(row, ensure_ascii=False) + "\n"

    def write(self, result: dict[str, Any]) -> None:
        assert self._fh is not None
        self._fh.write(self.render(result))
        self.count += 1

    def write_text(self, text: str, lines: int) -> None:
        """Write already rendered result lines (`render`'s text, `lines` of them)."""
        assert self._fh is not None
        self._fh.write(text)
        self.count += lines

    def append_file(self, part: Path, lines: int) -> None:
        """Append a file of already rendered result lines (`lines` of them), written by another process."""
        from .adjudicate_split import append_file

        assert self._fh is not None
        append_file(self._fh, part)
        self.count += lines

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
