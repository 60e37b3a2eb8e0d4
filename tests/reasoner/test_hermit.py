"""HermiT runs with a time limit and leaves no process or temporary file behind."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from policykg.errors import QueryTimeout
from policykg.reasoner import hermit
from policykg.request import make_request


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _group_members(pgid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    out.append(int(entry))
            except (FileNotFoundError, IndexError, ValueError):
                continue
    return out


def _gone(check, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    """SIGKILL is delivered asynchronously: poll until `check()` holds (or give up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_time_out_kills_the_whole_process_group() -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        hermit.run_command(["sh", "-c", "sleep 60 & sleep 60; wait"], timeout=0.5)
    assert time.monotonic() - started < 10


def test_time_out_leaves_no_child_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real_start = hermit._Runs.start

    def spy(self: hermit._Runs, command: list[str]):  # type: ignore[no-untyped-def]
        proc = real_start(self, command)
        seen.append(proc.pid)
        return proc

    monkeypatch.setattr(hermit._Runs, "start", spy)
    with pytest.raises(QueryTimeout):
        hermit.run_many([["sh", "-c", "sleep 60 & sleep 60; wait"]] * 2, timeout=0.5, workers=2)
    assert len(seen) == 2
    for pid in seen:
        assert _gone(lambda pid=pid: not _alive(pid) and _group_members(pid) == []), _group_members(pid)


def test_reasoner_time_out_is_query_timeout_and_cleans_up(store, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from policykg.reasoner.classify import Classifier

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    classifier = Classifier(store, engine="hermit", timeout=0.3)
    with pytest.raises(QueryTimeout):
        classifier.classify([make_request("76800", ["Q05.4"], age="3m")])
    assert list(tmp_path.iterdir()) == []  # the N-Triples files are gone

    def no_java_left() -> bool:
        for entry in os.listdir("/proc"):
            if entry.isdigit() and _alive(int(entry)):
                try:
                    if str(tmp_path).encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                        return False
                except OSError:
                    continue
        return True

    assert _gone(no_java_left)


def test_parse_output_keeps_direct_types_and_the_taxonomy() -> None:
    text = ("SubClassOf( <http://x/B> <http://x/A> )\nEquivalentClasses( <http://x/C> <http://x/B> )\n"
            "Type( <http://x/i> <http://x/C> )\n")
    tax = hermit.parse_output(text)
    assert tax.all_types("http://x/i") == {"http://x/A", "http://x/B", "http://x/C"}
