"""Read a policy document (plain text or PDF) and normalise its text without losing provenance.

:func:`read_document` gives the exact text we will cite (:class:`SourceText`); :func:`normalise` gives the
cleaned text the parser reads, in which every character still points back into ``SourceText.text``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .policy_errors import (
    DocumentNotFound,
    EmptyDocument,
    NotAFile,
    NoTextLayer,
    UndecodableText,
    UnreadablePdf,
    UnsupportedSource,
)
from .policy_mapped import (
    MappedText,
    Vocabulary,
    WordRepair,
    normalise_characters,
    normalise_whitespace,
    repair_split_words,
)
from .policy_pages import PageIndex, PageLayout, PageMarker, strip_furniture

__all__ = ["NormalizedText", "PageSpan", "SourceText", "normalise", "read_document"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class PageSpan:
    """Where one PDF page's text sits in ``SourceText.text`` (``[start, end)``)."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class SourceText:
    """The text exactly as extracted, which every provenance offset indexes into.

    ``sha256`` is of the file's bytes, so a knowledge-graph statement can name the very file it came from.
    ``pages`` is filled only when the source had real page boundaries (PDF).
    """

    name: str
    sha256: str
    text: str
    media_type: str
    pages: tuple[PageSpan, ...] = field(default=())

    @classmethod
    def from_text(cls, text: str, name: str = "<text>") -> SourceText:
        """Wrap a string (tests, already-extracted text); the digest is of its UTF-8 encoding."""
        return cls(name, hashlib.sha256(text.encode("utf-8")).hexdigest(), text, "text/plain")


def read_document(path: str | os.PathLike[str]) -> SourceText:
    """Read a UTF-8 text file or a PDF (detected by its ``%PDF-`` signature, not by the file name).

    Raises a :class:`~.policy_errors.PolicyDocumentError` subclass for URLs, missing paths, directories,
    empty files, undecodable text, unreadable PDFs and PDFs without a text layer.
    """
    if isinstance(path, str) and _URL.match(path):
        raise UnsupportedSource(f"{path}: URLs are not fetched; download the file and pass its path")
    file = Path(path)
    if not file.exists():
        raise DocumentNotFound(f"{file}: no such file")
    if not file.is_file():
        raise NotAFile(f"{file}: not a regular file (a directory?)")
    data = file.read_bytes()
    if not data.strip():
        raise EmptyDocument(f"{file}: the file is empty")
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF-"):
        return _read_pdf(file.name, digest, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = data[err.start : err.start + 1]
        raise UndecodableText(f"{file}: not UTF-8 text (byte {err.start} is {bad!r})") from err
    if not text.strip():
        raise EmptyDocument(f"{file}: the file holds only whitespace")
    return SourceText(file.name, digest, text, "text/plain")


def _read_pdf(name: str, digest: str, data: bytes) -> SourceText:
    """Extract each page's text with pypdf (imported here: plain-text users need not have it)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        page_texts = [page.extract_text() or "" for page in reader.pages]
    except Exception as err:  # pypdf reports malformed files with many exception types; all are input errors
        raise UnreadablePdf(f"{name}: pypdf cannot read this PDF ({err})") from err
    if not any(text.strip() for text in page_texts):
        raise NoTextLayer(f"{name}: the PDF has {len(page_texts)} page(s) but no extractable text (a scan?)")
    chunks: list[str] = []
    spans: list[PageSpan] = []
    pos = 0
    for number, text in enumerate(page_texts, start=1):
        if chunks:
            chunks.append("\n")
            pos += 1
        chunks.append(text)
        spans.append(PageSpan(number, pos, pos + len(text)))
        pos += len(text)
    return SourceText(name, digest, "".join(chunks), "application/pdf", tuple(spans))


@dataclass(frozen=True, eq=False)
class NormalizedText:
    """The cleaned text the parser reads, plus what cleaning removed and found on the way.

    ``text`` has one logical line per extracted line, no page furniture, collapsed spaces and repaired
    split words; ``text.offsets`` map each of its characters into ``source.text``.
    """

    source: SourceText
    text: MappedText
    vocabulary: Vocabulary
    pages: PageIndex
    markers: tuple[PageMarker, ...]
    title: str | None
    policy_number: str | None
    title_span: tuple[int, int] | None
    furniture_spans: tuple[tuple[int, int], ...]
    repairs: tuple[WordRepair, ...]


def normalise(source: SourceText) -> NormalizedText:
    """Clean ``source.text`` in provenance-keeping steps: characters, page furniture, spaces, split words."""
    if not source.text.strip():
        raise EmptyDocument(f"{source.name}: the document holds no text")
    chars = normalise_characters(MappedText.identity(source.text))
    furniture = strip_furniture(chars)
    spaced = normalise_whitespace(furniture.text)
    vocabulary = Vocabulary(spaced.text)
    repaired, repairs = repair_split_words(spaced, vocabulary)
    if source.pages:
        pages = PageIndex(PageLayout.PDF, pdf_pages=[(p.number, p.start, p.end) for p in source.pages])
    else:
        pages = PageIndex(furniture.layout, furniture.markers)
    spans = {(m.group_start, m.group_end) for m in furniture.markers} | set(furniture.title_line_spans)
    return NormalizedText(
        source=source,
        text=repaired,
        vocabulary=vocabulary,
        pages=pages,
        markers=furniture.markers,
        title=furniture.title,
        policy_number=furniture.policy_number,
        title_span=furniture.title_span,
        furniture_spans=tuple(sorted(spans)),
        repairs=tuple(repairs),
    )
