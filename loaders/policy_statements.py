"""Coverage statements under the GUIDELINES determination headings.

A statement is a lead paragraph ("X is considered medically necessary ... for ANY of the following:")
followed by criteria bullets; a lone paragraph ("X is considered medically necessary for use during
surgery.") is a statement without criteria. Nothing here is specific to one policy.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .policy_mapped import MappedText, concat
from .policy_model import (
    AgeBound,
    Comparator,
    Criterion,
    Determination,
    Example,
    Note,
    Quantity,
    Setting,
    SettingKind,
    Statement,
)
from .policy_structure import GUIDELINES, STATEMENT_START, Block, Locator, Outline, split_blocks
from .policy_text import NormalizedText

_STATEMENT = re.compile(r"\b(?:is|are)\s+(?:considered|not\s+covered|covered)\b|\bnot\s+covered\b", re.I)
_QUANTIFIER = re.compile(
    r"\b(ANY|ALL|ONE|BOTH|EITHER|TWO|THREE)\b\s+(?:\(\d+\)\s+)?(?:or\s+more\s+)?of\s+the\s+"
    r"following",
    re.I,
)
_DEFAULT = re.compile(r"\b(?:any|all)\s+other\b|\bincluding,?\s+but\s+not\s+limited\s+to\b", re.I)
_POPULATION = re.compile(
    r"\b(newborns?|neonates?|infants?|child(?:ren)?|adolescents?|adults?|pediatric|"
    r"paediatric|toddlers?)\b",
    re.I,
)
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "eighteen": 18,
    "twenty-one": 21,
}
_NUM = r"(?P<n>\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + ")"
_UNIT = r"(?P<unit>years?|yrs?|months?|mos?|weeks?|days?)"
_AGE_SYMBOL = re.compile(r"(?P<cmp>>=|<=|=>|=<|≥|≤|>|<)\s*" + _NUM + r"\s*" + _UNIT + r"(?:\s+(?:of\s+age|old))?")
_AGE_WORD = re.compile(
    r"\b(?P<word>under|younger\s+than|less\s+than|below|over|older\s+than|greater\s+than|"
    r"more\s+than|at\s+least|up\s+to)\s+(?P<age>(?:the\s+)?age\s+(?:of\s+)?)?"
    + _NUM
    + r"(?:\s*"
    + _UNIT
    + r")?(?P<tail>\s+(?:of\s+age|old))?",
    re.I,
)
_AGE_OPEN = re.compile(
    r"\b(?P<age>age[sd]?\s+)?" + _NUM + r"(?:\s*" + _UNIT + r")?(?:\s+of\s+age)?\s+"
    r"(?:and|or)\s+(?P<dir>older|over|above|younger|under|less|below)\b",
    re.I,
)
_AGE_RANGE = re.compile(r"\bage[sd]?\s+(?P<a>\d+)\s*(?:-|–|to|through)\s*(?P<b>\d+)(?:\s*" + _UNIT + r")?", re.I)
_MONTHS_PER = {
    "y": Decimal(12),
    "m": Decimal(1),
    "w": Decimal(7) / Decimal("30.4375"),
    "d": Decimal(1) / Decimal("30.4375"),
}
_SETTINGS = [
    (
        SettingKind.INTRAOPERATIVE,
        re.compile(
            r"\bduring\s+(?:[\w/-]+\s+){0,4}?(?:surgery|surgical\s+procedures?|"
            r"operations?)\b|\bintra-?operative(?:ly)?\b",
            re.I,
        ),
    ),
    (SettingKind.POSTOPERATIVE, re.compile(r"\bpost-?operative(?:ly)?\b|\bafter\s+surgery\b", re.I)),
    (SettingKind.INPATIENT, re.compile(r"\binpatient\b", re.I)),
    (SettingKind.OUTPATIENT, re.compile(r"\boutpatient\b", re.I)),
    (SettingKind.EMERGENCY, re.compile(r"\bemergency\s+(?:department|room|setting)\b", re.I)),
    (SettingKind.HOME, re.compile(r"\bin\s+the\s+home\b|\bhome\s+setting\b", re.I)),
]
_EXAMPLES = re.compile(r"\((?:e\.\s?g\.|eg\.?|for\s+example)\s*,?\s*", re.I)
_COMPARATORS = {
    ">": Comparator.GT,
    "<": Comparator.LT,
    ">=": Comparator.GE,
    "<=": Comparator.LE,
    "≥": Comparator.GE,
    "≤": Comparator.LE,
    "=>": Comparator.GE,
    "=<": Comparator.LE,
    "=": Comparator.EQ,
    "greater than or equal to": Comparator.GE,
    "less than or equal to": Comparator.LE,
    "greater than": Comparator.GT,
    "more than": Comparator.GT,
    "less than": Comparator.LT,
    "at least": Comparator.GE,
    "no more than": Comparator.LE,
    "up to": Comparator.LE,
    "exceeding": Comparator.GT,
}
_QUANTITY = re.compile(
    r"(?P<cmp>>=|<=|=>|=<|≥|≤|>|<|=|\b(?:greater\s+than\s+or\s+equal\s+to|less\s+than\s+or\s+equal\s+to|"
    r"greater\s+than|more\s+than|less\s+than|at\s+least|no\s+more\s+than|up\s+to|exceeding)\b)\s*"
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>mm|cm|millimet(?:er|re)s?|centimet(?:er|re)s?|kg|g|lbs?|%|mmHg|"
    r"degrees?|°|years?|months?|weeks?|days?|hours?)(?![A-Za-z])",
    re.I,
)
_UNIT_NAMES = {"millimeter": "mm", "millimetre": "mm", "centimeter": "cm", "centimetre": "cm", "degree": "°"}


def phrase_determination(text: str) -> Determination | None:
    """Determination stated in a sentence, used when a statement sits under no determination heading."""
    low = text.lower()
    if "not medically necessary" in low:
        return Determination.NOT_MEDICALLY_NECESSARY
    if re.search(r"experimental|investigational|unproven", low):
        return Determination.EXPERIMENTAL_INVESTIGATIONAL_UNPROVEN
    if re.search(r"not\s+covered|not\s+reimbursable", low):
        return Determination.NOT_COVERED
    if "medically necessary" in low:
        return Determination.MEDICALLY_NECESSARY
    return None


def extract_statements(
    normalized: NormalizedText, outline: Outline, locator: Locator, warnings: list[str]
) -> list[Statement]:
    """Statements of every determination section (and of topic sections whose sentences state one)."""
    statements: list[Statement] = []
    for path, body in outline.bodies(GUIDELINES):
        heading_determination = outline.determinations.get(path)
        topic = path[1:-1] if heading_determination else path[1:]
        groups: list[tuple[Block, list[Block], list[Block]]] = []
        for block in split_blocks(body, path, normalized.vocabulary):
            if block.kind == "paragraph":
                if not groups or _STATEMENT.search(block.text.text) or STATEMENT_START.match(block.text.text):
                    groups.append((block, [], []))
                else:
                    groups[-1][2].append(block)
            elif groups:
                groups[-1][1].append(block)
            else:
                warnings.append(f"{' > '.join(path)}: criteria bullet without a lead statement skipped")
        for lead, bullets, notes in groups:
            determination = heading_determination or phrase_determination(lead.text.text)
            if determination is None:
                warnings.append(f"{' > '.join(path)}: paragraph states no determination: {lead.text.text[:60]!r}")
                continue
            statements.append(_statement(determination, topic, lead, bullets, notes, locator))
    return statements


def _statement(
    determination: Determination,
    topic: tuple[str, ...],
    lead: Block,
    bullets: list[Block],
    notes: list[Block],
    locator: Locator,
) -> Statement:
    text = lead.text.text
    quantifier = _QUANTIFIER.search(text)
    last = (bullets or notes or [lead])[-1].text
    whole = locator.span(lead.text.original_span()[0], last.original_span()[1])
    return Statement(
        determination=determination,
        topic_path=topic,
        lead=text,
        quantifier=quantifier.group(1).upper() if quantifier else None,
        is_default=bool(_DEFAULT.search(text)),
        populations=tuple(dict.fromkeys(m.group(1).lower() for m in _POPULATION.finditer(text))),
        age_bounds=tuple(age_bounds(lead.text, locator)),
        settings=tuple(
            Setting(kind, m.group(0), locator.at(lead.text, m.start(), m.end()))
            for kind, pattern in _SETTINGS
            for m in pattern.finditer(text)
        ),
        criteria=tuple(criterion(block, locator) for block in bullets),
        notes=tuple(Note(block.text.text, locator.at(block.text)) for block in notes),
        lead_provenance=locator.at(lead.text),
        provenance=whole,
    )


def _months(value: str, unit: str | None) -> Decimal:
    number = Decimal(_NUMBER_WORDS[value.lower()]) if value.lower() in _NUMBER_WORDS else Decimal(value)
    months = number * _MONTHS_PER[(unit or "years")[0].lower()]
    return months.quantize(Decimal("0.01")) if months != months.to_integral_value() else months


def age_bounds(text: MappedText, locator: Locator) -> list[AgeBound]:
    """Age ranges: "<2 years of age", "≥ 18 years", "under 6 months", "age 2 and older", "ages 6-17"."""
    found: list[tuple[int, int, Decimal | None, bool, Decimal | None, bool]] = []
    s = text.text
    for m in _AGE_SYMBOL.finditer(s):
        months = _months(m.group("n"), m.group("unit"))
        cmp = _COMPARATORS[m.group("cmp")]
        if cmp in (Comparator.LT, Comparator.LE):
            found.append((m.start(), m.end(), None, False, months, cmp is Comparator.LE))
        else:
            found.append((m.start(), m.end(), months, cmp is Comparator.GE, None, False))
    for m in _AGE_WORD.finditer(s):
        cue = m.group("age") or m.group("tail") or _POPULATION.search(s[max(0, m.start() - 25) : m.start()])
        if not cue or not (m.group("unit") or m.group("age")):
            continue
        months = _months(m.group("n"), m.group("unit"))
        word = " ".join(m.group("word").lower().split())
        if word in ("under", "younger than", "less than", "below", "up to"):
            found.append((m.start(), m.end(), None, False, months, word == "up to"))
        else:
            found.append((m.start(), m.end(), months, word == "at least", None, False))
    for m in _AGE_OPEN.finditer(s):
        if not (m.group("age") or m.group("unit")):
            continue
        months = _months(m.group("n"), m.group("unit"))
        if m.group("dir").lower() in ("older", "over", "above"):
            found.append((m.start(), m.end(), months, True, None, False))
        else:
            found.append((m.start(), m.end(), None, False, months, True))
    for m in _AGE_RANGE.finditer(s):
        found.append(
            (
                m.start(),
                m.end(),
                _months(m.group("a"), m.group("unit")),
                True,
                _months(m.group("b"), m.group("unit")),
                True,
            )
        )
    bounds: list[AgeBound] = []
    taken: list[tuple[int, int]] = []
    for start, end, low, low_inc, high, high_inc in sorted(found, key=lambda f: (f[0], -f[1])):
        if any(start < e and s_ < end for s_, e in taken):
            continue
        taken.append((start, end))
        bounds.append(AgeBound(low, low_inc, high, high_inc, s[start:end], locator.at(text, start, end)))
    return bounds


def criterion(block: Block, locator: Locator) -> Criterion:
    """A bullet: its indication (examples removed), its examples and its quantitative thresholds."""
    text = block.text
    examples: list[Example] = []
    indication = text
    match = _EXAMPLES.search(text.text)
    if match:
        close = _closing_paren(text.text, match.start())
        for start, end in _split_examples(text.text, match.end(), close):
            examples.append(Example(text.text[start:end], locator.at(text, start, end)))
        before = text.cut(0, match.start()).strip()
        after = text.cut(min(close + 1, len(text))).strip()
        indication = concat([before, after], [" "]) if after.text else before
    return Criterion(
        text=text.text,
        indication=indication.text,
        indication_provenance=locator.at(indication),
        examples=tuple(examples),
        quantities=tuple(quantities(text, locator)),
        level=block.level,
        provenance=locator.at(text),
    )


def _closing_paren(text: str, open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def _split_examples(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Comma-separated items at parenthesis depth 0; "a or b" stays one example; "and c" loses its "and"."""
    items: list[tuple[int, int]] = []
    depth = 0
    item_start = start
    for i in range(start, end + 1):
        ch = text[i] if i < end else ","
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif (ch == "," and depth <= 0) or i == end:
            items.append((item_start, i))
            item_start = i + 1
    out: list[tuple[int, int]] = []
    for index, (s, e) in enumerate(items):
        while s < e and text[s] == " ":
            s += 1
        while e > s and text[e - 1] in " .;":
            e -= 1
        if index == len(items) - 1 and index > 0:
            lead = re.match(r"(?:and|or)\s+", text[s:e])
            s += lead.end() if lead else 0
        if s < e:
            out.append((s, e))
    return out


def quantities(text: MappedText, locator: Locator) -> list[Quantity]:
    """Thresholds such as "> 5 mm in diameter" or "within > 2.5 cm of the anus"."""
    out: list[Quantity] = []
    s = text.text
    for m in _QUANTITY.finditer(s):
        unit = m.group("unit")
        unit = _UNIT_NAMES.get(unit.lower().rstrip("s"), unit)
        after = s[m.end() :]
        before = s[: m.start()]
        end = m.end()
        dimension = re.match(r"\s+in\s+(diameter|length|width|size|depth|thickness|height|circumference)\b", after)
        target = re.match(r"\s+of\s+((?:the\s+)?[\w-]+)", after)
        if dimension:
            name = dimension.group(1)
            end += dimension.end()
        elif re.search(r"\bwithin\s*$", before) and target:
            name = f"distance from {target.group(1)}"
            end += target.end()
        else:
            words = [w for w in re.findall(r"[A-Za-z-]+", before)[-2:] if w.lower() not in ("of", "the", "a")]
            name = " ".join(words) or "value"
        start = m.start()
        if re.search(r"\bwithin\s*$", before):
            start = re.search(r"\bwithin\s*$", before).start()  # type: ignore[union-attr]
        comparator = _COMPARATORS[" ".join(m.group("cmp").lower().split())]
        out.append(Quantity(name, comparator, Decimal(m.group("value")), unit, locator.at(text, start, end)))
    return out
