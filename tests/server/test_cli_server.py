"""`policykg serve` and `policykg push`: bad input is one line on stderr and exit 2, before anything starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from serving import free_port


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "policykg.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("args", "message"), [
    (("serve", "--data", "graph.txt"), "--data must be .nq, .trig, .nt or .ttl"),
    (("serve", "--data", "missing.nq"), "does not exist"),
    (("serve", "--port", "70000"), "70000"),
    (("push",), "give --endpoint"),
    (("push", "--endpoint", "ftp://example.org/store"), "endpoint must be an http(s) URL"),
    (("push", "--endpoint", "http://127.0.0.1:9/store", "--user", "dba"), "--user needs --password"),
])
def test_bad_arguments(store_dir: Path, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    extra = ("--store", str(store_dir)) if args[0] == "push" else ()
    r = subprocess.run([sys.executable, "-m", "policykg.cli", *args, *extra], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_push_unknown_graph_and_unreachable_store(store_dir: Path) -> None:
    r = cli("push", "--store", str(store_dir), "--endpoint", "http://127.0.0.1:9/store", "--graph", "http://nope/")
    assert r.returncode == 2 and "the store has no graph http://nope/" in r.stderr
    port = free_port()
    r = cli("push", "--store", str(store_dir), "--endpoint", f"http://127.0.0.1:{port}/store",
            "--graph", "https://w3id.org/policykg/graph/ontology", "--timeout", "5")
    assert r.returncode == 7 and "cannot reach the store" in r.stderr


def test_serve_bad_data_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nq"
    bad.write_text("<http://example.org/s> <http://example.org/p> .\n", encoding="utf-8")
    r = cli("serve", "--data", str(bad), "--port", str(free_port()))
    assert r.returncode == 3 and "bad.nq" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_serve_on_a_port_in_use_is_one_line(store_dir: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = cli("serve", "--store", str(store_dir), "--port", str(port))
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.strip() == f"policykg: error: cannot listen on 127.0.0.1:{port}: Address already in use"
