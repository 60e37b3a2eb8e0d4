"""Helpers for the hardening tests: the CLI through its entry point, a recording HTTP server, a cheap store root."""

from __future__ import annotations

import http.server
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from policykg.cli import main

# what an error line must never show: a traceback, or where things live on this machine
LEAKS = re.compile(r"Traceback|File \"|site-packages|/work/|\.py\b|0x[0-9a-f]{6,}")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str) -> None:
    """An error is one line on stderr, names the problem, and leaks no traceback or internal path."""
    assert err.startswith("policykg: error: "), err
    assert len(err.strip().splitlines()) == 1, err
    assert not LEAKS.search(err), err


@dataclass
class Recorder:
    """A tiny HTTP server on 127.0.0.1 that answers every request with `body` and remembers the paths."""

    body: bytes = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
    content_type: str = "application/sparql-results+json"
    hits: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            rec.hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", rec.content_type)
            self.send_header("Content-Length", str(len(rec.body)))
            self.end_headers()
            self.wfile.write(rec.body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def borrowed_store(tmp_path: Path, store_dir: Path) -> Path:
    """A store root of its own whose `current` is the session build: loads and refusals start from a real
    build without paying for one, and whatever they change stays in this root (the session build is only
    read, and a rebuild swaps this root's own `current`)."""
    root = tmp_path / "store"
    root.mkdir()
    target = (store_dir / os.readlink(store_dir / "current")).resolve()
    os.symlink(target, root / "current")
    return root
