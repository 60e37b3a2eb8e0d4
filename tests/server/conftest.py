"""Servers for the endpoint tests: the policy store, the W3C protocol data, and a tiny store with tight limits."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from serving import SLOW_TIMEOUT_S, TINY_ROWS, policykg_server, protocol_nquads


@pytest.fixture(scope="session")
def access_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs") / "access.log"


@pytest.fixture(scope="session")
def policy_endpoint(store_dir: Path, access_log: Path) -> Iterator[str]:
    """The policy graph, served with the default limits."""
    with policykg_server("--store", str(store_dir), "--workers", "2", "--access-log", str(access_log)) as base:
        yield base


@pytest.fixture(scope="session")
def w3c_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = protocol_nquads(tmp_path_factory.mktemp("w3c") / "protocol.nq")
    with policykg_server("--data", str(data), "--workers", "2") as base:
        yield base


@pytest.fixture(scope="session")
def tiny_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Ten triples in two graphs, at most TINY_ROWS rows per result and SLOW_TIMEOUT_S per query."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.nq"
    ex = "http://example.org/"
    path.write_text("".join(f'<{ex}s{i}> <{ex}p> "{i}" <{ex}g{i % 2}> .\n' for i in range(10)), encoding="utf-8")
    with policykg_server("--data", str(path), "--workers", "2", "--max-rows", str(TINY_ROWS),
                         "--timeout", str(SLOW_TIMEOUT_S)) as base:
        yield base
