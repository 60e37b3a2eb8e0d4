"""The one small interface every loader implements.

A loader knows its source, the named graph it fills and how to write that graph as N-Triples. Writing
text rather than rdflib triples keeps the big sources (ICD-10-CM, ~700k triples) within the build's time
budget: pyoxigraph bulk-loads N-Quads far faster than rdflib can add triples one by one.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from rdflib import URIRef


@dataclass(frozen=True)
class Finding:
    """Something a loader noticed that a reviewer should see (not fatal)."""

    kind: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.message}"


@dataclass
class LoadedGraph:
    """What one loader produced: N-Triples text for one named graph, plus its findings."""

    graph: URIRef
    ntriples: str
    findings: list[Finding] = field(default_factory=list)
    source: str = ""


class Loader(abc.ABC):
    """A source turned into one named graph."""

    #: short name of the source, for reports
    name: str

    @abc.abstractmethod
    def load(self) -> LoadedGraph:
        """Read the source and return its graph."""


def nt_literal(value: str, lang: str | None = None, datatype: str | None = None) -> str:
    """An N-Triples literal with the escapes the grammar requires."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'
