"""Sending within Telegram's limits: about 30 messages/s overall and 1/s per chat, queued.

Every outgoing call waits for a token of its chat's bucket and of the overall bucket, so a burst
of notifications is spread out instead of being refused; Telegram's own 429 ``retry_after`` is
waited out and the call repeated. Nothing is dropped unless Telegram keeps refusing.
``patiently`` does the same for the calls at start (getMe, setWebhook, setMyCommands).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from connectors.bucket import Bucket
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

log = logging.getLogger(__name__)
T = TypeVar("T")

OVERALL_PER_SECOND = 30.0
CHAT_PER_SECOND = 1.0
# A reply of two or three messages goes out at once; Telegram tolerates short bursts in a chat.
CHAT_BURST = 3
ATTEMPTS = 5
START_ATTEMPTS = 8


class RateLimiter:
    """Waits until one more message may go to ``chat_id``; first come, first served per chat."""

    def __init__(
        self,
        *,
        per_second: float = OVERALL_PER_SECOND,
        per_chat: float = CHAT_PER_SECOND,
        chat_burst: int = CHAT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_chat = per_chat
        self.chat_burst = chat_burst
        self.clock = clock
        self.sleep = sleep
        self.overall = Bucket(per_second, per_second, per_second, clock())
        self._overall_lock = asyncio.Lock()
        self._chats: dict[int | str, tuple[asyncio.Lock, Bucket]] = {}

    def _chat(self, chat_id: int | str) -> tuple[asyncio.Lock, Bucket]:
        if chat_id not in self._chats:
            if len(self._chats) > 10_000:
                self._forget_idle()
            bucket = Bucket(self.per_chat, self.chat_burst, self.chat_burst, self.clock())
            self._chats[chat_id] = (asyncio.Lock(), bucket)
        return self._chats[chat_id]

    def _forget_idle(self) -> None:
        for chat_id, (lock, _) in list(self._chats.items()):
            if not lock.locked():
                del self._chats[chat_id]

    async def _take(self, bucket: Bucket) -> None:
        while (pause := bucket.wait_for(self.clock())) > 0:
            await self.sleep(pause)

    async def acquire(self, chat_id: int | str) -> None:
        lock, bucket = self._chat(chat_id)
        async with lock:
            await self._take(bucket)
            async with self._overall_lock:
                await self._take(self.overall)


class Sender:
    """Runs Bot API calls for a chat through the limiter, waiting out 429s and network blips."""

    def __init__(self, limiter: RateLimiter | None = None, attempts: int = ATTEMPTS) -> None:
        self.limiter = limiter or RateLimiter()
        self.attempts = attempts

    async def send(self, chat_id: int | str, call: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(1, self.attempts + 1):
            await self.limiter.acquire(chat_id)
            try:
                return await call()
            except RetryAfter as exc:
                pause = seconds(exc.retry_after)
                log.warning("Telegram asks to wait %.0f s (chat %s)", pause, chat_id)
                await self.limiter.sleep(pause)
            except BadRequest:
                raise
            except (TimedOut, NetworkError) as exc:
                if attempt == self.attempts:
                    raise
                log.warning("sending to chat %s failed (%s); trying again", chat_id, exc)
                await self.limiter.sleep(min(2.0**attempt, 30.0))
        raise RuntimeError(f"Telegram kept refusing messages to chat {chat_id}")


def seconds(value: object) -> float:
    if hasattr(value, "total_seconds"):
        return float(value.total_seconds())  # type: ignore[union-attr]
    return float(value)  # type: ignore[arg-type]


async def patiently(what: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """A call at start that Telegram may refuse for a while (429) or that may meet a blip."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return await call()
        except BadRequest:
            raise
        except RetryAfter as exc:
            pause = seconds(exc.retry_after)
            log.warning("Telegram %s: asked to retry after %.0f s", what, pause)
        except NetworkError as exc:
            if attempt == START_ATTEMPTS or "Not Found" in str(exc) or "Unauthorized" in str(exc):
                raise
            pause = min(2.0**attempt, 30.0)
            log.warning("Telegram %s failed (%s); again in %.0f s", what, exc, pause)
        await asyncio.sleep(pause)
    raise TelegramError(f"{what}: Telegram kept refusing")
