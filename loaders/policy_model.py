"""Dataclasses for what the coverage-policy parser extracts.

They are frozen: a parsed document is evidence, and evidence should not change after it was read. Every
item carries a :class:`Provenance`, so each triple later built from it can cite the exact original span.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from .policy_pages import PageStatus


class Determination(enum.Enum):
    """The coverage outcome a policy heading or statement announces."""

    MEDICALLY_NECESSARY = "medically necessary"
    NOT_MEDICALLY_NECESSARY = "not medically necessary"
    EXPERIMENTAL_INVESTIGATIONAL_UNPROVEN = "experimental, investigational, unproven"
    NOT_COVERED = "not covered or reimbursable"


class Comparator(enum.Enum):
    """Comparison stated in a criterion ("> 5 mm"); kept as written even when odd ("within > 2.5 cm")."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "="


class SettingKind(enum.Enum):
    """Care setting a statement is limited to."""

    INTRAOPERATIVE = "intraoperative"
    POSTOPERATIVE = "postoperative"
    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"
    EMERGENCY = "emergency"
    HOME = "home"


class CodeSystem(enum.Enum):
    CPT = "CPT"
    HCPCS = "HCPCS"
    ICD_10_CM = "ICD-10-CM"
    ICD_10_PCS = "ICD-10-PCS"


class RowKind(enum.Enum):
    SINGLE = "single"
    RANGE = "range"
    ALL_OTHER = "all other codes"


class CitationForm(enum.Enum):
    """How a work is cited in the text; decides how much of the author we can trust."""

    PARENTHETICAL = "parenthetical"  # (Hughes, et al., 2003)
    NARRATIVE = "narrative"  # Hughes et al. (2003), Pate (2003)
    YEAR_ONLY = "year_only"  # "... Neonatal Spine (2007; 2016, 2022)": author taken from the sentence
    IN_TEXT = "in_text"  # "The American Chiropractic Association (ACA) ratified ... in May 1996"


@dataclass(frozen=True)
class Provenance:
    """Where an item was read: ``quote == original_text[start:end]`` always holds.

    ``page`` is None unless the page markers (or PDF pages) prove it; ``min_page`` then gives the lower
    bound and ``page_status`` says why (a later "Page N of M" marker is missing, or there are none).
    """

    start: int
    end: int
    quote: str
    page: int | None
    min_page: int | None
    page_status: PageStatus
    section_path: tuple[str, ...]


@dataclass(frozen=True)
class PolicyMetadata:
    """Identity of the policy, read from its front matter."""

    title: str
    policy_number: str
    publisher: str | None
    effective_date: dt.date | None
    next_review_date: dt.date | None
    page_count: int | None  # as stated by "Page 1 of M" (None when no marker states it)
    provenance: tuple[tuple[str, Provenance], ...] = field(default=())

    def provenance_of(self, name: str) -> Provenance | None:
        """Provenance of one field ("title", "effective_date", ...), None when the field was not found."""
        return dict(self.provenance).get(name)


@dataclass(frozen=True)
class Section:
    """A heading and the text up to the next heading of the same or a higher level."""

    title: str
    path: tuple[str, ...]
    level: int
    start: int
    end: int
    heading: Provenance
    children: tuple[Section, ...] = ()

    def walk(self) -> Iterator[Section]:
        """This section then its descendants, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Quantity:
    """A measurable threshold in a criterion, e.g. ("diameter", GT, 5, "mm")."""

    quantity: str
    comparator: Comparator
    value: Decimal
    unit: str
    provenance: Provenance


@dataclass(frozen=True)
class AgeBound:
    """An age range stated for the population, normalised to months so bounds compare across units."""

    lower_months: Decimal | None
    lower_inclusive: bool
    upper_months: Decimal | None
    upper_inclusive: bool
    phrase: str
    provenance: Provenance


@dataclass(frozen=True)
class Setting:
    kind: SettingKind
    phrase: str
    provenance: Provenance


@dataclass(frozen=True)
class Example:
    text: str
    provenance: Provenance


@dataclass(frozen=True)
class Note:
    """A paragraph that is neither statement nor row: a statement's note, a coding note, a footnote."""

    text: str
    provenance: Provenance


@dataclass(frozen=True)
class Criterion:
    """One bullet under a statement: the indication, its "(e.g., ...)" examples and any thresholds."""

    text: str
    indication: str
    indication_provenance: Provenance  # spans the examples too when they sit mid-bullet
    examples: tuple[Example, ...]
    quantities: tuple[Quantity, ...]
    level: int
    provenance: Provenance


@dataclass(frozen=True)
class Statement:
    """A coverage statement: lead paragraph plus its criteria bullets."""

    determination: Determination
    topic_path: tuple[str, ...]
    lead: str
    quantifier: str | None  # "ANY", "ALL", ... of the following
    is_default: bool  # "ANY other indication", "including but not limited to"
    populations: tuple[str, ...]
    age_bounds: tuple[AgeBound, ...]
    settings: tuple[Setting, ...]
    criteria: tuple[Criterion, ...]
    notes: tuple[Note, ...]
    lead_provenance: Provenance
    provenance: Provenance


@dataclass(frozen=True)
class CodeRow:
    """A code, a code range or the "All other codes" row, with its (re-joined) description."""

    kind: RowKind
    start: str | None
    end: str | None
    description: str
    provenance: Provenance

    @property
    def code(self) -> str | None:
        """ "76800", "Q05.0-Q05.9", or None for "All other codes"."""
        if self.kind is RowKind.RANGE:
            return f"{self.start}-{self.end}"
        return self.start


@dataclass(frozen=True)
class CodeTable:
    """One code table under a "Considered ..." group heading."""

    determination: Determination
    group_heading: str
    title: str | None
    title_inherited: bool  # no title between group heading and header: the previous table's title applies
    system: CodeSystem
    rows: tuple[CodeRow, ...]
    provenance: Provenance


@dataclass(frozen=True)
class Citation:
    """One in-text mention of a cited work."""

    author: str | None  # surname or organisation name as written (None: could not be resolved)
    acronym: str | None
    is_organisation: bool
    et_al: bool
    years: tuple[int, ...]
    form: CitationForm
    title_hint: str | None
    collaborators: tuple[str, ...]
    work_key: str
    sentence: str
    sentence_provenance: Provenance
    provenance: Provenance


@dataclass(frozen=True)
class Work:
    """A cited work: the citations that (by :func:`work key <policy_citations.work_key>`) name it."""

    key: str
    author: str | None
    acronym: str | None
    is_organisation: bool
    first_year: int
    years: tuple[int, ...]
    title_hint: str | None
    collaborators: tuple[str, ...]
    citation_indices: tuple[int, ...]
    reference_numbers: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReferenceEntry:
    """A numbered entry of the References list, linked to the works cited in the text."""

    number: int
    text: str
    authors: tuple[str, ...]
    first_author_key: str | None
    year: int | None
    title: str | None
    doi: str | None
    work_keys: tuple[str, ...]
    citation_indices: tuple[int, ...]
    provenance: Provenance
