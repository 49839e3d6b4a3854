"""bot.leader on the machine's Redis: one process at a time runs a job, a lease its holder
stops extending passes to another within its lifetime, and without Redis the job just runs."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from redis.asyncio import Redis

from bot.leader import KEY_PREFIX, Leadership

REDIS = "redis://127.0.0.1:6379/7"
TTL = 0.6


@pytest.fixture
def name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


class Job:
    """A job that says when it starts and runs until cancelled."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.stopped = asyncio.Event()

    async def __call__(self) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.stopped.set()


@contextlib.asynccontextmanager
async def running(leadership: Leadership, job: Job):
    task = asyncio.create_task(leadership.run(job))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_without_redis_the_job_simply_runs(name) -> None:
    job, leadership = Job(), Leadership("", name)
    async with running(leadership, job):
        await asyncio.wait_for(job.started.wait(), 5)
        assert leadership.leading
    assert job.stopped.is_set() and not leadership.leading


async def test_one_of_two_candidates_leads_and_the_other_takes_over_when_it_stops(name) -> None:
    first, second = Job(), Job()
    a, b = Leadership(REDIS, name, ttl=TTL), Leadership(REDIS, name, ttl=TTL)
    async with running(a, first) as leading:
        await asyncio.wait_for(first.started.wait(), 5)
        async with running(b, second):
            await asyncio.sleep(TTL * 2)  # b asks again every third of the ttl, in vain
            assert not second.started.is_set() and not b.leading
            leading.cancel()  # a stops (and gives the lease back)
            await asyncio.wait_for(second.started.wait(), 5)
            assert b.leading and first.stopped.is_set()


async def test_a_lease_its_holder_stopped_extending_passes_on_within_its_lifetime(name) -> None:
    client = Redis.from_url(REDIS)
    # a holder that died: its lease is there, nobody extends it
    await client.set(KEY_PREFIX + name, "dead-process", px=int(TTL * 1000))
    job, leadership = Job(), Leadership(REDIS, name, ttl=TTL)
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        async with running(leadership, job):
            await asyncio.wait_for(job.started.wait(), 5)
            assert TTL * 0.5 < loop.time() - began < TTL * 3
    finally:
        await client.close()


async def test_a_leader_that_loses_its_lease_stops_its_job(name) -> None:
    client = Redis.from_url(REDIS)
    job, leadership = Job(), Leadership(REDIS, name, ttl=TTL)
    try:
        async with running(leadership, job):
            await asyncio.wait_for(job.started.wait(), 5)
            await client.set(KEY_PREFIX + name, "someone-else", px=10_000)
            await asyncio.wait_for(job.stopped.wait(), 5)
            assert not leadership.leading
    finally:
        await client.delete(KEY_PREFIX + name)
        await client.close()


async def test_a_failed_job_gives_the_lead_back_and_runs_again(name, monkeypatch) -> None:
    runs = []

    async def flaky() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("the city is down")
        await asyncio.Event().wait()

    monkeypatch.setattr("bot.leader.FAILED_JOB_PAUSE", 0.05)
    leadership = Leadership(REDIS, name, ttl=TTL)
    task = asyncio.create_task(leadership.run(flaky))
    try:
        for _ in range(100):
            if len(runs) == 2 and leadership.leading:
                break
            await asyncio.sleep(0.05)
        assert len(runs) == 2 and leadership.leading
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
