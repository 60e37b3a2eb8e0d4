"""What runs inside a query worker process: one query at a time against a read-only Oxigraph store.

Why a process: pyoxigraph holds the GIL-free Rust evaluator for the whole of an aggregate or a property-path
closure and cannot be interrupted by a signal, so the only way to stop a runaway query and get its CPU back
is to kill the process that runs it (see pool.py). This module therefore imports nothing but pyoxigraph and
the standard library, so a replacement worker starts in a fraction of a second.

Results are written by Oxigraph's own serialisers. The row limit is enforced while the results stream out:
SELECT solutions are first serialised as TSV (one solution per line, newlines inside literals escaped) into a
sink that counts lines and aborts the query at limit + 1, then converted natively to the negotiated format.
So a too-large result is an error, never a truncated answer.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

RESULT_FORMATS = ("json", "xml", "csv", "tsv")
GRAPH_FORMATS = ("turtle", "nt", "jsonld", "rdfxml")


@dataclass(frozen=True)
class Job:
    """One query for a worker. Graph lists are None when the protocol request named no dataset."""

    query: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    fmt: str  # one of RESULT_FORMATS or GRAPH_FORMATS
    max_rows: int
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union_default_graph: bool = True
    base_iri: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A serialised result (status 200) or a one-line error with the HTTP status to answer with."""

    status: int
    body: bytes = b""
    message: str = ""


class RowLimitExceeded(Exception):
    """Raised from inside the serialiser's output to stop a result that is larger than allowed."""


class _CountingSink:
    """A write target for Oxigraph's serialisers that counts lines and stops past a limit."""

    def __init__(self, max_lines: int) -> None:
        self.parts: list[bytes] = []
        self.lines = 0
        self.max_lines = max_lines

    def write(self, data: bytes) -> int:
        self.lines += data.count(b"\n")
        if self.lines > self.max_lines:
            raise RowLimitExceeded
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Oxigraph flushes its writer at the end; nothing is buffered here."""


def _formats() -> tuple[dict[str, Any], dict[str, Any]]:
    import pyoxigraph as ox

    results = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
               "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
    graphs = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
              "rdfxml": ox.RdfFormat.RDF_XML}
    return results, graphs


def _dataset_args(job: Job) -> dict[str, Any]:
    """pyoxigraph keyword arguments for the dataset: the protocol's, the query's FROM, or the union graph."""
    import pyoxigraph as ox

    if job.default_graphs is not None or job.named_graphs is not None:
        default: Any = [ox.NamedNode(g) for g in job.default_graphs] if job.default_graphs else ox.DefaultGraph()
        named = [ox.NamedNode(g) for g in job.named_graphs] if job.named_graphs is not None else []
        return {"default_graph": default, "named_graphs": named}
    # use_default_graph_as_union overrides FROM in pyoxigraph, so it is only set for queries without FROM
    return {"use_default_graph_as_union": job.union_default_graph}


def _limited(triples: Any, max_rows: int) -> Iterator[Any]:
    for n, triple in enumerate(triples, 1):
        if n > max_rows:
            raise RowLimitExceeded
        yield triple


def run_job(store: Any, job: Job, prefixes: dict[str, str]) -> Outcome:
    """Run one query and serialise its result; every failure becomes an Outcome with a status."""
    import pyoxigraph as ox

    result_formats, graph_formats = _formats()
    try:
        result = store.query(job.query, prefixes=prefixes, base_iri=job.base_iri, **_dataset_args(job))
        if job.form == "ASK":
            return Outcome(200, result.serialize(format=result_formats[job.fmt]))
        if job.form == "SELECT":
            sink = _CountingSink(job.max_rows + 1)  # the header line plus max_rows solutions
            result.serialize(sink, format=ox.QueryResultsFormat.TSV)
            tsv = b"".join(sink.parts)
            if job.fmt == "tsv":
                return Outcome(200, tsv)
            parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
            return Outcome(200, parsed.serialize(format=result_formats[job.fmt]))
        body = ox.serialize(_limited(result, job.max_rows), format=graph_formats[job.fmt],
                            prefixes=prefixes if job.fmt == "turtle" else None)
        return Outcome(200, body)
    except RowLimitExceeded:
        what = "solutions" if job.form == "SELECT" else "triples"
        return Outcome(500, message=f"the result has more than {job.max_rows} {what} (the server's row limit); "
                                    "add a LIMIT or narrow the query")
    except SyntaxError as exc:
        return Outcome(400, message=f"SPARQL syntax error: {_first_line(exc)}")
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        return Outcome(500, message=f"query failed: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def serve(conn: Any, db_path: str, prefixes: dict[str, str]) -> None:
    """The worker process's main loop: open the store read-only, then answer jobs until the socket closes."""
    import pyoxigraph as ox

    try:
        store = ox.Store.read_only(db_path)
    except OSError as exc:
        conn.send(("error", f"cannot open the store at {db_path}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(run_job(store, job, prefixes))


def main(argv: list[str]) -> None:
    """`python -m policykg.server.worker FD DB_PATH`: FD is this end of the socket the pool talks on."""
    from multiprocessing.connection import Connection

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it kills us
    conn = Connection(int(argv[0]))
    try:
        prefixes = conn.recv()
    except (EOFError, OSError):
        return
    serve(conn, argv[1], prefixes)


if __name__ == "__main__":
    import sys

    # run the importable module's main, so that Job and Outcome pickle as policykg.server.worker.*, not __main__.*
    from policykg.server.worker import main as module_main

    module_main(sys.argv[1:])
