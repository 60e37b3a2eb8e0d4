"""Adjudicate a claim file: one result per claim line, streamed, each distinct request answered once.

Lines are read (policykg.requests_io) and handled in chunks: the requests of a chunk that have not been
answered yet are normalised once per distinct line content (policykg.request_cache, which gives exactly
requests_io.to_service_request's requests and errors) and passed together to the engine (for the
reasoner: one classification call per chunk over its distinct patterns), then every line's result is
written in order. Memory stays flat whatever the file size: a chunk, and bounded memories (answers per line
content here, parsed fields in the parser, answer templates in the table engine) that are emptied when full.

A line that cannot be read or answered (malformed CSV, bad code, age or date, unknown code) gets a result
with determination "error" and the line number in the reason, as `classify` does; the run goes on, and the
summary counts such lines (`raise_on_rejected` then fails with exit 3, after the result file is written).
"""

from __future__ import annotations

import contextlib
import csv
import gc
import json
import operator
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .adjudicate_engines import Engine, Outcome
from .adjudicate_split import Children, Range, open_range, plan, processes
from .errors import DataError, PolicyKGError
from .request_cache import RequestParser
from .requests_io import (
    MAX_LINE,
    REQUEST_KEYS,
    RequestRow,
    ResultWriter,
    csv_header,
    csv_item,
    file_format,
    jsonl_item,
    open_request_file,
    output_format,
    read_requests,
)

if TYPE_CHECKING:
    from .adjudicate_fast import FastLines

CHUNK = 10_000
MEMORY = 20_000  # remembered answers (distinct line contents); ~1 kB each
GC_EVERY = 25  # chunks between two cyclic garbage collections
SHOWN = 20  # rejected lines reported one by one; the rest are counted


@dataclass
class Summary:
    """What a run did: lines, answers by determination, rejected lines, distinct requests asked of the engine."""

    engine: str = ""
    lines: int = 0
    determinations: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    first_rejected: list[str] = field(default_factory=list)
    asked: int = 0
    seconds: float = 0.0
    processes: int = 1

    def line(self) -> str:
        counts = ", ".join(f"{n} {d}" for d, n in sorted(self.determinations.items())) or "no answers"
        rate = f", {self.lines / self.seconds:,.0f} lines/s" if self.seconds > 0 else ""
        procs = f" in {self.processes} processes" if self.processes > 1 else ""
        return (f"adjudicated {self.lines} line(s) with the {self.engine} engine{procs} in {self.seconds:.2f} s{rate}: "
                f"{counts}; {self.asked} distinct request(s) asked; {self.rejected} rejected")


def adjudicate_file(engine: Engine, source: Path, output: Path | None, *, today: date | None = None,
                    chunk: int = CHUNK, memory: int = MEMORY, stdout: TextIO | None = None,
                    on_rejected: Callable[[str], None] | None = None,
                    on_progress: Callable[[int], None] | None = None, fast: bool = True,
                    jobs: int | None = None) -> Summary:
    """Read `source`, answer every line with `engine`, write one result per line to `output` (stdout: None).

    `today` is the date used for lines without a service date (default: the day the run starts, the same
    for every line). `on_rejected` receives the first rejected lines' messages; `on_progress` the number
    of lines done after each chunk. `fast=False` turns the table engine's line path off (for comparisons);
    `jobs` is the number of processes it may use (default: the CPUs this process may use).
    """
    t0 = time.perf_counter()
    day = today or date.today()
    summary = Summary(engine=engine.name)
    fmt = output_format(Path(source), output)
    with _collect_per_chunks() as chunk_done, ResultWriter(output, fmt, stdout) as writer:
        line_path = getattr(engine, "line_path", None)
        lines = line_path(writer, day) if line_path is not None and fast else None
        if lines is not None:
            # no collection during the line path: its memos hold no cycles, and the general path it hands
            # lines to keeps none (errors are kept without their tracebacks)
            _run_lines(lines, engine, Path(source), writer, day, summary, chunk, on_rejected, on_progress,
                       processes() if jobs is None else jobs)
        else:
            _run_chunks(engine, Path(source), writer, day, summary, chunk, memory, chunk_done, on_rejected,
                        on_progress)
    summary.seconds = time.perf_counter() - t0
    return summary


def _run_chunks(engine: Engine, source: Path, writer: ResultWriter, day: date, summary: Summary, chunk: int,
                memory: int, chunk_done: Callable[[], None], on_rejected: Callable[[str], None] | None,
                on_progress: Callable[[int], None] | None) -> None:
    """The general path: chunks of lines, each distinct line content normalised once and asked of the engine."""
    answers: dict[tuple[str, ...], Outcome] = {}
    parser = RequestParser()
    pending: list[tuple[str, int | None, tuple[str, ...] | DataError]] = []
    for item in read_requests(source):
        pending.append(_pending(item))
        if len(pending) >= chunk:
            _flush(engine, parser, pending, answers, memory, day, writer, summary, on_rejected)
            pending = []
            chunk_done()
            if on_progress is not None:
                on_progress(summary.lines)
    _flush(engine, parser, pending, answers, memory, day, writer, summary, on_rejected)
    if on_progress is not None:
        on_progress(summary.lines)


def _pending(item: RequestRow | DataError) -> tuple[str, int | None, tuple[str, ...] | DataError]:
    if isinstance(item, DataError):
        return ("", None, item)
    get = item.values.get
    return (get("claim_id", ""), item.line, (get("cpt", ""), get("icd", ""), get("age", ""), get("birth_date", ""),
                                             get("service_date", ""), get("setting", "")))


def _run_lines(lines: FastLines, engine: Engine, source: Path, writer: ResultWriter, day: date, summary: Summary,
               chunk: int, on_rejected: Callable[[str], None] | None, on_progress: Callable[[int], None] | None,
               jobs: int) -> None:
    """The table engine's line path (policykg.adjudicate_fast), in one process or split between several
    (policykg.adjudicate_split) when the results go to a file."""
    fmt = file_format(source)
    with open_request_file(source):  # the one-line errors for a missing or unreadable file, before any work
        pass
    split = plan(source, fmt, jobs) if jobs > 1 and writer.path is not None else None
    if split is None:
        with open_request_file(source) as (fh, _):
            _lines_loop(lines, engine, fh, fmt, None, 1, writer, day, summary, chunk, on_rejected, on_progress)
        return
    header = None
    if fmt == "csv":
        try:
            text = split.header.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{source.name}: not UTF-8 text (byte {exc.start})") from None
        header = csv_header(csv.reader([text]), source)
    first, *rest = split.ranges
    summary.processes = len(split.ranges)

    def work(r: Range, out: Path, publish: Callable[[int], None]) -> dict[str, Any]:
        part = Summary(engine=engine.name)
        with open(out, "w", encoding="utf-8", newline="") as fh_out, open_range(source, r) as fh_in:
            try:
                _lines_loop(lines, engine, fh_in, fmt, header, r.first_line, _Part(fh_out, writer.render), day, part,
                            chunk, None, publish)
            except UnicodeDecodeError as exc:
                raise DataError(f"{source.name}: not UTF-8 text (byte {r.start + exc.start} or after)") from None
        return {"lines": part.lines, "determinations": dict(part.determinations), "rejected": part.rejected,
                "first_rejected": part.first_rejected, "asked": part.asked}

    assert writer.path is not None
    children = Children(rest, writer.path.parent if str(writer.path.parent) else Path("."), work)
    try:
        progress = (lambda n: on_progress(n + children.done())) if on_progress is not None else None
        with open_range(source, first) as fh_in:
            try:
                _lines_loop(lines, engine, fh_in, fmt, header, first.first_line, writer, day, summary, chunk,
                            on_rejected, progress)
            except UnicodeDecodeError as exc:
                raise DataError(f"{source.name}: not UTF-8 text (byte {first.start + exc.start} or after)") from None
        wait = (lambda: on_progress(summary.lines + children.done())) if on_progress is not None else None
        for report, part in children.results(wait):
            writer.append_file(part, report["lines"])
            part.unlink()
            summary.lines += report["lines"]
            summary.determinations.update(report["determinations"])
            summary.rejected += report["rejected"]
            summary.asked += report["asked"]
            for message in report["first_rejected"]:
                if len(summary.first_rejected) < SHOWN:
                    summary.first_rejected.append(message)
                    if on_rejected is not None:
                        on_rejected(message)
    finally:
        children.kill()
    if on_progress is not None:
        on_progress(summary.lines)


def _lines_loop(lines: FastLines, engine: Engine, fh: TextIO, fmt: str, header: list[str] | None, first_line: int,
                out: ResultWriter | _Part, day: date, summary: Summary, chunk: int,
                on_rejected: Callable[[str], None] | None, on_progress: Callable[[int], None] | None) -> None:
    """Answer the lines of `fh` (a CSV header first unless `header` is given; its first line is number
    `first_line`); a line the line path does not take goes the general way, alone, in its place. Results are
    written every `chunk` lines or so, joined into one text."""
    parser = RequestParser()
    answers: dict[tuple[str, ...], Outcome] = {}
    buffer: list[str] = []
    counts: dict[str, int] = {}
    line = lines.line
    done = written = 0
    base = summary.lines
    pieces = 3 * chunk  # a line is 2 to 4 pieces of text (FastLines.line)
    skip = first_line - 1

    def general(item: RequestRow | DataError | None) -> None:
        if item is None:
            return
        texts: list[str] = []
        _flush(engine, parser, [_pending(item)], answers, MEMORY, day, _Texts(out.render, texts), summary,
               on_rejected)
        buffer.extend(texts)

    def flush() -> None:
        nonlocal buffer, written
        lines_now = done + summary.lines - base
        out.write_text("".join(buffer), lines_now - written)
        written = lines_now
        buffer = []
        if on_progress is not None:
            on_progress(done + summary.lines)

    if fmt == "csv":
        reader = csv.reader(fh)
        if header is None:
            header = csv_header(reader, Path(getattr(fh, "name", "claims.csv")))
        width = len(header)
        pad = any(k not in header for k in REQUEST_KEYS)
        pick = operator.itemgetter(*(header.index(k) if k in header else width for k in REQUEST_KEYS))
        while True:
            try:
                for row in reader:
                    if len(row) == width:
                        if pad:
                            row.append("")
                        got = line(*pick(row))
                        if got is not None:
                            buffer += got[1]
                            det = got[0]
                            counts[det] = counts.get(det, 0) + 1
                            done += 1
                            if len(buffer) >= pieces:
                                flush()
                            continue
                        if pad:
                            row.pop()
                    general(csv_item(header, row, reader.line_num + skip))
                    if len(buffer) >= pieces:
                        flush()
                break
            except csv.Error as exc:
                general(DataError(f"line {reader.line_num + skip}: {exc}"))
    else:
        keys = frozenset(REQUEST_KEYS)
        loads = json.loads
        for n, text in enumerate(fh, start=first_line):
            got = None
            if len(text) <= MAX_LINE:
                try:
                    obj = loads(text)
                except (ValueError, RecursionError):  # the general path reports it
                    obj = None
                if type(obj) is dict and obj.keys() <= keys and all(type(v) is str for v in obj.values()):
                    get = obj.get
                    got = line(get("claim_id", ""), get("cpt", ""), get("icd", ""), get("age", ""),
                               get("birth_date", ""), get("service_date", ""), get("setting", ""))
            if got is not None:
                buffer += got[1]
                det = got[0]
                counts[det] = counts.get(det, 0) + 1
                done += 1
            else:
                general(jsonl_item(text, n))
            if len(buffer) >= pieces:
                flush()
    flush()
    summary.lines += done
    summary.determinations.update(counts)
    summary.asked += lines.computed


class _Part:
    """Where a forked child writes its range's results: rendered text, like ResultWriter.write_text."""

    def __init__(self, fh: TextIO, render: Callable[[dict[str, Any]], str]) -> None:
        self.fh, self.render = fh, render

    def write_text(self, text: str, lines: int) -> None:
        self.fh.write(text)


class _Texts:
    """A ResultWriter stand-in for _flush that collects rendered lines instead of writing them."""

    def __init__(self, render: Callable[[dict[str, Any]], str], texts: list[str]) -> None:
        self.render = render
        self.texts = texts

    def write(self, result: dict[str, Any]) -> None:
        self.texts.append(self.render(result))


@contextlib.contextmanager
def _collect_per_chunks(every: int = GC_EVERY) -> Iterator[Callable[[], None]]:
    """Cyclic garbage collection of the young generations once every `every` chunks, not every 700 new objects.

    A run creates millions of short-lived, acyclic objects while holding hundreds of thousands of remembered
    answers; Python's collector would scan those again and again (half the run time on a million lines), and
    even a full collection every few chunks costs ~0.2 s each. Collecting what the last chunks created keeps
    memory flat should an engine create cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    count = 0

    def chunk_done() -> None:
        nonlocal count
        count += 1
        if enabled and count % every == 0:
            gc.collect(1)  # the young generations: what the last chunks created

    try:
        yield chunk_done
    finally:
        if enabled:
            gc.enable()


def _flush(engine: Engine, parser: RequestParser, pending: list[tuple[str, int | None, tuple[str, ...] | DataError]],
           answers: dict[tuple[str, ...], Outcome], memory: int, day: date, writer: ResultWriter | _Texts,
           summary: Summary, on_rejected: Callable[[str], None] | None) -> None:
    if not pending:
        return
    if len(answers) + len(pending) > memory:
        answers.clear()
    asked: dict[tuple[str, ...], Any] = {}
    for _, _, key in pending:
        if isinstance(key, tuple) and key not in answers and key not in asked:
            try:
                asked[key] = parser.parse(*key)
            except PolicyKGError as exc:
                answers[key] = exc.with_traceback(None)  # kept: its traceback would keep this frame (a cycle)
    if asked:
        outcomes = engine.decide(list(asked.values()), day)
        answers.update(zip(asked, outcomes, strict=True))
        summary.asked += len(asked)
    write = writer.write
    counts = summary.determinations
    for claim_id, line, key in pending:
        outcome: Outcome = key if isinstance(key, DataError) else answers[key]
        summary.lines += 1
        if isinstance(outcome, PolicyKGError):
            message = f"line {line}: {outcome}" if line is not None else str(outcome)
            summary.rejected += 1
            if len(summary.first_rejected) < SHOWN:
                summary.first_rejected.append(message)
                if on_rejected is not None:
                    on_rejected(message)
            counts["error"] += 1
            write({"claim_id": claim_id, "determination": "error", "statement": "", "reason": message,
                   "warnings": []})
        else:
            counts[outcome["determination"]] += 1
            write({"claim_id": claim_id, **outcome})


def raise_on_rejected(summary: Summary) -> None:
    """After the result file is written: fail (DataError, exit 3) when some lines were rejected."""
    if summary.rejected:
        raise DataError(f"{summary.rejected} of {summary.lines} line(s) rejected (determination 'error' in the "
                        f"results); first: {summary.first_rejected[0]}")
