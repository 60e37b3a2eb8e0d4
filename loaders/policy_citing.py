"""Which statement a citation is cited for, and with which stance: inferred, never stated by the policy.

The policy cites works in its narrative sections; it never says "this work supports statement 2". Two small,
documented heuristics recover that, and each answer carries its reason so a reviewer can check it:

* **cited for** -- the words of the citation's sub-headings ("LITERATURE REVIEW > Intraoperative Use") are
  matched against each statement's words (lead, topic, settings, populations, indications and examples);
  the statement matching the most distinct heading words wins. Without heading words (or without a unique
  winner) the citing sentence's words are tried the same way; failing both, the citation is cited for the
  policy as a whole. Words are compared by their first six letters, so "diagnosis" matches "diagnostic".
* **stance** -- ``background`` unless the citing sentence or the rest of its paragraph (up to the next
  citation) states a finding with a cue phrase ("useful", "reliable" / "unreliable", "low diagnostic yield",
  "cannot be recommended"); the citation's anchor then runs from the citing sentence to the sentence with
  the cue, which is the policy's summary of the work.
  A positive finding supports a statement that covers the service (medically necessary) and weighs against
  one that denies it; a negative finding the reverse. Mixed or absent cues leave ``background``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .policy_model import Citation, Determination, Statement
from .policy_structure import sentence_spans

_STOP = {
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "of", "on", "or", "the", "to",
    "with", "use", "used", "using", "other", "any", "all", "following", "considered", "medically", "necessary",
    "not", "this", "that", "these", "its", "their", "was", "were", "has", "have", "been", "et", "al",
}
_POSITIVE = re.compile(
    r"\b(?:useful(?:ness)?|reliable|accurate|effective|efficacious|recommends?|first-line|comparable|safe|"
    r"improv(?:e|es|ed|ing)|allows?|provides?|guides?|valuable|beneficial)\b",
    re.I,
)
_NEGATIVE = re.compile(
    r"\b(?:unreliable|inconclusive|insufficient|inadequately\s+studied|no\s+proven|low\s+(?:diagnostic\s+)?yield|"
    r"neither\s+accurate|not\s+(?:be\s+)?(?:recommend(?:ed)?|suggested|accurate|reliable|useful|supported|effective)|"
    r"cannot\s+be\s+(?:recommended|supported)|should\s+not|too\s+low|lack\s+of\s+(?:\w+\s+)?(?:evidence|data|"
    r"studies|utility)|no\s+(?:practical|clinical)\s+(?:role|utility|value)|no\s+role|"
    r"(?:studies|research|evidence)\b[^.]{0,60}?\b(?:are|is)\s+needed)\b",
    re.I,
)
_COVERING = {Determination.MEDICALLY_NECESSARY}


class Stance(enum.Enum):
    """The stances of the ontology's pkg:StanceScheme (values are their skos:notation)."""

    SUPPORTS = "supports"
    DOES_NOT_SUPPORT = "does_not_support"
    BACKGROUND = "background"


@dataclass(frozen=True)
class CitedFor:
    """The statements (indices into ``doc.statements``; empty: the whole policy) a citation is cited for."""

    statements: tuple[int, ...]
    matched: tuple[str, ...]  # the words that decided
    basis: str  # "heading", "sentence" or "none"

    def note(self) -> str:
        if self.basis == "none":
            return "cited for the policy as a whole: no statement shares words with its section or sentence"
        return f"cited-for inferred from {self.basis} words: {', '.join(self.matched)}"


def _stem(word: str) -> str:
    return word.lower()[:6]


def words(text: str) -> set[str]:
    """Content words of a text as six-letter stems."""
    tokens = re.findall(r"[A-Za-z][A-Za-z]+", text)
    return {_stem(t) for t in tokens if t.lower() not in _STOP and len(t) > 2}


def statement_words(statement: Statement) -> set[str]:
    """Everything a statement is about, as stems (lead, topic, setting kinds, populations, criteria)."""
    parts = [statement.lead, *statement.topic_path, *statement.populations]
    parts += [s.kind.value for s in statement.settings]
    for criterion in statement.criteria:
        parts.append(criterion.text)
    return words(" ".join(parts))


def _best(target: set[str], vocabularies: list[set[str]]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    scores = [len(target & vocab) for vocab in vocabularies]
    top = max(scores, default=0)
    if top == 0:
        return (), ()
    winners = tuple(i for i, s in enumerate(scores) if s == top)
    if len(winners) > 1:
        return (), ()
    return winners, tuple(sorted(target & vocabularies[winners[0]]))


def cited_for(citation: Citation, statements: tuple[Statement, ...]) -> CitedFor:
    """The statement a citation is cited for (see the module docstring)."""
    vocabularies = [statement_words(s) for s in statements]
    heading = words(" ".join(citation.provenance.section_path[1:]))
    winners, matched = _best(heading, vocabularies)
    if winners:
        return CitedFor(winners, matched, "heading")
    winners, matched = _best(words(citation.sentence), vocabularies)
    if winners:
        return CitedFor(winners, matched, "sentence")
    return CitedFor((), (), "none")


def following_spans(text: str, end: int, limit: int) -> list[tuple[int, int]]:
    """Sentences after offset ``end`` up to ``limit`` (the next citation or the section's end) and within the
    paragraph (a blank line ends it), as original ``(start, end)`` offsets."""
    tail = text[end:limit]
    blank = re.search(r"\n[ \t\u00a0]*\n", tail)
    if blank:
        tail = tail[: blank.start()]
    flat = tail.replace("\r", " ").replace("\n", " ")  # same length: offsets stay valid
    return [(end + s, end + e) for s, e in sentence_spans(flat)]


@dataclass(frozen=True)
class StanceGuess:
    """The stance, the cue that decided it and the end offset of the sentence holding that cue."""

    stance: Stance
    cue: str | None
    end: int | None

    def note(self, determination: Determination | None) -> str:
        if self.cue is None:
            return "stance background: no finding cue, or cues both ways, in the citing passage"
        label = determination.value if determination else "the policy"
        return f"stance inferred from the cue {self.cue!r} and the statement's determination ({label})"


def stance(text: str, sentence: tuple[int, int], limit: int, determination: Determination | None) -> StanceGuess:
    """Stance from finding cues in the citing sentence and the rest of its paragraph (module docstring)."""
    spans = [sentence, *following_spans(text, sentence[1], limit)]
    joined = " ".join(text[a:b] for a, b in spans)
    negative = _NEGATIVE.search(joined)
    positive = _POSITIVE.search(_NEGATIVE.sub(" ", joined))
    if determination is None or bool(negative) == bool(positive):
        return StanceGuess(Stance.BACKGROUND, None, None)
    favourable = bool(positive)
    for a, b in spans:
        part = text[a:b]
        cue = _POSITIVE.search(_NEGATIVE.sub(" ", part)) if favourable else _NEGATIVE.search(part)
        if cue:
            covers = determination in _COVERING
            stance_ = Stance.SUPPORTS if favourable == covers else Stance.DOES_NOT_SUPPORT
            return StanceGuess(stance_, " ".join(cue.group(0).split()), b)
    return StanceGuess(Stance.BACKGROUND, None, None)  # pragma: no cover - a cue found in the whole is in a part
