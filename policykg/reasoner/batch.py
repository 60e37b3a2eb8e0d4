"""Classify a request file into a result file (the `classify` command, callable from tests).

Rows are read and written in order through policykg.requests_io (shared with `adjudicate`); requests are
classified in batches (each batch: one look-up of its codes, one reasoner call over its distinct patterns),
so memory stays bounded for any file size. A row that cannot be read or classified gets a result with
determination "error" and the reason; the run goes on and, at the end, fails with DataError (exit 3)
naming the first such row. A reasoner time-out stops the run (QueryTimeout, exit 5) and no result file is
left behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..errors import DataError, PolicyKGError
from ..request import ServiceRequest
from ..requests_io import ResultWriter, output_format, read_requests, to_service_request
from .classify import Classified, Classifier

DEFAULT_BATCH = 20_000


@dataclass
class FileSummary:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    patterns: int = 0
    engines: set[str] = field(default_factory=set)
    reasoner_seconds: float = 0.0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        engines = ", ".join(sorted(self.engines)) or "no reasoner"
        note = f" ({'; '.join(dict.fromkeys(self.notes))})" if self.notes else ""
        return (f"classified {self.requests} request(s) as {self.patterns} pattern(s) with {engines}{note}: "
                f"reasoner {self.reasoner_seconds:.2f} s, total {self.seconds:.2f} s; {len(self.errors)} error(s)")


Slot = tuple[str, int | None, ServiceRequest | PolicyKGError]


def classify_file(classifier: Classifier, source: Path, output: Path | None, *, batch: int = DEFAULT_BATCH,
                  stdout: TextIO | None = None) -> FileSummary:
    """Read `source`, classify, write one result per row to `output` (stdout when None)."""
    t0 = time.perf_counter()
    summary = FileSummary()
    fmt = output_format(source, output)
    rows = read_requests(source)
    with ResultWriter(output, fmt, stdout) as writer:
        pending: list[Slot] = []
        for item in rows:
            if isinstance(item, DataError):
                pending.append(("", None, item))
            else:
                try:
                    pending.append((item.claim_id, item.line, to_service_request(item)))
                except PolicyKGError as exc:
                    pending.append((item.claim_id, item.line, exc))
            if len(pending) >= batch:
                _flush(classifier, pending, writer, summary)
                pending = []
        _flush(classifier, pending, writer, summary)
    summary.seconds = time.perf_counter() - t0
    return summary


def _flush(classifier: Classifier, pending: list[Slot], writer: ResultWriter, summary: FileSummary) -> None:
    if not pending:
        return
    requests = [r for _, _, r in pending if isinstance(r, ServiceRequest)]
    run = classifier.classify(requests)
    if requests:
        summary.patterns += run.patterns
        summary.engines.add(run.engine)
        summary.reasoner_seconds += run.reasoner_seconds
        summary.notes.append(run.note)
    results = iter(run.results)
    for claim_id, line, item in pending:
        outcome: Classified | PolicyKGError = next(results) if isinstance(item, ServiceRequest) else item
        summary.requests += 1
        if isinstance(outcome, PolicyKGError):
            where = f"line {line}: " if line is not None else ""
            summary.errors.append(f"{where}{outcome}")
            writer.write({"claim_id": claim_id, "determination": "error", "statement": "",
                          "reason": f"{where}{outcome}", "warnings": []})
        else:
            writer.write({"claim_id": claim_id, **classifier.describe(outcome)})


def raise_on_errors(summary: FileSummary) -> None:
    """After the result file is written: fail (exit 3) when some rows could not be classified."""
    if summary.errors:
        raise DataError(f"{len(summary.errors)} of {summary.requests} request(s) could not be classified "
                        f"(determination 'error' in the results); first: {summary.errors[0]}")



