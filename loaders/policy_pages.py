"""Page furniture: find and strip "Page N of M" markers and repeated title lines, and locate pages.

PDF text carries page headers wherever the page broke, often in the middle of a sentence. We remove them
(re-joining the sentence) and keep their original positions, because they are the only evidence of which
page a passage sits on in a plain-text export. When markers are missing we say so instead of guessing.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .policy_mapped import MappedText, TextBuilder

TITLE_LINE = re.compile(r"^(?P<title>\S.*?)\s*\((?P<number>[A-Z]{2,6}[ -]?\d{1,4}[A-Z]?)\)$")
_PAGE_LINE = re.compile(r"^Page\s+(\d{1,4})\s+of\s+(\d{1,4})$")
_PAGE_INLINE = re.compile(r"\bPage\s+(\d{1,4})\s+of\s+(\d{1,4})\b")
_SENTENCE_END = re.compile(r"[.:;!?\"')]$")
_BLOCK_START = re.compile(r"^(?:[•▪◦\u2022]|\d+[.)]\s|[A-Z][A-Z ,/&-]{3,}$)")


class PageLayout(enum.Enum):
    """Whether "Page N of M" markers head or foot their page (decides which side of a marker is page N)."""

    HEADER = "header"
    FOOTER = "footer"
    NONE = "none"
    PDF = "pdf"


class PageStatus(enum.Enum):
    """How much we know about the page of a passage."""

    EXACT = "exact"
    AT_LEAST = "at_least"  # a later page marker is missing: the page is min_page or later
    UNKNOWN = "unknown"  # no markers at all


@dataclass(frozen=True)
class PageLocation:
    """Page of a passage; ``page`` is None unless the evidence pins it down (see :class:`PageStatus`)."""

    page: int | None
    min_page: int | None
    status: PageStatus


@dataclass(frozen=True)
class PageMarker:
    """A "Page N of M" marker; ``group_*`` span the whole removed header (title line included)."""

    number: int
    total: int
    start: int
    end: int
    group_start: int
    group_end: int


@dataclass(frozen=True)
class Furniture:
    """What :func:`strip_furniture` removed and found."""

    text: MappedText
    markers: tuple[PageMarker, ...]
    layout: PageLayout
    title: str | None
    policy_number: str | None
    title_span: tuple[int, int] | None  # original offsets of the first title line
    title_line_spans: tuple[tuple[int, int], ...]


def _title_key(line: str) -> str:
    return " ".join(line.split())


def strip_furniture(source: MappedText) -> Furniture:
    """Remove page markers and every repetition of the title line, keeping their positions.

    A run of furniture lines (with the blank lines around it) is replaced by nothing when the text
    before it stops mid-sentence, so the sentence is re-joined, and by a blank line otherwise.
    """
    lines = source.lines()
    keys = [_title_key(line.text) for line in lines]
    title_key = title = number = None
    for key in keys[:40]:
        bare = _title_key(_PAGE_INLINE.sub(" ", key))  # "Title (CPG 038) Page 1 of 11" on one line
        match = TITLE_LINE.match(bare)
        if match:
            title_key, title, number = bare, match.group("title"), match.group("number")
            break
    inline = _inline_pattern(title_key)

    def is_furniture(key: str) -> bool:
        if not key:
            return False
        if _PAGE_LINE.match(key) or key == title_key:
            return True
        if title_key is None or title_key not in key:
            return False
        return bool(_PAGE_LINE.match(_title_key(key.replace(title_key, " "))))

    starts = []
    pos = 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    out = TextBuilder(source)
    markers: list[PageMarker] = []
    title_spans: list[tuple[int, int]] = []
    layout = PageLayout.NONE
    cursor = 0
    i = 0
    while i < len(lines):
        if not is_furniture(keys[i]):
            if keys[i]:
                cursor = _cut_inline(lines[i], starts[i], inline, title_key, out, cursor, markers, title_spans)
                if markers and layout is PageLayout.NONE:
                    layout = PageLayout.FOOTER  # the first marker sits inside running text
            i += 1
            continue
        first = i
        while first > 0 and not keys[first - 1] and starts[first - 1] >= cursor:
            first -= 1
        j = last = i
        while j < len(lines) and (not keys[j] or is_furniture(keys[j])):
            last = j if keys[j] else last
            j += 1
        group = lines[i].strip().original_span()[0], lines[last].strip().original_span()[1]
        for k in range(i, last + 1):
            page = _PAGE_INLINE.search(lines[k].text) if keys[k] else None
            if page:
                markers.append(
                    PageMarker(
                        int(page.group(1)),
                        int(page.group(2)),
                        *lines[k].original_span(page.start(), page.end()),
                        *group,
                    )
                )
            if keys[k] and title_key is not None and title_key in keys[k]:
                title_spans.append(lines[k].strip().original_span())
        if layout is PageLayout.NONE and any(_PAGE_INLINE.search(keys[k]) for k in range(i, last + 1)):
            layout = PageLayout.HEADER if not any(keys[:i]) else PageLayout.FOOTER
        prev = next((keys[k] for k in range(first - 1, -1, -1) if keys[k]), "")
        nxt = keys[j] if j < len(keys) else ""
        out.copy(cursor, starts[first])
        if prev and nxt and (_SENTENCE_END.search(prev) or _BLOCK_START.match(nxt)):
            out.insert("\n")  # a blank line: the furniture sat between two paragraphs
        cursor = starts[j] if j < len(lines) else len(source.text)
        i = j
    out.copy(cursor, len(source.text))
    return Furniture(
        text=out.build(),
        markers=tuple(markers),
        layout=layout,
        title=title,
        policy_number=number,
        title_span=title_spans[0] if title_spans else None,
        title_line_spans=tuple(title_spans),
    )


def _cut_inline(
    line: MappedText,
    line_start: int,
    inline: re.Pattern[str],
    title_key: str | None,
    out: TextBuilder,
    cursor: int,
    markers: list[PageMarker],
    title_spans: list[tuple[int, int]],
) -> int:
    """Cut page markers (and a title glued to them) out of a line of running text; return the new cursor."""
    for match in inline.finditer(line.text):
        start, end = line.original_span(match.start(), match.end())
        page = _PAGE_INLINE.search(match.group(0))
        if page is None:  # pragma: no cover - the inline pattern always contains a marker
            continue
        number_span = line.original_span(match.start() + page.start(), match.start() + page.end())
        markers.append(PageMarker(int(page.group(1)), int(page.group(2)), *number_span, start, end))
        if title_key is not None and title_key in _title_key(match.group(0)):
            title_spans.append((start, end))
        out.copy(cursor, line_start + match.start())
        out.insert(" " if match.start() > 0 and match.end() < len(line) else "")
        cursor = line_start + match.end()
    return cursor


def _inline_pattern(title_key: str | None) -> re.Pattern[str]:
    """A page marker inside a line, with the title line glued before or after it."""
    title = r"\s+".join(map(re.escape, title_key.split())) if title_key else None
    around = rf"(?:\s*{title})?" if title else ""
    return re.compile(rf"{around}\s*\bPage\s+\d{{1,4}}\s+of\s+\d{{1,4}}\b{around}\s*")


class PageIndex:
    """Answers "which page is this original offset on?" from PDF pages or from page markers."""

    def __init__(
        self,
        layout: PageLayout,
        markers: Sequence[PageMarker] = (),
        pdf_pages: Sequence[tuple[int, int, int]] = (),
    ) -> None:
        self.layout = layout
        self.markers = sorted(markers, key=lambda m: m.group_start)
        self._pdf = sorted(pdf_pages, key=lambda p: p[1])
        self._pdf_starts = [p[1] for p in self._pdf]

    @property
    def complete(self) -> bool:
        """True when every page boundary is known (PDF pages, or a consecutive run of markers 1..M)."""
        if self.layout is PageLayout.PDF:
            return True
        if not self.markers:
            return False
        numbers = [m.number for m in self.markers]
        total = self.markers[0].total
        expected = list(range(1, total + 1))
        return numbers == expected or (self.layout is PageLayout.FOOTER and numbers == expected[:-1])

    def locate(self, offset: int) -> PageLocation:
        """Page of the original character at ``offset``."""
        if self.layout is PageLayout.PDF:
            k = bisect.bisect_right(self._pdf_starts, offset) - 1
            number = self._pdf[max(k, 0)][0] if self._pdf else None
            return PageLocation(number, number, PageStatus.EXACT if number else PageStatus.UNKNOWN)
        if not self.markers:
            return PageLocation(None, None, PageStatus.UNKNOWN)
        for marker in self.markers:
            if marker.group_start <= offset < marker.group_end:
                return PageLocation(marker.number, marker.number, PageStatus.EXACT)
        if self.layout is PageLayout.HEADER:
            return self._locate_header(offset)
        return self._locate_footer(offset)

    def _locate_header(self, offset: int) -> PageLocation:
        starts = [m.group_start for m in self.markers]
        k = bisect.bisect_right(starts, offset) - 1
        if k < 0:
            first = self.markers[0].number
            if first == 1:
                return PageLocation(1, 1, PageStatus.EXACT)
            return PageLocation(None, 1, PageStatus.AT_LEAST)
        marker = self.markers[k]
        following = self.markers[k + 1] if k + 1 < len(self.markers) else None
        if (following is not None and following.number == marker.number + 1) or (
            following is None and marker.number == marker.total
        ):
            return PageLocation(marker.number, marker.number, PageStatus.EXACT)
        return PageLocation(None, marker.number, PageStatus.AT_LEAST)

    def _locate_footer(self, offset: int) -> PageLocation:
        ends = [m.group_end for m in self.markers]
        k = bisect.bisect_right(ends, offset)
        previous = self.markers[k - 1] if k > 0 else None
        if k < len(self.markers):
            marker = self.markers[k]
            if (previous is None and marker.number == 1) or (
                previous is not None and previous.number == marker.number - 1
            ):
                return PageLocation(marker.number, marker.number, PageStatus.EXACT)
            return PageLocation(None, previous.number + 1 if previous else 1, PageStatus.AT_LEAST)
        assert previous is not None
        if previous.number + 1 == previous.total or previous.number == previous.total:
            return PageLocation(previous.total, previous.total, PageStatus.EXACT)
        return PageLocation(None, previous.number + 1, PageStatus.AT_LEAST)
