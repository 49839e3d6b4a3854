"""Two Rasa servers behind HAProxy on PostgreSQL, Redis and RabbitMQ: what must hold when a
conversation's messages land on different servers, when two arrive at once, when the server
holding a citizen's socket is not the one an operator's reply reaches, and when a server dies."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import requests
import sqlalchemy as sa

from bot.scaleout import Services
from tests.e2e.telegram.conftest import EMULATOR
from tests.integration.test_webchat import run, widget
from tests.scaleout.conftest import TELEGRAM_TOKEN, Scaled, telegram_ready
from tests.stack import buttons, texts, wait_until

TIMEOUT = 60


def say(base: str, token: str, sender: str, text: str, message_id: str | None = None,
        timeout: float = TIMEOUT) -> list[dict]:
    """One REST turn on ``base`` (a server, or the balancer)."""
    body = {"sender": sender, "message": text}
    if message_id:
        body["message_id"] = message_id
    resp = requests.post(f"{base}/webhooks/rest/webhook", json=body, timeout=timeout,
                         headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    return resp.json()


def user_events(scaled: Scaled, sender: str) -> list[dict]:
    tracker = scaled.stack.tracker(sender)
    return [e for e in tracker["events"] if e["event"] == "user"]


def test_a_form_is_filled_across_both_servers(scaled: Scaled, sender: str) -> None:
    one, two = scaled.servers
    token = scaled.stack.token
    text = f"there is a deep pothole outside tverskaya 12 ({sender})"
    asked = say(one, token, sender, text)
    assert "How big is the pothole" in texts(asked)
    confirm = say(two, token, sender, buttons(asked)[2]["payload"])
    assert "Shall I send it" in texts(confirm)
    done = say(one, token, sender, "yes")
    assert "request number" in texts(done)
    number = texts(done).split("request number ")[1].split()[0].strip(".,")
    filed = scaled.stack.open311(f"requests/{number}.json").json()[0]
    assert filed["description"] == text


def test_messages_sent_at_once_to_both_servers_are_handled_one_after_the_other(
    scaled: Scaled, sender: str
) -> None:
    token = scaled.stack.token
    say(scaled.servers[0], token, sender, "hello")
    start = threading.Barrier(2)

    def send(base: str, text: str) -> list[dict]:
        start.wait()
        return say(base, token, sender, text)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(send, scaled.servers, ["what is the weather", "thank you"]))
    assert all(answers)
    events = scaled.stack.tracker(sender)["events"]
    # Each message's turn ran whole before the next began: a user message follows the listen
    # that ended the turn before it, never an action of a turn still running.
    kinds = [(e["event"], e.get("name")) for e in events if e["event"] in ("user", "action")]
    for at, kind in enumerate(kinds):
        if kind[0] == "user":
            assert kinds[at - 1] == ("action", "action_listen"), kinds
    assert [e["text"] for e in user_events(scaled, sender)][-2:] in (
        ["what is the weather", "thank you"], ["thank you", "what is the weather"])


def test_an_operators_reply_reaches_a_socket_held_by_the_other_server(
    scaled: Scaled,
) -> None:
    one, two = scaled.servers
    operator_text = f"Operator Rita here, looking at it now {uuid.uuid4().hex[:6]}"

    async def talk() -> tuple[dict, list[dict]]:
        async with widget(replace(scaled.stack, rasa=one)) as citizen:
            await citizen.say("hello")
            # the operator's reply goes in through Rasa's HTTP API on the other server
            resp = await asyncio.to_thread(
                requests.post,
                f"{two}/conversations/{citizen.session_id}/tracker/events",
                params={"token": scaled.stack.token, "output_channel": "latest",
                        "execute_side_effects": "true"},
                json=[{"event": "bot", "text": operator_text,
                       "metadata": {"operator": "rita"}}],
                timeout=TIMEOUT,
            )
            resp.raise_for_status()
            heard = await citizen.next("bot_uttered")
            session = (citizen.session_id, citizen.token)
        # the citizen comes back through the other server: the history is all there
        async with widget(replace(scaled.stack, rasa=two), *session) as again:
            return heard, again.history

    heard, history = run(talk())
    assert heard["text"] == operator_text
    assert [m.get("text") for m in history if m["from"] == "bot"][-1] == operator_text


def test_a_message_sent_again_with_its_id_is_answered_not_handled_twice(
    scaled: Scaled, sender: str
) -> None:
    one, two = scaled.servers
    token = scaled.stack.token
    first = say(one, token, sender, "how do I pay a parking fine", message_id="m-1")
    again = say(two, token, sender, "how do I pay a parking fine", message_id="m-1")
    assert again == first
    assert [e["message_id"] for e in user_events(scaled, sender)] == ["m-1"]


def test_one_notifier_leads_across_servers(scaled: Scaled) -> None:
    leads = [requests.get(f"{base}/health", timeout=5).json()["leading"]
             for base in scaled.notifiers]
    assert sorted(leads) == [False, True]


def test_the_console_follows_the_event_broker(scaled: Scaled, sender: str) -> None:
    """The console polls the tracker store only once a minute when it follows the broker: a
    conversation shows in its index within seconds only because the broker said so."""
    say(scaled.stack.rasa, scaled.stack.token, sender, "hello")
    engine = sa.create_engine(scaled.services.database_url.replace("+asyncpg", ""))
    try:
        def indexed() -> bool:
            with engine.connect() as conn:
                return bool(conn.execute(sa.text(
                    "SELECT 1 FROM conversation_index WHERE sender_id = :s"), {"s": sender}
                ).first())

        assert wait_until(indexed, timeout=15)
    finally:
        engine.dispose()
    assert wait_until(lambda: run(waiting_in_console_queue(scaled)) == 0, timeout=15)


async def waiting_in_console_queue(scaled: Scaled) -> int:
    """Messages in the console's queue not yet taken (it keeps up: none)."""
    import aio_pika

    from bot.scaleout import CONSOLE_QUEUE

    connection = await aio_pika.connect(scaled.services.rabbitmq_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(CONSOLE_QUEUE, passive=True)
        return queue.declaration_result.message_count


def test_the_app_database_is_at_the_newest_revision(scaled: Scaled) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.store.migrate import head
    from bot.store.models import Base

    engine = sa.create_engine(scaled.services.database_url.replace("+asyncpg", ""))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_name": lambda name, type_, _p: type_ != "table"
                or name in Base.metadata.tables,
                "compare_type": True,
            })
            assert context.get_current_revision() == head()
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_an_update_delivered_to_every_server_at_once_is_kept_once(services: Services) -> None:
    """Telegram's webhook may deliver an update again, to any server: the update ledger in
    PostgreSQL takes it once (as each server's channel does, on a store of its own)."""
    from bot.store import Store
    from connectors.telegram_store import TelegramLedger

    async def deliver_everywhere() -> list[bool]:
        stores = [await Store(services.database_url).ready() for _ in range(4)]
        try:
            update_id = uuid.uuid4().int % 2**31
            return await asyncio.gather(*(
                TelegramLedger(store, 1003).claim_update(update_id, {"update_id": update_id})
                for store in stores))
        finally:
            for store in stores:
                await store.close()

    assert sorted(run(deliver_everywhere())) == [False, False, False, True]


# ---- servers dying (these restart what they kill)


def telegram_replies(chat_id: int) -> list[dict]:
    resp = requests.post(f"{EMULATOR}/botMessages",
                         json={"token": TELEGRAM_TOKEN, "chatId": chat_id}, timeout=5)
    resp.raise_for_status()
    return resp.json()["result"]


def telegram_say(chat_id: int, text: str) -> None:
    requests.post(f"{EMULATOR}/sendMessage", json={
        "botToken": TELEGRAM_TOKEN, "from": {"id": chat_id, "is_bot": False,
                                             "first_name": "Anna", "language_code": "en"},
        "chat": {"id": chat_id, "type": "private", "first_name": "Anna"},
        "date": int(time.time()), "text": text,
    }, timeout=5).raise_for_status()


def test_the_telegram_poller_moves_when_its_server_dies(scaled: Scaled) -> None:
    chat_id = 6_000_000_000 + uuid.uuid4().int % 1_000_000_000
    leader = telegram_ready(scaled)
    telegram_say(chat_id, "hello")
    assert wait_until(lambda: telegram_replies(chat_id), timeout=TIMEOUT)
    answered = len(telegram_replies(chat_id))
    scaled.stack.kill_process(f"rasa{leader}")
    try:
        killed_at = time.monotonic()
        telegram_say(chat_id, "what can you do")
        assert wait_until(lambda: len(telegram_replies(chat_id)) > answered, timeout=TIMEOUT)
        took_over = time.monotonic() - killed_at
        assert telegram_ready(scaled, timeout=5) != leader
    finally:
        scaled.stack.start_process(f"rasa{leader}")
    # a lease outlives its holder by at most its ttl (6 s); then the next poll is answered
    assert took_over < 30, took_over


def test_no_acknowledged_turn_is_lost_when_a_server_dies_under_load(scaled: Scaled) -> None:
    """Citizens talk through the balancer while one server is killed. A client that gets no
    answer sends the same message again (same id) until it does; afterwards every message is
    in its conversation exactly once, and every answer a client got is the conversation's."""
    token, base = scaled.stack.token, scaled.stack.rasa
    citizens, turns = 8, 4
    lines = ["hello", "how do I pay a parking fine", "what can you do", "thank you"]
    answered: dict[str, list[str]] = {}
    longest = [0.0]
    killed = threading.Event()

    def citizen(number: int) -> None:
        sender = f"load-{uuid.uuid4().hex[:8]}-{number}"
        answered[sender] = []
        for turn in range(turns):
            message_id = f"{sender}-{turn}"
            began = time.monotonic()
            deadline = began + 120
            while True:
                try:
                    say(base, token, sender, lines[turn], message_id=message_id, timeout=30)
                    break
                except requests.RequestException:
                    assert time.monotonic() < deadline, f"{message_id} never answered"
                    time.sleep(0.5)
            answered[sender].append(message_id)
            longest[0] = max(longest[0], time.monotonic() - began)
            if number == 0 and turn == 1:
                killed.set()

    with ThreadPoolExecutor(citizens) as pool:
        running = [pool.submit(citizen, n) for n in range(citizens)]
        assert killed.wait(TIMEOUT)
        scaled.stack.kill_process("rasa2")
        try:
            for each in running:
                each.result()
        finally:
            scaled.stack.start_process("rasa2")
    for sender, ids in answered.items():
        stored = [e["message_id"] for e in user_events(scaled, sender)]
        assert stored == ids, (sender, stored, ids)
    # a conversation whose turn died with its server went on after the dead server's lease
    # (bot.lock_store, 10 s), not after the ticket's whole lifetime (60 s)
    assert longest[0] < 40, longest[0]
