"""`policykg sparql` runs the guarded query in a killable worker: each overrun gets its exit status, quickly.

Bounds are generous ("finishes within N s") so a loaded 2-core CI box stays green; the point is that a query
that would run for minutes, crash the engine or fill the memory ends in seconds with one line on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policykg.errors import DataError, QueryTimeout, UsageError
from policykg.worker import Limits, QueryLimitExceeded, WorkerCrashed, WorkerRequest, run_in_worker

from .conftest import Recorder, assert_one_line_error, cli

BROADER = "<http://www.w3.org/2004/02/skos/core#broader>"


def build_of(store_dir: Path) -> str:
    return str((store_dir / os.readlink(store_dir / "current")).resolve())


def our_workers() -> list[int]:
    """Worker processes still alive whose parent is this test process."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"policykg.worker" in cmdline:
            found.append(int(pid))
    return found


def timed_cli(capsys, *args: str) -> tuple[int, str, str, float]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    code, out, err = cli(capsys, *args)
    return code, out, err, time.perf_counter() - t0


def test_answers_come_from_the_worker(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, "sparql", "--store", str(store_dir), "-f", "json",
                         "SELECT ?l WHERE { ?s a pkg:CoverageStatement ; rdfs:label ?l } ORDER BY ?l")
    assert code == 0, err
    assert len(json.loads(out)["rows"]) == 3


def test_from_restricts_the_dataset(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """FROM <g> reads that graph only (through oxrdflib the union flag overrode FROM and every graph was read)."""
    graph = "https://w3id.org/policykg/graph/ontology"
    _, from_out, _ = cli(capsys, "sparql", "--store", str(store_dir), "-f", "csv",
                         f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
    _, graph_out, _ = cli(capsys, "sparql", "--store", str(store_dir), "-f", "csv",
                          f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    _, all_out, _ = cli(capsys, "sparql", "--store", str(store_dir), "-f", "csv",
                        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert from_out == graph_out
    assert int(from_out.split()[1]) < int(all_out.split()[1])


@pytest.mark.parametrize("query", [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }",  # cartesian product of 690k x 690k
    f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ({BROADER}|^{BROADER})* ?o }}",  # unanchored closure, both ways
    # a pattern computed at run time, invisible to the guard: bounded by the worker's time limit
    'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), CONCAT("(a{1000})", "{1000}"))) }',
])
def test_overrunning_queries_are_killed_at_the_time_limit(capsys, store_dir: Path, query: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err, seconds = timed_cli(capsys, "sparql", "--store", str(store_dir), "--timeout", "2", query)
    assert code == QueryTimeout.exit_code == 5
    assert out == ""
    assert_one_line_error(err)
    assert "time limit" in err
    assert seconds < 10
    assert our_workers() == []  # the worker is gone, not left running


def test_the_memory_limit_stops_a_query(store_dir: Path) -> None:
    from policykg.adhoc import run_adhoc

    t0 = time.perf_counter()
    with pytest.raises(QueryLimitExceeded) as info:
        run_adhoc("SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1", "csv", store_dir=store_dir,
                  timeout=60, memory_mb=700)
    assert "memory limit (700 MiB)" in info.value.message
    assert info.value.exit_code == 5
    assert time.perf_counter() - t0 < 30


@pytest.mark.parametrize("err", [
    b"memory allocation of 8388608 bytes failed\n",
    b"terminate called after throwing an instance of 'std::bad_alloc'\n  what():  std::bad_alloc\n",
    # RocksDB starting a thread whose stack no longer fits under the limit (seen in CI)
    b"terminate called after throwing an instance of 'std::system_error'\n"
    b"  what():  Resource temporarily unavailable\n",
])
def test_every_way_of_running_out_of_memory_is_the_memory_limit(err: bytes) -> None:
    from policykg.worker import _outcome

    with pytest.raises(QueryLimitExceeded, match=r"memory limit \(700 MiB\)"):
        _outcome(-6, b"", err, Limits(timeout=60, memory_mb=700, max_rows=10))
    with pytest.raises(WorkerCrashed):  # an abort for another reason stays a crash
        _outcome(-6, b"", b"thread 'main' panicked at 'index out of bounds'\n", Limits(60, 700, 10))


def test_the_row_limit_is_an_error_not_a_truncated_answer(store_dir: Path) -> None:
    from policykg.adhoc import run_adhoc

    with pytest.raises(QueryLimitExceeded) as info:
        run_adhoc("SELECT * WHERE { ?s ?p ?o }", "csv", store_dir=store_dir, max_rows=10)
    assert "more than 10 rows" in info.value.message and info.value.exit_code == 5
    with pytest.raises(QueryLimitExceeded, match="more than 10 triples"):
        run_adhoc("CONSTRUCT WHERE { ?s ?p ?o }", "nt", store_dir=store_dir, max_rows=10)
    out = run_adhoc("SELECT * WHERE { ?s ?p ?o } LIMIT 10", "csv", store_dir=store_dir, max_rows=10)
    assert len(out.strip().splitlines()) == 11  # header + exactly the limit


def test_a_crashing_worker_is_a_clear_error(store_dir: Path) -> None:
    """3,000 nested groups segfault pyoxigraph 0.5.13. The guard refuses them; sent to the worker directly
    (as if the guard had missed something), the crash costs the worker only."""
    text = "SELECT * WHERE " + "{" * 3000 + "?s ?p ?o" + "}" * 3000
    t0 = time.perf_counter()
    with pytest.raises(WorkerCrashed) as info:
        run_in_worker(WorkerRequest(build_of(store_dir), text, "SELECT", "csv", Limits(timeout=60)))
    assert "worker crashed (SIGSEGV)" in info.value.message
    assert info.value.exit_code == DataError.exit_code == 3
    assert time.perf_counter() - t0 < 30


def test_crash_exit_status_through_the_cli(capsys, store_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The CLI turns a crashed worker into exit 3 and one line (the guard is bypassed to provoke the crash)."""
    import policykg.adhoc as adhoc
    from policykg.query_guard import GuardedQuery

    monkeypatch.setattr(adhoc, "guard_query", lambda text, known_graphs=None: GuardedQuery(text, "SELECT", ()))
    code, out, err = cli(capsys, "sparql", "--store", str(store_dir),
                         "SELECT * WHERE { ?s ?p ?o FILTER(" + "+".join(["1"] * 10_000) + " > 0) }")
    assert code == 3 and out == ""
    assert_one_line_error(err)
    assert "crashed" in err


def test_engine_syntax_errors_are_usage_errors(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(capsys, "sparql", "--store", str(store_dir), "SELECT * WHERE { ?s ?p }")
    assert code == UsageError.exit_code == 2
    assert_one_line_error(err)
    assert "syntax error" in err


def test_refusals_happen_before_the_store_is_touched(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Size and nesting are capped before any engine parses, and before the store is even opened or built."""
    missing = tmp_path / "never-built"
    hostile = [
        "SELECT * WHERE " + "{" * 5000 + "?s ?p ?o" + "}" * 5000,
        "SELECT * WHERE { ?s ?p ?o } #" + "x" * (10 * 1024 * 1024),
        f"SELECT * WHERE {{ ?s {'/'.join([BROADER] * 1000)} ?o }}",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        'SELECT * WHERE { ?s ?p ?o FILTER(REGEX(?o, "(a+)+$")) }',
    ]
    for text in hostile:
        code, out, err, seconds = timed_cli(capsys, "sparql", "--store", str(missing), text)
        assert code == 2 and out == "", err
        assert_one_line_error(err)
        assert seconds < 5
    assert not missing.exists()


def test_non_utf8_query_file(capsys, tmp_path: Path, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "q.rq"
    f.write_bytes(b"SELECT * WHERE { ?s ?p '\xff' }")
    code, _, err = cli(capsys, "sparql", "--store", str(store_dir), "--file", str(f))
    assert code == 2
    assert_one_line_error(err)
    assert "not UTF-8" in err


def isolation_possible() -> bool:
    code = "from policykg.worker import isolate_network; print(isolate_network())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    return out.strip() == "True"


def test_service_never_leaves_the_worker(store_dir: Path, recorder: Recorder) -> None:
    """Defence in depth: a SERVICE query sent straight to the worker (bypassing the guard) makes no request
    when the worker could isolate itself from the network; where the kernel forbids that, the worker says so
    and the guard alone stands (checked above)."""
    text = f"SELECT * WHERE {{ SERVICE <{recorder.url}> {{ ?s ?p ?o }} }}"
    request = WorkerRequest(build_of(store_dir), text, "SELECT", "csv", Limits(timeout=60))
    payload = json.dumps({"build": request.build, "text": text, "form": "SELECT", "fmt": "csv",
                          "limits": {"timeout": 60, "memory_mb": 2048, "max_rows": 100}}).encode()
    p = subprocess.run([sys.executable, "-m", "policykg.worker"], input=payload, capture_output=True, timeout=60)
    reply = json.loads(p.stdout)
    if isolation_possible():
        assert reply["isolated"] is True
        assert reply["ok"] is False and reply["status"] == 3  # the request could not be made
        assert recorder.hits == []
        with pytest.raises(DataError):
            run_in_worker(request)
        assert recorder.hits == []
    else:
        assert reply["isolated"] is False


def test_the_worker_refuses_a_malformed_request() -> None:
    p = subprocess.run([sys.executable, "-m", "policykg.worker"], input=b"{not json", capture_output=True,
                       timeout=60)
    assert p.returncode == 0
    assert json.loads(p.stdout) == {"ok": False, "status": 3, "message": "malformed worker request"}


@pytest.mark.parametrize("kwargs,fragment", [
    ({"timeout": 0}, "time limit"), ({"memory_mb": 10}, "memory limit"), ({"max_rows": 0}, "row limit"),
])
def test_limits_are_checked(kwargs: dict[str, float], fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        Limits(**kwargs)  # type: ignore[arg-type]
