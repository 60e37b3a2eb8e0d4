"""Expand and check a policy's code lists against a code system release.

A policy prints rows: single codes and ranges such as Q05.0-Q05.9. A range includes every code of the
release from its first to its last code in tabular order, at the depth of its first code (deeper codes are
reached through skos:broader when matching). Codes the release does not have, ranges whose ends are
missing, holes inside a range and descriptions that differ from the release's titles become findings,
never silent drops.
"""

from __future__ import annotations

import re

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .base import Finding
from .icd10cm import Icd10cmRelease, code_iri

PKG_NS = "https://w3id.org/policykg/ns#"
ICD_PREFIX = "https://w3id.org/policykg/icd10cm/code/"
P = {name: URIRef(PKG_NS + name) for name in (
    "CodeRange", "CodeListEntry", "AllOtherCodes", "firstCode", "lastCode", "includesCode", "hasEntry",
    "expandedAgainst")}


def _notation(iri: URIRef) -> str | None:
    s = str(iri)
    return s[len(ICD_PREFIX):] if s.startswith(ICD_PREFIX) else None


def _normalise_title(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(";").casefold()


def expand_ranges(range_first: str, range_last: str, release: Icd10cmRelease) -> tuple[list[str], list[str]]:
    """Codes a range includes, and the codes one would expect but the release lacks (holes).

    Holes are only computed where the ends differ in their last character alone (Q06.0-Q06.9): then every
    value between them names an expected code.
    """
    i, j = release.codes.get(range_first), release.codes.get(range_last)
    if i is None or j is None or j < i:
        return [], []
    depth = release.nodes[i].depth
    included = [n.notation for n in release.nodes[i:j + 1] if n.kind == "code" and n.depth == depth]
    holes: list[str] = []
    a, b = range_first[-1], range_last[-1]
    if range_first[:-1] == range_last[:-1] and a.isalnum() and b.isalnum():
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        if a in alphabet and b in alphabet:
            for ch in alphabet[alphabet.index(a):alphabet.index(b) + 1]:
                if range_first[:-1] + ch not in release.codes:
                    holes.append(range_first[:-1] + ch)
    return included, holes


def expand_code_lists(graph: Graph, release: Icd10cmRelease) -> list[Finding]:
    """Add pkg:includesCode, skos:member and pkg:expandedAgainst for every ICD-10-CM entry; return findings."""
    findings: list[Finding] = []
    release_iri = URIRef(release.iri)
    members: list[tuple[URIRef, URIRef]] = []
    for code_list, entry in list(graph.subject_objects(P["hasEntry"])):
        if (entry, RDF.type, P["AllOtherCodes"]) in graph:
            continue
        printed = graph.value(entry, SKOS.notation)
        label = graph.value(entry, RDFS.label)
        first, last = graph.value(entry, P["firstCode"]), graph.value(entry, P["lastCode"])
        if first is not None and last is not None:
            a, b = _notation(first), _notation(last)
            if a is None or b is None:
                continue  # not an ICD-10-CM range
            included, holes = expand_ranges(a, b, release)
            if not included:
                findings.append(Finding("unknown-range", str(printed), f"{a} or {b} is not in {release.label}"))
                continue
            if holes:
                findings.append(Finding("range-holes", str(printed),
                                        f"{len(holes)} code(s) inside the range do not exist: {', '.join(holes)}"))
            for code in included:
                graph.add((entry, P["includesCode"], URIRef(code_iri(code))))
                members.append((code_list, URIRef(code_iri(code))))
            graph.add((entry, P["expandedAgainst"], release_iri))
            continue
        for code_ref in list(graph.objects(entry, P["includesCode"])):
            code = _notation(code_ref)
            if code is None:
                members.append((code_list, code_ref))  # CPT/HCPCS: listed as printed
                continue
            node = release.node(code)
            if node is None:
                findings.append(Finding("unknown-code", code, f"not in {release.label}"))
            else:
                if not node.billable:
                    findings.append(Finding("not-billable", code, "listed code has children: not billable"))
                if label is not None and _normalise_title(str(label)) != _normalise_title(node.label):
                    findings.append(Finding("title-mismatch", code,
                                            f"policy prints {str(label)!r}, release has {node.label!r}"))
            graph.add((entry, P["expandedAgainst"], release_iri))
            members.append((code_list, code_ref))
    for code_list, code_ref in members:
        graph.add((code_list, SKOS.member, code_ref))
    return findings


def literal_or_none(value: object) -> Literal | None:
    return value if isinstance(value, Literal) else None
