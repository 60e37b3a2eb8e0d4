"""Code tables of the "Coding Information" section.

The layout, as PDF text gives it: a group heading ("Considered Medically Necessary when ... met:"), an
optional table title ("Spinal Ultrasound"), a column header broken over lines ("CPT®*" / "Codes" /
"Description"), then rows "CODE Description" whose description may wrap, ranges split over lines
("Q05.0-" / "Q05.9" / "Spina bifida"), and the row "All other codes".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .policy_mapped import MappedText, Vocabulary, join_lines
from .policy_model import CodeRow, CodeSystem, CodeTable, Determination, Note, RowKind
from .policy_statements import phrase_determination
from .policy_structure import CODING, Locator, Outline, split_blocks

_HEADER = re.compile(r"^(?P<system>CPT|HCPCS|ICD-10-CM|ICD-10-PCS)\b")
_HEADER_WORDS = {"codes", "code", "diagnosis", "procedure", "description", "level", "ii"}
_CODE = {
    CodeSystem.CPT: r"\d{4}[0-9FTU]",
    CodeSystem.HCPCS: r"[A-V]\d{4}",
    CodeSystem.ICD_10_CM: r"[A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?",
    CodeSystem.ICD_10_PCS: r"[0-9A-HJ-NP-Z]{7}",
}
_ALL_OTHER = re.compile(r"^all\s+other\s+codes\.?$", re.I)


@dataclass
class _Row:
    kind: RowKind
    start: str | None
    end: str | None
    first: MappedText
    parts: list[MappedText] = field(default_factory=list)


@dataclass
class _Table:
    determination: Determination
    group_heading: str
    title: str | None
    inherited: bool
    system: CodeSystem
    header: MappedText
    rows: list[_Row] = field(default_factory=list)


@dataclass
class CodingSection:
    """Everything read from "Coding Information"."""

    tables: list[CodeTable]
    notes: list[Note]
    footnotes: list[Note]


def _system(name: str) -> CodeSystem:
    return {
        "CPT": CodeSystem.CPT,
        "HCPCS": CodeSystem.HCPCS,
        "ICD-10-CM": CodeSystem.ICD_10_CM,
        "ICD-10-PCS": CodeSystem.ICD_10_PCS,
    }[name]


def extract_code_tables(
    outline: Outline, locator: Locator, vocabulary: Vocabulary, warnings: list[str]
) -> CodingSection:
    """Parse every "Coding Information" section into tables, numbered notes and footnotes."""
    merged = CodingSection([], [], [])
    for _, lines in outline.bodies(CODING):
        part = _parse_run(lines, locator, vocabulary, warnings)
        merged.tables += part.tables
        merged.notes += part.notes
        merged.footnotes += part.footnotes
    return merged


def _parse_run(lines: list[MappedText], locator: Locator, vocabulary: Vocabulary, warnings: list[str]) -> CodingSection:
    """One "Coding Information" section (state never carries over a heading)."""
    keys = [line.text for line in lines]
    tables: list[_Table] = []
    notes: list[MappedText] = []
    footnotes: list[Note] = []
    group: tuple[Determination, str] | None = None
    title: str | None = None
    title_fresh = False
    table: _Table | None = None
    row: _Row | None = None
    in_notes = False

    def next_key(i: int) -> str:
        return next((k for k in keys[i + 1 :] if k), "")

    i = 0
    while i < len(lines):
        key, line = keys[i], lines[i]
        i += 1
        if not key:
            continue
        heading = key
        if key.startswith("Considered") and not key.endswith(":") and next_key(i - 1).endswith(":"):
            heading = f"{key} {next_key(i - 1)}"
        if heading.endswith(":") and (heading.startswith("Considered") or heading.lower().startswith("not covered")):
            determination = phrase_determination(heading)
            if determination is not None:
                if heading != key:
                    i = keys.index(next_key(i - 1), i) + 1
                group, table, row, title_fresh, in_notes = (
                    (determination, heading.rstrip(":")),
                    None,
                    None,
                    False,
                    False,
                )
                continue
        if re.match(r"^notes?:?$", key, re.I):
            in_notes = True
            continue
        header = _HEADER.match(key)
        if header:
            in_notes = False
            while (
                "description" not in keys[i - 1].lower()
                and i < len(lines)
                and (not keys[i] or keys[i].lower().rstrip(":") in _HEADER_WORDS)
            ):
                i += 1
            if group is None:
                warnings.append(f"code table header {key!r} outside any 'Considered ...' group skipped")
                table = None
                continue
            table = _Table(group[0], group[1], title, not title_fresh, _system(header.group("system")), line)
            tables.append(table)
            row, title_fresh = None, False
            continue
        if key.startswith("*") or "©" in key:
            footnotes.append(Note(key.lstrip("* "), locator.at(line)))
            table = row = None
            continue
        if in_notes:
            notes.append(line)
            continue
        if table is None:
            if group is not None:
                title, title_fresh = key, True
            continue
        new_row, consumed = _match_row(table.system, key, line, keys, lines, i)
        if new_row is not None:
            table.rows.append(new_row)
            row, i = new_row, consumed
            continue
        if row is not None and (key[0].islower() or not row.parts or not _HEADER.match(next_key(i - 1))):
            row.parts.append(line)
            continue
        title, title_fresh, table, row = key, True, None, None
    note_blocks = split_blocks(notes, (CODING,), vocabulary, numbered_only=True)
    return CodingSection(
        tables=[_freeze(t, locator, vocabulary) for t in tables],
        notes=[Note(b.text.text, locator.at(b.text)) for b in note_blocks],
        footnotes=footnotes,
    )


def _match_row(
    system: CodeSystem, key: str, line: MappedText, keys: list[str], lines: list[MappedText], i: int
) -> tuple[_Row | None, int]:
    """A row starting at this line (and, for a range broken after its hyphen, the next one)."""
    code = _CODE[system]
    if _ALL_OTHER.match(key):
        return _Row(RowKind.ALL_OTHER, None, None, line, [line]), i
    same_line = re.match(rf"^({code})\s*[-–]\s*({code})(?:\s+(.*))?$", key)
    if same_line:
        row = _Row(RowKind.RANGE, same_line.group(1), same_line.group(2), line)
        if same_line.group(3):
            row.parts.append(line.cut(same_line.start(3)))
        return row, i
    split = re.match(rf"^({code})\s*[-–]$", key)
    if split:
        j = i
        while j < len(keys) and not keys[j]:
            j += 1
        end = re.match(rf"^({code})(?:\s+(.*))?$", keys[j]) if j < len(keys) else None
        if end:
            row = _Row(RowKind.RANGE, split.group(1), end.group(1), line)
            if end.group(2):
                row.parts.append(lines[j].cut(end.start(2)))
            return row, j + 1
    single = re.match(rf"^({code})(?:\s+(.*))?$", key)
    if single:
        row = _Row(RowKind.SINGLE, single.group(1), single.group(1), line)
        if single.group(2):
            row.parts.append(line.cut(single.start(2)))
        return row, i
    return None, i


def _freeze(table: _Table, locator: Locator, vocabulary: Vocabulary) -> CodeTable:
    rows = []
    for row in table.rows:
        description = join_lines(row.parts, vocabulary)
        last = row.parts[-1] if row.parts else row.first
        span = locator.span(row.first.original_span()[0], last.original_span()[1])
        rows.append(CodeRow(row.kind, row.start, row.end, description.text, span))
    end = rows[-1].provenance.end if rows else table.header.original_span()[1]
    return CodeTable(
        determination=table.determination,
        group_heading=table.group_heading,
        title=table.title,
        title_inherited=table.inherited,
        system=table.system,
        rows=tuple(rows),
        provenance=locator.span(table.header.original_span()[0], end),
    )
