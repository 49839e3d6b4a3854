"""An operator answers a citizen who asked for a person: the console on the real stack.

The citizen talks through the web chat socket; two operators log into the console over HTTP.
One takes the conversation (the other cannot), replies — the reply reaches the citizen's socket —
and hands it back, after which the assistant answers again. Or closes it: the citizen reads a
closing message, and the assistant answers the next message from a new session.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import aiohttp

from sqlalchemy import select

from bot.config import load_settings
from bot.console.handoffs import closing_message
from bot.console.staff import add_staff
from bot.store import AuditEvent, Handoff, Store
from tests.integration.conftest import Stack
from tests.integration.test_webchat import run, widget

PASSWORD = "operator password 1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def console_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{int(stack.portal.rsplit(':', 1)[1]) + 2}"


async def staff(*names: str) -> None:
    store = await Store(load_settings().app_database_url).ready()
    try:
        for name in names:
            await add_staff(store, name, "operator", PASSWORD)
    finally:
        await store.close()


class Operator:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def token(self, path: str) -> str:
        async with self.http.get(self.base + path) as resp:
            assert resp.status == 200, path
            return TOKEN.search(await resp.text()).group(1)

    async def log_in(self, name: str) -> None:
        token = await self.token("/login")
        async with self.http.post(self.base + "/login", allow_redirects=False, data={
            "name": name, "password": PASSWORD, "csrf_token": token, "next": ""}) as resp:
            assert resp.status == 302, await resp.text()

    async def page(self, path: str) -> str:
        async with self.http.get(self.base + path) as resp:
            assert resp.status == 200, path
            return await resp.text()

    async def post(self, path: str, **data: str) -> int:
        token = await self.token("/handoffs")
        async with self.http.post(self.base + path, allow_redirects=False,
                                  data={**data, "csrf_token": token}) as resp:
            return resp.status


@contextlib.asynccontextmanager
async def operators(stack: Stack, *names: str) -> AsyncIterator[list[Operator]]:
    """Operator accounts made and logged into the console, one HTTP session each."""
    await staff(*names)
    logged = [Operator(console_url(stack)) for _ in names]
    try:
        for operator, name in zip(logged, names):
            await operator.log_in(name)
        yield logged
    finally:
        for operator in logged:
            await operator.http.close()


async def asks_for_a_person(citizen, operator: Operator) -> str:
    """The citizen asks for a person; the id of their handoff in the operator's queue."""
    _, said = await citizen.say("i want to speak to a real person")
    assert any("passing the conversation to a person" in f["text"] for f in said)
    ids = re.findall(r"/handoffs/(\d+)/take", await operator.page("/handoffs"))
    pages = {i: await operator.page(f"/handoffs/{i}") for i in ids}
    return next(i for i, page in pages.items() if citizen.session_id in page)


def test_an_operator_takes_answers_and_hands_back(healthy_city: Stack) -> None:
    async def go() -> None:
        async with operators(healthy_city, "maria", "ivan") as (maria, ivan):
            async with widget(healthy_city) as citizen:
                mine = await asks_for_a_person(citizen, maria)

                assert await maria.post(f"/handoffs/{mine}/take") == 303
                assert await ivan.post(f"/handoffs/{mine}/take") == 409  # taken already
                assert await ivan.post(f"/handoffs/{mine}/reply", text="me too") == 409
                queue = await ivan.page("/handoffs")
                assert "maria" in queue

                _, said = await citizen.say("hello? anyone?")
                assert said == []  # the assistant is quiet while a person has it
                assert await maria.post(f"/handoffs/{mine}/reply",
                                        text="Hello, this is Maria from the city.") == 303
                frame = await citizen.next("bot_uttered")
                assert frame["text"] == "Hello, this is Maria from the city."

                assert await maria.post(f"/handoffs/{mine}/hand-back") == 303
                assert f"/handoffs/{mine}/" not in await maria.page("/handoffs")
                _, said = await citizen.say("hello")
                assert said, "the assistant answers again"

    run(go())


async def handoff_and_audit(sender_id: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The statuses of a conversation's handoffs and the audit log's (who, action) about it."""
    store = await Store(load_settings().app_database_url).ready()
    try:
        async with store.session() as session:
            statuses = (await session.execute(
                select(Handoff.status).where(Handoff.sender_id == sender_id))).scalars().all()
            audited = (await session.execute(
                select(AuditEvent.staff_name, AuditEvent.action)
                .where(AuditEvent.target == sender_id).order_by(AuditEvent.id))).all()
        return list(statuses), [tuple(row) for row in audited]
    finally:
        await store.close()


def test_an_operator_closes_and_the_assistant_starts_afresh(healthy_city: Stack) -> None:
    async def go() -> None:
        async with operators(healthy_city, "olga", "petr") as (olga, petr):
            async with widget(healthy_city) as citizen:
                mine = await asks_for_a_person(citizen, olga)
                sender = citizen.session_id
                assert await olga.post(f"/handoffs/{mine}/take") == 303
                assert "/close" in await olga.page(f"/handoffs/{mine}")
                assert await petr.post(f"/handoffs/{mine}/close") == 409  # not his

                assert await olga.post(f"/handoffs/{mine}/close") == 303
                frame = await citizen.next("bot_uttered")
                assert frame["text"] == closing_message()
                assert f"/handoffs/{mine}" not in await olga.page("/handoffs")
                assert await olga.post(f"/handoffs/{mine}/close") == 409  # over already
                statuses, audited = await handoff_and_audit(sender)
                assert statuses == ["closed"]
                assert ("olga", "closed") in audited and ("olga", "handed_back") not in audited

                _, said = await citizen.say("hello")
                assert any(f["text"].startswith("Hello") for f in said), said
                # Since the close: a new session of its own, nothing of the paused one.
                events = healthy_city.tracker(sender)["events"]
                kinds = [e["event"] for e in events]
                assert "session_started" in kinds and "pause" not in kinds
                assert [e["text"] for e in events if e["event"] == "user"] == ["hello"]

    run(go())


def test_handoff_pages_are_for_operators(healthy_city: Stack) -> None:
    async def go() -> None:
        store = await Store(load_settings().app_database_url).ready()
        try:
            await add_staff(store, "rev", "reviewer", PASSWORD)
        finally:
            await store.close()
        reviewer = Operator(console_url(healthy_city))
        try:
            await reviewer.log_in("rev")
            async with reviewer.http.get(reviewer.base + "/handoffs") as resp:
                assert resp.status == 403
        finally:
            await reviewer.http.close()

    run(go())
