"""Build the whole graph from its sources: ontology, ICD-10-CM release, shipped policies, ingested graphs.

Sources -> loaders -> N-Quads -> store. The result is one N-Quads document (`generate_nquads`), or the same
document in pieces (`iter_nquads`) that the store bulk-loads as they come; nothing here knows how the store
keeps it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .loaders.base import LoadedGraph


@dataclass
class BuildReport:
    """What a build loaded, per graph, and what the loaders noticed."""

    graphs: dict[str, int] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    icd_release: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {"graphs": self.graphs, "findings": self.findings, "icd_release": self.icd_release,
                "seconds": round(self.seconds, 3)}


def source_fingerprint(extra_dir: Path | None = None) -> str:
    """A hash of everything a build reads, so that a store is rebuilt exactly when its sources change."""
    h = hashlib.sha256()
    h.update(f"policykg {__version__}".encode())
    for dist in ("simple-icd-10-cm", "pyoxigraph", "rdflib"):
        h.update(f"{dist} {metadata.version(dist)}".encode())
    root = resources.files("policykg.ontology")
    policies = sorted((e for e in root.joinpath("policies").iterdir() if e.name.endswith(".ttl")),
                      key=lambda e: e.name)
    # the code that turns sources into triples is a source too: a changed loader rebuilds the store
    code = sorted((e for pkg in ("policykg.loaders",) for e in resources.files(pkg).iterdir()
                   if e.name.endswith(".py")), key=lambda e: e.name)
    files = [root.joinpath("policykg.ttl"), *policies, *code, resources.files("policykg").joinpath("build.py")]
    for entry in files:
        h.update(entry.name.encode())
        h.update(entry.read_bytes())
    if extra_dir is not None and extra_dir.is_dir():
        for path in sorted(extra_dir.glob("*.nq")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _to_nquads(ntriples: str, graph: str) -> str:
    suffix = f" <{graph}> .\n"
    return "".join(line[:-1].rstrip() + suffix for line in ntriples.splitlines() if line.endswith("."))


def generate_nquads(extra_dir: Path | None = None) -> tuple[bytes, BuildReport]:
    """Run every loader and return the whole dataset as N-Quads, with a report."""
    report = BuildReport()
    data = b"".join(iter_nquads(extra_dir, report))
    return data, report


def iter_nquads(extra_dir: Path | None, report: BuildReport, *, icd_parts: int = 1) -> Iterator[bytes]:
    """The dataset as N-Quads, one piece at a time, filling `report` as it goes.

    Joined, the pieces are exactly `generate_nquads`' document (ontology, ICD-10-CM, shipped policies,
    ingested files, in that order). Pieces let the store start bulk-loading the 700k ICD-10-CM quads while
    the rest is generated, and load them on several cores (`icd_parts`).
    """
    import time

    from .loaders.icd10cm import Icd10cmLoader, read_release
    from .loaders.packaged import OntologyLoader, ShippedPolicyLoader, shipped_policy_names

    t0 = time.perf_counter()
    release = read_release()
    report.icd_release = f"{release.label} ({release.source_file}, simple-icd-10-cm {release.package_version})"

    def converted(lg: LoadedGraph) -> bytes:
        report.graphs[str(lg.graph)] = lg.ntriples.count("\n")
        report.findings.extend(f"{lg.source}: {f}" for f in lg.findings)
        return _to_nquads(lg.ntriples, str(lg.graph)).encode("utf-8")

    yield converted(OntologyLoader().load())
    icd = Icd10cmLoader(release)
    icd_quads = report.graphs[str(icd.graph_iri)] = 0
    for piece in icd.nquads(icd_parts):
        icd_quads += piece.count(b"\n")
        report.graphs[str(icd.graph_iri)] = icd_quads
        yield piece
    for name in shipped_policy_names():
        for lg in ShippedPolicyLoader(name, release).load_all():
            yield converted(lg)
    if extra_dir is not None and extra_dir.is_dir():
        for path in sorted(extra_dir.glob("*.nq")):
            blob = path.read_bytes()
            report.graphs[f"file:{path.name}"] = blob.count(b"\n")
            yield blob if blob.endswith(b"\n") else blob + b"\n"
    report.seconds = time.perf_counter() - t0


def write_report(report: BuildReport, path: Path) -> None:
    path.write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
