"""The endpoint's own contract: read-only on every path, negotiation, limits, errors, named queries, logs."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.query import Result
from serving import SLOW_TIMEOUT_S, TINY_ROWS

POLICY = "https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/policy"
SELECT = "SELECT ?p WHERE { ?p a pkg:CoveragePolicy }"
CONSTRUCT = f"CONSTRUCT {{ <{POLICY}> ?p ?o }} WHERE {{ <{POLICY}> ?p ?o }}"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


def get(base: str, query: str, **headers: str) -> httpx.Response:
    return httpx.get(base + "/sparql", params={"query": query}, headers=headers, timeout=30)


def post_form(base: str, query: str, **headers: str) -> httpx.Response:
    return httpx.post(base + "/sparql", data={"query": query}, headers=headers, timeout=30)


def post_direct(base: str, query: str, **headers: str) -> httpx.Response:
    return httpx.post(base + "/sparql", content=query.encode(), timeout=30,
                      headers={"Content-Type": "application/sparql-query", **headers})


PATHS = {"get": get, "form": post_form, "direct": post_direct}


def bindings(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


@pytest.mark.parametrize("path", PATHS)
def test_each_path_answers_the_same(policy_endpoint: str, path: str) -> None:
    rows = bindings(PATHS[path](policy_endpoint, SELECT, **JSON_RESULTS))
    assert rows == [{"p": {"type": "uri", "value": POLICY}}]


def test_default_graph_is_the_union_of_the_named_graphs(policy_endpoint: str) -> None:
    """A single pattern joins the policy graph (code lists) and the ICD-10-CM graph (code titles)."""
    query = ("SELECT DISTINCT ?title WHERE { ?entry pkg:includesCode ?code . ?code skos:notation \"Q05.4\" ; "
             "skos:prefLabel ?title }")
    rows = bindings(get(policy_endpoint, query, **JSON_RESULTS))
    assert rows and "spina bifida" in rows[0]["title"]["value"].lower()


REFUSED = {
    "insert": "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }",
    "load": "LOAD <http://example.org/data.ttl>",
    "clear": "CLEAR ALL",
    "service": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "service-silent-lowercase": "select * where { service silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "from-url": "SELECT * FROM <http://example.org/remote.ttl> WHERE { ?s ?p ?o }",
    "from-file": "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }",
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kind", REFUSED)
def test_refused_on_every_path(policy_endpoint: str, path: str, kind: str) -> None:
    r = PATHS[path](policy_endpoint, REFUSED[kind])
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.text.strip() and "\n" not in r.text.strip()


@pytest.mark.parametrize("request_kwargs", [
    {"method": "GET", "params": {"update": "CLEAR ALL"}},
    {"method": "POST", "data": {"update": "CLEAR ALL"}},
    {"method": "POST", "content": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}},
    {"method": "POST", "data": {"query": "ASK {}", "using-graph-uri": "http://example.org/g"}},
], ids=["get-update", "form-update", "direct-update", "using-graph-uri"])
def test_update_operations_are_refused(policy_endpoint: str, request_kwargs: dict) -> None:
    r = httpx.request(url=policy_endpoint + "/sparql", timeout=30, **request_kwargs)
    assert r.status_code == 403 and "read-only" in r.text


def test_from_a_graph_of_the_store_is_allowed(policy_endpoint: str) -> None:
    graph = "https://w3id.org/policykg/graph/ontology"
    query = f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}"
    rows = bindings(get(policy_endpoint, query, **JSON_RESULTS))
    health = httpx.get(policy_endpoint + "/health").json()
    assert 0 < int(rows[0]["n"]["value"]) < health["triples"]


@pytest.mark.parametrize(("accept", "ctype", "fmt"), [
    ("application/sparql-results+json", "application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "application/sparql-results+xml", "xml"),
    ("text/csv", "text/csv", "csv"),
    ("text/tab-separated-values", "text/tab-separated-values", "tsv"),
    ("*/*", "application/sparql-results+json", "json"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml", "xml"),
])
def test_select_negotiation(policy_endpoint: str, accept: str, ctype: str, fmt: str) -> None:
    r = get(policy_endpoint, SELECT, Accept=accept)
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == ctype
    result = Result.parse(io.BytesIO(r.content), format=fmt)
    assert [str(row[0]) for row in result] == [POLICY]


@pytest.mark.parametrize(("accept", "ctype", "fmt"), [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
])
def test_construct_negotiation(policy_endpoint: str, accept: str, ctype: str, fmt: str) -> None:
    r = get(policy_endpoint, CONSTRUCT, Accept=accept)
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == ctype
    g = Graph().parse(io.BytesIO(r.content), format=fmt)
    assert len(g) > 5 and (URIRef(POLICY), None, None) in g


def test_ask_and_unacceptable_type(policy_endpoint: str) -> None:
    r = get(policy_endpoint, f"ASK {{ <{POLICY}> a pkg:CoveragePolicy }}", **JSON_RESULTS)
    assert r.json()["boolean"] is True
    r = get(policy_endpoint, SELECT, Accept="image/png")
    assert r.status_code == 406 and "application/sparql-results+json" in r.text


def test_syntax_error_gives_the_parser_position(policy_endpoint: str) -> None:
    r = get(policy_endpoint, "SELECT ?x WHERE { ?x ?y }")
    assert r.status_code == 400
    assert "SPARQL syntax error" in r.text and "1:" in r.text


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"content": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415),
    ({"content": b"ASK {}"}, 415),
    ({"content": "ASK {}".encode("utf-16"), "headers": {"Content-Type": "application/sparql-query; charset=UTF-16"}},
     400),
    ({"content": b"ASK { FILTER(\"\xff\xfe\") }", "headers": {"Content-Type": "application/sparql-query"}}, 400),
    ({"content": b"query=ASK%20%7B%7D%FF", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 400),
    ({"content": b"x" * 300_000, "headers": {"Content-Type": "application/sparql-query"}}, 413),
], ids=["wrong-type", "no-type", "utf16", "bad-utf8-body", "bad-utf8-form", "oversized"])
def test_bad_requests(policy_endpoint: str, kwargs: dict, status: int) -> None:
    r = httpx.post(policy_endpoint + "/sparql", timeout=30, **kwargs)
    assert r.status_code == status, r.text
    assert len(r.text.strip().splitlines()) == 1


def test_bad_query_string_and_method(policy_endpoint: str) -> None:
    r = httpx.get(policy_endpoint + "/sparql?query=ASK%20%7B%7D%C3")
    assert r.status_code == 400 and "UTF-8" in r.text
    r = httpx.put(policy_endpoint + "/sparql?query=ASK%20%7B%7D")
    assert r.status_code == 405
    r = httpx.get(policy_endpoint + "/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert r.status_code == 400
    r = post_form(policy_endpoint, "SELECT * WHERE { ?s ?p ?o }" + " " * 70_000)
    assert r.status_code == 413 and "64 KiB" in r.text


def test_row_limit_is_an_error_not_a_truncated_answer(tiny_endpoint: str) -> None:
    exact = get(tiny_endpoint, f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {TINY_ROWS}", **JSON_RESULTS)
    assert len(bindings(exact)) == TINY_ROWS
    over = get(tiny_endpoint, f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {TINY_ROWS + 1}", **JSON_RESULTS)
    assert over.status_code == 500 and "row limit" in over.text
    graph = get(tiny_endpoint, "CONSTRUCT WHERE { ?s ?p ?o }", Accept="text/turtle")
    assert graph.status_code == 500 and f"more than {TINY_ROWS} triples" in graph.text
    ask = get(tiny_endpoint, "ASK { ?s ?p ?o }", **JSON_RESULTS)
    assert ask.json()["boolean"] is True


# ten triples to the ninth power: an aggregate pyoxigraph cannot be interrupted in, running for minutes
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(9)) + " }"
QUICK = "SELECT ?s WHERE { ?s ?p \"3\" }"


def test_slow_query_is_killed_and_blocks_nothing(tiny_endpoint: str) -> None:
    policy_endpoint = tiny_endpoint
    before = httpx.get(policy_endpoint + "/health").json()["workers"]
    outcome: dict = {}

    def slow() -> None:
        t0 = time.monotonic()
        outcome["response"] = get(policy_endpoint, SLOW, **JSON_RESULTS)
        outcome["seconds"] = time.monotonic() - t0

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    health = httpx.get(policy_endpoint + "/health", timeout=5)
    assert health.status_code == 200 and time.monotonic() - t0 < 0.5
    assert health.json()["workers"]["busy"] >= 1
    quick = get(policy_endpoint, QUICK, **JSON_RESULTS)  # the other worker answers meanwhile
    assert len(bindings(quick)) == 1 and time.monotonic() - t0 < SLOW_TIMEOUT_S
    thread.join(SLOW_TIMEOUT_S + 20)
    response = outcome["response"]
    assert response.status_code == 503 and "time limit" in response.text
    assert SLOW_TIMEOUT_S <= outcome["seconds"] < SLOW_TIMEOUT_S + 10
    after = httpx.get(policy_endpoint + "/health").json()["workers"]
    assert after["restarts"] == before["restarts"] + 1
    killed = set(before["pids"]) - set(after["pids"])
    assert len(killed) == 1
    assert not Path(f"/proc/{killed.pop()}").exists()  # killed and reaped: its CPU is free
    assert len(bindings(get(policy_endpoint, QUICK, **JSON_RESULTS))) == 1


def test_service_description(policy_endpoint: str) -> None:
    r = httpx.get(policy_endpoint + "/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(sd + "feature"), URIRef(sd + "UnionDefaultGraph")) in g
    assert (None, URIRef(sd + "endpoint"), URIRef(policy_endpoint + "/sparql")) in g
    names = {str(o) for o in g.objects(None, URIRef(sd + "name"))}
    assert "https://w3id.org/policykg/graph/ontology" in names
    assert (None, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Update")) not in g


BATCH_TAG = "decision-table"  # whole-table batch queries (tens of seconds each), not interactive ones


def interactive(q: dict) -> bool:
    return BATCH_TAG not in q["tags"]


def test_named_queries_list_and_run(policy_endpoint: str) -> None:
    from policykg.queries import registry

    listed = httpx.get(policy_endpoint + "/queries").json()
    assert [q["name"] for q in listed] == list(registry())
    assert sum(map(interactive, listed)) >= 20
    for q in filter(interactive, listed):
        r = httpx.get(policy_endpoint + q["path"], params=q["example"], headers=JSON_RESULTS, timeout=30)
        assert r.status_code == 200, (q["name"], r.text)
        assert "results" in r.json()


def test_named_query_errors_and_text(policy_endpoint: str) -> None:
    assert httpx.get(policy_endpoint + "/queries/no-such-query").status_code == 404
    r = httpx.get(policy_endpoint + "/queries/code-info", params={"nope": "1"})
    assert r.status_code == 400 and "no parameter" in r.text
    r = httpx.get(policy_endpoint + "/queries/code-info")
    assert r.status_code == 400 and "needs parameter" in r.text
    r = httpx.get(policy_endpoint + "/queries/code-info", params={"icd": "Q05.4"},
                  headers={"Accept": "application/sparql-query"})
    assert r.status_code == 200 and "PREFIX pkg:" in r.text and 'VALUES (?icd) { ("Q05.4") }' in r.text
    csv = httpx.get(policy_endpoint + "/queries/code-info", params={"icd": "Q05.4"}, headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and "Q05.4" in csv.text


def test_access_log_has_a_line_per_request(policy_endpoint: str, access_log: Path) -> None:
    marker = f"/queries/marker-{time.monotonic_ns()}"
    assert httpx.get(policy_endpoint + marker).status_code == 404
    time.sleep(0.2)
    lines = [line for line in access_log.read_text().splitlines() if marker in line]
    assert len(lines) == 1 and '"GET ' in lines[0] and " 404 " in lines[0] and lines[0].endswith("ms")


def test_index_page_is_local_only(policy_endpoint: str) -> None:
    r = httpx.get(policy_endpoint + "/")
    assert r.status_code == 200 and "connect-src 'self'" in r.headers["content-security-policy"]
    assert "/static/vendor/yasgui/yasgui.min.js" in r.text and "//cdn" not in r.text
    js = httpx.get(policy_endpoint + "/static/vendor/yasgui/yasgui.min.js")
    assert js.status_code == 200 and len(js.content) > 500_000
    assert json.loads(httpx.get(policy_endpoint + "/health").text)["status"] == "ok"
