"""policykg.remote against a scripted endpoint on 127.0.0.1: a partial or broken answer is a RemoteError, never data.

The real stores are in tests/integration; here each failure mode is produced on purpose, including the ones
a healthy Virtuoso only shows under load (X-SQL-State from an "anytime" query cut by its time limit).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from policykg.errors import RemoteError
from policykg.query_guard import guard_query
from policykg.remote import run_remote_query, run_remote_select, with_prefixes

OK = json.dumps({"head": {"vars": ["code", "n"]}, "results": {"bindings": [
    {"code": {"type": "uri", "value": "https://w3id.org/policykg/cpt/76800"},
     "n": {"type": "typed-literal", "datatype": str(XSD.integer), "value": "3"}}]}}).encode()
JSON_TYPE = "application/sparql-results+json"
ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok": (200, {"Content-Type": JSON_TYPE}, OK),
    "/sql-state": (200, {"Content-Type": JSON_TYPE, "X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: timeout"}, OK),
    "/max-rows": (200, {"Content-Type": JSON_TYPE, "X-SPARQL-MaxRows": "1"}, OK),
    "/partial-content": (206, {"Content-Type": JSON_TYPE}, OK),
    "/cut-json": (200, {"Content-Type": JSON_TYPE}, OK[: len(OK) // 2]),
    "/html": (200, {"Content-Type": "text/html"}, b"<html>Virtuoso error page</html>"),
    "/not-results": (200, {"Content-Type": JSON_TYPE}, b'{"head": {}}'),
    "/deep-json": (200, {"Content-Type": JSON_TYPE}, b"[" * 5000),  # deeper than json's recursion limit
    "/bad-turtle": (200, {"Content-Type": "text/turtle"}, b"<http://a> <http://b> "),
    "/server-error": (500, {"Content-Type": "text/plain"}, b"Virtuoso 42000 Error SR...\n"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/slow":
            time.sleep(3)
        if self.path == "/short-body":  # promises more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Type", JSON_TYPE)
            self.send_header("Content-Length", str(len(OK) + 100))
            self.end_headers()
            self.wfile.write(OK[:20])
            self.close_connection = True
            return
        status, headers, body = ROUTES.get(self.path, ROUTES["/ok"])
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def fake() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_whole_answer_is_data(fake: str) -> None:
    columns, rows = run_remote_select(fake + "/ok", "SELECT ?code ?n WHERE { ?code ?p ?n }")
    assert columns == ["code", "n"]
    assert rows == [{"code": URIRef("https://w3id.org/policykg/cpt/76800"), "n": Literal(3)}]


@pytest.mark.parametrize(("path", "message"), [
    ("/sql-state", "partial (x-sql-state: S1TAT)"),
    ("/max-rows", "partial (x-sparql-maxrows: 1)"),
    ("/partial-content", "HTTP 206"),
    ("/cut-json", "unparseable SPARQL JSON"),
    ("/not-results", "unparseable SPARQL JSON"),
    ("/deep-json", "unparseable SPARQL JSON"),
    ("/short-body", "incomplete answer"),
    ("/html", "expected application/sparql-results+json, got text/html"),
    ("/server-error", "500"),
    ("/slow", "no answer within 1 s"),
])
def test_partial_or_broken_answers_are_errors(fake: str, path: str, message: str) -> None:
    with pytest.raises(RemoteError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")) as err:
        run_remote_select(fake + path, "SELECT ?code WHERE { ?code ?p ?o }", timeout=1)
    assert err.value.exit_code == 7 and "\n" not in str(err.value)


def test_graph_answers_are_checked_too(fake: str) -> None:
    guarded = guard_query("CONSTRUCT WHERE { ?s ?p ?o }")
    with pytest.raises(RemoteError, match="unparseable Turtle"):
        run_remote_query(fake + "/bad-turtle", guarded, "nt", timeout=5)


def test_prefixes_are_declared_once() -> None:
    text = with_prefixes("PREFIX skos: <http://example.org/other#>\nSELECT * WHERE { ?s skos:x pkg:y }")
    assert text.count("PREFIX skos:") == 1 and "PREFIX pkg: <https://w3id.org/policykg/ns#>" in text
    assert with_prefixes(text) == text


def test_not_an_http_endpoint() -> None:
    from policykg.errors import UsageError

    with pytest.raises(UsageError, match="http"):
        run_remote_select("file:///etc/passwd", "SELECT * WHERE { ?s ?p ?o }")
