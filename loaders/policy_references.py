"""The numbered "References" list, linked to the works cited in the text.

Entries look like ``1. Hughes JA, De Bruyn R, Patel K. Title. Journal. 2003;12(3):45-67. doi:10.xxxx/yyy``
(Vancouver style; initials without periods). An entry is linked to every cited work whose author key
(first author's surname, or an organisation's acronym) and one of whose years match the entry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from .policy_model import Citation, ReferenceEntry, Work
from .policy_structure import REFERENCES, Locator, Outline, split_blocks
from .policy_text import NormalizedText

_DOI = re.compile(r"(?:\bdoi:\s*|https?://(?:dx\.)?doi\.org/)(10\.\d{4,9}/\S+)", re.I)
_PART_END = re.compile(r"[.?!]\s+(?=[A-Z0-9\"\[])")
_INITIALS = re.compile(r"\s+[A-Z]{1,3}\.?$")


def _surname_key(author: str, orgs: dict[str, str]) -> str | None:
    author = author.strip()
    if not author:
        return None
    by_name = {name.lower(): acronym for acronym, name in orgs.items()}
    bare = re.sub(r"\s*[\[(][A-Z]{2,8}[\])]$", "", author)
    if bare.lower() in by_name:
        return by_name[bare.lower()].lower()
    acronym = re.search(r"[\[(]([A-Z]{2,8})[\])]$", author)
    if acronym:
        return acronym.group(1).lower()
    if author in orgs:
        return author.lower()
    surname = _INITIALS.sub("", author)
    folded = unicodedata.normalize("NFKD", surname).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z-]+", "-", folded).strip("-") or None


def extract_references(
    normalized: NormalizedText,
    outline: Outline,
    locator: Locator,
    orgs: dict[str, str],
    citations: list[Citation],
    works: list[Work],
) -> tuple[list[ReferenceEntry], list[Work]]:
    """Parse the References list and return it with the works updated to know their reference numbers."""
    entries: list[ReferenceEntry] = []
    blocks = [
        block
        for path, lines in outline.bodies(REFERENCES)
        for block in split_blocks(lines, path, normalized.vocabulary, numbered_only=True)
    ]
    for block in blocks:
        if block.kind != "numbered" or block.number is None:
            continue
        text = block.text.text
        doi = _DOI.search(text)
        parts = _PART_END.split(text, maxsplit=2)
        authors = tuple(
            a.strip()
            for a in parts[0].rstrip(".").split(",")
            if a.strip() and not re.fullmatch(r"et\s+al\.?", a.strip())
        )
        title = parts[1].strip().rstrip(".") if len(parts) > 1 else None
        year_match = re.search(r"\b(?:19|20)\d{2}\b", " ".join(parts[1:]) if len(parts) > 1 else text)
        year = int(year_match.group(0)) if year_match else None
        key = _surname_key(authors[0], orgs) if authors else None
        matched = [
            w for w in works if year is not None and key is not None and w.key.split(":")[0] == key and year in w.years
        ]
        work_keys = tuple(w.key for w in matched)
        entries.append(
            ReferenceEntry(
                number=block.number,
                text=text,
                authors=authors,
                first_author_key=key,
                year=year,
                title=title,
                doi=doi.group(1).rstrip(".,;") if doi else None,
                work_keys=work_keys,
                citation_indices=tuple(i for i, c in enumerate(citations) if c.work_key in work_keys),
                provenance=locator.at(block.text),
            )
        )
    linked = []
    for work in works:
        numbers = tuple(e.number for e in entries if work.key in e.work_keys)
        linked.append(replace(work, reference_numbers=numbers) if numbers else work)
    return entries, linked
