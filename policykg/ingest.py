"""`policykg ingest`: a policy document (text or PDF) into the store as one named graph, all or nothing.

Steps: parse (loaders.policy_document) -> place the version (series, previous version, same version already in
the store?) -> map to RDF (loaders.policy_rdf) -> expand and check ICD-10-CM lists against the release, check
printed procedure descriptions against the store -> write ``<store>/ingested/policy-<series>-<date>.nq`` and
rebuild (policykg.store.add_ingested_graph restores the old file if the rebuild fails).

Versions (docs/documents.md): a document whose policy number and effective date match a version already in
the store under another IRI (the shipped, curated one) does not become a second version -- that would make
`check` ambiguous. Its graph then records only the document (digest, name), the ingest activity and
``<that version> prov:wasDerivedFrom <document>``, and the report compares the extraction with that version.
Re-ingesting a version that was itself ingested replaces its graph (same IRIs, same file). Resources outside
the version (the series, CPT codes, publishers) are only described when no other graph of the store already
describes them: the store's union graph keeps duplicate triples, and a restated label would double rows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import PROV, SKOS

from .namespaces import OA, PKG, PREFIXES
from .sparql import run_named, term_value

_SUBJECT_GRAPHS = """#+ summary: Named graphs that describe a subject
#+ param: subject iri required -- the subject
#+ example: subject=https://w3id.org/policykg/id/cigna/cpg038
SELECT DISTINCT ?g ?label WHERE { GRAPH ?g { ?subject ?p ?o } OPTIONAL { ?subject skos:prefLabel ?label } }
"""


class GraphSource:
    """A document's graph seen like the store: loaded into an in-memory Oxigraph, so that named queries run
    on it with the store's engine (same semantics, and 20 times faster than rdflib's evaluator)."""

    def __init__(self, graph: Graph) -> None:
        import pyoxigraph as ox
        from oxrdflib import OxigraphStore
        from rdflib import Dataset

        store = ox.Store()
        store.load(graph.serialize(format="nt").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
        self.dataset = Dataset(store=OxigraphStore(store=store), default_union=True)

    def query(self, text: str, bindings: dict[str, Any] | None = None) -> Any:
        return self.dataset.query(text, initNs=PREFIXES, initBindings=dict(bindings or {}))


@cache
def icd_release() -> Any:
    """The ICD-10-CM release the store is built from (read once per process, about a second)."""
    from .loaders.icd10cm import read_release

    return read_release()


def document_graph(path_or_doc: Any, *, series: URIRef | None = None, revision_of: URIRef | None = None,
                   now: dt.datetime | None = None, started: dt.datetime | None = None) -> Any:
    """Parse (when given a path), map and expand a document; findings include the release checks.

    ``now`` fixes both ends of the ingest activity (reproducible graphs in tests); ``started`` only its start.
    """
    from .loaders.code_lists import expand_code_lists
    from .loaders.policy_document import PolicyDocument, load_policy
    from .loaders.policy_rdf import map_policy, version_iris

    doc = path_or_doc if isinstance(path_or_doc, PolicyDocument) else load_policy(path_or_doc)
    started = now or started or dt.datetime.now(dt.UTC)
    iris = version_iris(doc, started, series)
    mapped = map_policy(doc, iris, started=started, ended=now or dt.datetime.now(dt.UTC), revision_of=revision_of)
    release = icd_release()
    mapped.findings += expand_code_lists(mapped.graph, release)
    mapped.findings += _range_titles(mapped.graph, release)
    return mapped


def _range_titles(graph: Graph, release: Any) -> list[Any]:
    """A range's printed description against the title of the category both ends belong to."""
    from .loaders.base import Finding
    from .loaders.code_lists import _normalise_title

    labels = {n.iri: n.label for n in release.nodes}
    out = []
    for entry in graph.subjects(RDF.type, PKG.CodeRange):
        first, last = graph.value(entry, PKG.firstCode), graph.value(entry, PKG.lastCode)
        a = release.node(str(first).rsplit("/", 1)[-1]) if first else None
        b = release.node(str(last).rsplit("/", 1)[-1]) if last else None
        printed = graph.value(entry, RDFS.label)
        if a is None or b is None or a.parent != b.parent or printed is None or a.parent not in labels:
            continue
        if _normalise_title(str(printed)) != _normalise_title(labels[a.parent]):
            out.append(Finding("range-title-mismatch", str(graph.value(entry, SKOS.notation)),
                               f"policy prints {str(printed)!r}, the release's category is {labels[a.parent]!r}"))
    return out


@dataclass
class IngestReport:
    """What an ingest found, decided and (unless a dry run) wrote."""

    file: str
    sha256: str
    policy_number: str
    title: str
    effective_date: str
    mode: str  # new-version | replaces-ingested-version | source-of-existing-version
    policy: str
    graph: str
    graph_file: str
    series: str
    revision_of: str | None
    counts: dict[str, int]
    triples_added: int
    findings: list[str]
    dry_run: bool
    written: bool = False
    existing_version: str | None = None
    comparison: list[dict[str, Any]] = field(default_factory=list)
    kept_existing: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def to_text(self) -> str:
        c = self.counts
        modes = {
            "new-version": "a new version",
            "replaces-ingested-version": "replaces the earlier ingest of this version",
            "source-of-existing-version": f"same version as {self.existing_version}: recorded as its source document, "
                                          "not as a second version",
        }
        lines = [
            f"{self.policy_number} {self.title}, effective {self.effective_date} "
            f"({self.file}, sha256 {self.sha256[:16]}…)",
            f"mode: {modes[self.mode]}",
            f"policy: {self.policy}" + (f" (revision of {self.revision_of})" if self.revision_of else ""),
            f"graph: {self.graph} (ingested/{self.graph_file}.nq)",
            f"extracted: {c['statements']} statements ({c['default_rules']} default), {c['indications']} indications, "
            f"{c['quantitative_criteria']} thresholds, {c['code_tables']} code tables, {c['procedure_codes']} "
            f"procedure codes, {c['diagnosis_entries']} diagnosis entries -> {c['diagnosis_codes']} diagnosis codes, "
            f"{c['works']} works, {c['citations']} citations, {c['anchors']} anchors",
            f"{'would add' if self.dry_run else 'added'}: {self.triples_added} triples"
            + (" (dry run: nothing written)" if self.dry_run else ""),
        ]
        lines += [f"kept the store's description of {s}" for s in self.kept_existing]
        lines.append(f"findings: {len(self.findings)}")
        lines += [f"  {f}" for f in self.findings]
        if self.mode == "source-of-existing-version":
            lines.append(f"comparison with {self.existing_version}: "
                         + ("no differences" if not self.comparison else f"{len(self.comparison)} difference(s)"))
            from .diff import Change

            lines += [f"  {c['level']}: {Change(**c).line()}" for c in self.comparison]
        return "\n".join(lines) + "\n"


def render(report: IngestReport, fmt: str) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n" if fmt == "json" else report.to_text()


def count(graph: Graph) -> dict[str, int]:
    """How much a mapped graph holds, by kind of fact (used by the report and the tests)."""
    from .namespaces import CITO

    def n(cls: URIRef) -> int:
        return len(set(graph.subjects(RDF.type, cls)))

    procedure = {o for t in graph.subjects(RDF.type, PKG.CodeTable) for lst in graph.objects(t, PKG.procedureCodeList)
                 for e in graph.objects(lst, PKG.hasEntry) for o in graph.objects(e, PKG.includesCode)}
    dx_lists = {lst for t in graph.subjects(RDF.type, PKG.CodeTable) for lst in graph.objects(t, PKG.diagnosisCodeList)}
    dx_entries = {e for lst in dx_lists for e in graph.objects(lst, PKG.hasEntry)
                  if (e, RDF.type, PKG.AllOtherCodes) not in graph}
    return {
        "statements": n(PKG.CoverageStatement), "default_rules": len(set(graph.subjects(RDF.type, PKG.DefaultRule))
                                                                   - set(graph.subjects(RDF.type, PKG.AllOtherCodes))),
        "indications": n(PKG.Indication), "quantitative_criteria": n(PKG.QuantitativeCriterion),
        "code_tables": n(PKG.CodeTable), "code_lists": n(PKG.CodeList),
        "procedure_codes": len(procedure), "diagnosis_entries": len(dx_entries),
        "diagnosis_codes": len({c for e in dx_entries for c in graph.objects(e, PKG.includesCode)}),
        "all_other_codes": n(PKG.AllOtherCodes), "works": n(PKG.Study) + n(PKG.Review)
        + n(PKG.ClinicalPracticeGuideline) + n(PKG.PositionStatement) + n(PKG.AppropriatenessCriteria)
        + n(PKG.ReferenceWork), "citations": n(CITO.Citation), "anchors": n(OA.SpecificResource),
        "triples": len(graph),
    }


def to_nquads(graph: Graph, graph_iri: URIRef) -> bytes:
    """Canonical (sorted) N-Quads of one named graph."""
    lines = sorted(line for line in graph.serialize(format="nt").splitlines() if line.strip())
    return "".join(line[:-1].rstrip() + f" <{graph_iri}> .\n" for line in lines).encode("utf-8")


def _versions(store: Any, number: str) -> list[dict[str, Any]]:
    return [{k: term_value(v) for k, v in r.items()} for r in run_named(store, "policy-versions")
            if term_value(r.get("identifier")) == number]


def _prune_shared(store: Any, mapped: Any, out: Graph) -> tuple[list[str], list[str]]:
    """Drop triples about resources outside the version that another graph already describes."""
    from .loaders.base import Finding
    from .queries import bound_text, parse_named_query

    query = parse_named_query("subject-graphs", _SUBJECT_GRAPHS)
    base, kept, findings = mapped.iris.base, [], []
    subjects = {s for s in out.subjects() if isinstance(s, URIRef) and not str(s).startswith(base)}
    for s in sorted(subjects - {mapped.iris.activity}):
        rows = list(store.query(bound_text(query, {"subject": s})))
        others = [r for r in rows if str(r[0]) != str(mapped.iris.graph)]
        if not others:
            continue
        mine = out.value(s, SKOS.prefLabel)
        theirs = {str(r[1]) for r in others if r[1] is not None}
        if mine is not None and theirs and str(mine).casefold() not in {t.casefold() for t in theirs}:
            findings.append(str(Finding("procedure-title-differs", str(s).rsplit("/", 1)[-1],
                                        f"policy prints {str(mine)!r}, the store has {sorted(theirs)[0]!r}")))
        out.remove((s, None, None))
        kept.append(str(s))
    return kept, findings


def ingest(path: Path, store_root: Path, *, dry_run: bool = False, now: dt.datetime | None = None) -> IngestReport:
    """Ingest one document (see the module docstring); raises PolicyDocumentError for unusable input."""
    from .loaders.policy_document import load_policy
    from .loaders.policy_rdf import series_iri, version_iris
    from .store import PolicyStore, add_ingested_graph

    doc = load_policy(path)
    started = now or dt.datetime.now(dt.UTC)
    store = PolicyStore.open(store_root)
    number = doc.metadata.policy_number
    versions = _versions(store, number)
    series = next((URIRef(v["series"]) for v in versions if v.get("series")), series_iri(number))
    iris = version_iris(doc, started, series)
    date = doc.metadata.effective_date.isoformat()  # type: ignore[union-attr]  # version_iris checked it
    same = [v for v in versions if v["effectiveDate"] == date]
    existing = next((v["policy"] for v in same if v["policy"] != str(iris.policy)), None)
    earlier = [v for v in versions if v["effectiveDate"] < date and v["policy"] != str(iris.policy)]
    previous = URIRef(max(earlier, key=lambda v: v["effectiveDate"])["policy"]) if earlier else None
    mapped = document_graph(doc, series=series, revision_of=previous, now=now, started=started)
    findings = [str(f) for f in mapped.findings]
    comparison: list[dict[str, Any]] = []
    if existing is not None:
        mode = "source-of-existing-version"
        out = _provenance_record(mapped, URIRef(existing))
        comparison = _compare_with(store, existing, mapped)
        kept: list[str] = []
    else:
        mode = "replaces-ingested-version" if same else "new-version"
        out = Graph()
        for triple in mapped.graph:
            out.add(triple)
        kept, differ = _prune_shared(store, mapped, out)
        findings += differ
    report = IngestReport(
        file=doc.source.name, sha256=doc.source.sha256, policy_number=number, title=doc.metadata.title,
        effective_date=date, mode=mode, policy=str(iris.policy), graph=str(iris.graph), graph_file=iris.graph_file,
        series=str(series), revision_of=str(previous) if previous and existing is None else None,
        counts=count(mapped.graph), triples_added=len(out), findings=findings, dry_run=dry_run,
        existing_version=existing, comparison=comparison, kept_existing=kept)
    if existing is not None:
        report.policy = existing  # the version this document is a source of (its extraction is not added)
    if not dry_run:
        add_ingested_graph(store_root, iris.graph_file, to_nquads(out, iris.graph))
        report.written = True
    return report


def _provenance_record(mapped: Any, existing: URIRef) -> Graph:
    """The document, the activity and the link from the existing version to the document (nothing else)."""
    out = Graph()
    for s in (mapped.iris.document, mapped.iris.activity):
        for p, o in mapped.graph.predicate_objects(s):
            out.add((s, p, o))
    out.add((existing, PROV.wasDerivedFrom, mapped.iris.document))
    out.add((mapped.iris.activity, RDFS.comment, Literal(f"recorded the document as a source of {existing}")))
    return out


def _compare_with(store: Any, existing: str, mapped: Any) -> list[dict[str, Any]]:
    from dataclasses import asdict

    from .diff import compare, snapshot

    old = snapshot(store, existing, existing)
    new = snapshot(GraphSource(mapped.graph), str(mapped.iris.policy), "document")
    return [asdict(c) for c in compare(old, new)]
