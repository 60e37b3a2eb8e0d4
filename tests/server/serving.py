"""Start `policykg serve` (or another server) as a real process on a free 127.0.0.1 port, with bounded waits.

Shared by tests/server, tests/integration and tests/browser (they put this folder on sys.path).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SLOW_TIMEOUT_S = 2.0  # the tiny endpoint's time limit
TINY_ROWS = 5  # the tiny endpoint's row limit
W3C_PROTOCOL = ROOT.parent / "shared" / "w3c-sparql11" / "protocol"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before it was ready")
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} was not ready within {timeout:g} s")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers: no stray servers after the tests."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@contextlib.contextmanager
def policykg_server(*args: str, log: Path | None = None, startup: float = 60.0) -> Iterator[str]:
    """`policykg serve ARGS --port P`; yields the base URL once /health answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "policykg.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(base + "/health", timeout=2).status_code == 200, startup, "policykg serve", proc)
        yield base
    finally:
        stop(proc)
        if log:
            out.close()  # type: ignore[union-attr]


def protocol_nquads(target: Path) -> Path:
    """The W3C protocol tests' data*.nt as the named graphs their manifest expects (http://kasei.us/...)."""
    lines = []
    for n in (1, 2, 3):
        graph = f"<http://kasei.us/2009/09/sparql/data/data{n}.rdf>"
        for line in (W3C_PROTOCOL / f"data{n}.nt").read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                assert line.endswith("."), line
                lines.append(f"{line[:-1].rstrip()} {graph} .")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
