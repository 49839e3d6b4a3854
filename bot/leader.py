"""Jobs that must run in one process at a time across servers: the Telegram long-poller, the
notifier, the report outbox drain, the forget-me sweep.

The embedded default runs one process of each kind, so with no Redis a job simply runs. With
several servers (``CITYBOT_REDIS_URL``), every candidate asks for a named Redis lock (redis-py's
``Lock``: ``SET NX PX``, extended by its owner while it works) and runs the job only while it holds
it. The holder extends the lock every third of its lifetime; if it cannot (Redis unreachable, or
its lease ran out), it cancels the job at once, before another can have taken over. A process that
dies stops extending: its lease ends within ``ttl`` seconds and a waiting candidate, which asks
again every third of it, takes over (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

# Seconds a leader's lease lasts without being extended: how long a dead leader's jobs stand
# still before another process takes them over.
TTL = 6.0
KEY_PREFIX = "citybot:leader:"
# After a job fails, the lead is given up and asked for again this much later.
FAILED_JOB_PAUSE = 2.0

Job = Callable[[], Awaitable[None]]
T = TypeVar("T")


def candidate_name() -> str:
    """Who is asking (host and pid): written into the lock, for whoever looks at Redis."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    """Runs a job while this process holds the named lead (always, without Redis)."""

    def __init__(
        self,
        redis_url: str,
        name: str,
        *,
        ttl: float = TTL,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.redis_url = redis_url
        self.name = name
        self.ttl = ttl
        self.sleep = sleep
        self.leading = False
        self.me = candidate_name()

    async def run(self, job: Job) -> None:
        """Run ``job`` whenever this process leads, until cancelled."""
        if not self.redis_url:
            self.leading = True
            try:
                await job()
            finally:
                self.leading = False
            return
        client = Redis.from_url(self.redis_url, socket_timeout=self.ttl / 3,
                                socket_connect_timeout=self.ttl / 3)
        lock = client.lock(KEY_PREFIX + self.name, timeout=self.ttl, blocking=False,
                           thread_local=False)
        try:
            while True:
                if await self._acquire(lock):
                    await self._lead(lock, job)
                else:
                    await self.sleep(self.ttl / 3)
        finally:
            await client.close(close_connection_pool=True)

    async def _acquire(self, lock: Lock) -> bool:
        try:
            return bool(await _shielded(lock.acquire(token=f"{self.me}:{os.urandom(6).hex()}")))
        except RedisError as exc:
            log.warning("%s: Redis is unreachable, not leading: %s", self.name, exc)
            return False

    async def _lead(self, lock: Lock, job: Job) -> None:
        log.info("%s: leading in %s", self.name, self.me)
        self.leading = True
        task = asyncio.create_task(job())
        failed = False
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.ttl / 3)
                if done:
                    failed = task.exception() is not None
                    if failed:
                        log.error("%s: the job failed; leading again later", self.name,
                                  exc_info=task.exception())
                    return
                try:
                    await _shielded(lock.reacquire())
                except (LockError, RedisError) as exc:
                    log.warning("%s: lost the lead (%s); stopping the job", self.name, exc)
                    return
        finally:
            self.leading = False
            task.cancel()
            # waits for the job without taking its cancellation (or error) for ours: if this
            # task is being cancelled, that goes on up
            await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # seen (logged above when it failed)
            with contextlib.suppress(LockError, RedisError):
                await _shielded(lock.release())
            if failed:
                await self.sleep(FAILED_JOB_PAUSE)


async def _shielded(call: Awaitable[T]) -> T:
    """A Redis call that a cancellation of this task does not reach: redis-py can take a
    cancellation that arrives in the middle of a call for a failed connection (seen: a
    leadership cancelled while giving its lease back went on looping). The call finishes on its
    own; the cancellation is raised here."""
    return await asyncio.shield(call)
