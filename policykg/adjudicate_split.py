"""Splitting a claim file between processes: byte ranges that start on a line, and forked workers for them.

Why: the table engine's line path (policykg.adjudicate_fast) runs at a few µs a line in one Python process;
the machines this runs on have a few cores. A file is cut into as many byte ranges as there are processes,
each range starting right after a line end; the parent answers the first range itself and a forked child
each of the others, into a file of its own next to the result file, which the parent appends in order
(os.copy_file_range: the kernel copies, no Python loop). A child starts with everything the parent
loaded (the decision table and its memos) as copy-on-write pages: no second start-up.

When a range may not start on a record boundary, the file is not split: a CSV file with a double quote
anywhere (a quoted field may hold a line end), or a file shorter than MIN_BYTES (forking costs more than
it saves). JSON Lines never hold a raw line end inside a value.

A child reports through a pipe: its summary as JSON, or its error (class name, message). It never returns
into the caller's code: it leaves with os._exit whatever happens, so no finally-block or atexit handler of
the parent runs twice. The parent kills and reaps the children if it fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import mmap
import os
import select
import signal
import struct
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from . import errors

MIN_BYTES = 4 * 1024 * 1024  # ~90,000 claim lines: below this, one process
BLOCK = 1 << 20


@dataclass(frozen=True)
class Range:
    """Bytes [start, end) of the file; `first_line` is the number of the line that starts at `start`."""

    start: int
    end: int
    first_line: int


@dataclass(frozen=True)
class Plan:
    header: bytes  # the CSV header line (b"" for JSON Lines)
    ranges: list[Range]


def processes() -> int:
    """The processes worth running: the CPUs this process may use; 1 where fork is missing or not safe with
    the threads libraries start (Windows, macOS)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def plan(path: Path, fmt: str, parts: int, min_bytes: int | None = None) -> Plan | None:
    """Ranges for `parts` processes, or None when the file should be read by one process."""
    size = path.stat().st_size
    if parts < 2 or size < (MIN_BYTES if min_bytes is None else min_bytes):
        return None
    with open(path, "rb") as fh:
        header = b""
        if fmt == "csv":
            header = fh.readline()
            if not header.endswith(b"\n"):
                return None
        start = len(header)
        if fmt == "csv" and _contains(fh, start, b'"'):
            return None
        cuts = [start]
        for k in range(1, parts):
            target = start + (size - start) * k // parts
            cut = _line_start_after(fh, max(target, cuts[-1]))
            if cut is None or cut >= size:
                break
            if cut > cuts[-1]:
                cuts.append(cut)
        if len(cuts) < 2:
            return None
        firsts = _line_numbers(fh, cuts)
    bounds = [*cuts, size]
    return Plan(header, [Range(bounds[i], bounds[i + 1], firsts[i]) for i in range(len(cuts))])


def _contains(fh: BinaryIO, start: int, needle: bytes) -> bool:
    fh.seek(start)
    while block := fh.read(BLOCK):
        if needle in block:
            return True
    return False


def _line_start_after(fh: BinaryIO, pos: int) -> int | None:
    """The offset just after the first line end at or after `pos - 1` (so `pos` itself if a line starts there)."""
    fh.seek(max(pos - 1, 0))
    offset = fh.tell()
    while block := fh.read(BLOCK):
        i = block.find(b"\n")
        if i >= 0:
            return offset + i + 1
        offset += len(block)
    return None


def _line_numbers(fh: BinaryIO, cuts: list[int]) -> list[int]:
    """The line number at each cut (1 + line ends before it), counted in one pass."""
    fh.seek(0)
    out, lines, pos = [], 0, 0
    for cut in cuts:
        while pos < cut:
            block = fh.read(min(BLOCK, cut - pos))
            if not block:
                break
            lines += block.count(b"\n")
            pos += len(block)
        out.append(lines + 1)
    return out


class _RangeReader(io.RawIOBase):
    """A raw stream over bytes [start, end) of a file."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self._fh = open(path, "rb", buffering=0)  # noqa: SIM115 (closed in close())
        self._fh.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[: self._left]
        n = self._fh.readinto(view) or 0
        self._left -= n
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def open_range(path: Path, r: Range) -> io.TextIOWrapper:
    """The text of a range, as `open(path, encoding="utf-8", newline="")` would give it."""
    return io.TextIOWrapper(io.BufferedReader(_RangeReader(path, r.start, r.end), BLOCK), encoding="utf-8",
                            newline="")


class Children:
    """Forked workers, one per range after the first, each writing its results to its own part file.

    `work(range, out_path, progress)` runs in the child and returns a JSON-able summary; `progress(n)`
    publishes the child's count of lines done, read by the parent through `done()`.
    """

    def __init__(self, ranges: list[Range], out_dir: Path,
                 work: Callable[[Range, Path, Callable[[int], None]], dict[str, Any]]) -> None:
        self.counts = mmap.mmap(-1, 8 * max(len(ranges), 1))
        self.kids: list[tuple[int, int, Path]] = []  # pid, read end of the pipe, part file
        try:
            for i, r in enumerate(ranges):
                fd, name = tempfile.mkstemp(prefix=".policykg-part.", dir=out_dir)
                os.close(fd)
                read, write = os.pipe()
                parent = os.getpid()
                pid = os.fork()
                if pid == 0:  # the child: never returns
                    os.close(read)
                    _child(write, functools.partial(work, r, Path(name), self._publisher(i)), parent)
                os.close(write)
                self.kids.append((pid, read, Path(name)))
        except BaseException:
            self.kill()
            raise

    def _publisher(self, i: int) -> Callable[[int], None]:
        def publish(n: int) -> None:
            struct.pack_into("q", self.counts, 8 * i, n)
        return publish

    def done(self) -> int:
        """Lines done by the children so far."""
        return sum(struct.unpack_from("q", self.counts, 8 * i)[0] for i in range(len(self.kids)))

    def results(self, on_wait: Callable[[], None] | None = None) -> Iterator[tuple[dict[str, Any], Path]]:
        """Each child's summary and part file, in range order; a child's error is raised here as its class."""
        for pid, read, part in self.kids:
            chunks: list[bytes] = []
            while True:
                ready, _, _ = select.select([read], [], [], 0.25)
                if not ready:
                    if on_wait is not None:
                        on_wait()
                    continue
                data = os.read(read, 1 << 16)
                if not data:
                    break
                chunks.append(data)
            os.close(read)
            _, status = os.waitpid(pid, 0)
            self.kids = [k for k in self.kids if k[0] != pid]
            try:
                report = json.loads(b"".join(chunks) or b"null")
            except ValueError:
                report = None
            if not isinstance(report, dict) or "error" in report or os.waitstatus_to_exitcode(status) != 0:
                self.kill()
                part.unlink(missing_ok=True)
                raise _error(report, status)
            yield report, part

    def kill(self) -> None:
        for pid, read, part in self.kids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            with contextlib.suppress(OSError):
                os.close(read)
            part.unlink(missing_ok=True)
        self.kids = []


def _child(write: int, work: Callable[[], dict[str, Any]], parent: int) -> None:
    """Run `work` in a forked child, send its report, and leave without running anything of the parent."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _die_with_parent(parent)
        report: dict[str, Any] = work()
    except errors.PolicyKGError as exc:
        report, code = {"error": type(exc).__name__, "message": str(exc)}, 1
    except BaseException as exc:  # reported to the parent, which raises it
        report, code = {"error": "", "message": f"{type(exc).__name__}: {exc}"}, 1
    try:
        data = json.dumps(report).encode()
        while data:
            data = data[os.write(write, data):]
    finally:
        os._exit(code)


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel kill this child if the parent dies (even by SIGKILL), instead of working on."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the call
        os._exit(1)


def _error(report: Any, status: int) -> errors.PolicyKGError:
    if isinstance(report, dict) and report.get("error"):
        cls = getattr(errors, str(report["error"]), None)
        if isinstance(cls, type) and issubclass(cls, errors.PolicyKGError):
            return cls(str(report.get("message", "")))
    if isinstance(report, dict) and "message" in report:
        return errors.DataError(f"a worker process failed: {report['message']}")
    code = os.waitstatus_to_exitcode(status)
    return errors.DataError(f"a worker process ended without an answer (exit status {code})")


def append_file(dst: Any, part: Path) -> None:
    """Append `part` to the open file `dst` (flushed first), in the kernel where it can."""
    dst.flush()
    out = dst.fileno()
    with open(part, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        sent = 0
        with contextlib.suppress(AttributeError, OSError):  # no copy_file_range here: copy the rest below
            while sent < size:
                n = os.copy_file_range(src.fileno(), out, size - sent, sent)
                if n == 0:
                    break
                sent += n
        if sent < size:
            src.seek(sent)
            os.lseek(out, 0, os.SEEK_END)
            while block := src.read(BLOCK):
                os.write(out, block)
    os.lseek(out, 0, os.SEEK_END)
