"""Web chat frames between Rasa servers, over Redis pub/sub (the scaled setup).

A citizen's socket is held by one server, and what is said to them may be produced by another:
an operator's reply or a notification goes in through Rasa's HTTP API on whichever server the
balancer picked, and a second tab may sit on a second server. So every frame a server sends to a
conversation's sockets is also published on one Redis channel, and every server sends what the
others published to the sockets it holds. Redis keeps the order of one publisher's messages, so a
conversation's frames from one server arrive in the order they were sent. Without Redis (the
embedded default) there is one server and nothing is relayed.

Pub/sub keeps nothing: a frame for a socket that is reconnecting at that moment is not replayed
by the relay; the widget asks for the history on reconnect, and the history is the tracker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHANNEL = "citybot:webchat"
RETRY_SECONDS = 1.0

Deliver = Callable[[str, dict[str, Any]], Awaitable[int]]


class Relay:
    """Publishes this server's frames; hands the other servers' frames to ``deliver``."""

    def __init__(self, redis_url: str, deliver: Deliver) -> None:
        self.redis_url = redis_url
        self.deliver = deliver
        self.origin = uuid.uuid4().hex
        self._client: Redis | None = None
        self._listening: asyncio.Task | None = None
        self._pending: dict[str, asyncio.Task] = {}  # each conversation's last delivery
        self.subscribed = asyncio.Event()

    async def start(self) -> None:
        self._client = Redis.from_url(self.redis_url)
        self._listening = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        for task in list(self._pending.values()):
            task.cancel()
        if self._client is not None:
            await self._client.close(close_connection_pool=True)

    async def publish(self, sender: str, frame: dict[str, Any]) -> None:
        """Offer a frame to the sockets of ``sender`` on the other servers (never raises: the
        turn goes on, and the citizen's history has the message)."""
        if self._client is None:
            return
        body = json.dumps({"o": self.origin, "s": sender, "f": frame}, ensure_ascii=False)
        try:
            await self._client.publish(CHANNEL, body)
        except RedisError as exc:
            log.warning("web chat relay: could not publish a frame for %s: %s", sender, exc)

    async def _listen(self) -> None:
        assert self._client is not None
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self.subscribed.set()
                async for message in pubsub.listen():
                    await self._received(message.get("data"))
            except RedisError as exc:
                self.subscribed.clear()
                log.warning("web chat relay: Redis unreachable (%s); subscribing again", exc)
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                with contextlib.suppress(RedisError, RuntimeError):
                    await pubsub.close()

    async def _received(self, data: Any) -> None:
        try:
            message = json.loads(data)
            origin, sender, frame = message["o"], message["s"], message["f"]
        except (TypeError, ValueError, KeyError):
            log.warning("web chat relay: a message that is not a relayed frame was ignored")
            return
        if origin != self.origin and isinstance(sender, str) and isinstance(frame, dict):
            self._enqueue(sender, frame)

    def _enqueue(self, sender: str, frame: dict[str, Any]) -> None:
        """Deliver after the conversation's earlier frames, without holding up the others'
        (a stalled tab may take seconds to be closed)."""
        before = self._pending.get(sender)

        async def deliver() -> None:
            if before is not None:
                with contextlib.suppress(Exception):
                    await before
            await self.deliver(sender, frame)

        task = asyncio.create_task(deliver())
        self._pending[sender] = task

        def done(finished: asyncio.Task) -> None:
            if self._pending.get(sender) is finished:
                del self._pending[sender]
            if not finished.cancelled() and finished.exception() is not None:
                log.error("web chat relay: delivery to %s failed", sender,
                          exc_info=finished.exception())

        task.add_done_callback(done)
