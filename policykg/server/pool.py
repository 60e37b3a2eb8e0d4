"""A pool of query worker processes that can be killed one by one.

Why not concurrent.futures.ProcessPoolExecutor: it cannot stop one task, and killing one of its processes
breaks the whole pool. Why not a thread with a timeout: the abandoned query keeps its CPU until it ends.
Here each worker is a process with a socket; a query that outlives the time limit gets its process killed
(SIGKILL, then reaped) and a fresh worker started in its place, so the CPU is free again at once and the
other workers, the event loop and the health check never wait for it.

Workers are started as `python -m policykg.server.worker`, not with multiprocessing's spawn: spawn re-runs
the parent's __main__ in every child (the CLI with all its commands, a notebook, an app server), which is
slow at best and fails when __main__ is not a file. A fresh interpreter imports pyoxigraph and one module.

The event loop talks to the workers itself (no thread in between): a job is written to the worker's socket
as soon as a worker is free, its answer is read by an asyncio protocol, and the time limit is a timer of the
loop. Jobs wait in one queue; when a worker answers, the next waiting job is written to it in the same
callback, before the answer is handed to its request, so a worker never sits idle while jobs wait (measured:
a thread hop per job and a queue of idle workers kept each worker busy for ~1.7 ms per 0.2 ms query under
load). Blocking work, starting a process and reaping a killed one, runs in a thread. A request cancelled by
its client leaves its job to finish (or to be killed at the time limit) and cannot leak a worker.

The wire format is multiprocessing.connection's (a 4-byte big-endian length, then a pickle), which the worker
reads and writes with a plain Connection.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import pickle
import socket
import struct
import subprocess
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from ..errors import StoreError
from .worker import Job, Outcome

log = logging.getLogger("policykg.server")
START_TIMEOUT = 60.0
_LONG = 0x7FFFFFFF


def frame(obj: Any) -> bytes:
    """One message as multiprocessing.connection.Connection writes it."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) > _LONG:
        return struct.pack("!i", -1) + struct.pack("!Q", len(data)) + data
    return struct.pack("!i", len(data)) + data


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    parts, size = [], 0
    while size < n:
        chunk = sock.recv(n - size)
        if not chunk:
            raise EOFError
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def recv_blocking(sock: socket.socket) -> Any:
    """One message from a blocking socket (the start-up handshake)."""
    (size,) = struct.unpack("!i", _recv_exactly(sock, 4))
    if size == -1:
        (size,) = struct.unpack("!Q", _recv_exactly(sock, 8))
    return pickle.loads(_recv_exactly(sock, size))


class Channel(asyncio.Protocol):
    """The parent's end of a worker's socket on the event loop: splits the byte stream into messages."""

    def __init__(self, on_message: Callable[[Any], None], on_lost: Callable[[], None]) -> None:
        self.on_message = on_message
        self.on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.need = 0  # bytes of the message being received (0: waiting for a header)
        self.start = 0  # where its payload starts in the buffer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        while True:
            if not self.need:
                if len(buf) < 4:
                    return
                (size,) = struct.unpack_from("!i", buf)
                if size == -1:
                    if len(buf) < 12:
                        return
                    (size,) = struct.unpack_from("!Q", buf, 4)
                    self.start = 12
                else:
                    self.start = 4
                self.need = size
            end = self.start + self.need
            if len(buf) < end:
                return
            message = pickle.loads(memoryview(buf)[self.start:end])
            del buf[:end]
            self.need = 0
            self.on_message(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.on_lost()

    def send(self, obj: Any) -> None:
        assert self.transport is not None
        self.transport.write(frame(obj))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class Pending:
    """A job and the future its request awaits; `timer` is its queue-wait timer while it waits."""

    __slots__ = ("future", "job", "timer")

    def __init__(self, job: Job, future: asyncio.Future[Outcome]) -> None:
        self.job = job
        self.future = future
        self.timer: asyncio.TimerHandle | None = None

    def answer(self, outcome: Outcome) -> None:
        if not self.future.done():  # a cancelled request's answer is dropped
            self.future.set_result(outcome)


class Worker:
    """One worker process and the parent's end of its socket."""

    def __init__(self, db_path: Path, prefixes: dict[str, str]) -> None:
        self.db_path = db_path
        self.prefixes = prefixes
        self.process: Any = None
        self.sock: socket.socket | None = None  # after start(), until the channel takes it over
        self.channel: Channel | None = None
        self.current: Pending | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.busy = False  # running a job, or being (re)started for one

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the process and wait (bounded) until it has opened the store. Blocking: call in a thread."""
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "policykg.server.worker", str(theirs.fileno()), str(self.db_path)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self.sock = ours
        try:
            ours.sendall(frame(self.prefixes))
            ours.settimeout(START_TIMEOUT)
            kind, detail = recv_blocking(ours)
        except TimeoutError:
            self.kill()
            raise StoreError(f"a query worker did not start within {START_TIMEOUT:.0f} s") from None
        except (EOFError, OSError):
            self.kill()
            raise StoreError("a query worker exited while starting") from None
        if kind != "ready":
            self.kill()
            raise StoreError(str(detail))
        ours.setblocking(False)

    def kill(self) -> None:
        """SIGKILL and reap: the CPU and memory of a runaway query are freed here, not whenever it ends.
        Blocking (the reap): call in a thread, or where a short wait is acceptable (shutdown)."""
        if self.process is not None:
            self.process.kill()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                log.error("query worker %s did not exit after SIGKILL", self.process.pid)
        if self.sock is not None:
            self.sock.close()
        self.process = self.sock = None


class QueryPool:
    """N workers and one queue of jobs; `run` gives every query a time limit that is really enforced."""

    def __init__(self, db_path: Path, size: int, timeout: float, queue_wait: float,
                 prefixes: dict[str, str]) -> None:
        self.db_path = db_path
        self.size = size
        self.timeout = timeout
        self.queue_wait = queue_wait
        self.prefixes = prefixes
        self.restarts = 0
        self._workers = [Worker(db_path, prefixes) for _ in range(size)]
        self._idle: list[Worker] = []
        self._waiting: collections.deque[Pending] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()  # restarts under way (the loop keeps only weak references)

    async def start(self) -> None:
        """Start every worker (in parallel, in threads) and attach them to the running loop."""
        self._loop = asyncio.get_running_loop()
        await asyncio.gather(*(self._loop.run_in_executor(None, w.start) for w in self._workers))
        for w in self._workers:
            await self._attach(w)
            self._idle.append(w)

    def close(self) -> None:
        self._closed = True
        for w in self._workers:
            if w.channel is not None:
                w.channel.close()
                w.channel = None
            w.kill()
        while self._waiting:
            self._waiting.popleft().answer(Outcome(503, message="the server is shutting down"))

    def status(self) -> dict[str, Any]:
        return {"size": self.size, "busy": sum(w.busy for w in self._workers), "restarts": self.restarts,
                "pids": [w.pid for w in self._workers], "timeout_s": self.timeout, "waiting": len(self._waiting)}

    async def run(self, job: Job) -> Outcome:
        """Run one job on a free worker: 503 when none is free within queue_wait, or past the time limit."""
        loop = self._loop
        assert loop is not None, "QueryPool.start() was not called"
        pending = Pending(job, loop.create_future())
        if self._idle:
            self._dispatch(self._idle.pop(), pending)
        else:
            pending.timer = loop.call_later(self.queue_wait, self._expire, pending)
            self._waiting.append(pending)
        return await pending.future

    # -- on the event loop -------------------------------------------------------------------------------
    async def _attach(self, worker: Worker) -> None:
        """Hand a started worker's socket to the loop."""
        assert self._loop is not None and worker.sock is not None
        sock, worker.sock = worker.sock, None
        channel = Channel(lambda message: self._answered(worker, message), lambda: self._lost(worker, channel))
        transport, _ = await self._loop.connect_accepted_socket(lambda: channel, sock)
        channel.transport = transport  # uvloop may call connection_made only later
        worker.channel = channel

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _dispatch(self, worker: Worker, pending: Pending) -> None:
        worker.busy = True
        if worker.channel is None:  # died while idle, or a restart failed: start it for this job
            self._background(self._revive(worker, pending))
            return
        assert self._loop is not None
        worker.current = pending
        worker.channel.send(pending.job)
        worker.timer = self._loop.call_later(self.timeout, self._timed_out, worker)

    def _next(self, worker: Worker) -> None:
        """Give a free worker the oldest job still waiting, or put it back among the idle ones."""
        while self._waiting:
            pending = self._waiting.popleft()
            if pending.timer is not None:
                pending.timer.cancel()
            if not pending.future.done():  # skip requests cancelled while waiting
                self._dispatch(worker, pending)
                return
        worker.busy = False
        self._idle.append(worker)

    def _answered(self, worker: Worker, outcome: Outcome) -> None:
        pending, worker.current = worker.current, None
        if pending is None:  # nothing was asked (cannot happen with our worker): not a reason to reuse it twice
            log.error("query worker %s answered without a job", worker.pid)
            return
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None
        self._next(worker)  # the worker starts on the next job before this answer is sent
        pending.answer(outcome)

    def _expire(self, pending: Pending) -> None:
        try:
            self._waiting.remove(pending)
        except ValueError:
            return
        pending.answer(Outcome(503, message=f"all {self.size} query workers are busy; try again later"))

    def _timed_out(self, worker: Worker) -> None:
        worker.timer = None
        self._break(worker, Outcome(503, message=f"the query exceeded the time limit of {self.timeout:g} s "
                                                 "and was stopped"))

    def _lost(self, worker: Worker, channel: Channel) -> None:
        """The worker's socket closed: it died (a crash, or killed from outside), or we closed it."""
        if worker.channel is not channel:  # closed by _break or close(), perhaps replaced since
            return
        if worker.current is None:  # died while idle: started again when a job needs it
            worker.channel = None
            return
        self._break(worker, Outcome(500, message="the query worker died while running the query"))

    def _break(self, worker: Worker, outcome: Outcome) -> None:
        """Kill a worker whose job failed, answer that job once it is reaped, and start a replacement."""
        pending, worker.current = worker.current, None
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None
        channel, worker.channel = worker.channel, None
        if channel is not None:
            channel.close()
        self.restarts += 1
        log.warning("killing query worker %s: %s", worker.pid, outcome.message)
        self._background(self._replace(worker, pending, outcome))

    async def _replace(self, worker: Worker, pending: Pending | None, outcome: Outcome) -> None:
        assert self._loop is not None
        await self._loop.run_in_executor(None, worker.kill)
        if pending is not None:
            pending.answer(outcome)
        if self._closed:
            return
        try:
            await self._loop.run_in_executor(None, worker.start)
            await self._attach(worker)
        except Exception as exc:  # whatever it was, the next job on this worker tries again: no slot is lost
            log.error("could not restart a query worker: %s", exc)
            worker.kill()
        if self._closed:
            self.close()
            return
        self._next(worker)

    async def _revive(self, worker: Worker, pending: Pending) -> None:
        """Start a dead worker for a job; a 503 for that job when the store cannot be opened."""
        assert self._loop is not None
        try:
            await self._loop.run_in_executor(None, worker.kill)  # reap whatever is left of it
            await self._loop.run_in_executor(None, worker.start)
            await self._attach(worker)
        except Exception as exc:  # StoreError: the store cannot be opened; anything else must not lose a slot
            worker.kill()
            pending.answer(Outcome(503, message=str(exc) if isinstance(exc, StoreError) else
                                   f"a query worker could not be started ({type(exc).__name__})"))
            self._next(worker)
            return
        if pending.future.done():  # its request was cancelled meanwhile
            self._next(worker)
        else:
            self._dispatch(worker, pending)
