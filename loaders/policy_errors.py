"""Errors raised while reading or parsing a coverage-policy document.

Every error subclasses :class:`PolicyDocumentError` (itself a ``ValueError``) so that callers -- a CLI,
a batch loader -- can catch one type and report one clear line, whatever went wrong with the input.
"""

from __future__ import annotations


class PolicyDocumentError(ValueError):
    """Base class: the input cannot be turned into a policy document."""


class DocumentNotFound(PolicyDocumentError):
    """The path does not exist (not ``FileNotFoundError``: one ``except`` should cover every input error)."""


class NotAFile(PolicyDocumentError):
    """The path exists but is a directory or another non-regular file."""


class UnsupportedSource(PolicyDocumentError):
    """The source is a URL or some other thing we deliberately do not fetch."""


class UndecodableText(PolicyDocumentError):
    """A plain-text file that is not valid UTF-8; we fail rather than guess an encoding."""


class UnreadablePdf(PolicyDocumentError):
    """pypdf could not open the file although it starts like a PDF."""


class EmptyDocument(PolicyDocumentError):
    """The file (or text) holds no bytes, or only whitespace."""


class NoTextLayer(PolicyDocumentError):
    """A PDF whose pages yield no text (a scan or a drawing); OCR is out of scope."""


class NotAPolicyDocument(PolicyDocumentError):
    """The text does not follow the Cigna/ASH coverage-policy layout.

    ``missing`` lists what was looked for and not found, so the message can say why the document was refused.
    """

    def __init__(self, missing: list[str] | tuple[str, ...]) -> None:
        self.missing: tuple[str, ...] = tuple(missing)
        super().__init__("not a coverage-policy document; not found: " + "; ".join(self.missing))


class MissingEffectiveDate(PolicyDocumentError):
    """A family document without an "Effective Date:" line: as a version it cannot be placed in time."""
