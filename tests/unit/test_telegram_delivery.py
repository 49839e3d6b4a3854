"""Telegram delivery: at least once, each turn answered once, polling that never dies, floods held
back (issue 13). Telegram is stood in for by a scripted Bot (the emulator cannot lock our
database); the ledger is the real one on SQLite, Rasa's agent a recorder."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from sqlalchemy.exc import OperationalError
from telegram import Update

from bot.config import Settings
from bot.store import Store, TelegramClaim
from bot.store.models import utcnow
from connectors.telegram import TelegramInput, message_id
from connectors.telegram_inbound import BURST, ChatLocks, InboundLimit
from connectors.telegram_store import TelegramLedger

RESPONSES = {
    name: [{"text": text}, {"text": f"ru: {text}",
                            "condition": [{"type": "slot", "name": "language", "value": "ru"}]}]
    for name, text in (("utter_telegram_slow_down", "slow down"),
                       ("utter_telegram_failed", "send it again"))
}


def update(update_id: int, chat_id: int = 77, text: str = "hello") -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": text,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": "en"},
    }}


class ScriptedBot:
    """getUpdates from a script; every other call answered with nothing."""

    def __init__(self, updates: list[dict[str, Any]]) -> None:
        self.updates = [Update.de_json(u, None) for u in updates]
        self.offsets: list[int | None] = []
        self.drained = asyncio.Event()

    async def get_updates(self, offset: int | None = None, **_: Any) -> list[Update]:
        self.offsets.append(offset)
        waiting = [u for u in self.updates if offset is None or u.update_id >= offset]
        if not waiting:
            self.drained.set()
            await asyncio.Event().wait()  # a long poll with nothing new
        return waiting

    async def send_chat_action(self, *_: Any, **__: Any) -> None:
        return None


class Said:
    """The output channel: what each chat was told."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.texts.append((recipient_id, message["text"]))


class FlakyLedger(TelegramLedger):
    """The real ledger, whose first ``failures`` writes of an update meet a locked database."""

    def __init__(self, store: Store, failures: int) -> None:
        super().__init__(store, bot_id=1)
        self.failures = failures

    async def claim_update(self, update_id: int, update: dict[str, Any] | None = None) -> bool:
        if self.failures:
            self.failures -= 1
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return await super().claim_update(update_id, update)


class Pauses:
    """The channel's sleep: records how long it was asked to wait, waits for nothing."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0)


def channel(tmp_path: Path, ledger: TelegramLedger, bot: Any = None,
            rasa: Callable[[UserMessage], Awaitable[Any]] | None = None) -> TelegramInput:
    chan = TelegramInput(Settings(var_dir=tmp_path, telegram_token="1:abc"))
    chan.bot = bot or ScriptedBot([])
    chan.ledger = ledger
    chan.output = Said()
    chan._responses = RESPONSES  # noqa: SLF001 - the domain's, as read at start
    chan.sleep = Pauses()
    heard: list[UserMessage] = []

    async def recorder(message: UserMessage) -> None:
        heard.append(message)

    chan._on_new_message = rasa or recorder  # noqa: SLF001 - Rasa's agent
    chan.heard = heard  # type: ignore[attr-defined]
    return chan


async def settled(chan: TelegramInput) -> None:
    """Until every turn the channel started is over."""
    while chan._tasks:  # noqa: SLF001
        await asyncio.gather(*list(chan._tasks))  # noqa: SLF001


async def test_polling_survives_a_locked_database_and_loses_no_update(tmp_path, store):
    bot = ScriptedBot([update(5), update(6)])
    chan = channel(tmp_path, FlakyLedger(store, failures=2), bot)
    poll = asyncio.ensure_future(chan._poll())  # noqa: SLF001
    await asyncio.wait_for(bot.drained.wait(), 10)
    await settled(chan)
    assert not poll.done(), "the polling loop ended"
    poll.cancel()
    # Not confirmed to Telegram (offset) while it could not be kept; then each handled once.
    assert bot.offsets[:3] == [None, None, None] and bot.offsets[-1] == 7
    assert [m.message_id for m in chan.heard] == [message_id(5), message_id(6)]
    assert chan.sleep.asked[:2] == [1.0, 2.0]  # backing off
    assert chan.trouble == ""  # healthy again once it worked


async def test_while_polling_fails_the_health_check_says_so(tmp_path, store):
    bot = ScriptedBot([update(5)])
    chan = channel(tmp_path, FlakyLedger(store, failures=10**6), bot)
    chan.ready.set()
    poll = asyncio.ensure_future(chan._poll())  # noqa: SLF001
    while len(chan.sleep.asked) < 3:
        await asyncio.sleep(0)
    answer = chan._health()  # noqa: SLF001
    poll.cancel()
    assert answer.status == 503 and b"database is locked" in answer.body
    assert chan.heard == []


async def test_the_webhook_refuses_an_update_it_cannot_keep_so_telegram_sends_it_again(
    tmp_path, store
):
    chan = channel(tmp_path, FlakyLedger(store, failures=1))
    chan.ready.set()
    chan._secret = "s"  # noqa: SLF001
    request = SimpleNamespace(headers={"X-Telegram-Bot-Api-Secret-Token": "s"}, json=update(9))
    assert (await chan._webhook(request)).status == 503  # noqa: SLF001
    assert (await chan._webhook(request)).status == 200  # noqa: SLF001
    assert (await chan._webhook(request)).status == 200  # noqa: SLF001 - a re-delivery
    await settled(chan)
    assert [m.message_id for m in chan.heard] == [message_id(9)]


async def test_an_update_kept_but_not_finished_is_handled_at_the_next_start(tmp_path, store):
    ledger = TelegramLedger(store, bot_id=1)
    assert await ledger.claim_update(5, update(5, text="pothole on Arbat 10"))
    assert await ledger.claim_update(6, update(6))
    await ledger.finish(6)  # this one was over before the crash

    chan = channel(tmp_path, TelegramLedger(store, bot_id=1))  # the restarted process
    await chan._resume()  # noqa: SLF001
    await settled(chan)
    assert [(m.text, m.message_id) for m in chan.heard] == [("pothole on Arbat 10", message_id(5))]
    assert await ledger.unfinished() == []
    await chan._resume()  # noqa: SLF001
    await settled(chan)
    assert len(chan.heard) == 1


async def test_a_turn_rasa_took_before_the_crash_is_not_taken_again(tmp_path, store):
    ledger = TelegramLedger(store, bot_id=1)
    await ledger.claim_update(5, update(5))
    await ledger.claim_update(6, update(6))
    chan = channel(tmp_path, ledger)
    taken = SimpleNamespace(events=[SimpleNamespace(message_id=message_id(5))])

    async def retrieve(sender_id: str) -> Any:
        return taken if sender_id == "77" else None

    chan._agent = SimpleNamespace(tracker_store=SimpleNamespace(retrieve=retrieve))  # noqa: SLF001
    await chan._resume()  # noqa: SLF001
    await settled(chan)
    assert [m.message_id for m in chan.heard] == [message_id(6)]
    assert await ledger.unfinished() == []


async def test_a_failing_turn_is_tried_again_then_the_citizen_is_asked_to_resend(tmp_path, store):
    failures = {"left": 1}

    async def rasa(message: UserMessage) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("SELECT", {}, Exception("tracker store unavailable"))

    chan = channel(tmp_path, TelegramLedger(store, bot_id=1), rasa=rasa)
    await chan._accept(Update.de_json(update(5), None))  # noqa: SLF001
    await settled(chan)
    assert chan.output.texts == [] and failures["left"] == 0  # the second try went through

    failures["left"] = 10
    await chan._accept(Update.de_json(update(6), None))  # noqa: SLF001
    await settled(chan)
    assert chan.output.texts == [("77", "send it again")]
    assert chan.sleep.asked == [1.0, 1.0, 4.0, 16.0]
    assert await chan.ledger.unfinished() == []


async def test_a_flood_is_held_back_and_asked_once_to_slow_down(tmp_path, store):
    chan = channel(tmp_path, TelegramLedger(store, bot_id=1))
    for n in range(1, 31):
        await chan._accept(Update.de_json(update(n, chat_id=77, text=f"spam {n}"), None))  # noqa: SLF001
    await chan._accept(Update.de_json(update(100, chat_id=88, text="hello"), None))  # noqa: SLF001
    await settled(chan)
    from_77 = [m.text for m in chan.heard if m.sender_id == "77"]
    assert from_77 == [f"spam {n}" for n in range(1, BURST + 1)]  # the first ones, in order
    assert [m.text for m in chan.heard if m.sender_id == "88"] == ["hello"]
    assert chan.output.texts == [("77", "slow down")]
    assert await chan.ledger.unfinished() == []


def test_the_flood_limit_lets_a_chat_go_on_after_a_pause():
    now = [0.0]
    limit = InboundLimit(burst=2, per_second=0.5, clock=lambda: now[0])
    assert [limit.admit(1) for _ in range(4)] == [
        (True, False), (True, False), (False, True), (False, False)]
    now[0] = 2.0
    assert limit.admit(1) == (True, False)
    assert limit.admit(1) == (False, True)  # a new flood is told again


def test_the_flood_table_forgets_calm_chats():
    """50,000 chats writing once each, 100 a second: the table holds about those of the last
    two seconds (a bucket refills in burst / rate = 2 s), never all of them."""
    now = [0.0]
    limit = InboundLimit(burst=2, per_second=1.0, clock=lambda: now[0])
    largest = 0
    for chat in range(50_000):
        now[0] = chat / 100
        assert limit.admit(chat) == (True, False)
        largest = max(largest, len(limit))
    assert largest <= 2048


async def test_chat_locks_keep_order_and_are_dropped_when_idle():
    locks, order = ChatLocks(), []
    release = asyncio.Event()

    async def turn(chat: int, n: int) -> None:
        async with locks.hold(chat):
            if n == 0:
                await release.wait()
            order.append((chat, n))

    tasks = [asyncio.ensure_future(turn(1, n)) for n in range(3)]
    tasks.append(asyncio.ensure_future(turn(2, 0)))
    while len(locks) < 2:
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert [n for chat, n in order if chat == 1] == [0, 1, 2]
    assert len(locks) == 0


@pytest.mark.parametrize("pressed_twice", [False, True])
async def test_a_button_press_handled_again_after_a_failure_still_counts(store, pressed_twice):
    ledger = TelegramLedger(store, bot_id=1)
    assert await ledger.claim_keyboard(5, 10, update_id=40)
    # The same press again (a retry, a restart): still this press's.
    assert await ledger.claim_keyboard(5, 10, update_id=40)
    if pressed_twice:  # another press on the same question: no
        assert not await ledger.claim_keyboard(5, 10, update_id=41)


async def test_the_ledger_is_pruned_while_the_server_runs(tmp_path, store):
    """Issue 13: claims were pruned only at start, so a long-running server kept them all."""
    ledger = TelegramLedger(store, bot_id=1)
    await ledger.claim_update(5, update(5))
    await ledger.finish(5)
    async with store.session() as session:  # a claim from eight days ago
        await session.execute(TelegramClaim.__table__.update().values(
            created_at=utcnow() - timedelta(days=8)))
        await session.commit()
    chan = channel(tmp_path, ledger)
    hours = []

    async def an_hour(seconds: float) -> None:
        hours.append(seconds)
        if len(hours) == 2:
            raise asyncio.CancelledError

    chan.sleep = an_hour
    with pytest.raises(asyncio.CancelledError):
        await chan._keep_pruned()  # noqa: SLF001
    assert hours == [3600.0, 3600.0]
    assert await ledger.claim_update(5, update(5))  # forgotten: it could be claimed again


def posted(body: Any) -> SimpleNamespace:
    return SimpleNamespace(headers={"X-Telegram-Bot-Api-Secret-Token": "s"}, json=body)


def webhook_channel(tmp_path: Path, store: Store) -> TelegramInput:
    chan = channel(tmp_path, TelegramLedger(store, bot_id=1))
    chan.ready.set()
    chan._secret = "s"  # noqa: SLF001
    return chan


@pytest.mark.parametrize("kind", [
    {},  # a kind of update this version of the library does not know
    {"inline_query": {"id": "q", "query": "", "offset": "",
                      "from": {"id": 5, "is_bot": False, "first_name": "A"}}},
])
async def test_an_update_with_no_chat_is_finished_at_once_not_handed_on_at_every_start(
    tmp_path, store, kind
):
    chan = webhook_channel(tmp_path, store)
    assert (await chan._webhook(posted({"update_id": 4, **kind}))).status == 200  # noqa: SLF001
    await settled(chan)
    assert await chan.ledger.unfinished() == []
    assert chan.heard == []


def _with_chat_id(chat_id: Any) -> dict[str, Any]:
    body = update(9)
    body["message"]["chat"]["id"] = chat_id
    return body


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


NEVER_FROM_TELEGRAM = {
    # Ids are the ledger's key, the chat's lock and flood bucket, Rasa's sender id.
    "a chat id that is a list": _with_chat_id([77]),
    "a chat id that is a string": _with_chat_id("77"),
    "an update id that is a string": {**update(9), "update_id": "9"},
    "an update id that is not finite": {**update(9), "update_id": float("inf")},
    "an update id that is missing": {"update_id": None, "message": update(9)["message"]},
    # What cannot be stored can never be kept: a 503 would have Telegram send it for a day.
    "a lone surrogate": update(9, text="\ud800"),
    "a location that is not a number": {"update_id": 9, "message": {
        **update(9)["message"], "text": None, "location": {"latitude": float("nan"),
                                                           "longitude": 0.0}}},
    "an unknown field nested too deep to store": {**update(9), "x": _nested(1_000)},
}


@pytest.mark.parametrize("body", NEVER_FROM_TELEGRAM.values(), ids=NEVER_FROM_TELEGRAM.keys())
async def test_a_body_telegram_never_sends_is_refused_and_nothing_of_it_kept(
    tmp_path, store, body
):
    chan = webhook_channel(tmp_path, store)
    answer = await chan._webhook(posted(body))  # noqa: SLF001
    await settled(chan)
    assert answer.status == 400
    assert chan.heard == [] and await chan.ledger.unfinished() == []


class RefusesFirst(TelegramLedger):
    """The real ledger, whose first write of one update meets a locked database."""

    def __init__(self, store: Store, update_id: int) -> None:
        super().__init__(store, bot_id=1)
        self.refused = update_id

    async def claim_update(self, update_id: int, update: dict[str, Any] | None = None) -> bool:
        if update_id == self.refused:
            self.refused = 0
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return await super().claim_update(update_id, update)


async def test_polling_never_confirms_past_an_update_it_could_not_keep_in_a_batch_out_of_order(
    tmp_path, store
):
    bot = ScriptedBot([update(9), update(4)])  # a Bot API server that does not sort
    chan = channel(tmp_path, RefusesFirst(store, update_id=4), bot)
    poll = asyncio.ensure_future(chan._poll())  # noqa: SLF001
    await asyncio.wait_for(bot.drained.wait(), 10)
    await settled(chan)
    poll.cancel()
    assert [m.message_id for m in chan.heard] == [message_id(4), message_id(9)]
    assert bot.offsets[-1] == 10


async def test_a_turn_rasa_took_is_not_run_again_when_its_answer_could_not_be_sent(
    tmp_path, store
):
    """A send that fails after Rasa stored the turn (the citizen blocked the bot) must not make
    the channel hand the message to Rasa a second time."""
    taken: list[Any] = []

    async def rasa(message: UserMessage) -> None:
        taken.append(SimpleNamespace(message_id=message.message_id))
        raise OperationalError("send", {}, Exception("Forbidden: bot was blocked by the user"))

    chan = channel(tmp_path, TelegramLedger(store, bot_id=1), rasa=rasa)

    async def retrieve(sender_id: str) -> Any:
        return SimpleNamespace(events=taken)

    chan._agent = SimpleNamespace(tracker_store=SimpleNamespace(retrieve=retrieve))  # noqa: SLF001
    await chan._accept(Update.de_json(update(5), None))  # noqa: SLF001
    await settled(chan)
    assert len(taken) == 1 and chan.sleep.asked == []
