"""A pool of query worker processes that can be killed one by one.

Why not concurrent.futures.ProcessPoolExecutor: it cannot stop one task, and killing one of its processes
breaks the whole pool. Why not a thread with a timeout: the abandoned query keeps its CPU until it ends.
Here each worker is a process with a socket; a query that outlives the time limit gets its process killed
(SIGKILL, then reaped) and a fresh worker started in its place, so the CPU is free again at once and the
other workers, the event loop and the health check never wait for it.

Workers are started as `python -m policykg.server.worker`, not with multiprocessing's spawn: spawn re-runs
the parent's __main__ in every child (the CLI with all its commands, a notebook, an app server), which is
slow at best and fails when __main__ is not a file. A fresh interpreter imports pyoxigraph and one module.

The event loop never blocks: the send/poll/receive of a job runs in a small thread pool, and the worker is
returned to the idle queue by a callback of that thread's future, so a request cancelled by its client
cannot leak a worker.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import StoreError
from .worker import Job, Outcome

log = logging.getLogger("policykg.server")
START_TIMEOUT = 60.0


class Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, db_path: Path, prefixes: dict[str, str]) -> None:
        self.db_path = db_path
        self.prefixes = prefixes
        self.process: Any = None
        self.conn: Any = None
        self.busy = False

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the process and wait (bounded) until it has opened the store."""
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "policykg.server.worker", str(theirs.fileno()), str(self.db_path)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        try:
            self.conn.send(self.prefixes)
            if not self.conn.poll(START_TIMEOUT):
                raise StoreError(f"a query worker did not start within {START_TIMEOUT:.0f} s")
            kind, detail = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise StoreError("a query worker exited while starting") from None
        except StoreError:
            self.kill()
            raise
        if kind != "ready":
            self.kill()
            raise StoreError(str(detail))

    def kill(self) -> None:
        """SIGKILL and reap: the CPU and memory of a runaway query are freed here, not whenever it ends."""
        if self.process is not None:
            self.process.kill()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                log.error("query worker %s did not exit after SIGKILL", self.process.pid)
        if self.conn is not None:
            self.conn.close()
        self.process = self.conn = None

    def call(self, job: Job, timeout: float) -> Outcome | None:
        """Send one job and wait for its outcome; None when the time limit passed first."""
        self.conn.send(job)
        if not self.conn.poll(timeout):
            return None
        return self.conn.recv()


class QueryPool:
    """N workers behind an asyncio queue; `run` gives every query a time limit that is really enforced."""

    def __init__(self, db_path: Path, size: int, timeout: float, queue_wait: float,
                 prefixes: dict[str, str]) -> None:
        self.db_path = db_path
        self.size = size
        self.timeout = timeout
        self.queue_wait = queue_wait
        self.prefixes = prefixes
        self.restarts = 0
        self._workers = [Worker(db_path, prefixes) for _ in range(size)]
        self._idle: asyncio.Queue[Worker] | None = None
        self._threads = ThreadPoolExecutor(max_workers=size + 1, thread_name_prefix="policykg-query")
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start every worker (in parallel) and fill the idle queue; call from the event loop's thread."""
        list(self._threads.map(lambda w: w.start(), self._workers))
        self._idle = asyncio.Queue()
        for w in self._workers:
            self._idle.put_nowait(w)

    def close(self) -> None:
        for w in self._workers:
            w.kill()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def status(self) -> dict[str, Any]:
        return {"size": self.size, "busy": sum(w.busy for w in self._workers), "restarts": self.restarts,
                "pids": [w.pid for w in self._workers], "timeout_s": self.timeout}

    def _run_sync(self, worker: Worker, job: Job) -> tuple[Worker, Outcome]:
        """In a pool thread: run the job; on timeout or a dead worker, kill it and start a replacement."""
        try:
            if not worker.alive():
                worker.start()
        except StoreError as exc:
            return worker, Outcome(503, message=str(exc))
        broken = False
        try:
            outcome = worker.call(job, self.timeout)
            if outcome is None:
                broken = True
                outcome = Outcome(503, message=f"the query exceeded the time limit of {self.timeout:g} s "
                                               "and was stopped")
        except (EOFError, OSError) as exc:
            broken = True
            outcome = Outcome(500, message=f"the query worker died while running the query ({type(exc).__name__})")
        if broken:
            self._replace(worker, outcome.message)
        return worker, outcome

    def _replace(self, worker: Worker, reason: str) -> None:
        with self._lock:
            self.restarts += 1
        log.warning("killing query worker %s: %s", worker.pid, reason)
        worker.kill()
        try:
            worker.start()
        except StoreError as exc:  # the next query on this worker tries again
            log.error("could not restart a query worker: %s", exc)

    async def run(self, job: Job) -> Outcome:
        """Run one job on an idle worker: 503 when none is free within queue_wait, or past the time limit."""
        assert self._idle is not None, "QueryPool.start() was not called"
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.queue_wait)
        except TimeoutError:
            return Outcome(503, message=f"all {self.size} query workers are busy; try again later")
        worker.busy = True
        loop = asyncio.get_running_loop()
        idle = self._idle
        future: Future[tuple[Worker, Outcome]] = self._threads.submit(self._run_sync, worker, job)

        def give_back(done: Future[tuple[Worker, Outcome]]) -> None:
            worker.busy = False
            loop.call_soon_threadsafe(idle.put_nowait, worker)

        future.add_done_callback(give_back)
        _, outcome = await asyncio.wrap_future(future)
        return outcome
