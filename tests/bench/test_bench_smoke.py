"""The benchmark still runs: bench/run.py --smoke on tiny inputs (its timings are not checked here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_on_tiny_inputs(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    env = {k: v for k, v in os.environ.items() if k != "POLICYKG_STORE"}  # the bench builds its own store
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--out", str(out),
                        "--work", str(tmp_path / "work")], env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert "FAILED" not in p.stdout, p.stdout
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| measurement")]
    assert len(rows) >= 12, text
    for fragment in ("policykg build --force", "`policykg check` on a built store", "`Checker.check` in process",
                     "`adjudicate` table engine", "`adjudicate --engine reasoner --reasoner hermit`",
                     "`policykg serve`"):
        assert any(fragment in row for row in rows), fragment
    assert not any("failed:" in row for row in rows), text
