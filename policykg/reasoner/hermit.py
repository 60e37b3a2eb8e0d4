"""Run HermiT on an owlready2 world the way owlready2 does, but with a time limit and nothing left behind.

owlready2's sync_reasoner_hermit saves the world as N-Triples to a temporary file and runs HermiT's command
line with subprocess.check_output, which has no time limit: a hard ontology would hang the caller, and a
killed caller leaves the JVM and the file behind. Here the same command (owlready2's JAVA_EXE, JAVA_MEMORY
and HermiT class path) runs in its own process group in a private temporary directory; on time-out or any
interruption the whole group is killed and the directory removed. HermiT's answer is parsed, not applied
back to the world: callers want the inferred types, not a mutated world.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, PolicyKGError, QueryTimeout
from .java import configure_owlready2

_LINE = re.compile(r"^(SubClassOf|Type|EquivalentClasses)\( ((?:<[^>]+>\s*)+)\)$", re.MULTILINE)
OWL_THING = "http://www.w3.org/2002/07/owl#Thing"
# A HermiT run lasts seconds: the C2 JIT compiler costs more CPU than it saves (measured here: 5.0 s -> 2.5 s
# of CPU for 200 requests). Both flags exist in Java 17 and 25.
JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
OWL_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"


class ReasonerFailed(PolicyKGError):
    """HermiT (or Java) stopped with an error other than a time-out or an inconsistency."""


class InconsistentOntology(DataError):
    """The ontology handed to the reasoner has no model."""


@dataclass
class Taxonomy:
    """HermiT's classification: direct superclasses, equivalences and direct types, as IRIs."""

    supers: dict[str, set[str]] = field(default_factory=dict)
    types: dict[str, set[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def ancestors(self, cls: str) -> set[str]:
        """Every superclass of a class, itself included (HermiT reports direct ones only)."""
        seen = {cls}
        todo = [cls]
        while todo:
            for parent in self.supers.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def all_types(self, individual: str) -> set[str]:
        out: set[str] = set()
        for cls in self.types.get(individual, ()):
            out |= self.ancestors(cls)
        return out


def parse_output(text: str) -> Taxonomy:
    """HermiT's `-c -I` output: SubClassOf / EquivalentClasses / Type lines of full IRIs."""
    tax = Taxonomy()
    for kind, iris in _LINE.findall(text):
        names = iris.strip()[1:-1].split("> <")
        if kind == "SubClassOf":
            tax.supers.setdefault(names[0], set()).add(names[1])
        elif kind == "Type":
            tax.types.setdefault(names[0], set()).add(names[1])
        else:  # equivalent classes: each is a superclass of the others
            for a in names:
                tax.supers.setdefault(a, set()).update(b for b in names if b != a)
    return tax


def hermit_command(ontology_file: Path, actions: Iterable[str]) -> list[str]:
    """The command owlready2 runs (JAVA_EXE, -Xmx JAVA_MEMORY, its HermiT class path), with our actions."""
    import owlready2
    import owlready2.reasoning as reasoning

    configure_owlready2()
    return [owlready2.JAVA_EXE, f"-Xmx{reasoning.JAVA_MEMORY}M", *JVM_FLAGS, "-cp", reasoning._HERMIT_CLASSPATH,
            "org.semanticweb.HermiT.cli.CommandLine", *actions, ontology_file.resolve().as_uri()]


def _signal_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the group and reap the process (only from the thread that owns `proc`)."""
    _signal_group(proc)
    proc.communicate()


class _Runs:
    """The HermiT processes of one call: started under a lock, so that `stop` leaves none running."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.live: set[subprocess.Popen[bytes]] = set()
        self.stopped = False

    def start(self, command: list[str]) -> subprocess.Popen[bytes]:
        with self.lock:
            if self.stopped:
                raise QueryTimeout("the HermiT run was stopped")
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
            self.live.add(proc)
            return proc

    def done(self, proc: subprocess.Popen[bytes]) -> None:
        with self.lock:
            self.live.discard(proc)

    def stop(self) -> None:
        """Kill every running group; each owning thread's communicate() then returns and reaps it."""
        with self.lock:
            self.stopped = True
            procs = list(self.live)
        for proc in procs:
            _signal_group(proc)


def run_command(command: list[str], timeout: float, runs: _Runs | None = None) -> str:
    """Run HermiT in its own process group; kill the group on time-out or interruption."""
    if timeout <= 0:
        raise QueryTimeout("the HermiT reasoner ran out of its time limit")
    runs = runs or _Runs()
    proc = runs.start(command)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise QueryTimeout("the HermiT reasoner did not finish within its time limit (stopped)") from None
    except BaseException:
        _kill_group(proc)
        raise
    finally:
        runs.done(proc)
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0:
        message = (err or out).decode("utf-8", "replace")
        if "InconsistentOntologyException" in message or "Inconsistent ontology" in message:
            raise InconsistentOntology("the ontology is inconsistent under HermiT (no model satisfies it)")
        if "OutOfMemoryError" in message:
            raise ReasonerFailed("HermiT ran out of memory: raise POLICYKG_JAVA_MEMORY_MB")
        if proc.returncode < 0:
            raise QueryTimeout("the HermiT reasoner was stopped")
        last = next((ln for ln in reversed(message.strip().splitlines()) if ln.strip()), "no message")
        raise ReasonerFailed(f"HermiT failed (exit {proc.returncode}): {last.strip()[:300]}")
    return text


def run_many(commands: list[list[str]], timeout: float, workers: int) -> list[str]:
    """Run several HermiT commands, `workers` at a time, all within one time limit.

    On a time-out, a failure or an interruption, every HermiT still running is killed with its process
    group before the error propagates.
    """
    deadline = time.monotonic() + timeout
    runs = _Runs()

    def one(command: list[str]) -> str:
        return run_command(command, deadline - time.monotonic(), runs)

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="hermit")
    try:
        futures = [pool.submit(one, c) for c in commands]
        return [f.result() for f in futures]
    except BaseException:
        runs.stop()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def save_world(world: Any, path: Path) -> None:
    """The world as N-Triples, without owl:imports (as owlready2 does before running HermiT)."""
    import owlready2

    def keep(graph: Any, s: int, p: int, o: Any, d: Any) -> bool:
        return bool(p != owlready2.owl_imports)

    world.save(str(path), format="ntriples", filter=keep)


def classify_parts(world: Any, parts: list[bytes], timeout: float, workers: int = 2) -> list[Taxonomy]:
    """Classify the world plus each part (N-Triples without blank nodes) in its own HermiT run (`-c -I`).

    HermiT's realisation grows faster than linearly with the number of individuals (every candidate type
    of every individual may need a test over the whole ABox), so independent requests are classified in
    parts of a hundred or so, two JVMs at a time, rather than all at once. The world is saved once; each
    part's file is that text followed by the part's triples.
    """
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="policykg-hermit-") as tmp:
        base = Path(tmp) / "base.nt"
        save_world(world, base)
        head = base.read_bytes()
        commands = []
        for i, part in enumerate(parts):
            path = Path(tmp) / f"part-{i}.nt"
            path.write_bytes(head + b"\n" + part)
            commands.append(hermit_command(path, ["-c", "-I"]))
        texts = run_many(commands, timeout, workers)
    out = [parse_output(t) for t in texts]
    for tax in out:
        tax.seconds = time.perf_counter() - t0
    return out


def check_world_consistency(world: Any, timeout: float) -> float:
    """Raise InconsistentOntology unless the world has a model; returns the seconds HermiT took."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="policykg-hermit-") as tmp:
        path = Path(tmp) / "ontology.nt"
        save_world(world, path)
        text = run_command(hermit_command(path, ["-k"]), timeout)
    if f"{OWL_THING} is satisfiable." not in text:
        raise InconsistentOntology("the ontology is inconsistent under HermiT (owl:Thing is not satisfiable)")
    return time.perf_counter() - t0
