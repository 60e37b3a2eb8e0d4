"""Every anchor of the shipped CPG 038 facts points at its quoted span in the policy text."""

from __future__ import annotations

from policykg.loaders.packaged import read_policy_part
from rdflib import Graph
from rdflib.namespace import Namespace

OA = Namespace("http://www.w3.org/ns/oa#")
PKG = Namespace("https://w3id.org/policykg/ns#")
NAME = "cigna-cpg038-2024-09-15"


def _facts() -> Graph:
    g = Graph()
    for suffix in ("", "-evidence", "-anchors"):
        g.parse(data=read_policy_part(NAME, suffix), format="turtle")
    return g


def test_offsets_point_at_the_quotes(policy_text: str) -> None:
    g = _facts()
    anchors = set(g.subjects(OA.hasSource, None))
    assert len(anchors) == 54
    for a in anchors:
        selectors = list(g.objects(a, OA.hasSelector))
        quote = next(str(g.value(s, OA.exact)) for s in selectors if g.value(s, OA.exact))
        start = next(int(g.value(s, OA.start)) for s in selectors if g.value(s, OA.start) is not None)
        end = next(int(g.value(s, OA.end)) for s in selectors if g.value(s, OA.end) is not None)
        assert policy_text[start:end] == quote, a
        assert g.value(a, PKG.sectionPath) is not None
        assert g.value(a, PKG.page) is not None


def test_every_statement_has_section_and_page() -> None:
    g = _facts()
    stmts = set(g.subjects(None, PKG.CoverageStatement))
    rows = g.query("SELECT ?s ?sec ?page WHERE { ?s a pkg:CoverageStatement ; pkg:anchor ?a . "
                   "?a pkg:sectionPath ?sec ; pkg:page ?page }", initNs={"pkg": PKG})
    assert len(stmts) == 3 and len(rows) == 3
    assert {str(r[1]) for r in rows} == {"GUIDELINES > Medically Necessary", "GUIDELINES > Not Medically Necessary"}


def test_quoted_spans_are_short() -> None:
    g = _facts()
    assert max(len(str(o)) for o in g.objects(None, OA.exact)) <= 130
