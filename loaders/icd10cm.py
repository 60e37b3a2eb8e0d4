"""ICD-10-CM: the CMS tabular release shipped in simple-icd-10-cm, as a SKOS concept scheme.

Chapters, blocks and codes each get their own IRI namespace: a block that holds a single category shares
its name (B10, C7A) and would otherwise loop the hierarchy onto itself. simple_icd_10_cm parses its XML on
import (about 2 s), so it is imported here, at build time only, never by commands that read the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib import metadata

from rdflib import URIRef

from .base import LoadedGraph, Loader, nt_literal

BASE = "https://w3id.org/policykg/"
PKG = "https://w3id.org/policykg/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
XSD = "http://www.w3.org/2001/XMLSchema#"
_MONTHS = {m: i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], start=1)}


@dataclass(frozen=True)
class Icd10cmNode:
    """One item of the tabular list in tabular order."""

    notation: str
    kind: str  # chapter | block | code
    label: str
    parent: str | None  # IRI of the parent
    iri: str
    depth: int
    billable: bool


@dataclass
class Icd10cmRelease:
    """The release in tabular order, with look-ups used to expand and check policy code lists."""

    version: str
    release_date: date
    source_file: str
    package_version: str
    nodes: list[Icd10cmNode]

    def __post_init__(self) -> None:
        self.codes: dict[str, int] = {
            n.notation: i for i, n in enumerate(self.nodes) if n.kind == "code"
        }

    @property
    def iri(self) -> str:
        return f"{BASE}icd10cm/release/{self.release_date.isoformat()}"

    @property
    def label(self) -> str:
        return f"ICD-10-CM tabular list, FY{self.version} release of {self.release_date:%B} {self.release_date.day}, " \
               f"{self.release_date.year}"

    def node(self, notation: str) -> Icd10cmNode | None:
        i = self.codes.get(notation)
        return None if i is None else self.nodes[i]


def code_iri(notation: str) -> str:
    return f"{BASE}icd10cm/code/{notation}"


def _release_date(file_name: str) -> date:
    m = re.search(r"-([A-Z][a-z]+)-(\d{1,2})-(\d{4})\.xml$", file_name)
    if not m:
        raise ValueError(f"cannot read the release date from {file_name!r}")
    return date(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))


def read_release() -> Icd10cmRelease:
    """Walk simple_icd_10_cm's parsed tabular list (chapters, blocks, codes) in tabular order."""
    import simple_icd_10_cm.simple_icd_10_cm as sicd  # heavy: parses the XML on import

    file_name = sicd._classification_data_package_file_name
    nodes: list[Icd10cmNode] = []

    def walk(node: object, parent_iri: str | None, depth: int) -> None:
        kind_raw = node.type  # type: ignore[attr-defined]
        name = node.name  # type: ignore[attr-defined]
        if kind_raw == "chapter":
            kind, iri = "chapter", f"{BASE}icd10cm/chapter/{name}"
        elif kind_raw == "section":
            kind, iri = "block", f"{BASE}icd10cm/block/{name}"
        else:
            kind, iri = "code", code_iri(name)
        children = node.children  # type: ignore[attr-defined]
        nodes.append(Icd10cmNode(name, kind, node.description, parent_iri, iri, depth,  # type: ignore[attr-defined]
                                 kind == "code" and not children))
        for child in children:
            walk(child, iri, depth + 1)

    for chapter in sicd._chapter_list:
        walk(chapter, None, 0)
    with open(sicd.__file__.replace("simple_icd_10_cm.py", f"data/{file_name}"), encoding="utf-8") as fh:
        head = fh.read(400)
    m = re.search(r"<version>(\d{4})</version>", head)
    return Icd10cmRelease(
        version=m.group(1) if m else "unknown",
        release_date=_release_date(file_name),
        source_file=file_name,
        package_version=metadata.version("simple-icd-10-cm"),
        nodes=nodes,
    )


class Icd10cmLoader(Loader):
    """The whole release as one named graph."""

    name = "icd10cm"

    def __init__(self, release: Icd10cmRelease | None = None) -> None:
        self.release = release or read_release()

    @property
    def graph_iri(self) -> URIRef:
        return URIRef(f"{BASE}graph/icd10cm/{self.release.release_date.isoformat()}")

    def load(self) -> LoadedGraph:
        r = self.release
        scheme = f"<{r.iri}>"
        in_scheme = f"<{SKOS}inScheme> {scheme}"
        lines = [
            f"{scheme} {RDF_TYPE} <{PKG}CodeSystemRelease> .",
            f"{scheme} {RDF_TYPE} <{SKOS}ConceptScheme> .",
            f"{scheme} {RDFS_LABEL} {nt_literal(r.label, lang='en')} .",
            f"{scheme} <{PKG}releaseDate> {nt_literal(r.release_date.isoformat(), datatype=XSD + 'date')} .",
            f"{scheme} <http://purl.org/dc/terms/source> "
            f"{nt_literal(f'simple-icd-10-cm {r.package_version}: {r.source_file}')} .",
            f"{scheme} <http://www.w3.org/2002/07/owl#versionInfo> {nt_literal(r.version)} .",
        ]
        kinds = {"chapter": f"<{PKG}ICD10CMChapter>", "block": f"<{PKG}ICD10CMBlock>", "code": f"<{PKG}ICD10CMCode>"}
        concept = f"<{SKOS}Concept>"
        true = f'"true"^^<{XSD}boolean>'
        false = f'"false"^^<{XSD}boolean>'
        append = lines.append
        for n in r.nodes:
            s = f"<{n.iri}>"
            append(f"{s} {RDF_TYPE} {kinds[n.kind]} .")
            append(f"{s} {RDF_TYPE} {concept} .")
            append(f"{s} {in_scheme} .")
            append(f"{s} <{SKOS}notation> {nt_literal(n.notation)} .")
            append(f"{s} <{SKOS}prefLabel> {nt_literal(n.label, lang='en')} .")
            if n.parent is None:
                append(f"{s} <{SKOS}topConceptOf> {scheme} .")
            else:
                append(f"{s} <{SKOS}broader> <{n.parent}> .")
            if n.kind == "code":
                append(f"{s} <{PKG}billable> {true if n.billable else false} .")
        return LoadedGraph(self.graph_iri, "\n".join(lines) + "\n", source=r.label)
