"""Layout of a normalised policy text: headings, the section tree, paragraph/bullet blocks, sentences.

Blank lines in PDF text are unreliable (they appear mid-sentence), so blocks are cut on bullets, numbered
items, statement openings and sentence-final punctuation rather than on blank lines alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .policy_mapped import MappedText, Vocabulary, join_lines
from .policy_model import Determination, Provenance, Section
from .policy_text import NormalizedText

# Headings of the family recognised wherever they stand (other ALL-CAPS lines must follow a break).
_KNOWN_TOP = {"coding information", "references", "policy history", "revision details", "revision history"}
_KNOWN_CAPS = {"INSTRUCTIONS FOR USE", "GUIDELINES", "DESCRIPTION", "GENERAL BACKGROUND", "LITERATURE REVIEW"}
_ALL_CAPS = re.compile(r"^[A-Z][A-Z &/,'-]{3,60}$")
_SMALL = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "vs", "with"}
_DETERMINATION_HEADINGS = {
    "medically necessary": Determination.MEDICALLY_NECESSARY,
    "not medically necessary": Determination.NOT_MEDICALLY_NECESSARY,
    "experimental, investigational, unproven": Determination.EXPERIMENTAL_INVESTIGATIONAL_UNPROVEN,
    "experimental, investigational, or unproven": Determination.EXPERIMENTAL_INVESTIGATIONAL_UNPROVEN,
    "experimental/investigational/unproven": Determination.EXPERIMENTAL_INVESTIGATIONAL_UNPROVEN,
    "not covered or reimbursable": Determination.NOT_COVERED,
    "not covered": Determination.NOT_COVERED,
}
GUIDELINES = "GUIDELINES"
CODING = "Coding Information"
REFERENCES = "References"
_TERMINAL = re.compile(r"(?:[.:;!?][\"')\]]*|\b(?:19|20)\d{2}[a-z]?\))$")
BULLET = re.compile(r"^(?:(?P<l1>[•●■\u2022\uf0b7])|(?P<l2>[▪◦○\u25aa\u25e6]|o(?= )|-(?= )))\s*")
NUMBERED = re.compile(r"^(?P<n>\d{1,3})[.)]\s+")
STATEMENT_START = re.compile(r"^[A-Z\"(].*\b(?:is|are)\s+(?:considered|not\s+covered|covered)\b")


def determination_heading(text: str) -> Determination | None:
    """The determination a heading line announces, if it is one of the family's determination headings."""
    key = " ".join(text.replace(" ,", ",").split()).rstrip(":").strip().lower()
    return _DETERMINATION_HEADINGS.get(key)


def _is_title_case(text: str) -> bool:
    words = re.findall(r"[A-Za-z][A-Za-z'/-]*", text)
    if not words or not text[0].isupper():
        return False
    return all(word[0].isupper() or word.lower() in _SMALL for word in words)


@dataclass
class _Heading:
    line: int
    level: int
    title: str
    determination: Determination | None = None
    children: list[_Heading] = field(default_factory=list)
    end_line: int = 0


@dataclass(frozen=True, eq=False)
class Outline:
    """Headings found in a normalised text, and the section path of every line."""

    lines: tuple[MappedText, ...]
    line_paths: tuple[tuple[str, ...], ...]
    heading_lines: frozenset[int]
    determinations: dict[tuple[str, ...], Determination]
    sections: tuple[Section, ...]

    def bodies(self, top: str | None = None) -> Iterator[tuple[tuple[str, ...], list[MappedText]]]:
        """``(path, lines)`` for each heading's own body (up to the next heading), optionally under one
        top-level heading; front matter (before the first heading) is not included."""
        path: tuple[str, ...] | None = None
        body: list[MappedText] = []
        for i, line in enumerate(self.lines):
            if i in self.heading_lines:
                if path is not None and (top is None or path[0] == top):
                    yield path, body
                path, body = self.line_paths[i], []
            elif path is not None:
                body.append(line)
        if path is not None and (top is None or path[0] == top):
            yield path, body


def _neighbour(keys: Sequence[str], i: int, step: int) -> str | None:
    j = i + step
    while 0 <= j < len(keys):
        if keys[j]:
            return keys[j]
        j += step
    return None


def find_headings(lines: Sequence[MappedText]) -> list[_Heading]:
    """Top-level headings (ALL CAPS, or a known mixed-case one) and Title-Case sub-headings."""
    keys = [line.text for line in lines]
    headings: list[_Heading] = []
    top: str | None = None
    topic_open = False
    for i, key in enumerate(keys):
        if not key:
            continue
        prev, nxt = _neighbour(keys, i, -1), _neighbour(keys, i, 1)
        prev_is_heading = bool(headings) and headings[-1].line == _prev_index(keys, i)
        after_break = prev is None or prev_is_heading or bool(_TERMINAL.search(prev)) or not keys[i - 1]
        in_coding = top is not None and top.lower() == CODING.lower()
        all_caps = after_break and bool(_ALL_CAPS.match(key)) and sum(c.isalpha() for c in key) >= 5
        if key.lower() in _KNOWN_TOP or (not in_coding and (key in _KNOWN_CAPS or all_caps)):
            title = CODING if key.lower() == CODING.lower() else key
            headings.append(_Heading(i, 1, title))
            top, topic_open = title, False
            continue
        if top is None or in_coding or top.lower() == REFERENCES.lower():
            continue
        determination = determination_heading(key) if top == GUIDELINES else None
        if determination is not None:
            headings.append(_Heading(i, 3 if topic_open else 2, key.rstrip(":").strip(), determination))
            continue
        if not _looks_like_sub_heading(key, nxt):
            continue
        in_guidelines_gap = (
            top == GUIDELINES and not keys[i - 1] and nxt is not None and bool(determination_heading(nxt))
        )
        if prev is not None and not (prev_is_heading or _TERMINAL.search(prev) or in_guidelines_gap):
            continue
        headings.append(_Heading(i, 2, key))
        topic_open = top == GUIDELINES
    return headings


def _prev_index(keys: Sequence[str], i: int) -> int:
    j = i - 1
    while j >= 0 and not keys[j]:
        j -= 1
    return j


def _looks_like_sub_heading(key: str, nxt: str | None) -> bool:
    if len(key) > 80 or len(key.split()) > 10 or BULLET.match(key) or NUMBERED.match(key):
        return False
    if re.search(r"[.;:!?,]$", key) or not _is_title_case(key):
        return False
    return nxt is None or not nxt[0].islower()


class Locator:
    """Turns spans of mapped text into :class:`Provenance` (original offsets, quote, page, section)."""

    def __init__(self, normalized: NormalizedText, outline: Outline | None = None) -> None:
        self.normalized = normalized
        self.original = normalized.source.text
        self._spans: list[tuple[int, int, tuple[str, ...]]] = []
        if outline is not None:
            for top in outline.sections:
                for section in top.walk():
                    self._spans.append((section.start, section.end, section.path))

    def section_path(self, offset: int) -> tuple[str, ...]:
        best: tuple[str, ...] = ()
        for start, end, path in self._spans:
            if start <= offset < end and len(path) > len(best):
                best = path
        return best

    def at(self, text: MappedText, start: int = 0, end: int | None = None) -> Provenance:
        """Provenance of ``text[start:end]``."""
        o_start, o_end = text.original_span(start, end)
        return self.span(o_start, o_end)

    def span(self, o_start: int, o_end: int) -> Provenance:
        """Provenance of an original span."""
        location = self.normalized.pages.locate(o_start)
        return Provenance(
            start=o_start,
            end=o_end,
            quote=self.original[o_start:o_end],
            page=location.page,
            min_page=location.min_page,
            page_status=location.status,
            section_path=self.section_path(o_start),
        )


def build_outline(normalized: NormalizedText) -> Outline:
    """Find headings and build the section tree with original start/end offsets."""
    lines = tuple(normalized.text.lines())
    headings = find_headings(lines)
    stack: list[_Heading] = []
    roots: list[_Heading] = []
    for heading in headings:
        while stack and stack[-1].level >= heading.level:
            stack.pop().end_line = heading.line
        (stack[-1].children if stack else roots).append(heading)
        stack.append(heading)
    for heading in stack:
        heading.end_line = len(lines)
    locator = Locator(normalized)
    paths: list[tuple[str, ...]] = [()] * len(lines)
    determinations: dict[tuple[str, ...], Determination] = {}

    def freeze(heading: _Heading, parent: tuple[str, ...]) -> Section:
        path = (*parent, heading.title)
        for k in range(heading.line, heading.end_line):
            paths[k] = path
        if heading.determination is not None:
            determinations[path] = heading.determination
        children = tuple(freeze(child, path) for child in heading.children)
        start = lines[heading.line].original_span()[0]
        last = heading.end_line - 1
        while last > heading.line and not lines[last].text:
            last -= 1
        end = lines[last].original_span()[1]
        prov = locator.at(lines[heading.line])
        prov = Provenance(prov.start, prov.end, prov.quote, prov.page, prov.min_page, prov.page_status, path)
        return Section(heading.title, path, heading.level, start, end, prov, children)

    sections = tuple(freeze(root, ()) for root in roots)
    return Outline(lines, tuple(paths), frozenset(h.line for h in headings), determinations, sections)


@dataclass(frozen=True, eq=False)
class Block:
    """A paragraph, bullet or numbered item, its lines re-joined (bullet glyph and number removed)."""

    kind: str  # "paragraph" | "bullet" | "numbered"
    level: int
    number: int | None
    text: MappedText
    path: tuple[str, ...]


def split_blocks(
    lines: Sequence[MappedText],
    path: tuple[str, ...],
    vocabulary: Vocabulary | None,
    numbered_only: bool = False,
) -> list[Block]:
    """Cut a section body into blocks (see module docstring for why blank lines alone do not cut)."""
    pending: list[tuple[str, int, int | None, list[MappedText]]] = []
    blank_before = False
    for line in lines:
        text = line.text
        if not text:
            blank_before = True
            continue
        bullet = None if numbered_only else BULLET.match(text)
        numbered = NUMBERED.match(text)
        if bullet:
            level = 1 if bullet.group("l1") else 2
            pending.append(("bullet", level, None, [line.cut(bullet.end())]))
        elif numbered:
            pending.append(("numbered", 1, int(numbered.group("n")), [line.cut(numbered.end())]))
        elif not pending or (not numbered_only and _starts_new(pending[-1], text, blank_before)):
            pending.append(("paragraph", 0, None, [line]))
        else:
            pending[-1][3].append(line)
        blank_before = False
    blocks = [Block(kind, level, number, join_lines(parts, vocabulary), path) for kind, level, number, parts in pending]
    return [block for block in blocks if block.text.text]  # a lone bullet glyph carries nothing


def _starts_new(current: tuple[str, int, int | None, list[MappedText]], text: str, blank_before: bool) -> bool:
    kind, _, _, parts = current
    starts_upper = text[0].isupper() or text[0] in '"(' or text[0].isdigit()
    if not starts_upper:
        return False
    ends_sentence = bool(_TERMINAL.search(parts[-1].text))
    if re.match(r"Notes?\s*:", text):
        return True  # "Note:" paragraphs follow a statement's bullets without punctuation or blank line
    if STATEMENT_START.match(text) and (ends_sentence or kind != "paragraph"):
        return True
    if kind == "paragraph":
        return ends_sentence and blank_before
    return ends_sentence or blank_before


_ABBREVIATIONS = {
    "al",
    "e.g",
    "i.e",
    "eg",
    "ie",
    "vs",
    "dr",
    "fig",
    "no",
    "st",
    "mr",
    "ms",
    "inc",
    "co",
    "jr",
    "approx",
    "ca",
    "cf",
    "ref",
    "vol",
    "pp",
}
_BOUNDARY = re.compile(r"[.!?][\"')\]]*(?=\s+[\"(\[]?[A-Z0-9•])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence ``(start, end)`` spans in a block; abbreviations ("et al.", "e.g.") do not end one."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        token = re.search(r"([A-Za-z.]+)$", text[start : match.start()])
        word = token.group(1).lower() if token else ""
        if word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", word) or "." in word.strip("."):
            continue
        spans.append((start, match.end()))
        start = match.end()
        while start < len(text) and text[start] == " ":
            start += 1
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]
