"""Text that remembers where every character came from.

Every clean-up step (dropping soft hyphens, stripping page headers, re-joining wrapped lines, repairing
"evalu ation") produces a :class:`MappedText` whose characters each carry the offset of the character of
the *original* text they stand for. Provenance is therefore computed, never searched for, and
``original[start:end]`` is by construction the span an extracted item was read from.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class MappedText:
    """A string plus, for each character, the offset of the original character it derives from.

    Offsets never decrease; a character inserted by a clean-up step (a joining space) reuses the offset of
    its left neighbour, so a span that starts or ends on it stays inside the original span.
    """

    text: str
    offsets: tuple[int, ...]

    @classmethod
    def identity(cls, text: str) -> MappedText:
        """Wrap an original text: character i maps to offset i."""
        return cls(text, tuple(range(len(text))))

    def __len__(self) -> int:
        return len(self.text)

    def __str__(self) -> str:
        return self.text

    def original_span(self, start: int = 0, end: int | None = None) -> tuple[int, int]:
        """Original ``(start, end)`` covering characters ``start:end`` of this text."""
        end = len(self.text) if end is None else end
        if start >= end:
            if start < len(self.offsets):
                return self.offsets[start], self.offsets[start]
            pos = self.offsets[-1] + 1 if self.offsets else 0
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1

    def cut(self, start: int, end: int | None = None) -> MappedText:
        """Sub-text ``start:end``, offsets included (a method, so that the mapping visibly travels)."""
        end = len(self.text) if end is None else end
        return MappedText(self.text[start:end], self.offsets[start:end])

    def strip(self, chars: str | None = None) -> MappedText:
        """Strip like ``str.strip`` while keeping the mapping."""
        left = len(self.text) - len(self.text.lstrip(chars))
        right = len(self.text.rstrip(chars))
        return self.cut(left, max(left, right))

    def lines(self) -> list[MappedText]:
        """Split on newlines (the newline characters are dropped)."""
        out: list[MappedText] = []
        pos = 0
        for line in self.text.split("\n"):
            out.append(self.cut(pos, pos + len(line)))
            pos += len(line) + 1
        return out


class TextBuilder:
    """Assembles a new :class:`MappedText` from pieces of an existing one plus inserted strings."""

    def __init__(self, source: MappedText) -> None:
        self._source = source
        self._chars: list[str] = []
        self._offsets: list[int] = []

    def copy(self, start: int, end: int) -> None:
        """Append ``source[start:end]`` unchanged."""
        self._chars.append(self._source.text[start:end])
        self._offsets.extend(self._source.offsets[start:end])

    def insert(self, text: str, stands_for: int | None = None) -> None:
        """Append characters that exist in no original.

        They map onto ``source[stands_for]`` when given (a replacement for that character), else onto the
        last copied character.
        """
        if not text:
            return
        if stands_for is not None:
            anchor = self._source.offsets[stands_for]
        elif self._offsets:
            anchor = self._offsets[-1]
        elif self._source.offsets:
            anchor = self._source.offsets[0]
        else:
            anchor = 0
        self._chars.append(text)
        self._offsets.extend([anchor] * len(text))

    def build(self) -> MappedText:
        return MappedText("".join(self._chars), tuple(self._offsets))


def concat(parts: Sequence[MappedText], separators: Sequence[str]) -> MappedText:
    """Join parts (which must be in original order) with the given inserted separators."""
    text: list[str] = []
    offsets: list[int] = []
    for index, part in enumerate(parts):
        if index:
            sep = separators[index - 1]
            anchor = offsets[-1] if offsets else (part.offsets[0] if part.offsets else 0)
            text.append(sep)
            offsets.extend([anchor] * len(sep))
        text.append(part.text)
        offsets.extend(part.offsets)
    return MappedText("".join(text), tuple(offsets))


# --- character-level normalisation -------------------------------------------------------------------

_DROP = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
_REPLACE = {
    "\r": "\n",
    "\f": "\n",
    "\v": "\n",
    "\u2028": "\n",
    "\u2029": "\n",
    "\t": " ",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
}
_SPACES = {"\u00a0", "\u202f", "\u205f", "\u3000"} | {chr(c) for c in range(0x2000, 0x200B)}
_SPECIAL = re.compile(
    "\r\n|["
    + re.escape("".join(sorted(_DROP | set(_REPLACE) | _SPACES)))
    + "".join(chr(c) for c in range(32) if chr(c) not in "\n")
    + "]"
)


def normalise_characters(source: MappedText) -> MappedText:
    """Unify line ends, odd spaces, quotes and ligatures; drop soft hyphens and zero-width characters.

    Curly quotes become straight ones so that patterns need only one spelling of "Neurology's".
    """
    out = TextBuilder(source)
    cursor = 0
    for match in _SPECIAL.finditer(source.text):
        out.copy(cursor, match.start())
        cursor = match.end()
        ch = match.group(0)
        if ch == "\r\n":
            out.copy(match.start() + 1, match.end())  # CRLF: keep only the LF
        elif ch in _SPACES:
            out.insert(" ", stands_for=match.start())
        elif ch in _REPLACE:
            out.insert(_REPLACE[ch], stands_for=match.start())
        # anything else (soft hyphen, zero-width, control character) is dropped
    out.copy(cursor, len(source.text))
    return out.build()


_SPACE_RUN = re.compile(r" {2,}")


def normalise_whitespace(source: MappedText) -> MappedText:
    """Strip every line, collapse runs of spaces, and keep at most one blank line in a row.

    Blank lines are not trusted as paragraph breaks later on (PDF text puts them mid-sentence), but
    keeping one lets the block splitter use them together with sentence-final punctuation.
    """
    out = TextBuilder(source)
    blank_pending = False
    started = False
    pos = 0
    for line in source.text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        left = start + (len(line) - len(line.lstrip(" ")))
        right = start + len(line.rstrip(" "))
        if left >= right:
            blank_pending = started
            continue
        if started:
            out.insert("\n\n" if blank_pending else "\n")
        blank_pending = False
        started = True
        cursor = left
        for match in _SPACE_RUN.finditer(source.text, left, right):
            out.copy(cursor, match.start() + 1)
            cursor = match.end()
        out.copy(cursor, right)
    return out.build()


# --- split-word repair -------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z]+")
_COMPOUND = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)+")
_SMALL_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "one",
        "or",
        "our",
        "out",
        "over",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "two",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "within",
        "without",
        "you",
    }
)


class Vocabulary:
    """Word counts of one document, used to decide whether two fragments are really one word.

    A join is accepted only when the joined word occurs elsewhere in the same document and at least one
    fragment never occurs on its own there (nor is a common function word): "evalu ation" is joined when
    "evaluation" is used elsewhere; "in to" is never joined, because both parts are words.
    """

    def __init__(self, text: str) -> None:
        words = [m.group(0).lower() for m in _WORD.finditer(text)]
        self.counts: Counter[str] = Counter(words)
        self.pairs: Counter[tuple[str, str]] = Counter(itertools.pairwise(words))
        self.compounds: Counter[str] = Counter(m.group(0).lower() for m in _COMPOUND.finditer(text))

    def _stands_alone(self, word: str, pair: tuple[str, str]) -> bool:
        return word in _SMALL_WORDS or self.counts[word] - self.pairs[pair] > 0

    def should_join(self, left: str, right: str) -> bool:
        """True when ``left right`` is much more plausibly one split word than two words."""
        if not (left.isalpha() and right.isalpha()) or not right[0].islower():
            return False
        low_left, low_right = left.lower(), right.lower()
        if self.counts[low_left + low_right] < 1:
            return False
        pair = (low_left, low_right)
        return not (self._stands_alone(low_left, pair) and self._stands_alone(low_right, pair))

    def should_drop_hyphen(self, left: str, right: str) -> bool:
        """For a line ending in ``left-`` followed by ``right``: was the hyphen only a line-break one?"""
        joined = (left + right).lower()
        return self.counts[joined] > 0 and self.compounds[f"{left}-{right}".lower()] == 0


@dataclass(frozen=True)
class WordRepair:
    """One joined split word, kept so a reviewer can audit what the heuristic changed."""

    left: str
    right: str
    start: int  # original offset of the first fragment
    end: int


def repair_split_words(source: MappedText, vocabulary: Vocabulary) -> tuple[MappedText, list[WordRepair]]:
    """Remove the single space inside words that PDF extraction split (see :class:`Vocabulary`)."""
    out = TextBuilder(source)
    repairs: list[WordRepair] = []
    text = source.text
    words = list(_WORD.finditer(text))
    cursor = 0
    skip_next = False
    for first, second in itertools.pairwise(words):
        if skip_next:
            skip_next = False
            continue
        if text[first.end() : second.start()] != " ":
            continue
        if first.start() > 0 and text[first.start() - 1] in "-'/":
            continue
        if second.end() < len(text) and text[second.end()] in "-'/":
            continue
        if vocabulary.should_join(first.group(0), second.group(0)):
            out.copy(cursor, first.end())
            cursor = second.start()
            start, end = source.original_span(first.start(), second.end())
            repairs.append(WordRepair(first.group(0), second.group(0), start, end))
            skip_next = True
    out.copy(cursor, len(text))
    return out.build(), repairs


_TRAILING_WORD = re.compile(r"([A-Za-z]+)-$")
_LEADING_WORD = re.compile(r"^([a-z][A-Za-z]*)")
_LAST_WORD = re.compile(r"([A-Za-z]+)$")


def join_lines(lines: Iterable[MappedText], vocabulary: Vocabulary | None) -> MappedText:
    """Re-join wrapped lines into one running text.

    A line ending in ``word-`` before a lower-case word keeps its hyphen ("peer-reviewed") unless the
    document's vocabulary shows the hyphen only broke the word; otherwise lines are joined by a space,
    unless that space would split a word (same rule as :func:`repair_split_words`).
    """
    parts = [line for line in lines if line.text]
    seps: list[str] = []
    for i in range(len(parts) - 1):
        left, right = parts[i], parts[i + 1]
        tail = _TRAILING_WORD.search(left.text)
        head = _LEADING_WORD.match(right.text)
        if tail and head:
            seps.append("")
            if vocabulary is not None and vocabulary.should_drop_hyphen(tail.group(1), head.group(1)):
                parts[i] = left.cut(0, len(left) - 1)  # the hyphen only broke the word
            continue
        last = _LAST_WORD.search(left.text)
        if last and head and vocabulary is not None and vocabulary.should_join(last.group(1), head.group(1)):
            seps.append("")
            continue
        seps.append(" ")
    return concat(parts, seps)
