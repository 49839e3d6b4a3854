"""The web chat WebSocket protocol (docs/webchat.md) against the real Rasa server, no browser.

Each test is a widget as the server sees it: a socket from an allowed origin that sends JSON
frames. Bad frames, forged sessions and foreign origins must be refused without disturbing a
conversation that is going on beside them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
import requests
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

from tests.integration.conftest import Stack

TIMEOUT = 30.0


def socket_url(stack: Stack) -> str:
    return stack.rasa.replace("http://", "ws://") + "/webhooks/webchat/ws"


@dataclass
class Widget:
    """One socket of one conversation."""

    ws: websockets.WebSocketClientProtocol
    session_id: str = ""
    token: str = ""
    history: list[dict] = field(default_factory=list)

    async def send(self, frame: dict | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, *types: str, timeout: float = TIMEOUT) -> dict:
        """The next frame of one of ``types`` (others are skipped)."""
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if not types or frame["type"] in types:
                return frame

    async def say(self, text: str | None = None, **frame: object) -> tuple[dict, list[dict]]:
        """Send a message; the ack and the bot's messages that came before it."""
        id = str(frame.pop("id", uuid.uuid4().hex))
        body = {"type": "user_uttered", "id": id, **frame}
        if text is not None:
            body["text"] = text
        await self.send(body)
        return await self.until_ack(id)

    async def until_ack(self, id: str) -> tuple[dict, list[dict]]:
        said: list[dict] = []
        while True:
            frame = await self.next()
            if frame["type"] == "bot_uttered":
                said.append(frame)
            elif frame["type"] in ("ack", "error") and frame.get("id") == id:
                return frame, said


@asynccontextmanager
async def widget(
    stack: Stack, session_id: str | None = None, token: str | None = None,
    origin: str | None = None,
) -> AsyncIterator[Widget]:
    async with websockets.connect(
        socket_url(stack), origin=origin or stack.portal, open_timeout=TIMEOUT, max_size=2**20,
    ) as ws:
        w = Widget(ws)
        await w.send({"type": "session_request", "session_id": session_id, "token": token,
                      "lang": "en"})
        confirm = await w.next()
        assert confirm["type"] == "session_confirm", confirm
        w.session_id, w.token = confirm["session_id"], confirm["token"]
        w.history = (await w.next("history"))["messages"]
        yield w


def run(coro):  # noqa: ANN001, ANN201
    """Run a test's sockets on a loop of their own (Playwright's sync API may hold this thread's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def text_of(frames: list[dict]) -> str:
    return "\n".join(f.get("text") or "" for f in frames)


def test_new_conversation_greets_and_answers(healthy_city: Stack) -> None:
    async def go() -> None:
        async with widget(healthy_city) as w:
            assert w.session_id.startswith("web-") and w.history == []
            ack, said = await w.say(payload="/greet")
            assert ack == {"type": "ack", "id": ack["id"], "duplicate": False}
            assert said and said[0]["buttons"], said  # the greeting offers services
            ack, said = await w.say("when will my hot water be back? I live on Tverskaya 12")
            assert ack["type"] == "ack"
            assert said, "the assistant answered"

    run(go())
    # The conversation is a normal Rasa conversation, held under the session id, by channel.


def test_typing_is_shown_while_the_assistant_works(healthy_city: Stack) -> None:
    async def go() -> None:
        async with widget(healthy_city) as w:
            await w.send({"type": "user_uttered", "id": "t1", "text": "hello"})
            order = []
            while not order or order[-1] != "ack":
                frame = await w.next()
                order.append(frame["type"] if frame["type"] != "typing" else f"typing:{frame['on']}")
            assert order[0] == "typing:True" and "bot_uttered" in order
            assert order.index("typing:False") > order.index("bot_uttered")

    run(go())


def test_resume_shows_history_and_button_titles_but_not_hidden_starts(healthy_city: Stack) -> None:
    async def go() -> None:
        async with widget(healthy_city) as w:
            await w.say(payload="/greet")
            await w.say(payload="/report_problem", title="Report a problem")
            session, token = w.session_id, w.token
        async with widget(healthy_city, session, token) as again:
            assert again.session_id == session
            users = [m["text"] for m in again.history if m["from"] == "user"]
            assert users == ["Report a problem"]
            bots = [m for m in again.history if m["from"] == "bot"]
            assert len(bots) >= 2 and all(m["ts"] > 0 for m in bots)
            assert any("problem" in m["text"].lower() for m in bots[1:])

    run(go())


def test_a_message_sent_twice_is_answered_once(healthy_city: Stack) -> None:
    async def go() -> str:
        async with widget(healthy_city) as w:
            ack, said = await w.say("hello", id="same-id-1")
            assert not ack["duplicate"] and said
            ack, said = await w.say("hello", id="same-id-1")
            assert ack["duplicate"] and not said
            session, token = w.session_id, w.token
        # After a reconnect (the server knows the id from the tracker, not from memory).
        async with widget(healthy_city, session, token) as again:
            ack, said = await again.say("hello", id="same-id-1")
            assert ack["duplicate"] and not said
        return session

    session = run(go())
    events = healthy_city.tracker(session)["events"]
    assert [e["message_id"] for e in events if e["event"] == "user"] == ["same-id-1"]


BAD_FRAMES = (
    ("{not json", "bad_json"),
    ("[1, 2]", "bad_json"),
    (json.dumps({"type": "shout", "id": "x"}), "bad_message"),
    (json.dumps({"type": "user_uttered", "id": "a b", "text": "hi"}), "bad_message"),
    (json.dumps({"type": "user_uttered", "id": "e1"}), "bad_message"),
    (json.dumps({"type": "user_uttered", "id": "e2", "text": "x" * 1001}), "bad_message"),
    (json.dumps({"type": "location", "id": "e3", "latitude": 91, "longitude": 0}), "bad_message"),
    (json.dumps({"type": "user_uttered", "id": "e4", "text": "x" * 5000}), "too_large"),
)


def test_bad_frames_are_refused_and_the_socket_goes_on(healthy_city: Stack) -> None:
    # Bad frames count against a socket's rate limit (8 at once): half on each of two sockets
    # of one conversation, so each can go on at once, with no waiting for the bucket to refill.
    async def go() -> None:
        async with widget(healthy_city) as w, widget(healthy_city, w.session_id, w.token) as tab:
            for socket, frames in ((w, BAD_FRAMES[:4]), (tab, BAD_FRAMES[4:])):
                for raw, code in frames:
                    await socket.send(raw)
                    error = await socket.next("error")
                    assert error["code"] == code, (raw[:40], error)
            for socket in (w, tab):
                ack, said = await socket.say("hello")
                assert ack["type"] == "ack" and said

    run(go())


def test_a_huge_frame_closes_only_its_own_socket(healthy_city: Stack) -> None:
    async def go() -> None:
        async with widget(healthy_city) as bystander, widget(healthy_city) as attacker:
            await attacker.send("x" * 70_000)
            with pytest.raises(ConnectionClosed) as closed:
                await attacker.next()
            assert closed.value.code == 1009
            ack, said = await bystander.say("hello")
            assert ack["type"] == "ack" and said

    run(go())


def test_forged_or_borrowed_session_is_refused(healthy_city: Stack) -> None:
    async def go() -> None:
        async with widget(healthy_city) as owner:
            await owner.say("hello")
            async with widget(healthy_city) as other:
                attempts = [
                    (owner.session_id, "1700000000.forged"),
                    (owner.session_id, other.token),  # a real token, for another conversation
                    (owner.session_id, None),
                    ("web-" + "A" * 22, owner.token),
                ]
            for session_id, token in attempts:
                async with websockets.connect(socket_url(healthy_city),
                                              origin=healthy_city.portal) as ws:
                    await ws.send(json.dumps({"type": "session_request",
                                              "session_id": session_id, "token": token}))
                    frames = []
                    with pytest.raises(ConnectionClosed) as closed:
                        while True:
                            frames.append(json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)))
                    assert closed.value.code == 4401
                    assert [f["type"] for f in frames] == ["error"]
                    assert frames[0]["code"] == "invalid_session"
            ack, said = await owner.say("thanks")  # the owner's socket is untouched
            assert ack["type"] == "ack" and said

    run(go())


def test_foreign_origin_gets_no_socket(healthy_city: Stack) -> None:
    async def go() -> None:
        async with widget(healthy_city) as bystander:
            for origin, url in (
                ("https://evil.example", socket_url(healthy_city)),
                (None, socket_url(healthy_city)),
                ("https://evil.example", socket_url(healthy_city) + "/"),  # Sanic forgives a "/"
            ):
                with pytest.raises(InvalidStatusCode) as refused:
                    async with websockets.connect(url, origin=origin):
                        pass
                assert refused.value.status_code == 403
            ack, _ = await bystander.say("hello")
            assert ack["type"] == "ack"

    run(go())


def test_a_flood_is_rate_limited(healthy_city: Stack) -> None:
    async def go() -> None:
        async with widget(healthy_city) as w:
            for number in range(20):
                await w.send({"type": "ping", "n": number})
            codes = []
            for _ in range(20):
                frame = await w.next("pong", "error")
                codes.append(frame.get("code", "pong"))
            assert codes.count("rate_limited") >= 10 and codes[:8] == ["pong"] * 8

    run(go())


def test_frames_before_the_session_are_refused(healthy_city: Stack) -> None:
    async def go() -> None:
        async with websockets.connect(socket_url(healthy_city), origin=healthy_city.portal) as ws:
            await ws.send(json.dumps({"type": "user_uttered", "id": "early", "text": "hi"}))
            frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert frame["code"] == "session_required"

    run(go())


def test_proactive_message_reaches_an_open_widget_and_a_closed_one_later(
    healthy_city: Stack,
) -> None:
    def notify(session: str) -> None:
        requests.post(
            f"{healthy_city.rasa}/conversations/{session}/trigger_intent",
            params={"token": healthy_city.token, "output_channel": "webchat"},
            json={"name": "help"}, timeout=30,
        ).raise_for_status()

    async def go() -> None:
        async with widget(healthy_city) as w, widget(healthy_city, w.session_id, w.token) as tab:
            await w.say("hello")
            echo = await tab.next("user_uttered")  # the other tab sees what was typed
            assert echo["text"] == "hello"
            assert "citybot" in (await tab.next("bot_uttered"))["text"]  # and the answer
            await asyncio.get_running_loop().run_in_executor(None, notify, w.session_id)
            for socket in (w, tab):  # both tabs of the conversation get the notification
                frame = await socket.next("bot_uttered")
                assert "Here is what I can do" in frame["text"]
            session, token = w.session_id, w.token
        await asyncio.get_running_loop().run_in_executor(None, notify, session)
        async with widget(healthy_city, session, token) as later:
            helps = [m for m in later.history if "Here is what I can do" in m.get("text", "")]
            assert len(helps) == 2

    run(go())


def test_location_finds_the_nearest_office(healthy_city: Stack) -> None:
    async def go() -> None:
        async with widget(healthy_city) as w:
            _, said = await w.say(payload="/find_office", title="Find a service centre")
            assert any((f.get("custom") or {}).get("request_location") for f in said), said
            await w.send({"type": "location", "id": "loc1", "latitude": 55.7601,
                          "longitude": 37.6186})
            ack, said = await w.until_ack("loc1")
            assert ack["type"] == "ack"
            assert "nearest" in text_of(said).lower(), text_of(said)

    run(go())


def test_widget_files_are_served_from_the_channel(stack: Stack) -> None:
    for name, kind in (("widget.js", "application/javascript"), ("widget.css", "text/css")):
        resp = requests.get(f"{stack.rasa}/webhooks/webchat/{name}", timeout=10)
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith(kind)
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(f"{stack.rasa}/webhooks/webchat/other.js", timeout=10).status_code == 404
    assert requests.get(f"{stack.rasa}/webhooks/webchat/", timeout=10).json()["status"] == "ok"


def test_the_portal_embeds_the_widget_from_the_assistant(stack: Stack) -> None:
    resp = requests.get(stack.portal, timeout=10)
    assert resp.status_code == 200
    assert f'src="{stack.rasa}/webhooks/webchat/widget.js"' in resp.text
    assert f'data-server="{socket_url(stack)}"' in resp.text
    assert "connect-src ws://127.0.0.1:" in resp.headers["Content-Security-Policy"]


def test_a_socket_lost_mid_turn_loses_nothing_and_repeats_nothing(healthy_city: Stack) -> None:
    """The turn goes on without its socket; the widget's resend is answered from it, once."""

    async def go() -> str:
        async with widget(healthy_city) as w:
            session, token = w.session_id, w.token
            await w.send({"type": "user_uttered", "id": "mid-turn-1",
                          "text": "I want to report a problem"})
            await w.next("typing")  # the turn has started
        async with widget(healthy_city, session, token) as again:
            ack, _ = await again.say("I want to report a problem", id="mid-turn-1")
            assert ack["type"] == "ack", ack
            assert any("What kind of problem" in m.get("text", "") for m in
                       (await widget_history(healthy_city, session, token)))
        return session

    session = run(go())
    events = healthy_city.tracker(session)["events"]
    assert [e["message_id"] for e in events if e["event"] == "user"] == ["mid-turn-1"]
    assert healthy_city.tracker(session)["active_loop"]["name"] == "problem_report_form"


async def widget_history(stack: Stack, session: str, token: str) -> list[dict]:
    async with widget(stack, session, token) as w:
        return w.history
