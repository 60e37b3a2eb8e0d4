"""Helpers for the real-store tests: finding the server binaries, pushing our graphs, the stores' settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))

VIRTUOSO_MAX_ROWS = 50_000
START_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class RemoteStore:
    name: str
    query_url: str
    push_args: tuple[str, ...]


def binary(name: str) -> str:
    """An executable from PATH or from this Python's venv; its absence fails the run (CI installs it)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed: run .ci/install-services.sh", pytrace=False)
    return found


def ask_ok(url: str) -> bool:
    r = httpx.get(url, params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"}, timeout=5)
    return r.status_code == 200


def push(store_dir: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "policykg.cli", "push", "--store", str(store_dir), *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = 85000
MaxDirtyBuffers = 65000
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 400
"""

