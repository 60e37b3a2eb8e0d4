"""The killable query worker: one ad-hoc query in a fresh interpreter, with time, memory and row limits.

Why a process, and a fresh one: pyoxigraph cannot be interrupted by a signal during aggregates and property
path closures, some queries crash its parser or evaluator outright (segfault), and an unbounded one can eat
the machine's memory. A child process costs ~0.4 s to start; in exchange a runaway query is killed (its whole
process group, SIGKILL) when the time limit passes, an allocation past the memory limit (RLIMIT_AS, set by the
child before it imports anything heavy) fails inside the child, and a crash takes only the child down. A
fresh interpreter rather than a fork: nothing of the parent (threads, locks, open store handles) is inherited.

Defence in depth for outbound requests: the guard refuses SERVICE and FROM <url> before a query gets here,
and pyoxigraph's own HTTP requests are invisible to Python audit hooks, so where the kernel allows it the
child first moves into a new, empty network namespace (unshare(2)): even a query that slipped past the guard
could not reach the network. The reply says whether that happened (`isolated`).

Outcomes and exit statuses (policykg.errors): answered -> text; engine syntax error -> UsageError (2); engine
error -> DataError (3); time limit, memory limit or row limit -> QueryTimeout / QueryLimitExceeded (5); the
worker crashed -> WorkerCrashed (3). Protocol: one JSON request on the child's stdin, one JSON reply on its
stdout (`python -m policykg.worker`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import DataError, PolicyKGError, QueryTimeout, UsageError

DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_MB = 2048
DEFAULT_MAX_ROWS = 100_000
_RUST_OOM = b"memory allocation of"
# What a worker prints when it runs out of its address-space limit, by who noticed first: Rust's allocator,
# Python, C++ new (RocksDB), or a thread that could not get the address space for its stack (pthread_create
# fails with EAGAIN under RLIMIT_AS; seen in CI as std::system_error "Resource temporarily unavailable").
_OUT_OF_MEMORY = (_RUST_OOM, b"MemoryError", b"std::bad_alloc",
                  b"std::system_error'\n  what():  Resource temporarily unavailable")


class QueryLimitExceeded(QueryTimeout):
    """A query stopped by its memory or row limit: like a timeout, a resource limit was hit (exit 5)."""


class WorkerCrashed(DataError):
    """The worker process died without answering (e.g. a segfault in the engine); exit 3."""


@dataclass(frozen=True)
class Limits:
    """What one ad-hoc query may use. The time limit covers the worker's start and the result's rendering."""

    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    max_rows: int = DEFAULT_MAX_ROWS

    def __post_init__(self) -> None:
        if not 0 < self.timeout <= 24 * 3600:
            raise UsageError(f"time limit {self.timeout!r} s is out of range")
        if not 256 <= self.memory_mb <= 1024 * 1024:
            raise UsageError(f"memory limit {self.memory_mb!r} MiB is out of range (256 MiB or more)")
        if not 1 <= self.max_rows <= 100_000_000:
            raise UsageError(f"row limit {self.max_rows!r} is out of range")


@dataclass(frozen=True)
class WorkerRequest:
    build: str  # the store build directory (holding oxigraph/ and manifest.json)
    text: str
    form: str
    fmt: str
    limits: Limits
    from_graphs: tuple[str, ...] = ()  # the query's FROM / FROM NAMED graphs, as the guard found them


# -- parent side -------------------------------------------------------------------------------------------
def run_in_worker(request: WorkerRequest) -> str:
    """Run one query in a fresh child process and return its rendering, or raise the matching error."""
    payload = json.dumps({**asdict(request), "limits": asdict(request.limits)}).encode("utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "policykg.worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(payload, timeout=request.limits.timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise QueryTimeout(f"query stopped after {request.limits.timeout:g} s: it hit the time limit "
                           "(the worker was killed)") from None
    finally:
        if proc.poll() is None:  # interrupted (Ctrl-C) or an error above: never leave the worker running
            _kill(proc)
    return _outcome(proc.returncode, out, err, request.limits)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def _outcome(code: int, out: bytes, err: bytes, limits: Limits) -> str:
    """Turn how the worker ended into the answer or one error with its exit status."""
    memory = (f"query stopped: it hit the memory limit ({limits.memory_mb} MiB) and the worker was discarded")
    if code < 0:
        sig = -code
        if any(sign in err for sign in _OUT_OF_MEMORY):
            raise QueryLimitExceeded(memory)
        if sig == getattr(signal, "SIGXCPU", -1):
            raise QueryTimeout("query stopped: the worker used up its CPU time limit")
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        raise WorkerCrashed(f"the query worker crashed ({name}) and was discarded; the query was not answered "
                            "(it may be too large or too deeply nested for the engine)")
    try:
        reply = json.loads(out.decode("utf-8")) if out else None
    except (UnicodeDecodeError, ValueError):
        reply = None
    if not isinstance(reply, dict):
        if b"MemoryError" in err:
            raise QueryLimitExceeded(memory)
        raise WorkerCrashed(f"the query worker failed without answering (exit status {code})")
    if reply.get("ok"):
        return str(reply.get("output", ""))
    status, message = reply.get("status"), str(reply.get("message") or "query failed")
    cls: type[PolicyKGError] = {2: UsageError, 5: QueryLimitExceeded}.get(status, DataError)  # type: ignore[arg-type]
    raise cls(message)


# -- child side --------------------------------------------------------------------------------------------
def _limit_resources(limits: Limits) -> None:
    """Address space, CPU seconds (a backstop should the parent die) and no core files, for this process."""
    import math
    import resource

    def lower(which: int, soft: int, hard: int) -> None:  # never above a limit the process already has
        _, current = resource.getrlimit(which)
        if current != resource.RLIM_INFINITY:
            soft, hard = min(soft, current), min(hard, current)
        resource.setrlimit(which, (soft, hard))

    memory = limits.memory_mb * 1024 * 1024
    lower(resource.RLIMIT_AS, memory, memory)
    cpu = math.ceil(limits.timeout) + 5
    lower(resource.RLIMIT_CPU, cpu, cpu + 5)
    lower(resource.RLIMIT_CORE, 0, 0)


def isolate_network() -> bool:
    """Move this (still single-threaded) process into a new, empty network namespace; True if it worked.

    As root a network namespace alone; otherwise with a user namespace, which unprivileged users may create
    on most Linux systems. Files stay readable: permissions are checked against the real user ids. Where the
    kernel or a container's seccomp policy forbids it, nothing changes and the guard is the defence.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    clone_newuser, clone_newnet = 0x10000000, 0x40000000
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        flags = clone_newnet if os.geteuid() == 0 else clone_newuser | clone_newnet
        return libc.unshare(flags) == 0
    except (OSError, AttributeError):
        return False


class _ReadOnlyStore:
    """The store build as `adhoc.run_guarded` needs it: `.query(text)` -> an rdflib Result.

    pyoxigraph is called directly rather than through oxrdflib because its union-default-graph flag
    overrides FROM: with oxrdflib, `SELECT ... FROM <g>` silently read every graph. Here the default graph is
    the union of all graphs (our convention) unless the query names its dataset with FROM / FROM NAMED, in
    which case SPARQL's dataset rules apply. CONSTRUCT results stop after `max_triples` triples.
    """

    def __init__(self, build: Path, *, union: bool, max_triples: int) -> None:
        import pyoxigraph as ox

        from .errors import StoreError

        try:
            self.ox = ox.Store.read_only(str(build / "oxigraph"))
        except OSError as exc:
            raise StoreError(f"cannot open the store build {build.name}: {exc.strerror or exc}") from None
        self.union = union
        self.max_triples = max_triples

    def query(self, text: str) -> Any:
        import itertools

        import pyoxigraph as ox
        from rdflib import Graph, Variable
        from rdflib.query import Result

        from .namespaces import PREFIXES

        answer = self.ox.query(text, use_default_graph_as_union=self.union,
                               prefixes={k: str(v) for k, v in PREFIXES.items()})
        if isinstance(answer, ox.QueryBoolean):
            out = Result("ASK")
            out.askAnswer = bool(answer)
        elif isinstance(answer, ox.QuerySolutions):
            out = Result("SELECT")
            out.vars = [Variable(v.value) for v in answer.variables]
            out.bindings = ({v: _term(value) for v, value in zip(out.vars, solution, strict=True)}
                            for solution in answer)
        else:
            out = Result("CONSTRUCT")
            out.graph = Graph()
            for t in itertools.islice(answer, self.max_triples):
                out.graph.add((_term(t.subject), _term(t.predicate), _term(t.object)))
        return out


def _term(term: Any) -> Any:
    """A pyoxigraph term as the rdflib term oxrdflib would make (so renderings match the in-process path)."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    return Literal(str(term))  # RDF 1.2 triple terms: shown as their N-Triples text


def _answer(request: dict[str, Any]) -> str:
    from .adhoc import run_guarded
    from .query_guard import GuardedQuery

    limits = Limits(**request["limits"])
    from_graphs = tuple(request.get("from_graphs") or ())
    store = _ReadOnlyStore(Path(request["build"]), union=not from_graphs, max_triples=limits.max_rows + 1)
    guarded = GuardedQuery(request["text"], request["form"], from_graphs)
    return run_guarded(store, guarded, request["fmt"], max_rows=limits.max_rows)


def main() -> int:
    """Child entry point: limits first, then the network, then imports, the store and the query."""
    raw = sys.stdin.buffer.read()
    reply_to = sys.stdout
    sys.stdout = sys.stderr  # only the reply goes to the real stdout
    try:
        request = json.loads(raw)
        limits = Limits(**request["limits"])
    except (ValueError, TypeError, KeyError, PolicyKGError):
        reply_to.write(json.dumps({"ok": False, "status": 3, "message": "malformed worker request"}))
        return 0
    _limit_resources(limits)
    isolated = isolate_network()
    try:
        reply: dict[str, Any] = {"ok": True, "output": _answer(request), "isolated": isolated}
    except PolicyKGError as exc:
        reply = {"ok": False, "status": exc.exit_code, "message": exc.message, "isolated": isolated}
    except MemoryError:
        reply = {"ok": False, "status": 5, "isolated": isolated,
                 "message": f"query stopped: it hit the memory limit ({limits.memory_mb} MiB)"}
    reply_to.write(json.dumps(reply))
    reply_to.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
