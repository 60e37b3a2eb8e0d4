"""The W3C SPARQL 1.1 Protocol tests (../shared/w3c-sparql11/protocol/manifest.ttl) against `policykg serve`.

Query tests must pass as written. Update tests get the read-only refusal: the update request is a 403 that
says so, and a follow-up ASK shows that nothing changed. The data graphs are loaded from data*.nt under the
names the manifest gives them; nothing is fetched from the original hosts.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import httpx
import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF
from serving import W3C_PROTOCOL

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
EXPECTED_CASES = 34
RESULT_TYPES = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values"}
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
             "application/ld+json": "json-ld"}


@dataclass(frozen=True)
class Step:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[int]  # acceptable status classes: 2, 3, 4
    fmt: str | None
    boolean: bool | None


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]

    @property
    def is_update(self) -> bool:
        return self.name.startswith(("update_", "bad_update"))


def load_cases() -> list[Case]:
    g = Graph()
    g.parse(W3C_PROTOCOL / "manifest.ttl", publicID="http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    cases = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        assert (entry, RDF.type, MF.ProtocolTest) in g
        steps = []
        for req in Collection(g, g.value(g.value(entry, MF.action), HT.requests)):
            body_node = g.value(req, HT.body)
            body = None
            if body_node is not None:
                encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(body_node, CNT.chars)).encode("utf-16" if encoding.upper() == "UTF-16" else "utf-8")
            headers_node = g.value(req, HT.headers)
            headers = tuple((str(g.value(h, HT.fieldName)), str(g.value(h, HT.fieldValue)))
                            for h in Collection(g, headers_node)) if headers_node is not None else ()
            resp = g.value(req, HT.resp)
            statuses = frozenset(int(str(s).rsplit("StatusCode", 1)[1][0]) for s in g.objects(resp, MF.expectedStatus))
            fmt = g.value(resp, MF.expectedFormat)
            boolean = g.value(resp, MF.expectedBoolean)
            steps.append(Step(str(g.value(req, HT.methodName)), str(g.value(req, HT.absolutePath)), headers, body,
                              statuses, str(fmt) if fmt is not None else None,
                              boolean.toPython() if boolean is not None else None))
        cases.append(Case(str(entry).rsplit("#", 1)[1], tuple(steps)))
    return cases


CASES = load_cases()


def test_manifest_has_every_case() -> None:
    assert len(CASES) == EXPECTED_CASES
    assert len({c.name for c in CASES}) == EXPECTED_CASES


def send(base: str, step: Step) -> httpx.Response:
    assert step.path.startswith("/sparql/")
    url = base + "/sparql" + step.path[len("/sparql/"):]
    with httpx.Client(timeout=30) as client:
        return client.send(client.build_request(step.method, url, headers=list(step.headers), content=step.body))


def parse_boolean(response: httpx.Response) -> bool:
    ctype = response.headers["content-type"].split(";")[0]
    if ctype == "application/sparql-results+json":
        return json.loads(response.content)["boolean"]
    assert ctype == "application/sparql-results+xml", ctype
    text = response.text
    assert "<boolean>" in text, text
    return "<boolean>true</boolean>" in text


def check_format(response: httpx.Response, step: Step) -> None:
    ctype = response.headers["content-type"].split(";")[0]
    if step.fmt == "boolean":
        answer = parse_boolean(response)
        if step.boolean is not None:
            assert answer is step.boolean
    elif step.fmt == "tabular":
        assert ctype in RESULT_TYPES, ctype
        if ctype == "application/sparql-results+json":
            assert json.loads(response.content)["results"]["bindings"] == [
                {"value": {"type": "literal", "value": "1",
                           "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]
    elif step.fmt == "RDF":
        assert ctype in RDF_TYPES, ctype
        Graph().parse(io.BytesIO(response.content), format=RDF_TYPES[ctype])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_protocol_case(w3c_endpoint: str, case: Case) -> None:
    if case.is_update:
        first = send(w3c_endpoint, case.steps[0])
        assert 400 <= first.status_code < 500, (first.status_code, first.text)
        if 2 in case.steps[0].statuses:  # a valid update: refused because the endpoint is read-only
            assert first.status_code == 403 and "read-only" in first.text, first.text
        for step in case.steps[1:]:  # the follow-up ASKs: the update did not happen
            response = send(w3c_endpoint, step)
            assert response.status_code == 200, response.text
            assert parse_boolean(response) is False
        return
    for step in case.steps:
        response = send(w3c_endpoint, step)
        assert response.status_code // 100 in step.statuses, (response.status_code, response.text)
        if response.status_code < 300:
            check_format(response, step)
        else:
            assert response.text.strip(), "an error needs a message"


def test_dataset_parameters_select_graphs(w3c_endpoint: str) -> None:
    """default-graph-uri really restricts the default graph (not just 'some answer')."""
    query = "SELECT ?s WHERE { ?s a ?type } ORDER BY ?s"
    data = "http://kasei.us/2009/09/sparql/data/data"
    r = httpx.get(w3c_endpoint + "/sparql", params=[("query", query), ("default-graph-uri", data + "2.rdf")],
                  headers={"Accept": "application/sparql-results+json"})
    assert [b["s"]["value"] for b in r.json()["results"]["bindings"]] == [data + "2.rdf"]
    r = httpx.get(w3c_endpoint + "/sparql", params={"query": query},
                  headers={"Accept": "application/sparql-results+json"})
    assert [b["s"]["value"] for b in r.json()["results"]["bindings"]] == [data + f"{n}.rdf" for n in (1, 2, 3)]
