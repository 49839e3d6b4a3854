"""An operator answers a citizen who asked for a person: the console on the real stack.

The citizen talks through the web chat socket; two operators log into the console over HTTP.
One takes the conversation (the other cannot), replies — the reply reaches the citizen's socket —
and hands it back, after which the assistant answers again.
"""

from __future__ import annotations

import re

import aiohttp

from bot.config import load_settings
from bot.console.staff import add_staff
from bot.store import Store
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


def test_an_operator_takes_answers_and_hands_back(healthy_city: Stack) -> None:
    async def go() -> None:
        await staff("maria", "ivan")
        maria, ivan = Operator(console_url(healthy_city)), Operator(console_url(healthy_city))
        try:
            await maria.log_in("maria")
            await ivan.log_in("ivan")
            async with widget(healthy_city) as citizen:
                _, said = await citizen.say("i want to speak to a real person")
                assert any("passing the conversation to a person" in f["text"] for f in said)
                ids = re.findall(r"/handoffs/(\d+)/take", await maria.page("/handoffs"))
                pages = {i: await maria.page(f"/handoffs/{i}") for i in ids}
                mine = next(i for i, page in pages.items() if citizen.session_id in page)

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
        finally:
            await maria.http.close()
            await ivan.http.close()

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
