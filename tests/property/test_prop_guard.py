"""The query guard on generated and random text: it refuses or accepts, never crashes, and what it decides
does not depend on how a keyword is spelt (case, codepoint escapes) or where a forbidden clause is put."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from policykg.query_guard import MAX_NESTING, QueryRefused, guard_query, regex_problem

VARS = st.sampled_from(["?s", "?p", "?o", "?x", "$y"])
TERMS = st.one_of(VARS, st.sampled_from(["<http://example.org/a>", "pkg:CoverageStatement", '"lit"', "42", "a"]))
triple = st.builds(lambda s, p, o: f"{s} {p} {o} .", VARS, st.one_of(VARS, st.just("rdfs:label")), TERMS)


@st.composite
def groups(draw: st.DrawFn, depth: int = 0) -> str:
    """A group graph pattern: triples, FILTERs, OPTIONAL / UNION / MINUS / EXISTS sub-groups."""
    parts = draw(st.lists(triple, min_size=1, max_size=3))
    if depth < 3:
        for _ in range(draw(st.integers(0, 2))):
            inner = draw(groups(depth + 1))
            parts.append(draw(st.sampled_from([
                f"OPTIONAL {inner}", f"{inner} UNION {inner}", f"MINUS {inner}", f"FILTER EXISTS {inner}",
                f"FILTER NOT EXISTS {inner}", inner, f"{{ SELECT * WHERE {inner} }}"])))
    parts.append(draw(st.sampled_from(["", "FILTER(?o != 1)", 'FILTER(REGEX(STR(?o), "^Q0"))', "BIND(1 AS ?z)"])))
    return "{ " + " ".join(draw(st.permutations(parts))) + " }"


queries = st.builds(lambda form, g: f"{form} WHERE {g}", st.sampled_from(["SELECT *", "ASK", "CONSTRUCT",
                                                                         "SELECT DISTINCT ?s"]), groups())


def insert(query: str, index: int, clause: str) -> str:
    """`clause` put just after the index-th '{' of the query (inside some group)."""
    positions = [i for i, c in enumerate(query) if c == "{"]
    at = positions[index % len(positions)] + 1
    return query[:at] + " " + clause + " " + query[at:]


@given(queries)
def test_generated_queries_are_accepted_unchanged(query: str) -> None:
    g = guard_query(query)
    assert g.text == query and g.form in {"SELECT", "ASK", "CONSTRUCT"}


@given(queries, st.integers(0, 50), st.sampled_from(["SERVICE", "service", "Service", "SERVICE SILENT",
                                                     r"\u0053ERVICE", r"SERV\u0049CE", r"\U00000073ervice"]),
       st.sampled_from(["<http://127.0.0.1:9/sparql>", "?endpoint", "<file:///etc/passwd>"]))
def test_service_anywhere_is_refused(query: str, index: int, keyword: str, target: str) -> None:
    hostile = insert(query, index, f"{keyword} {target} {{ ?s ?p ?o }}")
    try:
        guard_query(hostile)
    except QueryRefused as exc:
        assert exc.status == 403 and "SERVICE" in exc.message
    else:
        raise AssertionError(f"SERVICE let through: {hostile}")


@given(queries, st.sampled_from(["http://example.org/g", "file:///etc/passwd", "https://w3id.org/x"]),
       st.booleans())
def test_from_an_unknown_graph_is_refused_wherever_the_iri_points(query: str, iri: str, named: bool) -> None:
    form, rest = query.split(" WHERE ", 1)
    hostile = f"{form} FROM {'NAMED ' if named else ''}<{iri}> WHERE {rest}"
    try:
        guard_query(hostile, known_graphs={"https://w3id.org/policykg/graph/ontology"})
    except QueryRefused as exc:
        assert exc.status == 403
    else:
        raise AssertionError(hostile)


@given(queries, st.data())
def test_codepoint_escapes_do_not_change_the_decision(query: str, data: st.DataObject) -> None:
    """rdflib expands \\uXXXX before parsing; the guard must decide on what rdflib will see."""
    words = [w for w in ("SELECT", "WHERE", "OPTIONAL", "FILTER", "UNION") if w in query]
    word = data.draw(st.sampled_from(words))
    i = data.draw(st.integers(0, len(word) - 1))
    escaped = query.replace(word, word[:i] + f"\\u{ord(word[i]):04X}" + word[i + 1:], 1)
    assert guard_query(escaped).form == guard_query(query).form


@given(st.integers(1, 200), st.sampled_from(["{}", "()", "[]"]))
def test_nesting_is_refused_exactly_beyond_the_cap(depth: int, bracket: str) -> None:
    o, c = bracket
    body = {"{}": o * depth + "?s ?p ?o" + c * depth,
            "()": "{ ?s ?p ?o FILTER(" + o * depth + "1" + c * depth + ") }",
            "[]": "{ ?s ?p " + o * depth + " ?p 1 " + c * depth + " }"}[bracket]
    extra = 0 if bracket == "{}" else 1 if bracket == "[]" else 2  # the group and FILTER's own parenthesis
    try:
        guard_query("SELECT * WHERE " + body)
    except QueryRefused as exc:
        assert "deeper than" in exc.message
        assert depth + extra > MAX_NESTING
    else:
        assert depth + extra <= MAX_NESTING


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_random_text_is_accepted_or_refused_never_a_crash(text: str | bytes) -> None:
    try:
        g = guard_query(text)
    except QueryRefused as exc:
        assert exc.status in (400, 403, 413) and "\n" not in exc.message
    else:
        assert g.form in {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


@given(st.text(alphabet="ab|()*+?{},1\\[]^.", max_size=30))
def test_regex_check_never_crashes_and_refuses_nested_repetition(pattern: str) -> None:
    reason = regex_problem(pattern)
    assert reason is None or isinstance(reason, str)
    for catastrophic in (f"({pattern}a+)+", f"(a*{pattern})*", f"(a|{pattern})+"):
        if regex_problem(pattern) is None and "\\" not in pattern and "[" not in pattern:
            assert regex_problem(catastrophic) is not None, catastrophic
