"""Parser for Cigna/ASH "Medical Coverage Policy - Therapy Services" documents.

One entry point per kind of input: :func:`load_policy` (a path: text or PDF), :func:`parse_policy`
(a :class:`SourceText`), :func:`parse_policy_text` (a string). The result, :class:`PolicyDocument`, holds
metadata, the section tree, coverage statements, code tables, citations grouped into works and the
References list, each item with its :class:`Provenance` in the original text. The parser is written for
the family layout, not for one policy: nothing in it names a particular policy, code or author.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .policy_citations import extract_citations
from .policy_codes import extract_code_tables
from .policy_errors import (
    DocumentNotFound,
    EmptyDocument,
    MissingEffectiveDate,
    NotAFile,
    NotAPolicyDocument,
    NoTextLayer,
    PolicyDocumentError,
    UndecodableText,
    UnreadablePdf,
    UnsupportedSource,
)
from .policy_mapped import WordRepair
from .policy_model import (
    AgeBound,
    Citation,
    CitationForm,
    CodeRow,
    CodeSystem,
    CodeTable,
    Comparator,
    Criterion,
    Determination,
    Example,
    Note,
    PolicyMetadata,
    Provenance,
    Quantity,
    ReferenceEntry,
    RowKind,
    Section,
    Setting,
    SettingKind,
    Statement,
    Work,
)
from .policy_pages import PageLayout, PageStatus
from .policy_references import extract_references
from .policy_statements import extract_statements
from .policy_structure import GUIDELINES, Locator, Outline, build_outline
from .policy_text import NormalizedText, SourceText, normalise, read_document

__all__ = [
    "AgeBound",
    "Citation",
    "CitationForm",
    "CodeRow",
    "CodeSystem",
    "CodeTable",
    "Comparator",
    "Criterion",
    "Determination",
    "DocumentNotFound",
    "EmptyDocument",
    "Example",
    "MissingEffectiveDate",
    "NoTextLayer",
    "NotAFile",
    "NotAPolicyDocument",
    "Note",
    "PageLayout",
    "PageStatus",
    "PolicyDocument",
    "PolicyDocumentError",
    "PolicyMetadata",
    "Provenance",
    "Quantity",
    "ReferenceEntry",
    "RowKind",
    "Section",
    "Setting",
    "SettingKind",
    "SourceText",
    "Statement",
    "UndecodableText",
    "UnreadablePdf",
    "UnsupportedSource",
    "Work",
    "load_policy",
    "parse_policy",
    "parse_policy_text",
]

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_DATE = (
    r"(?P<date>\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}|(?:January|February|March|April|May|June|July|"
    r"August|September|October|November|December)\s+\d{1,2},?\s+\d{4})"
)
_EFFECTIVE = re.compile(r"\bEffective\s+Date\s*:?\s*" + _DATE, re.I)
_NEXT_REVIEW = re.compile(r"\bNext\s+Review\s+Date\s*:?\s*" + _DATE, re.I)
_PUBLISHER = re.compile(r"Medical\s+Coverage\s+Polic(?:y|ies)", re.I)


@dataclass(frozen=True, eq=False)
class PolicyDocument:
    """Everything extracted from one policy document, with provenance into ``source.text``.

    ``pages_complete`` is False when "Page N of M" markers are missing (as in a PDF-to-text export that
    kept only the first header); provenance pages are then None with ``PageStatus.AT_LEAST``.
    """

    source: SourceText
    metadata: PolicyMetadata
    sections: tuple[Section, ...]
    statements: tuple[Statement, ...]
    code_tables: tuple[CodeTable, ...]
    coding_notes: tuple[Note, ...]
    footnotes: tuple[Note, ...]
    citations: tuple[Citation, ...]
    works: tuple[Work, ...]
    references: tuple[ReferenceEntry, ...]
    organisations: tuple[tuple[str, str], ...]  # (acronym, name) as defined in the text
    page_layout: PageLayout
    pages_complete: bool
    furniture_spans: tuple[tuple[int, int], ...]  # removed page headers/footers and title repeats
    word_repairs: tuple[WordRepair, ...]
    warnings: tuple[str, ...]

    def iter_sections(self) -> Iterator[Section]:
        """All sections, depth first, in document order."""
        for section in self.sections:
            yield from section.walk()

    def section(self, *path: str) -> Section | None:
        """The section at ``path`` (e.g. ``doc.section("LITERATURE REVIEW", "Intraoperative Use")``)."""
        return next((s for s in self.iter_sections() if s.path == path), None)

    def work(self, key: str) -> Work | None:
        return next((w for w in self.works if w.key == key), None)

    def provenances(self) -> Iterator[tuple[str, str | None, Provenance]]:
        """Every provenance record as ``(what, normalised text or None, provenance)``; used by audits."""
        for name, prov in self.metadata.provenance:
            yield f"metadata.{name}", None, prov
        for section in self.iter_sections():
            yield "section", section.title, section.heading
        for statement in self.statements:
            yield "statement", None, statement.provenance
            yield "statement.lead", statement.lead, statement.lead_provenance
            for bound in statement.age_bounds:
                yield "statement.age", bound.phrase, bound.provenance
            for setting in statement.settings:
                yield "statement.setting", setting.phrase, setting.provenance
            for note in statement.notes:
                yield "statement.note", note.text, note.provenance
            for crit in statement.criteria:
                yield "criterion", crit.text, crit.provenance
                yield "criterion.indication", None, crit.indication_provenance
                for example in crit.examples:
                    yield "criterion.example", example.text, example.provenance
                for quantity in crit.quantities:
                    yield "criterion.quantity", None, quantity.provenance
        for table in self.code_tables:
            yield "code_table", None, table.provenance
            for row in table.rows:
                yield "code_row", None, row.provenance
        for note in (*self.coding_notes, *self.footnotes):
            yield "coding_note", note.text, note.provenance
        for citation in self.citations:
            yield "citation", None, citation.provenance
            yield "citation.sentence", citation.sentence, citation.sentence_provenance
        for entry in self.references:
            yield "reference", entry.text, entry.provenance


def load_policy(path: str | os.PathLike[str]) -> PolicyDocument:
    """Read (text or PDF) and parse a policy document."""
    return parse_policy(read_document(path))


def parse_policy_text(text: str, name: str = "<text>") -> PolicyDocument:
    """Parse a policy held in a string (already extracted text)."""
    return parse_policy(SourceText.from_text(text, name))


def parse_policy(source: SourceText) -> PolicyDocument:
    """Parse a document of the Cigna/ASH coverage-policy family.

    Raises :class:`EmptyDocument` for an empty text and :class:`NotAPolicyDocument` (listing what is
    missing) when the title line with a policy number, the GUIDELINES heading or every determination
    heading is absent.
    """
    normalized = normalise(source)
    outline = build_outline(normalized)
    _check_family(normalized, outline)
    locator = Locator(normalized, outline)
    warnings: list[str] = []
    statements = extract_statements(normalized, outline, locator, warnings)
    coding = extract_code_tables(outline, locator, normalized.vocabulary, warnings)
    citations, works, orgs = extract_citations(normalized, outline, locator)
    references, works = extract_references(normalized, outline, locator, orgs, citations, works)
    if not normalized.pages.complete and normalized.markers:
        first = normalized.markers[0]
        warnings.append(
            f"page markers incomplete ({len(normalized.markers)} of {first.total}): "
            "later pages are given as lower bounds only"
        )
    return PolicyDocument(
        source=source,
        metadata=_metadata(normalized, outline, locator),
        sections=outline.sections,
        statements=tuple(statements),
        code_tables=tuple(coding.tables),
        coding_notes=tuple(coding.notes),
        footnotes=tuple(coding.footnotes),
        citations=tuple(citations),
        works=tuple(works),
        references=tuple(references),
        organisations=tuple(orgs.items()),
        page_layout=normalized.pages.layout,
        pages_complete=normalized.pages.complete,
        furniture_spans=normalized.furniture_spans,
        word_repairs=normalized.repairs,
        warnings=tuple(warnings),
    )


def _check_family(normalized: NormalizedText, outline: Outline) -> None:
    missing = []
    if normalized.title is None:
        missing.append("a title line with a policy number, e.g. 'Spinal Ultrasound (CPG 038)'")
    if not any(section.title == GUIDELINES for section in outline.sections):
        missing.append("a GUIDELINES heading")
    if not outline.determinations:
        missing.append(
            "a determination heading under GUIDELINES ('Medically Necessary', 'Not Medically "
            "Necessary', 'Experimental, Investigational, Unproven' or 'Not Covered or Reimbursable')"
        )
    if missing:
        raise NotAPolicyDocument(missing)


def _parse_date(text: str) -> dt.date | None:
    try:
        if "/" in text:
            month, day, year = (int(p) for p in text.split("/"))
            return dt.date(year, month, day)
        if "-" in text:
            return dt.date.fromisoformat(text)
        month_name, day_text, year_text = re.split(r"[\s,]+", text.strip())
        return dt.date(int(year_text), _MONTHS[month_name.lower()], int(day_text))
    except (ValueError, KeyError):
        return None


def _metadata(normalized: NormalizedText, outline: Outline, locator: Locator) -> PolicyMetadata:
    provenance: list[tuple[str, Provenance]] = []
    if normalized.title_span is not None:
        provenance.append(("title", locator.span(*normalized.title_span)))
    front = [line for i, line in enumerate(outline.lines) if outline.line_paths[i] == () and line.text]
    publisher = effective = next_review = None
    for line in front:
        if publisher is None and _PUBLISHER.search(line.text):
            publisher = line.text
            provenance.append(("publisher", locator.at(line)))
        for name, pattern in (("effective_date", _EFFECTIVE), ("next_review_date", _NEXT_REVIEW)):
            match = pattern.search(line.text)
            if match and dict(provenance).get(name) is None:
                date = _parse_date(match.group("date"))
                if date is not None:
                    provenance.append((name, locator.at(line, match.start(), match.end())))
                    if name == "effective_date":
                        effective = date
                    else:
                        next_review = date
    page_count = normalized.markers[0].total if normalized.markers else None
    if normalized.markers:
        first = normalized.markers[0]
        provenance.append(("page_count", locator.span(first.start, first.end)))
    return PolicyMetadata(
        title=normalized.title or "",
        policy_number=normalized.policy_number or "",
        publisher=publisher,
        effective_date=effective,
        next_review_date=next_review,
        page_count=page_count,
        provenance=tuple(provenance),
    )
