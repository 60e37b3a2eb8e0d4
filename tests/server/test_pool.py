"""The query worker pool on its own: answers reach their own requests, limits kill and reap, nothing leaks.

Run on both event loops the server may get (uvicorn picks uvloop when it is installed, asyncio otherwise).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import pickle
import shutil
import signal
import struct
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import uvloop

from policykg.server.pool import Channel, QueryPool, frame
from policykg.server.worker import Job, Outcome, run_job

EX = "http://example.org/"
QUICK = 'SELECT ?s WHERE { ?s ?p "3" }'
# ten triples to the power of six: a COUNT that takes ~0.2 s; to the ninth: minutes, uninterruptible
MEDIUM = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(6)) + " }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(9)) + " }"
LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pool") / "db"
    store = ox.Store(str(path))
    for i in range(10):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)),
                          ox.NamedNode(f"{EX}g{i % 2}")))
    store.flush()
    del store
    return path


def job(query: str, fmt: str = "json") -> Job:
    return Job(query=query, form="SELECT", fmt=fmt, max_rows=1000)


def with_pool(loop: str, db: Path, fn: Callable[[QueryPool], Coroutine[Any, Any, None]], *, size: int = 2,
              timeout: float = 10.0, queue_wait: float = 10.0) -> None:
    async def main() -> None:
        pool = QueryPool(db, size, timeout, queue_wait, {})
        await pool.start()
        try:
            await fn(pool)
        finally:
            pool.close()

    def in_thread() -> None:
        with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
            runner.run(main())

    # a thread of its own: an event loop left running in the main thread by an earlier test (Playwright's sync
    # API keeps one) would refuse to nest
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(in_thread).result()


def gone(pid: int) -> bool:
    """Not running any more and reaped (a zombie still has its /proc entry)."""
    return not Path(f"/proc/{pid}").exists()


@pytest.fixture(params=sorted(LOOPS))
def loop(request: pytest.FixtureRequest) -> str:
    return request.param


def test_each_request_gets_its_own_answer(loop: str, tiny_db: Path) -> None:
    """More jobs than workers, all at once: every answer is the in-process answer to its own query."""
    queries = [f'SELECT ?s WHERE {{ ?s ?p "{i}" }}' for i in range(10)] * 3
    store = ox.Store.read_only(str(tiny_db))
    expected = [run_job(store, job(q, fmt), {}) for q, fmt in zip(queries, ["json", "xml", "csv"] * 10, strict=True)]
    assert len({e.body for e in expected}) == 30  # distinct answers: a mix-up could not go unnoticed

    async def check(pool: QueryPool) -> None:
        got = await asyncio.gather(*(pool.run(job(q, fmt))
                                     for q, fmt in zip(queries, ["json", "xml", "csv"] * 10, strict=True)))
        assert got == expected
        status = pool.status()
        assert status["busy"] == 0 and status["waiting"] == 0 and status["restarts"] == 0

    with_pool(loop, tiny_db, check, size=2)


def test_time_limit_kills_and_reaps_and_queue_wait_answers_503(loop: str, tiny_db: Path) -> None:
    async def check(pool: QueryPool) -> None:
        (pid,) = pool.status()["pids"]
        t0 = time.monotonic()
        slow = asyncio.ensure_future(pool.run(job(SLOW)))
        await asyncio.sleep(0.05)
        queued = await pool.run(job(QUICK))  # the only worker is busy: waits queue_wait, then 503
        assert queued.status == 503 and "busy" in queued.message
        assert 0.25 <= time.monotonic() - t0 < 1.0
        killed = await slow
        assert killed.status == 503 and "time limit of 1.5 s" in killed.message
        assert 1.5 <= time.monotonic() - t0 < 6
        assert gone(pid)  # killed and reaped before the answer: its CPU is free
        assert pool.status()["restarts"] == 1
        again = await pool.run(job(QUICK))  # a replacement worker answers
        assert again.status == 200 and b"s3" in again.body
        assert pool.status()["pids"][0] not in (None, pid)

    with_pool(loop, tiny_db, check, size=1, timeout=1.5, queue_wait=0.3)


def test_a_worker_that_dies_mid_query_is_a_500_and_is_replaced(loop: str, tiny_db: Path) -> None:
    async def check(pool: QueryPool) -> None:
        (pid,) = pool.status()["pids"]
        running = asyncio.ensure_future(pool.run(job(SLOW)))
        await asyncio.sleep(0.3)
        os.kill(pid, signal.SIGKILL)  # a segfault, or the OOM killer
        died = await asyncio.wait_for(running, 10)
        assert died.status == 500 and "died" in died.message
        assert gone(pid) and pool.status()["restarts"] == 1
        assert (await pool.run(job(QUICK))).status == 200

    with_pool(loop, tiny_db, check, size=1)


def test_a_worker_that_died_idle_is_started_for_the_next_job(loop: str, tiny_db: Path) -> None:
    async def check(pool: QueryPool) -> None:
        (pid,) = pool.status()["pids"]
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.3)  # the loop sees the socket close
        answer = await asyncio.wait_for(pool.run(job(QUICK)), 30)
        assert answer.status == 200 and b"s3" in answer.body
        assert gone(pid) and pool.status()["pids"][0] not in (None, pid)

    with_pool(loop, tiny_db, check, size=1)


def test_a_worker_that_cannot_start_is_a_503_and_keeps_its_slot(loop: str, tiny_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "db"
    shutil.copytree(tiny_db, db)

    async def check(pool: QueryPool) -> None:
        (pid,) = pool.status()["pids"]
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.3)
        db.rename(tmp_path / "moved")  # the store is gone when the worker is started again
        refused = await asyncio.wait_for(pool.run(job(QUICK)), 30)
        assert refused.status == 503 and "cannot open the store" in refused.message
        assert pool.status()["busy"] == 0
        (tmp_path / "moved").rename(db)
        answer = await asyncio.wait_for(pool.run(job(QUICK)), 30)  # the same slot, started again
        assert answer.status == 200 and b"s3" in answer.body

    with_pool(loop, db, check, size=1)


def test_cancelled_requests_leak_no_worker(loop: str, tiny_db: Path) -> None:
    """A client that goes away, while its job waits or while it runs: the worker comes back, nothing is killed."""
    async def check(pool: QueryPool) -> None:
        running = asyncio.ensure_future(pool.run(job(MEDIUM)))
        waiting = asyncio.ensure_future(pool.run(job(QUICK)))
        await asyncio.sleep(0.05)
        assert pool.status()["waiting"] == 1
        waiting.cancel()
        running.cancel()
        await asyncio.gather(running, waiting, return_exceptions=True)
        answer = await asyncio.wait_for(pool.run(job(QUICK)), 10)  # after the medium query ends
        assert answer.status == 200 and b"s3" in answer.body
        status = pool.status()
        assert status == {**status, "busy": 0, "waiting": 0, "restarts": 0}

    with_pool(loop, tiny_db, check, size=1)


def test_channel_reassembles_messages_however_the_bytes_arrive() -> None:
    got: list[Any] = []
    channel = Channel(got.append, lambda: None)
    big = Outcome(200, body=os.urandom(300_000))
    payload = pickle.dumps(("long", "header"))
    long_form = struct.pack("!i", -1) + struct.pack("!Q", len(payload)) + payload  # what >2 GiB messages use
    stream = frame(Outcome(200, body=b"a")) + frame(big) + long_form + frame(("ready", 7))
    for size in (1, 7, 4096, len(stream)):
        got.clear()
        for i in range(0, len(stream), size):
            channel.data_received(stream[i:i + size])
        assert got == [Outcome(200, body=b"a"), big, ("long", "header"), ("ready", 7)]
        assert not channel.buffer
