"""`policykg load FILE` and `policykg unload NAME`: a user's RDF file as its own named graph of the store.

The file is read and checked completely first (loaders.rdf_file: nothing fetched, no entity expansion, caps,
typed literals, owl:imports never followed); only then are its N-Quads written to the store's
`ingested/rdf-NAME.nq` and the store rebuilt aside and swapped in (policykg.store.add_ingested_graph), so a
refused or failed load leaves the store's current build untouched. Loads and unloads of one store are
serialised by their own lock; builds by the store's lock. A load killed during its rebuild leaves a complete,
checked graph file behind: the current build stays in use and the next command that opens the store builds
it in whole (never in part).
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from .errors import UsageError

LOADED_GRAPH_BASE = "https://w3id.org/policykg/graph/loaded/"
RESERVED_GRAPH_BASE = "https://w3id.org/policykg/graph/"
FILE_PREFIX = "rdf-"  # ingested/ also holds policy documents' graphs: loads only see and touch their own files
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")

store_option = click.option(
    "--store", type=click.Path(path_type=Path, file_okay=False), envvar="POLICYKG_STORE", default=None,
    help="Store directory (default: the user's data directory; env POLICYKG_STORE).")


def register(app: click.Group) -> None:
    app.add_command(load)
    app.add_command(unload)


@click.command()
@click.argument("file")
@click.option("--graph", default=None, help=f"Named graph IRI (default: {LOADED_GRAPH_BASE}NAME).")
@click.option("--name", default=None, help="Short name of the loaded graph, for unload (default: from the file name).")
@click.option("--format", "-f", "fmt", type=click.Choice(["turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"]),
              default=None, help="Format (default: from the file extension).")
@click.option("--replace", is_flag=True, help="Replace a graph already loaded under this name.")
@click.option("--drop-imports", is_flag=True, help="Load without the file's owl:imports triples (never followed).")
@store_option
def load(file: str, graph: str | None, name: str | None, fmt: str | None, replace: bool, drop_imports: bool,
         store: Path | None) -> None:
    """Add an RDF file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD) to the store as its own named graph."""
    from .loaders.rdf_file import refuse_url
    from .store import default_store_dir

    refuse_url(file)
    root = store or default_store_dir()
    name = check_name(name if name is not None else derive_name(file))
    graph = check_graph(graph or LOADED_GRAPH_BASE + name)
    result = load_file(root, file, name=name, graph=graph, fmt=fmt, replace=replace, drop_imports=drop_imports)
    for line in result:
        sys.stdout.write(line + "\n")


@click.command()
@click.argument("name")
@store_option
def unload(name: str, store: Path | None) -> None:
    """Take a graph added by `policykg load` out of the store again."""
    from .store import default_store_dir, remove_ingested_graph

    root = store or default_store_dir()
    name = check_name(name)
    with _load_lock(root):
        loaded = loaded_graphs(root)
        if name not in loaded:
            known = ", ".join(sorted(loaded)) or "none"
            raise UsageError(f"no graph loaded under the name {name!r} (loaded: {known})")
        info = remove_ingested_graph(root, FILE_PREFIX + name)
    sys.stdout.write(f"unloaded {name!r} (graph <{loaded[name]}>); store rebuilt ({info.build.name})\n")


def load_file(root: Path, file: str, *, name: str, graph: str, fmt: str | None = None, replace: bool = False,
              drop_imports: bool = False) -> list[str]:
    """Read and check `file`, then add it as graph `graph` and rebuild; returns the lines to show the user."""
    from .loaders.rdf_file import read_rdf_file
    from .store import add_ingested_graph

    parsed = read_rdf_file(file, graph, fmt, drop_imports=drop_imports)
    with _load_lock(root):
        loaded = loaded_graphs(root)
        if name in loaded and not replace:
            raise UsageError(f"a graph is already loaded under the name {name!r}: give --replace, or unload it first")
        for other, iri in loaded.items():
            if iri == graph and other != name:
                raise UsageError(f"graph <{graph}> is already loaded under the name {other!r}")
        info = add_ingested_graph(root, FILE_PREFIX + name, parsed.nquads)
    lines = [f"loaded {Path(file).name}: {parsed.triples} triples into <{graph}> as {name!r}; "
             f"store rebuilt ({info.build.name})"]
    if parsed.merged_graphs:
        lines.append(f"note: {len(parsed.merged_graphs)} named graph(s) of the file were merged into <{graph}>")
    for iri in parsed.dropped_imports:
        lines.append(f"note: owl:imports <{iri}> left out and not followed (--drop-imports)")
    return lines


def derive_name(file: str) -> str:
    stem = Path(file).name.split(".")[0].lower()
    return re.sub(r"[^a-z0-9._-]+", "-", stem).strip("-._")[:60] or "graph"


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(f"invalid graph name {name[:80]!r}: lower-case letters, digits, '.', '_' and '-', "
                         "starting with a letter or digit, at most 60 characters")
    return name


def check_graph(iri: str) -> str:
    """An absolute http(s) or urn IRI, outside the graphs the build itself makes."""
    import pyoxigraph as ox

    if not re.match(r"^(https?://[^/\s]+|urn:[A-Za-z0-9][A-Za-z0-9-]*:)", iri):
        raise UsageError(f"graph {iri[:80]!r} must be an absolute http(s) or urn IRI")
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise UsageError(f"graph {iri[:80]!r} is not a valid IRI") from None
    if iri.startswith(RESERVED_GRAPH_BASE) and not iri.startswith(LOADED_GRAPH_BASE):
        raise UsageError(f"graph <{iri[:80]}> belongs to the build; loaded graphs go under {LOADED_GRAPH_BASE}")
    return iri


def loaded_graphs(root: Path) -> dict[str, str]:
    """Name -> graph IRI of every graph `policykg load` added (read from each file's first quad)."""
    import pyoxigraph as ox

    out: dict[str, str] = {}
    folder = root / "ingested"
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob(f"{FILE_PREFIX}*.nq")):
        with path.open("rb") as fh:
            first = fh.readline()
        try:
            quad = next(iter(ox.parse(first, ox.RdfFormat.N_QUADS)))
            out[path.name[len(FILE_PREFIX):-3]] = str(quad.graph_name.value)
        except (SyntaxError, StopIteration, AttributeError):
            out[path.name[len(FILE_PREFIX):-3]] = "?"
    return out


@contextlib.contextmanager
def _load_lock(root: Path) -> Iterator[None]:
    """One load or unload at a time per store (a different file from the build lock, which they also take)."""
    from .errors import StoreError

    try:
        root.mkdir(parents=True, exist_ok=True)
        fh = open(root / "load.lock", "a+")  # noqa: SIM115 - held for the duration of the block
    except OSError as exc:
        raise StoreError(f"cannot use the store directory {root}: {exc.strerror}") from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
