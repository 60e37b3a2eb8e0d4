"""`policykg serve` (the SPARQL endpoint and query page) and `policykg push` (load an existing store).

Thin commands over policykg.server and policykg.remote; the HTTP stack is imported inside them only.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

from .errors import DataError, UsageError

DATA_FORMATS = {".nq": "N_QUADS", ".trig": "TRIG", ".nt": "N_TRIPLES", ".ttl": "TURTLE"}


@contextlib.contextmanager
def data_store(path: Path) -> Iterator[Path]:
    """A throw-away Oxigraph database holding one RDF file (N-Quads or TriG keep their named graphs)."""
    import pyoxigraph as ox

    fmt = DATA_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"--data must be .nq, .trig, .nt or .ttl, not {path.name!r}")
    if not path.is_file():
        raise UsageError(f"--data file {path} does not exist")
    tmp = Path(tempfile.mkdtemp(prefix="policykg-serve-"))
    try:
        store = ox.Store(str(tmp / "oxigraph"))
        try:
            store.bulk_load(path=str(path), format=getattr(ox.RdfFormat, fmt))
        except (SyntaxError, ValueError) as exc:
            raise DataError(f"{path}: {str(exc).splitlines()[0]}") from None
        store.flush()
        del store
        yield tmp / "oxigraph"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _access_logging(target: str) -> None:
    logger = logging.getLogger("policykg.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler: logging.Handler = logging.StreamHandler(sys.stderr) if target == "-" else logging.FileHandler(target)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)


def register(app: click.Group) -> None:
    """Add `serve` and `push` to the policykg command group."""
    from .cli import store_option

    @contextlib.contextmanager
    def _listening(host: str, port: int) -> Iterator[socket.socket]:
        """A socket listening on (host, port), or a UsageError saying why not."""
        try:
            family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        with sock:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((host, port))
                sock.listen(2048)
            except OSError as exc:
                raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
            yield sock

    @app.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
    @click.option("--data", type=click.Path(path_type=Path, dir_okay=False), default=None,
                  help="Serve this RDF file (.nq/.trig/.nt/.ttl) instead of the policy store.")
    @click.option("--workers", type=click.IntRange(1, 64), default=None,
                  help="Query worker processes (default: the number of CPUs, at least 2).")
    @click.option("--timeout", type=click.FloatRange(0.1, 3600), default=30.0, show_default=True,
                  help="Time limit per query (s); the worker running a query past it is killed.")
    @click.option("--max-rows", type=click.IntRange(1, 10_000_000), default=100_000, show_default=True,
                  help="Largest result (solutions or triples); a larger one is an error, never truncated.")
    @click.option("--access-log", default="-", show_default=True, help="File for the access log, '-' for stderr.")
    @store_option
    def serve(host: str, port: int, data: Path | None, workers: int | None, timeout: float, max_rows: int,
              access_log: str, store: Path | None) -> None:
        """Serve the graph read-only: SPARQL 1.1 Protocol at /sparql, named queries at /queries, a page at /."""
        import uvicorn

        from .server.app import create_app
        from .server.config import ServerConfig

        _access_logging(access_log)
        with contextlib.ExitStack() as stack:
            if data is not None:
                db = stack.enter_context(data_store(data))
            else:
                from .store import ensure_store

                db = ensure_store(store).build / "oxigraph"
            config = ServerConfig(db_path=db, timeout=timeout, max_rows=max_rows, queue_wait=timeout,
                                  **({"workers": workers} if workers else {}))
            # bound here, before saying "serving": an address in use is one line and exit 2, not uvicorn's log
            sock = stack.enter_context(_listening(host, port))
            port = sock.getsockname()[1]
            click.echo(f"policykg: serving {data or db} at http://{host}:{port}/ "
                       f"({config.workers} workers, {timeout:g} s, {max_rows} rows)", err=True)
            server = uvicorn.Server(uvicorn.Config(create_app(config), access_log=False, log_level="warning",
                                                   limit_concurrency=200, timeout_graceful_shutdown=5))
            server.run(sockets=[sock])

    @app.command()
    @click.option("--endpoint", default=None, help="Graph Store Protocol URL (e.g. http://host:7878/store).")
    @click.option("--update-endpoint", default=None,
                  help="SPARQL Update URL: with --endpoint, load in chunks and swap with MOVE (Virtuoso); alone, "
                       "load with INSERT DATA.")
    @click.option("--graph", "graphs", multiple=True, help="Push only this graph of the store (repeatable).")
    @click.option("--user", default=None, envvar="POLICYKG_PUSH_USER", help="User (env POLICYKG_PUSH_USER).")
    @click.option("--password", default=None, envvar="POLICYKG_PUSH_PASSWORD",
                  help="Password (env POLICYKG_PUSH_PASSWORD).")
    @click.option("--chunk", type=click.IntRange(1, 10_000_000), default=None,
                  help="Triples per request when loading in chunks (default 20000 GSP, 1000 Update).")
    @click.option("--timeout", type=click.FloatRange(1, 86400), default=600.0, show_default=True,
                  help="Time limit per HTTP request (s).")
    @store_option
    def push(endpoint: str | None, update_endpoint: str | None, graphs: tuple[str, ...], user: str | None,
             password: str | None, chunk: int | None, timeout: float, store: Path | None) -> None:
        """Load the graph into an existing SPARQL 1.1 store, each named graph replacing the one of the same IRI."""
        from .remote import push as run_push
        from .store import PolicyStore

        pushed = run_push(PolicyStore.open(store).ox, endpoint=endpoint, update_endpoint=update_endpoint,
                          graphs=list(graphs) or None, user=user, password=password, timeout=timeout, chunk=chunk)
        for p in pushed:
            click.echo(f"pushed {p.graph}: {p.triples} triples in {p.seconds} s ({p.method})")
