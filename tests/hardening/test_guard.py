"""The query guard on hostile text: each refusal names the problem, carries its HTTP status, and is quick.

No store and no engine here: the guard is lexical and must refuse before anything parses the query.
"""

from __future__ import annotations

import time

import pytest

from policykg.query_guard import (
    MAX_NESTING,
    MAX_PATH_STEPS,
    MAX_QUERY_BYTES,
    QueryRefused,
    guard_query,
    regex_problem,
)

BROADER = "<http://www.w3.org/2004/02/skos/core#broader>"
GRAPHS = {"https://w3id.org/policykg/graph/ontology"}


def refused(text: str | bytes, graphs: set[str] | None = None) -> QueryRefused:
    t0 = time.perf_counter()
    with pytest.raises(QueryRefused) as info:
        guard_query(text, known_graphs=graphs)
    assert time.perf_counter() - t0 < 5, "hostile input must be refused quickly"
    assert "\n" not in info.value.message
    return info.value


SERVICE_SPELLINGS = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "select * where { service <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SeRvIcE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { VALUES ?e { <http://127.0.0.1:9/> } SERVICE ?e { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE SILENT ?x { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } } }",
    "SELECT * WHERE { OPTIONAL { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "ASK { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE {\nSERVICE\n# a comment between\n<http://127.0.0.1:9/>\n{ ?s ?p ?o } }",
    # codepoint escapes are expanded by rdflib before it parses: \u0053 is 'S'
    r"SELECT * WHERE { \u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    r"SELECT * WHERE { SERV\u0049CE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    r"SELECT * WHERE { \U00000053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
]


@pytest.mark.parametrize("text", SERVICE_SPELLINGS)
def test_service_is_refused_in_every_spelling(text: str) -> None:
    exc = refused(text)
    assert "SERVICE" in exc.message and exc.status == 403


@pytest.mark.parametrize("text", [
    'SELECT * WHERE { ?s ?p "SERVICE <http://x/> {}" }',
    "SELECT * WHERE { ?s ?p <http://example.org/SERVICE> }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> { }",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:SERVICE ?o }",
    "SELECT ?SERVICE WHERE { ?SERVICE ?p ?o }",
])
def test_service_as_data_is_not_a_keyword(text: str) -> None:
    assert guard_query(text).form == "SELECT"


@pytest.mark.parametrize("text", [
    "SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }",
    "SELECT * FROM <https://example.org/data.ttl> WHERE { ?s ?p ?o }",
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * FROM NAMED <file:///etc/hosts> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * from named <file:/etc/hosts> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "BASE <http://evil.example/> SELECT * FROM <data.ttl> WHERE { ?s ?p ?o }",
    "SELECT * FROM <https://w3id.org/policykg/graph/ontology> FROM <http://x/> WHERE { ?s ?p ?o }",
    r"SELECT * FROM <http://example.org/\u0078> WHERE { ?s ?p ?o }",
])
def test_from_anything_but_a_store_graph_is_refused(text: str) -> None:
    exc = refused(text, GRAPHS)
    assert "not a graph of this store" in exc.message and exc.status == 403


def test_from_a_store_graph_is_allowed_and_reported() -> None:
    g = guard_query("SELECT * FROM <https://w3id.org/policykg/graph/ontology> FROM NAMED "
                    "<https://w3id.org/policykg/graph/ontology> WHERE { ?s ?p ?o }", GRAPHS)
    assert g.from_graphs == ("https://w3id.org/policykg/graph/ontology",) * 2
    assert guard_query("SELECT * WHERE { ?s ?p ?o }", None).from_graphs == ()


@pytest.mark.parametrize("text", [
    "PREFIX g: <https://w3id.org/policykg/graph/> SELECT * FROM g:ontology WHERE { ?s ?p ?o }",
    "SELECT * FROM WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED ?g WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } FROM",
])
def test_from_must_name_a_full_iri(text: str) -> None:
    exc = refused(text, GRAPHS)
    assert "FROM" in exc.message


@pytest.mark.parametrize("text,word", [
    ("INSERT DATA { <a:b> <a:b> <a:b> }", "INSERT"),
    ("DELETE WHERE { ?s ?p ?o }", "DELETE"),
    ("LOAD <http://example.org/x.ttl>", "LOAD"),
    ("LOAD SILENT <file:///etc/passwd> INTO GRAPH <a:g>", "LOAD"),
    ("DROP ALL", "DROP"),
    ("CLEAR DEFAULT", "CLEAR"),
    ("CREATE GRAPH <a:g>", "CREATE"),
    ("ADD <a:g> TO <a:h>", "ADD"),
    ("MOVE DEFAULT TO <a:g>", "MOVE"),
    ("COPY <a:g> TO <a:h>", "COPY"),
    ("WITH <a:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
    ("SELECT * WHERE { ?s ?p ?o } ; DROP ALL", "DROP"),
    ("ASK {} INSERT DATA { <a:b> <a:b> <a:b> }", "INSERT"),
    (r"\u0044ROP ALL", "DROP"),
])
def test_update_is_refused(text: str, word: str) -> None:
    exc = refused(text)
    assert f"({word})" in exc.message and "read-only" in exc.message and exc.status == 403


@pytest.mark.parametrize("text,fragment,status", [
    ("", "empty", 400),
    ("   \n\t ", "empty", 400),
    ("# only a comment", "not a query", 400),
    ("SELEKT * WHERE { ?s ?p ?o }", "not a query", 400),
    ("SELECT * WHERE { ?s ?p ?o ", "unbalanced", 400),
    ("SELECT * WHERE { ?s ?p ?o } }", "unbalanced", 400),
    ("SELECT * WHERE ?s ?p ?o ) (", "unbalanced", 400),
    ("SELECT * WHERE { ?s ?p ?o } SELECT * WHERE { ?s ?p ?o }", "two queries", 400),
    ("ASK { ?s ?p ?o } ASK { ?s ?p ?o }", "two queries", 400),
    ("SELECT * WHERE { ?s ?p \"a\x00b\" }", "NUL", 400),
    (r"SELECT * WHERE { ?s ?p '\u0000' }", "NUL", 400),
    (r"SELECT * WHERE { ?s ?p '\uD800' }", "surrogate", 400),
    (r"SELECT * WHERE { ?s ?p '\U0011FFFF' }", "invalid unicode escape", 400),
    ("SELECT * WHERE { ?s ?p '\udcff' }", "UTF-8", 400),  # a lone surrogate from surrogateescape'd argv
])
def test_malformed_queries(text: str, fragment: str, status: int) -> None:
    exc = refused(text)
    assert fragment in exc.message and exc.status == status


def test_non_utf8_bytes_are_refused_with_the_offset() -> None:
    exc = refused(b"SELECT * WHERE { ?s ?p '\xff\xfe' }")
    assert "not valid UTF-8 (byte 24)" in exc.message


@pytest.mark.parametrize("body", [
    b"SELECT * WHERE { ?s ?p ?o } #" + b"x" * (10 * 1024 * 1024),
    "SELECT * WHERE { ?s ?p ?o } #" + "x" * (10 * 1024 * 1024),
    "SELECT * WHERE { ?s ?p ?o } #" + "\u00e9" * (MAX_QUERY_BYTES // 2),  # few characters, too many bytes
])
def test_large_bodies_are_refused_with_413(body: str | bytes) -> None:
    exc = refused(body)
    assert "larger than 64 KiB" in exc.message and exc.status == 413


@pytest.mark.parametrize("depth,bracket", [(MAX_NESTING + 1, "{}"), (5_000, "{}"), (5_000, "()"), (3_000, "[]")])
def test_deep_nesting_is_refused_before_parsing(depth: int, bracket: str) -> None:
    open_, close = bracket
    if bracket == "{}":
        text = "SELECT * WHERE " + open_ * depth + "?s ?p ?o" + close * depth
    elif bracket == "()":
        text = "SELECT * WHERE { ?s ?p ?o FILTER(" + open_ * depth + "1" + close * depth + ") }"
    else:
        text = "SELECT * WHERE { ?s ?p " + open_ * depth + " ?p 1 " + close * depth + " }"
    exc = refused(text)
    assert f"deeper than {MAX_NESTING}" in exc.message


def test_nesting_at_the_cap_is_allowed() -> None:
    text = "SELECT * WHERE " + "{" * MAX_NESTING + "?s ?p ?o" + "}" * MAX_NESTING
    assert guard_query(text).form == "SELECT"


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "+".join(["1"] * 10_000) + " > 0) }",
    "SELECT * WHERE { ?s ?p ?o FILTER(" + " || ".join(["?o = 1"] * 1_200) + ") }",
    "SELECT (" + "*".join(["2"] * 5_000) + " AS ?x) WHERE {}",
])
def test_ten_thousand_term_expressions_are_refused(text: str) -> None:
    exc = refused(text)
    assert "operators" in exc.message


@pytest.mark.parametrize("steps,sep", [(MAX_PATH_STEPS + 1, "/"), (1_000, "/"), (1_000, "|"), (200, "/^")])
def test_long_property_paths_are_refused(steps: int, sep: str) -> None:
    text = "SELECT * WHERE { ?s " + sep.join([BROADER] * steps) + " ?o }"
    exc = refused(text)
    assert "property path" in exc.message


def test_paths_and_division_within_the_caps_are_allowed() -> None:
    assert guard_query("SELECT * WHERE { ?s " + "/".join([BROADER] * MAX_PATH_STEPS) + " ?o }").form == "SELECT"
    # arithmetic division between variables and numbers is not a path, however long
    division = "SELECT (" + "/".join(["?x"] * 200) + " AS ?y) WHERE { ?s ?p ?x }"
    assert guard_query(division).form == "SELECT"


def test_token_cap() -> None:
    text = "SELECT * WHERE { VALUES ?x { " + " ".join(["1"] * 25_000) + " } }"
    exc = refused(text)
    assert "tokens" in exc.message and exc.status == 413


CATASTROPHIC = [
    r"(a+)+$", r"^(\\w+\\s?)*$", r"(a|aa)*b", r"(a|a)+", r"(a{1000}){1000}", r"(x{10}){10}", r"a{1000}",
    r"((ab)*)*", r"(.*a){20}", r"(\\d+)*x", r"(\\1)", "a" * 600,
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_regex_literals_are_refused(pattern: str) -> None:
    for fn in ("REGEX(STR(?o), \"{}\")", "REGEX(?o, \"{}\", \"i\")", "REPLACE(STR(?o), \"{}\", \"x\")"):
        call = fn.replace("{}", pattern)
        exc = refused(f"SELECT * WHERE {{ ?s ?p ?o FILTER({call}) }}" if "REPLACE" not in call
                      else f"SELECT ({call} AS ?r) WHERE {{ ?s ?p ?o }}")
        assert "REGEX pattern refused" in exc.message


@pytest.mark.parametrize("pattern", [
    "^Q05", "spina.*bifida", r"[A-Z]\\d{2}(\\.\\d{1,4})?", "(cat|dog)s?", "(abc)+", "^(?:Q0[5-7])", r"\\(a+\\)+",
    "[(a+)+]", "ultra(sound|sonography)",
])
def test_ordinary_regex_literals_are_allowed(pattern: str) -> None:
    assert guard_query(f'SELECT * WHERE {{ ?s ?p ?o FILTER(REGEX(STR(?o), "{pattern}")) }}').form == "SELECT"


def test_computed_patterns_are_left_to_the_worker_time_limit() -> None:
    # documented: the guard cannot see a pattern built at run time; the killable worker's time limit bounds it
    text = 'SELECT * WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), CONCAT("(a+", ")+$"))) }'
    assert guard_query(text).form == "SELECT"


def test_regex_problem_reasons() -> None:
    assert regex_problem("(a+)+") == "a repeated group contains a quantifier (catastrophic backtracking)"
    assert regex_problem("(a|aa)*") == "a repeated group contains an alternation (catastrophic backtracking)"
    assert regex_problem("a{101}") == "counted repetition above 100"
    assert regex_problem("(a") == "unbalanced parentheses"
    assert regex_problem(r"(a)\1") == "back-references are not supported"
    assert regex_problem("(a+)?") is None  # optional, not repeated: linear
    assert regex_problem("[a-z]+@[a-z]+") is None


def test_the_returned_text_is_the_text_given() -> None:
    text = r"SELECT ?x WHERE { BIND('caf\u00e9' AS ?x) }"
    assert guard_query(text).text == text
    assert guard_query(text.encode()).text == text
