"""Session fixtures: one store built for the whole run, shared read-only by the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
POLICY_TEXT = SHARED / "policies" / "cigna-cpg038-spinal-ultrasound.txt"
W3C_SPARQL = SHARED / "w3c-sparql11"


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built store. Reuses $POLICYKG_STORE when set (CI builds it once), else builds into a temp dir."""
    from policykg.store import ensure_store

    env = os.environ.get("POLICYKG_STORE")
    root = Path(env) if env else tmp_path_factory.mktemp("store")
    ensure_store(root)
    return root


@pytest.fixture(scope="session")
def store(store_dir: Path):  # type: ignore[no-untyped-def]
    from policykg.store import PolicyStore

    return PolicyStore.open(store_dir)


@pytest.fixture(scope="session")
def checker(store):  # type: ignore[no-untyped-def]
    from policykg.check import Checker

    return Checker(store)


@pytest.fixture(scope="session")
def policy_text() -> str:
    """The shared CPG 038 text (third-party: read from ../shared, never copied into the repo)."""
    assert POLICY_TEXT.is_file(), f"the shared policy text is missing: {POLICY_TEXT}"
    return POLICY_TEXT.read_text(encoding="utf-8")
