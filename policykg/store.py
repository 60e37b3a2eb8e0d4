"""The embedded, persistent store: Oxigraph on disk, seen through rdflib (oxrdflib).

Layout of a store directory (default: the user's data directory, or --store / POLICYKG_STORE):

    lock                 flock'ed while a build or swap runs
    current -> builds/X  symlink to the build in use, swapped atomically
    builds/X/oxigraph    the Oxigraph database
    builds/X/manifest.json  source fingerprint, build report
    ingested/*.nq        graphs added by `policykg ingest`, included in every build

A build is written aside (builds/.tmp-*) and only becomes `current` by an atomic symlink swap once it is
complete, so a failed or killed build never leaves a half-written store in use; the next build removes the
leftovers. Readers open the current build read-only and never rebuild unless the sources changed.
Choice of engine and the measurements behind it: docs/store.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StoreError

ENV_VAR = "POLICYKG_STORE"
# bulk loads running at once during a build (the ICD-10-CM graph is cut into this many pieces)
LOAD_THREADS = max(1, min(4, os.cpu_count() or 1))
SMALL_PIECE = 8 * 1024 * 1024


def default_store_dir() -> Path:
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("policykg", appauthor=False)) / "store"


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class StoreInfo:
    path: Path
    build: Path
    manifest: dict[str, Any]


def _current(root: Path) -> Path | None:
    link = root / "current"
    if not link.is_symlink():
        return None
    target = (root / os.readlink(link)).resolve()
    return target if (target / "manifest.json").is_file() and (target / "oxigraph").is_dir() else None


def _read_manifest(build: Path) -> dict[str, Any]:
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def build_store(root: Path, *, force: bool = False, fingerprint: str | None = None) -> StoreInfo:
    """Build the store aside and swap it in; a no-op when the current build is up to date (unless force)."""
    from .build import BuildReport, iter_nquads, source_fingerprint

    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create store directory {root}: {exc.strerror}") from None
    if not os.access(root, os.W_OK):
        raise StoreError(f"store directory {root} is not writable")
    with _locked(root):
        fp = fingerprint or source_fingerprint(root / "ingested")
        current = _current(root)
        if current is not None and not force and _read_manifest(current).get("fingerprint") == fp:
            return StoreInfo(root, current, _read_manifest(current))
        builds = root / "builds"
        builds.mkdir(exist_ok=True)
        for stale in builds.glob(".tmp-*"):  # left by a killed build; we hold the lock, so nobody owns them
            shutil.rmtree(stale, ignore_errors=True)
        tmp = builds / f".tmp-{uuid.uuid4().hex[:12]}"
        tmp.mkdir()
        try:
            t0 = time.perf_counter()
            report = BuildReport()
            quads = _bulk_load(tmp / "oxigraph", iter_nquads(root / "ingested", report, icd_parts=LOAD_THREADS))
            manifest = {"fingerprint": fp, "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                        "seconds": round(time.perf_counter() - t0, 3), "triples": quads,
                        **report.to_json()}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            final = builds / f"{fp[:16]}-{uuid.uuid4().hex[:8]}"
            tmp.rename(final)
            link_tmp = root / f".current-{uuid.uuid4().hex[:8]}"
            os.symlink(os.path.relpath(final, root), link_tmp)
            os.replace(link_tmp, root / "current")  # atomic swap
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        # keep the new build and the one before it (a reader may still have it open)
        keep = {final.name, current.name if current else ""}
        for old in builds.iterdir():
            if old.name not in keep and not old.name.startswith(".tmp-"):
                shutil.rmtree(old, ignore_errors=True)
        return StoreInfo(root, final, manifest)


def _safe_name(name: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}", name) or name.endswith(".nq"):
        raise StoreError(f"invalid graph file name {name!r}: letters, digits, '.', '_' and '-' only")
    return name


def add_ingested_graph(root: Path, name: str, nquads: bytes) -> StoreInfo:
    """Add (or replace) an extra graph file under ingested/ and rebuild, all or nothing.

    The N-Quads are written to ingested/NAME.nq atomically under the store lock; if the rebuild fails
    the previous file (or its absence) is restored, so a failure never leaves the store half-changed.
    Used by `policykg ingest` (policy documents) and `policykg load` (RDF files).
    """
    name = _safe_name(name)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / "ingested"
    folder.mkdir(exist_ok=True)
    target = folder / f"{name}.nq"
    backup = target.read_bytes() if target.exists() else None
    tmp = folder / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    with _locked(root):
        tmp.write_bytes(nquads)
        os.replace(tmp, target)
    try:
        return build_store(root)
    except BaseException:
        with _locked(root):
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(backup)
        raise


def remove_ingested_graph(root: Path, name: str) -> StoreInfo:
    """Remove an extra graph file and rebuild; a StoreError if there is no such file."""
    name = _safe_name(name)
    target = root / "ingested" / f"{name}.nq"
    if not target.exists():
        raise StoreError(f"no ingested graph named {name!r}")
    backup = target.read_bytes()
    with _locked(root):
        target.unlink()
    try:
        return build_store(root)
    except BaseException:
        with _locked(root):
            target.write_bytes(backup)
        raise


def ingested_graphs(root: Path) -> list[str]:
    folder = root / "ingested"
    return sorted(p.name.removesuffix(".nq") for p in folder.glob("*.nq")) if folder.is_dir() else []


def _bulk_load(path: Path, pieces: Iterable[bytes]) -> int:
    """Bulk-load N-Quads pieces into a new Oxigraph database as they are generated; returns the line count.

    Each large piece is loaded by its own bulk loader on a worker thread (pyoxigraph releases the GIL), so
    the ICD-10-CM pieces load on several cores while Python writes the next one: on 2 cores this roughly
    halves the build. Concurrent bulk loads into one store are how Oxigraph's own CLI loads several files.
    Every bulk load adds its own files, which each query then visits (measured: ~20% slower queries with
    two loads than with one), so small pieces ride along with the last large one instead of adding more.
    The first error (e.g. a malformed ingested file) is raised once every started load has finished.
    """
    import pyoxigraph as ox

    store = ox.Store(str(path))
    count = 0
    small: list[bytes] = []
    held: bytes | None = None  # the latest large piece, kept back to carry the small ones
    with ThreadPoolExecutor(max_workers=LOAD_THREADS) as pool:
        jobs = []
        for piece in pieces:
            count += piece.count(b"\n")
            if len(piece) < SMALL_PIECE:
                small.append(piece)
                continue
            if held is not None:
                jobs.append(pool.submit(store.bulk_load, held, format=ox.RdfFormat.N_QUADS))
            held = piece
        rest = b"".join([held or b"", *small])
        del held, small
        if rest:
            jobs.append(pool.submit(store.bulk_load, rest, format=ox.RdfFormat.N_QUADS))
        del rest
        for job in jobs:
            job.result()
    store.flush()
    del store
    return count


def ensure_store(root: Path | None = None) -> StoreInfo:
    """The current build, building it first when missing or out of date with the sources."""
    from .build import source_fingerprint

    root = root or default_store_dir()
    current = _current(root)
    fp = source_fingerprint(root / "ingested")
    if current is not None and _read_manifest(current).get("fingerprint") == fp:
        return StoreInfo(root, current, _read_manifest(current))
    return build_store(root, fingerprint=fp)


class PolicyStore:
    """The graph as the rest of policykg sees it: an rdflib Dataset over the Oxigraph build, read-only.

    Queries are passed to Oxigraph as strings with their parameters as substitutions (oxrdflib), so they
    run at Oxigraph's speed and parameters are bound as RDF terms, never pasted into the text.
    """

    def __init__(self, info: StoreInfo) -> None:
        import pyoxigraph as ox

        self.info = info
        try:
            self.ox = ox.Store.read_only(str(info.build / "oxigraph"))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {info.build}: {exc}") from None

    @functools.cached_property
    def dataset(self) -> Any:
        """The rdflib Dataset over the store, made on first use: importing rdflib and oxrdflib takes ~0.1 s,
        which a command answering from the decision table's cache (adjudicate) never needs."""
        from oxrdflib import OxigraphStore
        from rdflib import Dataset

        return Dataset(store=OxigraphStore(store=self.ox), default_union=True)

    @classmethod
    def open(cls, root: Path | None = None) -> PolicyStore:
        return cls(ensure_store(root))

    def query(self, text: str, bindings: Mapping[str, Any] | None = None) -> Any:
        """Run SPARQL over the union of all graphs; bindings are rdflib terms."""
        from .namespaces import PREFIXES

        return self.dataset.query(text, initNs=PREFIXES, initBindings=dict(bindings or {}))

    @property
    def manifest(self) -> dict[str, Any]:
        return self.info.manifest
