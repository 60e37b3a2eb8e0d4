"""The embedded store: built once, reopened without rebuilding, built aside and swapped atomically."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from policykg.store import PolicyStore, build_store, ensure_store


def test_reopen_does_not_rebuild(store_dir: Path) -> None:
    first = ensure_store(store_dir)
    again = ensure_store(store_dir)
    assert first.build == again.build
    assert (store_dir / "current").is_symlink()


def test_open_is_read_only_and_counts_graphs(store: PolicyStore) -> None:
    graphs = {str(g.value) for g in store.ox.named_graphs()}
    assert "https://w3id.org/policykg/graph/ontology" in graphs
    assert "https://w3id.org/policykg/graph/cigna/cpg038/2024-09-15" in graphs
    assert "https://w3id.org/policykg/graph/cigna/cpg038/2024-09-15/curated" in graphs
    assert any(g.startswith("https://w3id.org/policykg/graph/icd10cm/") for g in graphs)
    assert store.manifest["triples"] > 600_000


def test_killed_build_leaves_the_current_store_in_use(tmp_path: Path, store_dir: Path) -> None:
    root = tmp_path / "s"
    info = build_store(root)
    code = ("import sys; from pathlib import Path; from policykg.store import build_store; "
            "build_store(Path(sys.argv[1]), force=True)")
    p = subprocess.Popen([sys.executable, "-c", code, str(root)], start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline and not list((root / "builds").glob(".tmp-*")):
        time.sleep(0.05)
    assert list((root / "builds").glob(".tmp-*")), "the rebuild never started"
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    # the store in use is untouched and answers
    assert ensure_store(root).build == info.build
    s = PolicyStore.open(root)
    assert bool(s.query("ASK { ?s a pkg:CoveragePolicy }").askAnswer)
    # the next build cleans up after the killed one
    build_store(root, force=True)
    assert not list((root / "builds").glob(".tmp-*"))


def test_two_builds_at_once_serialise(tmp_path: Path) -> None:
    root = tmp_path / "c"
    code = ("import sys; from pathlib import Path; from policykg.store import ensure_store; "
            "ensure_store(Path(sys.argv[1]))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(root)]) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    builds = [b for b in (root / "builds").iterdir() if not b.name.startswith(".tmp-")]
    assert len(builds) == 1  # the second waited for the lock, then found the store up to date
    assert PolicyStore.open(root).manifest["triples"] > 600_000


def test_unwritable_store_dir_is_a_clear_error(tmp_path: Path) -> None:
    from policykg.errors import StoreError

    target = tmp_path / "file"
    target.write_text("x")
    try:
        build_store(target / "sub")
    except StoreError as exc:
        assert "cannot create store directory" in str(exc)
    else:
        raise AssertionError("expected a StoreError")
