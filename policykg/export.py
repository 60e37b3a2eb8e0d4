"""Export the whole graph (or some named graphs) in a standard RDF syntax, written aside then renamed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import DataError, UsageError
from .formatting import RDF_FORMATS
from .namespaces import PREFIXES


def export_graph(store: Any, fmt: str, out: Path, graphs: list[str] | None = None) -> int:
    """Write the dataset to `out` and return the number of triples/quads written.

    Triple formats (Turtle, N-Triples, JSON-LD, RDF/XML) get the union of the selected graphs; TriG and
    N-Quads keep the named graphs. The file appears only when complete (temporary file, then rename).
    """
    import pyoxigraph as ox

    if fmt not in RDF_FORMATS:
        raise UsageError(f"unknown export format {fmt!r}: choose one of {', '.join(RDF_FORMATS)}")
    oxfmt = getattr(ox.RdfFormat, RDF_FORMATS[fmt][0])
    selected = None
    if graphs:
        known = {str(g.value) for g in store.ox.named_graphs()}
        selected = []
        for g in graphs:
            if g not in known:
                raise UsageError(f"no named graph {g!r} in the store (see `policykg info`)")
            selected.append(ox.NamedNode(g))
    out = Path(out)
    if out.is_dir():
        raise UsageError(f"{out} is a directory: give a file name")
    if not out.parent.exists():
        raise UsageError(f"directory {out.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    count = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            quads = (q for q in store.ox.quads_for_pattern(None, None, None)
                     if selected is None or q.graph_name in selected)
            if oxfmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
                items: list[Any] = list(quads)
            else:
                seen = set()
                items = []
                for q in quads:
                    t = q.triple
                    if t not in seen:
                        seen.add(t)
                        items.append(t)
            count = len(items)
            kw = {"prefixes": PREFIXES} if oxfmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG,
                                                      ox.RdfFormat.RDF_XML) else {}
            ox.serialize(items, fh, oxfmt, **kw)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DataError(f"cannot write {out}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
