"""`policykg load` / `unload` against a real store: loaded whole or not at all, under races and kills.

These rebuild the store (several seconds each), so they are few and each checks several things.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policykg.store import PolicyStore, StoreInfo, ensure_store

from .conftest import Recorder, assert_one_line_error, cli

GRAPH = "https://w3id.org/policykg/graph/loaded/"
EXE = str(Path(sys.executable).parent / "policykg")


def triples_in(root: Path, graph: str) -> int:
    s = PolicyStore.open(root)
    row = next(iter(s.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")))
    return int(row[0])


def vocabulary(tmp_path: Path, name: str = "vocab.ttl", n: int = 50) -> Path:
    lines = ["@prefix ex: <http://example.org/> .", "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> ."]
    lines += [f'ex:t{i} a ex:Term ; ex:n "{i}"^^xsd:integer .' for i in range(n)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_load_query_and_unload(capsys, tmp_path: Path, borrowed_store: Path, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "onto.ttl"
    f.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix ex: <http://example.org/> .\n"
                 f"ex:o a owl:Ontology ; owl:imports <{recorder.url}> .\nex:a ex:b ex:c .\n")
    code, out, err = cli(capsys, "load", "--store", str(borrowed_store), str(f), "--drop-imports")
    assert code == 0, err
    assert f"loaded onto.ttl: 2 triples into <{GRAPH}onto> as 'onto'" in out
    assert f"owl:imports <{recorder.url}> left out and not followed" in out
    assert recorder.hits == []
    assert triples_in(borrowed_store, GRAPH + "onto") == 2
    # the graph is a graph of the store now: FROM may name it
    code, out, _ = cli(capsys, "sparql", "--store", str(borrowed_store), "-f", "csv",
                       f"SELECT ?o FROM <{GRAPH}onto> WHERE {{ <http://example.org/a> ?p ?o }}")
    assert code == 0 and out.split() == ["o", "http://example.org/c"]
    # loading again under the same name needs --replace; the same graph under another name is refused
    code, _, err = cli(capsys, "load", "--store", str(borrowed_store), str(f), "--drop-imports")
    assert code == 2 and "--replace" in err
    code, _, err = cli(capsys, "load", "--store", str(borrowed_store), str(f), "--drop-imports", "--name", "other",
                       "--graph", GRAPH + "onto")
    assert code == 2 and "already loaded under the name 'onto'" in err
    code, out, err = cli(capsys, "unload", "--store", str(borrowed_store), "onto")
    assert code == 0, err
    assert "unloaded 'onto'" in out
    assert triples_in(borrowed_store, GRAPH + "onto") == 0
    assert not list((borrowed_store / "ingested").glob("*.nq"))


def test_a_failed_rebuild_leaves_nothing_behind(capsys, tmp_path: Path, borrowed_store: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import policykg.store as store
    from policykg.errors import StoreError

    def failing_build(root: Path, **_: object) -> None:
        raise StoreError("disk full (simulated)")

    before = os.readlink(borrowed_store / "current")
    monkeypatch.setattr(store, "build_store", failing_build)
    code, out, err = cli(capsys, "load", "--store", str(borrowed_store), str(vocabulary(tmp_path)))
    assert code == 6 and out == ""
    assert_one_line_error(err)
    assert "disk full" in err
    assert os.readlink(borrowed_store / "current") == before
    assert list((borrowed_store / "ingested").iterdir()) == []  # the graph file was taken back


def wait_for_build(root: Path, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None and not list((root / "builds").glob(".tmp-*")):
        time.sleep(0.02)


def test_load_killed_midway(tmp_path: Path, borrowed_store: Path) -> None:
    """Killed while rebuilding: the current build stays in use and answers; the checked graph file left in
    ingested/ is built in whole by the next command that opens the store, and nothing of the kill remains."""
    f = vocabulary(tmp_path, n=500)
    before = os.readlink(borrowed_store / "current")
    p = subprocess.Popen([EXE, "load", "--store", str(borrowed_store), str(f)], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_build(borrowed_store, p)
    assert p.poll() is None, "the load finished before it could be killed"
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    assert list((borrowed_store / "builds").glob(".tmp-*")), "the kill did not land during the rebuild"
    assert os.readlink(borrowed_store / "current") == before
    s = PolicyStore(StoreInfo(borrowed_store, (borrowed_store / before).resolve(), {}))
    assert bool(s.query("ASK { ?s a pkg:CoveragePolicy }").askAnswer)
    # nothing of the graph in the build in use
    assert triples_in_build((borrowed_store / before).resolve(), GRAPH + "vocab") == 0
    ensure_store(borrowed_store)  # the next command: builds the complete graph, cleans the killed build
    assert triples_in(borrowed_store, GRAPH + "vocab") == 1000
    assert not list((borrowed_store / "builds").glob(".tmp-*"))


def triples_in_build(build: Path, graph: str) -> int:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(build / "oxigraph"))
    return sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


def test_load_racing_build(tmp_path: Path, borrowed_store: Path) -> None:
    """`load` and `build --force` at once: both succeed, one after the other, and the store ends up with the
    graph whole (builds serialise on the store lock; the load's rebuild sees its own file)."""
    f = vocabulary(tmp_path, name="race.ttl", n=100)
    env = {**os.environ, "POLICYKG_STORE": str(borrowed_store)}
    build = subprocess.Popen([EXE, "build", "--force"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    load = subprocess.Popen([EXE, "load", str(f)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results = [(p.wait(timeout=300), p.stderr.read()) for p in (build, load)]  # type: ignore[union-attr]
    assert [code for code, _ in results] == [0, 0], results
    assert triples_in(borrowed_store, GRAPH + "race") == 200
    assert not list((borrowed_store / "builds").glob(".tmp-*"))
    assert PolicyStore.open(borrowed_store).manifest["graphs"].get("file:rdf-race.nq") == 200


@pytest.mark.parametrize("command", [["build", "--force"], ["load", "x.ttl"], ["unload", "x"]])
def test_an_unwritable_store_is_a_store_error(capsys, tmp_path: Path, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    (tmp_path / "x.ttl").write_text('<http://e/s> <http://e/p> "x" .\n')
    args = [a if a != "x.ttl" else str(tmp_path / "x.ttl") for a in command]
    code, _, err = cli(capsys, *args[:1], "--store", str(blocker / "sub"), *args[1:])
    assert code == 6, err
    assert_one_line_error(err.replace(str(blocker / "sub"), "STORE"))
