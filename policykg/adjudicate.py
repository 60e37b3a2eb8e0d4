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
import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from .adjudicate_engines import Engine, Outcome
from .errors import DataError, PolicyKGError
from .request_cache import RequestParser
from .requests_io import ResultWriter, output_format, read_requests

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

    def line(self) -> str:
        counts = ", ".join(f"{n} {d}" for d, n in sorted(self.determinations.items())) or "no answers"
        rate = f", {self.lines / self.seconds:,.0f} lines/s" if self.seconds > 0 else ""
        return (f"adjudicated {self.lines} line(s) with the {self.engine} engine in {self.seconds:.2f} s{rate}: "
                f"{counts}; {self.asked} distinct request(s) asked; {self.rejected} rejected")


def adjudicate_file(engine: Engine, source: Path, output: Path | None, *, today: date | None = None,
                    chunk: int = CHUNK, memory: int = MEMORY, stdout: TextIO | None = None,
                    on_rejected: Callable[[str], None] | None = None,
                    on_progress: Callable[[int], None] | None = None) -> Summary:
    """Read `source`, answer every line with `engine`, write one result per line to `output` (stdout: None).

    `today` is the date used for lines without a service date (default: the day the run starts, the same
    for every line). `on_rejected` receives the first rejected lines' messages; `on_progress` the number
    of lines done after each chunk.
    """
    t0 = time.perf_counter()
    day = today or date.today()
    summary = Summary(engine=engine.name)
    answers: dict[tuple[str, ...], Outcome] = {}
    parser = RequestParser()
    pending: list[tuple[str, int | None, tuple[str, ...] | DataError]] = []
    fmt = output_format(Path(source), output)
    with _collect_per_chunks() as chunk_done, ResultWriter(output, fmt, stdout) as writer:
        for item in read_requests(Path(source)):
            if isinstance(item, DataError):
                pending.append(("", None, item))
            else:
                v = item.values
                get = v.get
                pending.append((get("claim_id", ""), item.line, (get("cpt", ""), get("icd", ""), get("age", ""),
                                get("birth_date", ""), get("service_date", ""), get("setting", ""))))
            if len(pending) >= chunk:
                _flush(engine, parser, pending, answers, memory, day, writer, summary, on_rejected)
                pending = []
                chunk_done()
                if on_progress is not None:
                    on_progress(summary.lines)
        _flush(engine, parser, pending, answers, memory, day, writer, summary, on_rejected)
        if on_progress is not None:
            on_progress(summary.lines)
    summary.seconds = time.perf_counter() - t0
    return summary


@contextlib.contextmanager
def _collect_per_chunks(every: int = GC_EVERY) -> Iterator[Callable[[], None]]:
    """Cyclic garbage collection once every `every` chunks instead of every 700 new objects.

    A run creates millions of short-lived, acyclic objects while holding tens of thousands of remembered
    answers; Python's collector would scan those again and again (half the run time on a million lines).
    Collecting every few chunks keeps memory flat should an engine create cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    count = 0

    def chunk_done() -> None:
        nonlocal count
        count += 1
        if enabled and count % every == 0:
            gc.collect()

    try:
        yield chunk_done
    finally:
        if enabled:
            gc.enable()


def _flush(engine: Engine, parser: RequestParser, pending: list[tuple[str, int | None, tuple[str, ...] | DataError]],
           answers: dict[tuple[str, ...], Outcome], memory: int, day: date, writer: ResultWriter,
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
