"""SPARQLWrapper, the usual Python client, against `policykg serve`: its formats, its methods, our answers."""

from __future__ import annotations

import csv
import io

import pytest
from rdflib import XSD, Graph, Literal
from rdflib.query import Result
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper

POLICY = "https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/policy"
SELECT = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX pkg: <https://w3id.org/policykg/ns#>
SELECT ?code ?title WHERE { ?entry pkg:includesCode ?c . ?c skos:notation ?code ; skos:prefLabel ?title .
  FILTER (STRSTARTS(?code, "Q05")) } ORDER BY ?code"""


def client(base: str, fmt: str, method: str = GET, request: str | None = None) -> SPARQLWrapper:
    sw = SPARQLWrapper(base + "/sparql")
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    if request:
        sw.setRequestMethod(request)
    sw.setTimeout(30)
    return sw


@pytest.fixture(scope="module")
def expected(store) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(str(r[0]), str(r[1])) for r in store.query(SELECT)]


@pytest.mark.parametrize(("method", "request_method"), [(GET, None), (POST, URLENCODED), (POST, POSTDIRECTLY)])
def test_select_json_every_method(policy_endpoint: str, expected: list, method: str, request_method: str) -> None:
    sw = client(policy_endpoint, JSON, method, request_method)
    sw.setQuery(SELECT)
    rows = sw.query().convert()["results"]["bindings"]
    assert [(r["code"]["value"], r["title"]["value"]) for r in rows] == expected
    assert len(expected) >= 9


def test_select_xml_csv_tsv(policy_endpoint: str, expected: list) -> None:
    sw = client(policy_endpoint, XML)
    sw.setQuery(SELECT)
    doc = sw.query().convert()  # a minidom Document
    values = [b.getElementsByTagName("literal")[0].firstChild.data for b in doc.getElementsByTagName("binding")]
    assert values == [v for pair in expected for v in pair]
    sw = client(policy_endpoint, CSV)
    sw.setQuery(SELECT)
    rows = list(csv.reader(io.StringIO(sw.query().convert().decode("utf-8"))))
    assert rows[0] == ["code", "title"] and [tuple(r) for r in rows[1:]] == expected
    sw = client(policy_endpoint, TSV)
    sw.setQuery(SELECT)
    result = Result.parse(io.BytesIO(sw.query().convert()), format="tsv")
    assert [(str(r[0]), str(r[1])) for r in result] == expected


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(policy_endpoint: str, fmt: str) -> None:
    for query, answer in ((f"ASK {{ <{POLICY}> a <https://w3id.org/policykg/ns#CoveragePolicy> }}", True),
                          (f"ASK {{ <{POLICY}> a <https://w3id.org/policykg/ns#Nothing> }}", False)):
        sw = client(policy_endpoint, fmt)
        sw.setQuery(query)
        converted = sw.query().convert()
        got = converted["boolean"] if fmt == JSON else (
            converted.getElementsByTagName("boolean")[0].firstChild.data == "true")
        assert got is answer


@pytest.mark.parametrize("fmt", [TURTLE, XML, N3, JSONLD])
def test_construct(policy_endpoint: str, store, fmt: str) -> None:  # type: ignore[no-untyped-def]
    query = f"CONSTRUCT {{ <{POLICY}> ?p ?o }} WHERE {{ <{POLICY}> ?p ?o }}"
    sw = client(policy_endpoint, fmt)
    sw.setQuery(query)
    converted = sw.query().convert()
    if isinstance(converted, Graph):
        graph = converted
    else:
        graph = Graph().parse(data=converted, format={TURTLE: "turtle", N3: "turtle", JSONLD: "json-ld"}[fmt])
    embedded = store.query(query).graph
    assert len(graph) == len(embedded) > 5
    assert normalised(graph) == normalised(embedded)


def normalised(graph: Graph) -> set[tuple]:
    """RDF 1.1: a simple literal is an xsd:string literal (oxrdflib spells the datatype out)."""
    out = set()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype is None and not o.language:
            o = Literal(str(o), datatype=XSD.string)
        out.add((s, p, o))
    return out
