"""Normalising codes as users and claim files write them.

Documented normalisation (the same for the CLI, the endpoint and claim files):
- Unicode NFKC first, so full-width characters (Ｑ０５.４) become ASCII;
- surrounding whitespace is removed, letters are upper-cased;
- ICD-10-CM: the dot is optional (claims drop it: Q054 is Q05.4) and is put back after the third character;
  a well-formed code has a letter, a digit, a digit or letter, then up to four letters or digits.
- CPT: five characters, four digits then a digit, F (Category II) or T (Category III); HCPCS Level II: a
  letter then four digits.
Anything else is rejected with a message saying what a code looks like, never silently treated as "not
covered". Whether a well-formed ICD-10-CM code exists is a question for the graph (see check.py).
"""

from __future__ import annotations

import re
import unicodedata

from .errors import UsageError

_ICD = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z]([0-9A-Z]{1,4})?$")
_PROC = re.compile(r"^(\d{4}[0-9FTU]|[A-V]\d{4})$")
MAX_CODE_LENGTH = 64


def _clean(raw: str, what: str) -> str:
    if not isinstance(raw, str):
        raise UsageError(f"{what} must be text")
    if len(raw) > MAX_CODE_LENGTH:
        raise UsageError(f"{what} is too long ({len(raw)} characters): codes have at most 8")
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    if not text:
        raise UsageError(f"{what} is empty")
    if any(unicodedata.category(c)[0] == "C" for c in text):
        raise UsageError(f"{what} {raw!r} contains control or invisible characters")
    return text


def normalize_icd(raw: str) -> str:
    """Q054, q05.4, ' Q05.4 ', 'Ｑ０５.４' -> 'Q05.4'; a UsageError for anything not shaped like a code."""
    text = _clean(raw, "ICD-10-CM code")
    compact = text.replace(".", "", 1) if text.count(".") == 1 and text.index(".") == 3 else text
    if not _ICD.match(compact):
        raise UsageError(
            f"malformed ICD-10-CM code {raw.strip()[:40]!r}: expected a letter, two characters, an optional dot "
            "and up to four more (e.g. Q05.4 or Q054)")
    return compact if len(compact) == 3 else f"{compact[:3]}.{compact[3:]}"


def normalize_procedure(raw: str) -> str:
    """A CPT or HCPCS Level II code, upper-cased; a UsageError for anything else."""
    text = _clean(raw, "procedure code")
    if not _PROC.match(text):
        raise UsageError(
            f"malformed CPT/HCPCS code {raw.strip()[:40]!r}: expected five characters such as 76800, 0001F or G0101")
    return text


def split_codes(values: list[str] | tuple[str, ...], separators: str = ",;") -> list[str]:
    """Repeated options and comma/semicolon lists alike: ['Q05.4,Q06.0', 'G95.0'] -> three codes."""
    out: list[str] = []
    for value in values:
        parts = re.split("[" + re.escape(separators) + "]", value)
        out.extend(p for p in (p.strip() for p in parts) if p)
    return out
