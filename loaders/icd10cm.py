"""ICD-10-CM: the CMS tabular release shipped in simple-icd-10-cm, as a SKOS concept scheme.

Chapters, blocks and codes each get their own IRI namespace: a block that holds a single category shares
its name (B10, C7A) and would otherwise loop the hierarchy onto itself. The release is read from the data files
that simple-icd-10-cm ships, with its rules (read_tabular), at build time only, never by commands that read the
store; importing simple_icd_10_cm itself (2 s: it parses the XML one node at a time) is the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path

from rdflib import URIRef

from .base import LoadedGraph, Loader, nt_literal

BASE = "https://w3id.org/policykg/"
PKG = "https://w3id.org/policykg/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
XSD = "http://www.w3.org/2001/XMLSchema#"
# line breaks other than \n that str.splitlines honours (see Icd10cmLoader.nquads)
_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
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
    """The release shipped in simple-icd-10-cm, in tabular order (chapters, blocks, codes).

    Reads the package's two data files directly (`read_tabular`), which gives exactly the tree that
    simple_icd_10_cm builds on import, in a quarter of the time; falls back to importing the package
    (`read_release_via_package`) when its data files cannot be located without importing it.
    """
    files = package_data_files()
    if files is None:
        return read_release_via_package()
    xml_path, codes_path = files
    return _release(xml_path, read_tabular(xml_path, codes_path))


def read_release_via_package() -> Icd10cmRelease:
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
    return _release(Path(sicd.__file__).with_name("data") / file_name, nodes)


def _release(xml_path: Path, nodes: list[Icd10cmNode]) -> Icd10cmRelease:
    with open(xml_path, encoding="utf-8") as fh:
        head = fh.read(400)
    m = re.search(r"<version>(\d{4})</version>", head)
    return Icd10cmRelease(
        version=m.group(1) if m else "unknown",
        release_date=_release_date(xml_path.name),
        source_file=xml_path.name,
        package_version=metadata.version("simple-icd-10-cm"),
        nodes=nodes,
    )


_DATA_NAMES = re.compile(r"^(_all_codes_package_file_name|_classification_data_package_file_name)\s*:\s*str\s*=\s*"
                         r"['\"]([^'\"]+)['\"]", re.M)


def package_data_files() -> tuple[Path, Path] | None:
    """The tabular XML and the code list that simple_icd_10_cm reads on import, found without importing it."""
    from importlib.util import find_spec

    spec = find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(next(iter(spec.submodule_search_locations)))
    try:
        source = (pkg / "simple_icd_10_cm.py").read_text(encoding="utf-8")
    except OSError:
        return None
    names = dict(_DATA_NAMES.findall(source))
    xml_name = names.get("_classification_data_package_file_name")
    codes_name = names.get("_all_codes_package_file_name")
    if not xml_name or not codes_name:
        return None
    xml_path, codes_path = pkg / "data" / xml_name, pkg / "data" / codes_name
    return (xml_path, codes_path) if xml_path.is_file() and codes_path.is_file() else None


class _TabularNode:
    """One node of the tabular tree as simple_icd_10_cm builds it (only the fields the graph uses)."""

    __slots__ = ("children", "description", "name", "seven", "tag")

    def __init__(self, tag: str, name: str = "", description: str = "") -> None:
        self.tag = tag
        self.name = name
        self.description = description
        self.children: list[_TabularNode] = []
        self.seven: dict[str, str] = {}


def read_tabular(xml_path: Path, codes_path: Path) -> list[Icd10cmNode]:
    """Build the tabular tree from the CMS XML with simple_icd_10_cm's rules, returned in tabular order.

    The rules reproduced (simple_icd_10_cm 1.5, `_CodeTree`): the first two children of the root (version,
    introduction) are skipped; a section's name is its id attribute; a leaf code with a seventh-character
    table of its own or inherited from the nearest ancestor that declared one gets one child per seventh
    character (the name padded with X to six characters), kept only when the CMS code list confirms it,
    titled "<title>, <character meaning>". tests/bench/test_fast_paths_equal.py checks that the result equals
    the package's own tree node for node.
    """
    import xml.etree.ElementTree as ET

    with open(codes_path, encoding="utf-8") as fh:
        confirmed = {line.split(" ")[0].replace(".", "") for line in fh.read().split("\n")}

    def build(elem: ET.Element, inherited: _TabularNode | None) -> _TabularNode:
        node = _TabularNode(elem.tag, elem.attrib.get("id", ""))
        current = inherited
        for sub in elem:
            tag = sub.tag
            if tag == "section" or tag == "diag":
                node.children.append(build(sub, current))
            elif tag == "name":
                if sub.text is None:
                    raise ValueError(f"ICD-10-CM release: a <name> element without text under {node.name!r}")
                node.name = sub.text
            elif tag == "desc":
                if sub.text is not None:
                    node.description = sub.text
            elif tag == "sevenChrDef":
                last = None
                for ext in sub:
                    if ext.tag == "extension":
                        last = ext.attrib["char"]
                        node.seven[last] = ext.text if ext.text is not None else ""
                    elif ext.tag == "note" and last is not None and ext.text is not None:
                        node.seven[last] = node.seven[last] + "/" + ext.text
                current = node
        if not node.children and (node.seven or inherited is not None) and node.tag != "diag_ext":
            table = node.seven if node.seven else inherited.seven  # type: ignore[union-attr]
            stem = node.name + "." if len(node.name) == 3 else node.name
            stem = stem.ljust(7, "X")
            for char, meaning in table.items():
                if stem[:3] + stem[4:] + char in confirmed:
                    node.children.append(_TabularNode("diag_ext", stem + char, f"{node.description}, {meaning}"))
        return node

    root = ET.parse(xml_path).getroot()
    chapters = [build(child, None) for child in list(root)[2:]]
    nodes: list[Icd10cmNode] = []
    append = nodes.append

    def walk(node: _TabularNode, parent_iri: str | None, depth: int) -> None:
        if node.tag == "chapter":
            kind, iri = "chapter", f"{BASE}icd10cm/chapter/{node.name}"
        elif node.tag == "section":
            kind, iri = "block", f"{BASE}icd10cm/block/{node.name}"
        else:
            kind, iri = "code", code_iri(node.name)
        append(Icd10cmNode(node.name, kind, node.description, parent_iri, iri, depth,
                           kind == "code" and not node.children))
        for child in node.children:
            walk(child, iri, depth + 1)

    for chapter in chapters:
        walk(chapter, None, 0)
    return nodes


class Icd10cmLoader(Loader):
    """The whole release as one named graph."""

    name = "icd10cm"

    def __init__(self, release: Icd10cmRelease | None = None) -> None:
        self.release = release or read_release()

    @property
    def graph_iri(self) -> URIRef:
        return URIRef(f"{BASE}graph/icd10cm/{self.release.release_date.isoformat()}")

    def load(self) -> LoadedGraph:
        text = self._text(self.release.nodes, header=True, end=" .\n")
        return LoadedGraph(self.graph_iri, text, source=self.release.label)

    def nquads(self, parts: int = 1) -> Iterator[bytes]:
        """The graph as N-Quads in its named graph, in `parts` pieces split at node boundaries, made lazily.

        Joined, the pieces equal the generic conversion of `load()` (policykg.build._to_nquads), which is
        what the build used before; writing quads directly saves a pass over 100 MB of text, and pieces let
        the store bulk-load one while the next is written. A title with a line break other than \\n would
        make the two differ, so such a release takes the generic conversion, in one piece.
        """
        nodes = self.release.nodes
        end = f" <{self.graph_iri}> .\n"
        literals = "\n".join([self.release.label, self.release.source_file, self.release.package_version,
                              self.release.version, *(n.label for n in nodes), *(n.notation for n in nodes)])
        if any(ch in literals for ch in _LINE_BREAKS):
            from policykg.build import _to_nquads

            yield _to_nquads(self.load().ntriples, str(self.graph_iri)).encode("utf-8")
            return
        step = -(-len(nodes) // max(1, parts))
        for i in range(0, len(nodes), step):
            yield self._text(nodes[i:i + step], header=i == 0, end=end).encode("utf-8")

    def _text(self, nodes: list[Icd10cmNode], *, header: bool, end: str) -> str:
        """The triples of `nodes` (and of the release itself when `header`), each line ending with `end`."""
        r = self.release
        scheme = f"<{r.iri}>"
        lines = [
            f"{scheme} {RDF_TYPE} <{PKG}CodeSystemRelease>",
            f"{scheme} {RDF_TYPE} <{SKOS}ConceptScheme>",
            f"{scheme} {RDFS_LABEL} {nt_literal(r.label, lang='en')}",
            f"{scheme} <{PKG}releaseDate> {nt_literal(r.release_date.isoformat(), datatype=XSD + 'date')}",
            f"{scheme} <http://purl.org/dc/terms/source> "
            f"{nt_literal(f'simple-icd-10-cm {r.package_version}: {r.source_file}')}",
            f"{scheme} <http://www.w3.org/2002/07/owl#versionInfo> {nt_literal(r.version)}",
        ] if header else []
        kinds = {"chapter": f"<{PKG}ICD10CMChapter>", "block": f"<{PKG}ICD10CMBlock>", "code": f"<{PKG}ICD10CMCode>"}
        concept = f"{RDF_TYPE} <{SKOS}Concept>"
        in_scheme = f"<{SKOS}inScheme> {scheme}"
        notation, pref_label = f"<{SKOS}notation>", f"<{SKOS}prefLabel>"
        top, broader = f"<{SKOS}topConceptOf> {scheme}", f"<{SKOS}broader>"
        billable = f"<{PKG}billable>"
        flags = {True: f'"true"^^<{XSD}boolean>', False: f'"false"^^<{XSD}boolean>'}
        append = lines.append
        for n in nodes:  # one string per node: the same lines, in the same order, as one line per append
            s = f"<{n.iri}>"
            link = top if n.parent is None else f"{broader} <{n.parent}>"
            block = (f"{s} {RDF_TYPE} {kinds[n.kind]}{end}{s} {concept}{end}{s} {in_scheme}{end}"
                     f"{s} {notation} {nt_literal(n.notation)}{end}{s} {pref_label} {nt_literal(n.label, lang='en')}"
                     f"{end}{s} {link}")
            if n.kind == "code":
                block += f"{end}{s} {billable} {flags[n.billable]}"
            append(block)
        return end.join(lines) + end if lines else ""
