"""Incoming Telegram traffic per chat: one turn at a time, and a limit on floods.

Both tables hold only chats that are busy right now (a lock someone holds or waits for, a bucket
that is not full again), so a million chats that wrote once cost nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from connectors.bucket import Bucket

# A citizen writes a few messages in a row, or sends an album of up to 10 photos; a script
# sends hundreds. Above the burst, one message every few seconds still gets through.
BURST = 10
PER_SECOND = 1 / 3


class ChatLocks:
    """One turn at a time per chat, in arrival order; a chat's lock is dropped when no turn
    holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


@dataclass
class _Flood:
    bucket: Bucket
    told: bool = False  # the chat was asked to slow down in this flood


@dataclass
class InboundLimit:
    """A token bucket per chat: ``burst`` messages at once, then ``per_second``."""

    burst: int = BURST
    per_second: float = PER_SECOND
    clock: Callable[[], float] = time.monotonic
    _chats: dict[int, _Flood] = field(default_factory=dict)
    _sweep_at: int = 1024  # the table's size that makes the next sweep worth it

    def admit(self, chat_id: int) -> tuple[bool, bool]:
        """(take the message, tell the chat to slow down): the second is true once a flood."""
        now = self.clock()
        self._forget_calm(now)
        flood = self._chats.get(chat_id)
        if flood is None:
            flood = self._chats[chat_id] = _Flood(
                Bucket(self.per_second, self.burst, self.burst, now)
            )
        if flood.bucket.wait_for(now) == 0:
            flood.told = False
            return True, False
        tell, flood.told = not flood.told, True
        return False, tell

    def _forget_calm(self, now: float) -> None:
        """Drop the buckets that are full again (a new one would be the same); a sweep when
        the table has doubled since the last, so a chat costs O(1) on average."""
        if len(self._chats) < self._sweep_at:
            return
        refill = self.burst / self.per_second
        for chat_id, flood in list(self._chats.items()):
            if now - flood.bucket.stamp >= refill:
                del self._chats[chat_id]
        self._sweep_at = max(1024, 2 * len(self._chats))

    def __len__(self) -> int:
        return len(self._chats)
