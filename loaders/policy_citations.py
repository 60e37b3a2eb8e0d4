"""In-text citations and the works they name.

Forms recognised (each found in real policies):

* parenthetical lists: "(Hughes, et al., 2003)", "(McKee-Garrett, 2021; American College of Radiology
  [ACR], 2021)", "(ACR, 2007; 2016)" -- a bare year after a segment adds a year to that same work;
* narrative: "Nojiri et al. (2019)", "Pate (2003)";
* year-only parentheses after a document name: "... Neonatal Spine (2007; 2016, 2022)", "(1998,
  reaffirmed July 2016)" -- the author is the first organisation defined with its acronym in the sentence
  ("American College of Radiology (ACR)"), else an organisation acronym used in it ("ACR Appropriateness
  Criteria"); other organisations defined in that sentence are collaborators;
* in-text organisation statements without parentheses: "The American Chiropractic Association (ACA)
  ratified a related policy in May 1996".

Work key (how mentions are grouped into works): ``author:first-year`` where author is the surname
(persons) or the lower-cased acronym (organisations). Organisations publish many documents a year, so an
organisation mention that carries a title hint (a quoted title after "titled", or a capitalised document
name such as "Practice Guideline ..." / "Appropriateness Criteria" after the acronym) gets the hint's
first six content words appended: ``acr:2021:appropriateness-criteria``. An organisation mention without a
hint joins a hinted work only when it repeats at least two of that work's years (a shared revision
history is evidence; one shared year is not); otherwise it is its own work ``acr:2021``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .policy_mapped import MappedText
from .policy_model import Citation, CitationForm, Work
from .policy_structure import CODING, REFERENCES, Locator, Outline, sentence_spans, split_blocks
from .policy_text import NormalizedText

_YEAR = r"(?:19|20)\d{2}[a-z]?"
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
_YEAR_ONLY = re.compile(
    rf"^\s*(?:(?:(?:reaffirmed|revised|updated|reviewed|published|last\s+reviewed|"
    rf"accessed)\s+)?(?:in\s+)?(?:{_MONTH}\s+)?(?:\d{{1,2}},?\s+)?{_YEAR}\s*[,;]?\s*)+$",
    re.I,
)
_BARE_YEARS = re.compile(rf"^{_YEAR}(?:\s*,\s*{_YEAR})*$")
_SEGMENT = re.compile(
    rf"^(?:(?:see|e\.g\.,?|cf\.|also)\s+)?(?P<author>[A-Z][^;()]*?)(?P<etal>,?\s*et\s+al\.?)?"
    rf",?\s+(?P<years>{_YEAR}(?:\s*,\s*{_YEAR})*)$"
)
_SURNAME = r"(?:(?:van|von|de|der|den|la|le|du|di|da|del)\s+)*[A-Z][A-Za-z'-]+"
_NARRATIVE = re.compile(rf"(?P<author>{_SURNAME})(?:\s+(?:and|&)\s+{_SURNAME})?(?P<etal>\s+et\s+al\.?)?\s*$")
_IN_TEXT_YEAR = re.compile(r"(?<![\d,.$/-])\b(?:19[5-9]\d|20\d{2})\b(?!\d|,\d|%|/|-\d)")
_ORG_WORDS = {
    "society",
    "college",
    "association",
    "academy",
    "institute",
    "organization",
    "organisation",
    "agency",
    "board",
    "council",
    "foundation",
    "federation",
    "committee",
    "centers",
    "center",
    "department",
    "administration",
    "commission",
    "network",
    "coalition",
    "alliance",
    "union",
    "collaboration",
    "consortium",
    "panel",
    "force",
    "services",
    "group",
}
_DOC_WORDS = {
    "guideline",
    "guidelines",
    "criteria",
    "statement",
    "policy",
    "position",
    "standard",
    "standards",
    "parameter",
    "recommendation",
    "recommendations",
    "consensus",
    "bulletin",
    "report",
}
_STOP = {"a", "an", "and", "for", "in", "of", "on", "the", "to", "with", "by"}
_NOT_SURNAMES = {
    "The",
    "This",
    "These",
    "That",
    "In",
    "A",
    "An",
    "Table",
    "Figure",
    "Appendix",
    "Version",
    "Phase",
}
_SKIP_TOP = {CODING, REFERENCES}  # top-level sections without running text


@dataclass(frozen=True)
class OrgName:
    """An organisation defined in the text with its acronym, e.g. American College of Radiology (ACR)."""

    name: str
    acronym: str
    start: int  # offsets in the text searched (sentence-relative when found in a sentence)
    end: int


def _is_org(name: str) -> bool:
    return any(word.lower().rstrip("s") in _ORG_WORDS or word.lower() in _ORG_WORDS for word in name.split())


def find_org_definitions(text: str) -> list[OrgName]:
    """Organisation names followed by an acronym in brackets whose letters are the names' initials."""
    found: list[OrgName] = []
    for m in re.finditer(r"[(\[](?P<acro>[A-Z]{2,8})[)\];,]", text):
        words = list(re.finditer(r"[A-Za-z][A-Za-z'&-]*", text[max(0, m.start() - 160) : m.start()]))
        offset = max(0, m.start() - 160)
        letters = m.group("acro").lower()
        j = len(letters) - 1
        first = None
        for word in reversed(words):
            base = re.sub(r"'s$", "", word.group(0))
            if base.lower() in _STOP or base == "&":
                if j == len(letters) - 1:
                    break
                continue
            if base[0].lower() != letters[j]:
                break
            first, j = word, j - 1
            if j < 0:
                break
        if j >= 0 or first is None:
            continue
        name = text[offset + first.start() : m.start()].strip()
        name = re.sub(r"'s$", "", name)
        if _is_org(name):
            found.append(OrgName(" ".join(name.split()), m.group("acro"), offset + first.start(), m.end()))
    return found


@dataclass
class _Raw:
    author: str | None
    acronym: str | None
    is_org: bool
    et_al: bool
    years: list[int]
    form: CitationForm
    title_hint: str | None
    collaborators: tuple[str, ...]
    block: MappedText
    sentence: tuple[int, int]
    span: tuple[int, int]


def _years(text: str) -> list[int]:
    return list(dict.fromkeys(int(y[:4]) for y in re.findall(_YEAR, text)))


def extract_citations(
    normalized: NormalizedText, outline: Outline, locator: Locator
) -> tuple[list[Citation], list[Work], dict[str, str]]:
    """All citations in narrative sections, grouped into works; also returns the organisation acronyms."""
    flat = normalized.text.text.replace("\n", " ")
    orgs: dict[str, str] = {}
    for org in find_org_definitions(flat):
        orgs.setdefault(org.acronym, org.name)
    raws: list[_Raw] = []
    for path, body in outline.bodies():
        if path[0] in _SKIP_TOP:
            continue
        for block in split_blocks(body, path, normalized.vocabulary):
            for start, end in sentence_spans(block.text.text):
                raws.extend(_sentence_citations(block.text, start, end, orgs))
    keys = _work_keys(raws)
    citations = [_freeze(raw, key, locator) for raw, key in zip(raws, keys, strict=True)]
    return citations, _works(citations), orgs


def _sentence_citations(block: MappedText, s_start: int, s_end: int, orgs: dict[str, str]) -> list[_Raw]:
    sentence = block.text[s_start:s_end]
    defs = find_org_definitions(sentence)
    out: list[_Raw] = []

    def add(
        author: str | None,
        acronym: str | None,
        is_org: bool,
        et_al: bool,
        years: list[int],
        form: CitationForm,
        span: tuple[int, int],
        hint: str | None = None,
        collaborators: tuple[str, ...] = (),
    ) -> None:
        out.append(
            _Raw(
                author,
                acronym,
                is_org,
                et_al,
                years,
                form,
                hint,
                collaborators,
                block,
                (s_start, s_end),
                (s_start + span[0], s_start + span[1]),
            )
        )

    for paren in re.finditer(r"\(([^()]*)\)", sentence):
        content = paren.group(1)
        if not re.search(_YEAR, content):
            continue
        if _YEAR_ONLY.match(content):
            before = sentence[: paren.start()]
            narrative = _NARRATIVE.search(before)
            if narrative and _plausible_surname(before, narrative):
                author = narrative.group("author")
                if author in orgs:
                    add(
                        orgs[author],
                        author,
                        True,
                        False,
                        _years(content),
                        CitationForm.NARRATIVE,
                        (narrative.start(), paren.end()),
                        _doc_hint(sentence, author),
                    )
                else:
                    add(
                        author,
                        None,
                        False,
                        bool(narrative.group("etal")),
                        _years(content),
                        CitationForm.NARRATIVE,
                        (narrative.start(), paren.end()),
                    )
                continue
            org = _sentence_org(sentence, paren.start(), defs, orgs)
            collaborators = tuple(d.acronym for d in defs if org is None or d.acronym != org[1])
            hint = _quoted_title(sentence) or (_doc_hint(sentence, org[1]) if org else None)
            add(
                org[0] if org else None,
                org[1] if org else None,
                org is not None,
                False,
                _years(content),
                CitationForm.YEAR_ONLY,
                paren.span(),
                hint,
                collaborators,
            )
            continue
        offset = paren.start(1)
        previous: _Raw | None = None
        for seg in re.finditer(r"[^;]+", content):
            text = seg.group(0).strip()
            lead = len(seg.group(0)) - len(seg.group(0).lstrip())
            span = (offset + seg.start() + lead, offset + seg.start() + lead + len(text))
            if _BARE_YEARS.match(text):
                if previous is not None:
                    previous.years.extend(y for y in _years(text) if y not in previous.years)
                    previous.span = (previous.span[0], s_start + span[1])
                continue
            match = _SEGMENT.match(text)
            if not match or len(match.group("author").split()) > 10 or re.search(r"\d", match.group("author")):
                previous = None
                continue
            author = match.group("author").strip().rstrip(",")
            acronym_match = re.search(r"\s*[\[(]([A-Z]{2,8})[\])]$", author)
            acronym = acronym_match.group(1) if acronym_match else (author if author in orgs else None)
            if acronym_match:
                author = author[: acronym_match.start()].strip()
            elif acronym:
                author = orgs[acronym]
            is_org = acronym is not None or _is_org(author)
            add(
                author,
                acronym,
                is_org,
                bool(match.group("etal")),
                _years(match.group("years")),
                CitationForm.PARENTHETICAL,
                span,
            )
            previous = out[-1]
    if not out and defs:
        years = [m for m in _IN_TEXT_YEAR.finditer(sentence) if not _inside_parens(sentence, m.start())]
        if years:
            first = defs[0]
            span = (min(first.start, years[0].start()), max(first.end, years[-1].end()))
            hint = _quoted_title(sentence) or _doc_hint(sentence, first.acronym)
            add(
                first.name,
                first.acronym,
                True,
                False,
                _years(" ".join(m.group(0) for m in years)),
                CitationForm.IN_TEXT,
                span,
                hint,
                tuple(d.acronym for d in defs[1:]),
            )
    return out


def _inside_parens(text: str, index: int) -> bool:
    return text.rfind("(", 0, index) > text.rfind(")", 0, index)


def _plausible_surname(before: str, match: re.Match[str]) -> bool:
    """ "Pate (2003)" yes; "... of the Neonatal Spine (2007)" no: a lone capitalised word must not be the
    tail of a longer capitalised name."""
    author = match.group("author")
    if author in _NOT_SURNAMES:
        return False
    if match.group("etal"):
        return True
    previous = re.search(r"([A-Za-z'-]+)\W*$", before[: match.start()])
    return previous is None or not previous.group(1)[0].isupper() or previous.group(1) in _NOT_SURNAMES


def _sentence_org(sentence: str, at: int, defs: list[OrgName], orgs: dict[str, str]) -> tuple[str, str] | None:
    """The organisation a year-only parenthesis at ``at`` belongs to (see module docstring)."""
    before = [d for d in defs if d.end <= at]
    if before:
        return before[0].name, before[0].acronym
    for acronym, name in orgs.items():
        if re.search(rf"\b{re.escape(acronym)}\b", sentence[:at]):
            return name, acronym
    if defs:
        return defs[0].name, defs[0].acronym
    return None


def _quoted_title(sentence: str) -> str | None:
    match = re.search(r"\b(?:titled|entitled|called)\s*,?\s*\"([^\"]{4,200})\"", sentence)
    return match.group(1).strip(" ,.") if match else None


def _doc_hint(sentence: str, acronym: str | None) -> str | None:
    """A capitalised document name right after the acronym: "(ACR) Practice Guideline for the ..."."""
    if not acronym:
        return None
    cap = r"[A-Z][\w/-]*"
    small = r"(?:for|of|the|an|a|and|in|on|to)"
    name = rf"{cap}(?:\s+(?:{small}\s+)*{cap})*"
    pattern = rf"(?:\({acronym}\)|\[{acronym}\]|\b{acronym}\b)\s+({name})"
    for match in re.finditer(pattern, sentence):
        phrase = match.group(1)
        if any(word.lower() in _DOC_WORDS for word in phrase.split()):
            return phrase
    return None


def _slug(text: str, words: int = 6) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    tokens = [t for t in re.findall(r"[a-z0-9]+", folded) if t not in _STOP]
    return "-".join(tokens[:words])


def _author_key(raw: _Raw) -> str:
    if raw.author is None:
        return "?"
    if raw.is_org:
        return (raw.acronym or _slug(raw.author)).lower()
    folded = unicodedata.normalize("NFKD", raw.author).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z-]+", "-", folded).strip("-")


def work_key(author_key: str, first_year: int, hint: str | None = None) -> str:
    """``author:year`` or ``author:year:hint-slug`` (see module docstring for when a hint is used)."""
    return f"{author_key}:{first_year}" + (f":{_slug(hint)}" if hint else "")


def _work_keys(raws: list[_Raw]) -> list[str]:
    hinted: dict[tuple[str, int], list[tuple[str, set[int]]]] = {}
    for raw in raws:
        if raw.is_org and raw.title_hint:
            key = work_key(_author_key(raw), min(raw.years), raw.title_hint)
            hinted.setdefault((_author_key(raw), min(raw.years)), []).append((key, set(raw.years)))
    keys = []
    for raw in raws:
        author, year = _author_key(raw), min(raw.years)
        if raw.is_org and raw.title_hint:
            keys.append(work_key(author, year, raw.title_hint))
            continue
        candidates = (
            [k for k, years in hinted.get((author, year), []) if len(raw.years) >= 2 and set(raw.years) <= years]
            if raw.is_org
            else []
        )
        keys.append(candidates[0] if len(set(candidates)) == 1 else work_key(author, year))
    return keys


def _freeze(raw: _Raw, key: str, locator: Locator) -> Citation:
    sentence_start, sentence_end = raw.sentence
    return Citation(
        author=raw.author,
        acronym=raw.acronym,
        is_organisation=raw.is_org,
        et_al=raw.et_al,
        years=tuple(raw.years),
        form=raw.form,
        title_hint=raw.title_hint,
        collaborators=raw.collaborators,
        work_key=key,
        sentence=raw.block.text[sentence_start:sentence_end],
        sentence_provenance=locator.at(raw.block, sentence_start, sentence_end),
        provenance=locator.at(raw.block, *raw.span),
    )


def _works(citations: list[Citation]) -> list[Work]:
    grouped: dict[str, list[int]] = {}
    for index, citation in enumerate(citations):
        grouped.setdefault(citation.work_key, []).append(index)
    works = []
    for key, indices in grouped.items():
        members = [citations[i] for i in indices]
        first = next((c for c in members if c.title_hint), members[0])
        years = sorted({y for c in members for y in c.years})
        works.append(
            Work(
                key=key,
                author=first.author,
                acronym=first.acronym,
                is_organisation=first.is_organisation,
                first_year=min(years),
                years=tuple(years),
                title_hint=first.title_hint,
                collaborators=tuple(dict.fromkeys(a for c in members for a in c.collaborators)),
                citation_indices=tuple(indices),
            )
        )
    return works
