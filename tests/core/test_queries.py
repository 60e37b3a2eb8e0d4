"""The named query library: strict headers, every query runs with its example, parameters are bound."""

from __future__ import annotations

import pytest
from policykg.queries import (
    ParameterError,
    QueryDefinitionError,
    bind,
    bound_text,
    get,
    parse_named_query,
    registry,
)

from policykg.sparql import run_named


def test_library_size() -> None:
    assert len(registry()) >= 15


@pytest.mark.parametrize("name", sorted(registry()))
def test_each_query_runs_with_its_example(store, name: str) -> None:  # type: ignore[no-untyped-def]
    q = registry()[name]
    rows = run_named(store, name, q.example)
    if name not in ("codes-without-indication", "list-entries-not-billable-or-unknown"):
        assert rows, f"{name} returned no rows for its example"


@pytest.mark.parametrize("name", sorted(registry()))
def test_each_query_parses_in_rdflib_too(name: str) -> None:
    from rdflib.plugins.sparql import prepareQuery

    from policykg.namespaces import PREFIXES

    q = registry()[name]
    prepareQuery(bound_text(q, bind(q, q.example)), initNs=PREFIXES)


BAD_HEADERS = {
    "no summary": "#+ tags: x\nSELECT * WHERE { ?s ?p ?o }",
    "unknown key": "#+ summary: s\n#+ sumary: t\nSELECT * WHERE { ?s ?p ?o }",
    "bad param line": "#+ summary: s\n#+ param: x\nSELECT * WHERE { ?s ?p ?o }",
    "bad type": "#+ summary: s\n#+ param: x float required -- d\n#+ example: x=1\nSELECT * WHERE { ?x ?p ?o }",
    "unused param": "#+ summary: s\n#+ param: x string required -- d\n#+ example: x=1\nSELECT * WHERE { ?s ?p ?o }",
    "example undeclared": "#+ summary: s\n#+ example: y=1\nSELECT * WHERE { ?s ?p ?o }",
    "example missing required": "#+ summary: s\n#+ param: x string required -- d\nSELECT * WHERE { ?x ?p ?o }",
    "example wrong type": "#+ summary: s\n#+ param: x date required -- d\n#+ example: x=tomorrow\n"
                          "SELECT * WHERE { ?x ?p ?o }",
    "not a query": "#+ summary: s\nINSERT DATA { <a:b> <a:b> <a:b> }",
    "header only": "#+ summary: s\n",
    "malformed line": "#+summary s\nSELECT * WHERE { ?s ?p ?o }",
}


@pytest.mark.parametrize("case", sorted(BAD_HEADERS))
def test_bad_headers_fail(case: str) -> None:
    with pytest.raises(QueryDefinitionError):
        parse_named_query("t", BAD_HEADERS[case])


def test_parameters_are_typed_and_checked() -> None:
    q = get("policy-in-effect")
    with pytest.raises(ParameterError, match="must be a date"):
        bind(q, {"service_date": "2024-13-01"})
    with pytest.raises(ParameterError, match="no parameter"):
        bind(q, {"date": "2024-01-01"})
    with pytest.raises(ParameterError, match="needs parameter"):
        bind(q, {})
    with pytest.raises(ParameterError, match="unknown query"):
        get("no-such-query")
    with pytest.raises(ParameterError, match="absolute IRI"):
        bind(get("policy-statements"), {"policy": "x> } ?s ?p ?o { <y"})


def test_injection_strings_stay_literals(store) -> None:  # type: ignore[no-untyped-def]
    q = get("citations-by-organisation")
    for evil in ['ACR" } UNION { ?s ?p ?o } #', "ACR' . ?s ?p ?o", "}}}{{{", "\\\" ) ; DROP ALL"]:
        text = bound_text(q, bind(q, {"acronym": evil}))
        assert text.count("VALUES") == 1
        assert run_named(store, "citations-by-organisation", {"acronym": evil}) == []
    assert run_named(store, "citations-by-organisation", {"acronym": "ACR"})


def test_code_parameters_are_normalised_or_refused(store) -> None:  # type: ignore[no-untyped-def]
    assert len(run_named(store, "statements-for-code", {"icd": "q054"})) == 2
    for evil in ['Q05.4" } UNION { ?s ?p ?o } #', "Q05.4' . ?s ?p ?o"]:
        with pytest.raises(ParameterError, match="malformed ICD-10-CM"):
            run_named(store, "statements-for-code", {"icd": evil})


def test_values_block_binds_inside_exists(store) -> None:  # type: ignore[no-untyped-def]
    # age_ok uses ?age_months inside NOT EXISTS: the binding must reach it
    young = run_named(store, "coverage-evaluate", {"cpt": "76800", "icd": "Q05.4", "age_months": "3"})
    old = run_named(store, "coverage-evaluate", {"cpt": "76800", "icd": "Q05.4", "age_months": "30"})
    assert any(r["age_ok"].toPython() for r in young)
    assert not any(r["age_ok"].toPython() and "infant" in str(r["statement"]) for r in old)
