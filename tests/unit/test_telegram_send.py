"""Sending within Telegram's limits: queued, never dropped; 429 waited out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import BadRequest, RetryAfter

from connectors.telegram_send import RateLimiter, Sender


class FakeTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(time: FakeTime, **kwargs: float) -> RateLimiter:
    return RateLimiter(clock=time.clock, sleep=time.sleep, **kwargs)


async def test_one_chat_gets_a_short_burst_then_one_message_a_second():
    time = FakeTime()
    limit = limiter(time, per_chat=1.0, chat_burst=3)
    stamps = []
    for _ in range(6):
        await limit.acquire(42)
        stamps.append(time.now)
    assert stamps[:3] == [0.0, 0.0, 0.0]
    assert stamps[3:] == pytest.approx([1.0, 2.0, 3.0])


async def test_many_chats_together_stay_under_thirty_messages_a_second():
    time = FakeTime()
    limit = limiter(time, per_second=30.0, per_chat=1.0, chat_burst=1)
    for chat in range(90):
        await limit.acquire(chat)
    # 30 at once from the full bucket, then 60 more at 30 a second.
    assert time.now == pytest.approx(2.0, abs=0.05)


async def test_chats_do_not_wait_for_each_other():
    time = FakeTime()
    limit = limiter(time, per_chat=1.0, chat_burst=1)
    await limit.acquire(1)
    await limit.acquire(2)
    assert time.now == 0.0


async def test_a_429_is_waited_out_and_the_message_sent():
    time = FakeTime()
    sender = Sender(limiter(time))
    attempts = []

    async def send() -> str:
        attempts.append(time.now)
        if len(attempts) == 1:
            raise RetryAfter(timedelta(seconds=3))
        return "sent"

    assert await sender.send(42, send) == "sent"
    assert len(attempts) == 2 and attempts[1] >= 3.0


async def test_a_bad_request_is_not_retried():
    sender = Sender(limiter(FakeTime()))
    attempts = []

    async def send() -> None:
        attempts.append(1)
        raise BadRequest("Can't parse entities")

    with pytest.raises(BadRequest):
        await sender.send(42, send)
    assert attempts == [1]
