"""One contract for exit statuses (policykg.errors, README "Exit statuses"), checked across the commands.

Every failure a user can cause ends as one line on stderr with the documented status: 2 bad input, 3 a file
or graph that cannot be read, 5 a limit hit, 6 the store cannot be built or opened, 7 a remote endpoint
failed or answered partially. Remote failures are provoked with small HTTP servers on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from policykg.cli import app
from policykg.errors import DataError, QueryTimeout, RemoteError, StoreError, UsageError, ValidationFailed

from .conftest import assert_one_line_error, cli


def test_the_table_in_errors_matches_the_classes() -> None:
    assert (UsageError.exit_code, DataError.exit_code, QueryTimeout.exit_code, StoreError.exit_code,
            RemoteError.exit_code, ValidationFailed.exit_code) == (2, 3, 5, 6, 7, 8)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit statuses", 1)[1].split("\n## ", 1)[0]
    for status in (2, 3, 5, 6, 7, 8):
        assert f"| {status} |" in section


@pytest.mark.parametrize("command", sorted(app.commands))
def test_every_command_refuses_an_unknown_option_with_status_2(capsys, command: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, command, "--no-such-option")
    assert code == 2 and out == ""
    assert_one_line_error(err)


def test_the_command_list_is_the_one_checked() -> None:
    """So that a new command is noticed here (and gets its cases in the tests below)."""
    assert {"build", "check", "export", "info", "load", "query", "sparql", "unload"} <= set(app.commands)


@pytest.mark.parametrize("args", [
    ["build"], ["info"], ["check", "--cpt", "76800", "--icd", "Q05.4", "--age", "3m"], ["query", "covered-diagnoses"],
    ["sparql", "ASK {}"], ["export", "-f", "nt", "-o", "OUT"], ["load", "FILE"], ["unload", "x"],
])
def test_a_store_that_cannot_be_created_is_status_6(capsys, tmp_path: Path, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    (tmp_path / "x.ttl").write_text('<http://e/s> <http://e/p> "x" .\n')
    args = [{"OUT": str(tmp_path / "o.nt"), "FILE": str(tmp_path / "x.ttl")}.get(a, a) for a in args]
    code, out, err = cli(capsys, args[0], "--store", str(blocker / "store"), *args[1:])
    assert code == 6, err
    assert out == ""
    assert_one_line_error(err.replace(str(tmp_path), "TMP"))


@pytest.mark.parametrize("args,status", [
    (["load", "MISSING"], 3), (["ingest", "MISSING"], 3), (["diff", "MISSING", "MISSING"], 3),
    (["load", "DIR"], 3), (["load", "http://example.org/x.ttl"], 2), (["export", "-f", "nt", "-o", "NODIR/x.nt"], 2),
])
def test_files_that_cannot_be_read(capsys, tmp_path: Path, store_dir: Path, args: list[str], status: int) -> None:  # type: ignore[no-untyped-def]
    if args[0] not in app.commands:
        pytest.fail(f"command {args[0]} is gone: update this contract test")
    subst = {"MISSING": str(tmp_path / "missing.txt"), "DIR": str(tmp_path), "NODIR/x.nt": str(tmp_path / "no/x.nt")}
    code, _, err = cli(capsys, args[0], "--store", str(store_dir), *[subst.get(a, a) for a in args[1:]])
    assert code == status, err
    assert_one_line_error(err.replace(str(tmp_path), "TMP"))


# -- remote endpoints: time out, answer partially, refuse ------------------------------------------------
Behaviour = Callable[[http.server.BaseHTTPRequestHandler], None]


@pytest.fixture
def endpoint() -> Iterator[Callable[[Behaviour], str]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(behaviour: Behaviour) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                behaviour(self)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}/sparql"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def reply(status: int = 200, body: bytes = b"", ctype: str = "application/sparql-results+json",
          headers: dict[str, str] | None = None, length: int | None = None, delay: float = 0) -> Behaviour:
    def behaviour(h: http.server.BaseHTTPRequestHandler) -> None:
        time.sleep(delay)
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
    return behaviour


GOOD = b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"literal","value":"1"}}]}}'


@pytest.mark.parametrize("behaviour,fragment", [
    (reply(body=GOOD, delay=5), "no answer within"),
    (reply(body=GOOD, headers={"X-SQL-State": "S1TAT"}), "partial"),
    (reply(body=GOOD, headers={"X-SPARQL-MaxRows": "10000"}), "partial"),
    (reply(206, body=GOOD), "partial"),
    (reply(body=GOOD[:40], length=len(GOOD)), "incomplete answer"),
    (reply(body=b'{"head": {"vars": ["n"]}, "results": {"bindi'), "unparseable"),
    (reply(body=b"<html>busy</html>", ctype="text/html"), "expected application/sparql-results+json"),
    (reply(503, body=b"overloaded", ctype="text/plain"), "503"),
    (reply(403, body=b"forbidden", ctype="text/plain"), "403"),
])
def test_remote_failures_are_status_7(capsys, endpoint, behaviour: Behaviour, fragment: str) -> None:  # type: ignore[no-untyped-def]
    url = endpoint(behaviour)
    for args in (["sparql", "--endpoint", url, "--timeout", "1", "SELECT ?n WHERE { ?s ?p ?n }"],
                 ["query", "covered-diagnoses", "--endpoint", url, "--timeout", "1"]):
        t0 = time.perf_counter()
        code, out, err = cli(capsys, *args)
        assert code == 7, err
        assert out == ""
        assert_one_line_error(err)
        assert fragment in err
        assert time.perf_counter() - t0 < 10


def test_a_remote_endpoint_that_refuses_connections(capsys) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = cli(capsys, "sparql", "--endpoint", f"http://127.0.0.1:{port}/sparql", "ASK {}")
    assert code == 7 and "cannot connect" in err
    assert_one_line_error(err)


def test_the_guard_applies_before_a_remote_endpoint_is_asked(capsys, endpoint) -> None:  # type: ignore[no-untyped-def]
    hits: list[str] = []

    def record(h: http.server.BaseHTTPRequestHandler) -> None:
        hits.append(h.path)
        reply(body=GOOD)(h)

    url = endpoint(record)
    for text in ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "DROP ALL",
                 "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"):
        code, _, err = cli(capsys, "sparql", "--endpoint", url, text)
        assert code == 2, err
    assert hits == []
