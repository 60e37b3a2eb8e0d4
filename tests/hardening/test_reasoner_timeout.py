"""A reasoner run that hits its time limit: exit-5 error, and no Java process or temporary file left behind."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from policykg.errors import QueryTimeout


def test_hermit_time_out_leaves_nothing_behind(store, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from policykg.reasoner.consistency import check_consistency

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    class RecordingPopen(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    with pytest.raises(QueryTimeout) as info:
        check_consistency(store, timeout=0.3)  # the JVM alone needs longer than that to start
    assert info.value.exit_code == 5 and "time limit" in info.value.message
    assert started, "HermiT was never started: the time-out was not exercised"
    assert any("java" in Path(str(p.args[0])).name for p in started)
    for proc in started:
        assert proc.returncode is not None  # killed and reaped
        assert not Path(f"/proc/{proc.pid}").exists() or _is_zombie_free(proc.pid)
    assert os.listdir(scratch) == []  # the private temporary directory was removed


def _is_zombie_free(pid: int) -> bool:
    """A recycled pid belongs to another process, not to our JVM (ours would have its parent = us)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return int(stat.rsplit(")", 1)[1].split()[1]) != os.getpid()
