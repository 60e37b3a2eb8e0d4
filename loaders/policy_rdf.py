"""A parsed policy document as RDF, in the modelling of the shipped CPG 038 graph, with provenance on every fact.

Why a separate IRI space: the ingested version of a policy lives under ``id/ingested/<series path>/<effective
date>/`` (``.../id/ingested/cigna/cpg038/2025-01-15/policy``), the shipped, curated facts under
``id/<series path>/<date>/``. Ingesting the very text a curated version was made from therefore never mints
an IRI of the curated graph; the two share only the series IRI, shared code IRIs (ICD-10-CM, CPT) and the
ontology's individuals. IRIs below the version are minted from the document's order (``statement-2``,
``statement-2/indication-5``, ``table-1/icd-10-cm-codes/entry-Q05.0-Q05.9``), so the same document always gives
the same graph; only the ingest activity (named by the document digest and the ingest time) changes.

Provenance: every extracted resource has ``pkg:anchor`` -> an ``oa:SpecificResource`` whose ``oa:hasSource`` is
the document file (``id/document/sha256-<hex>``, a ``prov:Entity`` with its digest, file name and media type),
with ``pkg:sectionPath``, ``pkg:page`` (``pkg:pageEstimated`` when the page markers do not prove it), an
``oa:TextQuoteSelector`` (``oa:exact`` = the original span) and an ``oa:TextPositionSelector`` (``oa:start`` /
``oa:end``, code-point offsets into the extracted text); plus ``prov:wasDerivedFrom`` the document and
``prov:wasGeneratedBy`` the ingest activity (``prov:startedAtTime`` / ``prov:endedAtTime``). Selectors are IRIs
(``.../anchor/quote``), not blank nodes, so graphs concatenated into one N-Quads load can never merge them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS

from ..namespaces import BASE, OA, PKG
from .base import Finding
from .policy_document import PolicyDocument
from .policy_errors import MissingEffectiveDate
from .policy_model import Determination, Provenance, SettingKind, Statement

ID = BASE + "id/"
CPT_SCHEME = URIRef(BASE + "cpt/")
HCPCS = Namespace(BASE + "hcpcs/")
HCPCS_SCHEME = URIRef(BASE + "hcpcs/")
DETERMINATIONS = {
    Determination.MEDICALLY_NECESSARY: PKG.MedicallyNecessary,
    Determination.NOT_MEDICALLY_NECESSARY: PKG.NotMedicallyNecessary,
    Determination.EXPERIMENTAL_INVESTIGATIONAL_UNPROVEN: PKG.ExperimentalInvestigationalUnproven,
    Determination.NOT_COVERED: PKG.NotCovered,
}
SETTINGS = {SettingKind.INTRAOPERATIVE: PKG.Intraoperative}  # the ontology's pkg:Setting individuals
PUBLISHERS = {  # organisations of the family, with the IRIs and names the shipped graph gives them
    "cigna": (URIRef(ID + "org/cigna"), "Cigna", None),
    "ash": (URIRef(ID + "org/ash"), "American Specialty Health", "ASH"),
}
_DETERMINATION_PHRASE = re.compile(
    r"\s+(?:is|are)\s+(?:considered\s+)?(?:not\s+)?(?:medically\s+necessary|experimental[\w ,/]*?unproven|"
    r"covered(?:\s+or\s+reimbursable)?|reimbursable)",
    re.I,
)


def slug(text: str) -> str:
    """Lower-case letters, digits and hyphens: a path segment of a minted IRI."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def series_iri(policy_number: str) -> URIRef:
    """The series IRI a policy number gets when the store has no series for it (CPG 038 -> id/cigna/cpg038)."""
    return URIRef(ID + "cigna/" + re.sub(r"[^a-z0-9]", "", policy_number.lower()))


@dataclass(frozen=True)
class VersionIris:
    """Where one ingested version's resources live (see the module docstring)."""

    series: URIRef
    base: str
    graph: URIRef
    document: URIRef
    activity: URIRef
    graph_file: str  # the store's ingested/<name>.nq

    @property
    def policy(self) -> URIRef:
        return URIRef(self.base + "policy")

    def item(self, *parts: str) -> URIRef:
        return URIRef(self.base + "/".join(parts))


def version_iris(doc: PolicyDocument, started: dt.datetime, series: URIRef | None = None) -> VersionIris:
    """IRIs of the version a document is (its policy number and effective date decide; see module docstring)."""
    date = doc.metadata.effective_date
    if date is None:
        raise MissingEffectiveDate(
            f"{doc.source.name}: no 'Effective Date:' line found: a version cannot be placed without its date")
    series = series or series_iri(doc.metadata.policy_number)
    path = str(series)[len(ID):] if str(series).startswith(ID) else "policy/" + slug(doc.metadata.policy_number)
    sha = doc.source.sha256
    return VersionIris(
        series=series,
        base=f"{ID}ingested/{path}/{date.isoformat()}/",
        graph=URIRef(f"{BASE}graph/ingested/{path}/{date.isoformat()}"),
        document=URIRef(f"{ID}document/sha256-{sha}"),
        activity=URIRef(f"{ID}ingest/{sha[:16]}-{started.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"),
        graph_file="policy-" + slug(f"{path}-{date.isoformat()}"),
    )


@dataclass
class RdfWriter:
    """The graph being built, the IRIs it mints into, and the findings met on the way."""

    doc: PolicyDocument
    iris: VersionIris
    graph: Graph = field(default_factory=Graph)
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        text = self.doc.source.text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def add(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.graph.add((s, p, o))

    def finding(self, kind: str, subject: str, message: str) -> None:
        self.findings.append(Finding(kind, subject, message))

    def fact(self, subject: URIRef, types: tuple[URIRef, ...], prov: Provenance | None, name: str = "anchor") -> None:
        """Declare an extracted resource: its types, its anchor and its PROV links."""
        for t in types:
            self.add(subject, RDF.type, t)
        self.add(subject, PROV.wasDerivedFrom, self.iris.document)
        self.add(subject, PROV.wasGeneratedBy, self.iris.activity)
        if prov is not None:
            self.anchor(subject, prov, name)

    def anchor(self, subject: URIRef, prov: Provenance, name: str = "anchor", section: str | None = None) -> URIRef:
        """An oa:SpecificResource for the original span ``prov`` (selectors minted below the anchor's IRI)."""
        a = URIRef(f"{subject}/{name}")
        quote, position = URIRef(f"{a}/quote"), URIRef(f"{a}/position")
        self.add(subject, PKG.anchor, a)
        self.add(a, RDF.type, OA.SpecificResource)
        self.add(a, OA.hasSource, self.iris.document)
        self.add(a, PKG.sectionPath, Literal(section or " > ".join(prov.section_path) or "Front matter"))
        page, estimated = self.page(prov)
        if page is not None:
            self.add(a, PKG.page, Literal(page))
            self.add(a, PKG.pageEstimated, Literal(estimated))
        self.add(a, OA.hasSelector, quote)
        self.add(quote, RDF.type, OA.TextQuoteSelector)
        self.add(quote, OA.exact, Literal(prov.quote))
        self.add(a, OA.hasSelector, position)
        self.add(position, RDF.type, OA.TextPositionSelector)
        self.add(position, OA.start, Literal(prov.start))
        self.add(position, OA.end, Literal(prov.end))
        return a

    def page(self, prov: Provenance) -> tuple[int | None, bool]:
        """The proven page, else an estimate from the line position and the stated page count (as the
        curated anchors do), never below the parser's lower bound."""
        if prov.page is not None:
            return prov.page, False
        count = self.doc.metadata.page_count
        if count and self.doc.source.media_type != "application/pdf":
            line = bisect.bisect_right(self._line_starts, prov.start) - 1
            estimate = 1 + (line * count) // len(self._line_starts)
            return max(estimate, prov.min_page or 1), True
        return (prov.min_page, True) if prov.min_page is not None else (None, False)


@dataclass
class MappedPolicy:
    """What :func:`map_policy` produced."""

    graph: Graph
    iris: VersionIris
    statements: list[URIRef]
    findings: list[Finding]


def map_policy(doc: PolicyDocument, iris: VersionIris, *, started: dt.datetime, ended: dt.datetime,
               revision_of: URIRef | None = None) -> MappedPolicy:
    """The whole document as RDF (code lists not yet expanded against a release: see code_lists)."""
    from .policy_rdf_codes import add_code_tables
    from .policy_rdf_evidence import add_evidence

    w = RdfWriter(doc, iris)
    _document(w, started, ended)
    _version(w, revision_of, ended)
    statements = [_statement(w, i, s) for i, s in enumerate(doc.statements, start=1)]
    for s_iri, statement in zip(statements, doc.statements, strict=True):
        if statement.is_default:
            for other, o in zip(statements, doc.statements, strict=True):
                if not o.is_default and o.topic_path == statement.topic_path:
                    w.add(s_iri, PKG.otherThan, other)
    add_code_tables(w, statements)
    add_evidence(w, statements)
    for warning in doc.warnings:
        w.finding("parser", doc.source.name, warning)
    from .packaged import ontology_text
    from .rdfs_types import add_superclass_types

    add_superclass_types(w.graph, Graph().parse(data=ontology_text(), format="turtle"))
    return MappedPolicy(w.graph, iris, statements, w.findings)


def _document(w: RdfWriter, started: dt.datetime, ended: dt.datetime) -> None:
    src, doc_iri, act = w.doc.source, w.iris.document, w.iris.activity
    w.add(doc_iri, RDF.type, PROV.Entity)
    w.add(doc_iri, RDFS.label, Literal(src.name))
    w.add(doc_iri, DCTERMS.identifier, Literal(f"sha256:{src.sha256}"))
    w.add(doc_iri, DCTERMS["format"], Literal(src.media_type))
    w.add(act, RDF.type, PROV.Activity)
    w.add(act, RDFS.label, Literal(f"policykg ingest of {src.name}"))
    w.add(act, PROV.used, doc_iri)
    w.add(act, PROV.startedAtTime, Literal(started.astimezone(dt.UTC).replace(microsecond=0), datatype=XSD.dateTime))
    w.add(act, PROV.endedAtTime, Literal(ended.astimezone(dt.UTC).replace(microsecond=0), datatype=XSD.dateTime))


def _version(w: RdfWriter, revision_of: URIRef | None, ended: dt.datetime) -> None:
    meta, policy, series = w.doc.metadata, w.iris.policy, w.iris.series
    w.add(series, RDF.type, PKG.PolicySeries)
    w.add(series, RDF.type, OWL.NamedIndividual)
    w.add(series, RDFS.label, Literal(f"Cigna/ASH {meta.title} ({meta.policy_number})", lang="en"))
    w.add(series, DCTERMS.identifier, Literal(meta.policy_number))
    date = meta.effective_date
    assert date is not None  # version_iris refused an undated document
    w.fact(policy, (PKG.CoveragePolicy, OWL.NamedIndividual), meta.provenance_of("title"), "anchor-title")
    w.add(policy, RDFS.label, Literal(f"{meta.title} ({meta.policy_number}), effective {date.isoformat()}", lang="en"))
    w.add(policy, DCTERMS.title, Literal(meta.title, lang="en"))
    w.add(policy, DCTERMS.identifier, Literal(meta.policy_number))
    w.add(policy, DCTERMS.isVersionOf, series)
    w.add(policy, PKG.effectiveDate, Literal(date, datatype=XSD.date))
    w.add(policy, OWL.versionInfo, Literal(date.isoformat()))
    w.add(policy, PROV.generatedAtTime, Literal(ended.astimezone(dt.UTC).replace(microsecond=0), datatype=XSD.dateTime))
    if revision_of is not None:
        w.add(policy, PROV.wasRevisionOf, revision_of)
    for name in ("effective_date", "next_review_date", "publisher", "page_count"):
        prov = meta.provenance_of(name)
        if prov is not None:
            w.anchor(policy, prov, "anchor-" + name.replace("_", "-"))
    if meta.next_review_date:
        w.add(policy, PKG.nextReviewDate, Literal(meta.next_review_date, datatype=XSD.date))
    if meta.page_count:
        w.add(policy, PKG.pageCount, Literal(meta.page_count))
    if meta.publisher:
        w.add(policy, DCTERMS.description, Literal(meta.publisher, lang="en"))
    guidelines = w.doc.section("GUIDELINES")
    front = w.doc.source.text[: guidelines.start if guidelines else 3000]  # title page and instructions
    for key, (org, name, acronym) in PUBLISHERS.items():
        if re.search(rf"\b{re.escape(name)}\b" + (rf"|\b{acronym}\b" if acronym else ""), front) or (
                key == "cigna" and meta.publisher and "Cigna" in meta.publisher):
            w.add(policy, DCTERMS.publisher, org)
            w.add(org, RDF.type, URIRef("http://xmlns.com/foaf/0.1/Organization"))
            w.add(org, RDF.type, OWL.NamedIndividual)
            w.add(org, URIRef("http://xmlns.com/foaf/0.1/name"), Literal(name))
            w.add(org, RDFS.label, Literal(f"{name} ({acronym})" if acronym else name, lang="en"))
            if acronym:
                w.add(org, PKG.acronym, Literal(acronym))


def statement_label(statement: Statement) -> str:
    """The lead without its determination phrase (the determination is a property of its own)."""
    text = _DETERMINATION_PHRASE.sub("", statement.lead, count=1).rstrip(" :.")
    topic = " > ".join(statement.topic_path)
    return f"{topic}: {text}" if topic else text


def _statement(w: RdfWriter, index: int, statement: Statement) -> URIRef:
    s = w.iris.item(f"statement-{index}")
    types = (PKG.CoverageStatement, OWL.NamedIndividual) + ((PKG.DefaultRule,) if statement.is_default else ())
    w.fact(s, types, statement.lead_provenance)
    w.add(s, RDFS.label, Literal(statement_label(statement), lang="en"))
    w.add(s, PKG.order, Literal(index))
    w.add(s, PKG.determination, DETERMINATIONS[statement.determination])
    service = re.split(r"\s+(?:is|are)\s+(?:considered|not\s+covered|covered)\b", statement.lead, maxsplit=1)[0]
    if service != statement.lead:
        w.add(s, PKG.service, Literal(service))
    w.add(w.iris.policy, PKG.hasStatement, s)
    if statement.criteria:
        required = {"ANY": "any", "ONE": "any", "EITHER": "any", "ALL": "all", "BOTH": "all"}
        w.add(s, PKG.indicationsRequired, Literal(required.get(statement.quantifier or "ANY",
                                                               (statement.quantifier or "").lower())))
    for note in statement.notes:
        w.add(s, SKOS.note, Literal(note.text, lang="en"))
    _population(w, s, statement)
    for setting in statement.settings:
        if setting.kind in SETTINGS:
            w.add(s, PKG.requiresSetting, SETTINGS[setting.kind])
        else:
            w.finding("unmapped-setting", str(s), f"setting {setting.kind.value!r} ({setting.phrase!r}) has no "
                      "pkg:Setting individual in the ontology: not recorded as pkg:requiresSetting")
    for j, criterion in enumerate(statement.criteria, start=1):
        ind = w.iris.item(f"statement-{index}", f"indication-{j}")
        w.fact(ind, (PKG.Indication, OWL.NamedIndividual), criterion.indication_provenance)
        w.add(s, PKG.hasIndication, ind)
        w.add(ind, RDFS.label, Literal(criterion.indication, lang="en"))
        w.add(ind, PKG.order, Literal(j))
        if criterion.level > 1:
            w.add(ind, SKOS.note, Literal("a sub-item (level 2 bullet) of the indication before it", lang="en"))
            w.finding("nested-criterion", str(ind), "a level-2 bullet was recorded as an indication of its own")
        for example in criterion.examples:
            w.add(ind, SKOS.example, Literal(example.text))
        for k, q in enumerate(criterion.quantities, start=1):
            c = URIRef(f"{ind}/criterion-{k}")
            w.fact(c, (PKG.QuantitativeCriterion, OWL.NamedIndividual), q.provenance)
            w.add(ind, PKG.hasCriterion, c)
            w.add(c, RDFS.label, Literal(" ".join(q.provenance.quote.split()), lang="en"))
            w.add(c, PKG.measuredQuantity, Literal(q.quantity))
            w.add(c, PKG.comparator, Literal(q.comparator.value))
            w.add(c, PKG.quantityValue, Literal(q.value, datatype=XSD.decimal))
            w.add(c, PKG.unit, Literal(q.unit))
    return s


def _population(w: RdfWriter, s: URIRef, statement: Statement) -> None:
    if not statement.age_bounds and not statement.populations:
        return
    pop = URIRef(f"{s}/population")
    first = statement.age_bounds[0].provenance if statement.age_bounds else None
    w.fact(pop, (PKG.PopulationCriterion, OWL.NamedIndividual), first)
    w.add(s, PKG.hasPopulation, pop)
    who = " and ".join(statement.populations)
    phrases = "; ".join(" ".join(b.phrase.split()) for b in statement.age_bounds)
    w.add(pop, RDFS.label, Literal(f"{who} ({phrases})" if who and phrases else who or phrases, lang="en"))
    for bound in statement.age_bounds:
        phrase = " ".join(bound.phrase.split())
        if bound.upper_months is not None:
            w.add(pop, PKG.ageBelowMonths, Literal(bound.upper_months, datatype=XSD.decimal))
            if bound.upper_inclusive:
                w.finding("age-approximated", str(pop),
                          f"{phrase!r} includes {bound.upper_months} months; recorded as ageBelowMonths "
                          f"{bound.upper_months} (exclusive): the ontology has no inclusive upper bound")
        if bound.lower_months is not None:
            w.add(pop, PKG.ageAtLeastMonths, Literal(bound.lower_months, datatype=XSD.decimal))
            if not bound.lower_inclusive:
                w.finding("age-approximated", str(pop), f"{phrase!r} excludes {bound.lower_months} months; recorded "
                          f"as ageAtLeastMonths {bound.lower_months} (inclusive): the ontology has no exclusive "
                          "lower bound")

