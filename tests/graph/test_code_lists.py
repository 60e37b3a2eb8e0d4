"""Range expansion and code-list checks against the real ICD-10-CM release."""

from __future__ import annotations

import pytest
from policykg.loaders.code_lists import expand_code_lists, expand_ranges
from policykg.loaders.icd10cm import Icd10cmRelease, code_iri, read_release
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

PKG = "https://w3id.org/policykg/ns#"


@pytest.fixture(scope="module")
def release() -> Icd10cmRelease:
    return read_release()


def test_release_identity(release: Icd10cmRelease) -> None:
    assert release.version == "2026"
    assert release.release_date.isoformat() == "2026-04-01"
    assert 95_000 < len(release.nodes) < 101_000
    assert release.node("Q05.4").billable and not release.node("Q05").billable


@pytest.mark.parametrize("first,last,count,holes", [
    ("Q05.0", "Q05.9", 10, []),
    ("Q06.0", "Q06.9", 7, ["Q06.5", "Q06.6", "Q06.7"]),
    ("Q07.00", "Q07.03", 4, []),
    ("G96.00", "G96.09", 5, ["G96.03", "G96.04", "G96.05", "G96.06", "G96.07"]),
])
def test_expand_ranges(release: Icd10cmRelease, first: str, last: str, count: int, holes: list[str]) -> None:
    included, missing = expand_ranges(first, last, release)
    assert len(included) == count
    assert included[0] == first and included[-1] == last
    assert missing == holes


def test_unknown_and_reversed_ranges_include_nothing(release: Icd10cmRelease) -> None:
    assert expand_ranges("Q05.9", "Q05.0", release) == ([], [])
    assert expand_ranges("Q00.5", "Q00.9", release)[0] == []


def _list_with(entries: list[tuple[str, str | None, str | None, str]]) -> Graph:
    g = Graph()
    lst = URIRef("urn:x:list")
    for i, (notation, first, last, label) in enumerate(entries):
        e = URIRef(f"urn:x:e{i}")
        g.add((lst, URIRef(PKG + "hasEntry"), e))
        g.add((e, SKOS.notation, Literal(notation)))
        g.add((e, RDFS.label, Literal(label)))
        if first and last:
            g.add((e, RDF.type, URIRef(PKG + "CodeRange")))
            g.add((e, URIRef(PKG + "firstCode"), URIRef(code_iri(first))))
            g.add((e, URIRef(PKG + "lastCode"), URIRef(code_iri(last))))
        else:
            g.add((e, RDF.type, URIRef(PKG + "CodeListEntry")))
            g.add((e, URIRef(PKG + "includesCode"), URIRef(code_iri(notation))))
    return g


def test_findings_are_reported_not_dropped(release: Icd10cmRelease) -> None:
    g = _list_with([
        ("Q06.0-Q06.9", "Q06.0", "Q06.9", "Other congenital malformations of spinal cord"),
        ("Q99.99", None, None, "Made-up code"),
        ("Q05", None, None, "Spina bifida"),
        ("G95.0", None, None, "Syrinx of the spine"),
        ("Q00.5-Q00.9", "Q00.5", "Q00.9", "Nothing"),
    ])
    findings = {(f.kind, f.subject) for f in expand_code_lists(g, release)}
    assert findings == {("range-holes", "Q06.0-Q06.9"), ("unknown-code", "Q99.99"), ("not-billable", "Q05"),
                        ("title-mismatch", "G95.0"), ("unknown-range", "Q00.5-Q00.9")}
    members = set(g.objects(URIRef("urn:x:list"), SKOS.member))
    assert URIRef(code_iri("Q06.4")) in members and URIRef(code_iri("Q06.5")) not in members
