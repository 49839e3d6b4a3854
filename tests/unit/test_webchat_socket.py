"""The web chat channel served on a loopback socket, with Rasa's agent stood in.

The channel's own Sanic blueprint is registered by Rasa's own ``register`` on a Sanic app of the
test's, and a real WebSocket client talks to it: all is real but Rasa's agent. The stand-in
agent does what Rasa does with a message (log it in the tracker store under its ``message_id``,
answer through the channel's output) and counts the messages it was given, so a test can tell
that a message was answered once. Unhandled exceptions in the server (Sanic's error handler, the
event loop's handler, error logs) are collected: a test ends with none.

``tests/unit/test_webchat_fuzz.py`` drives the same server with Hypothesis.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets
from rasa.core.channels.channel import UserMessage, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic
from sanic.handlers import ErrorHandler
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode

from bot.config import Settings
from connectors.webchat import WebChatInput

# Sanic 21.12's socket reader, on every recv (not ours; Python 3.11 would make it an error).
pytestmark = pytest.mark.filterwarnings(
    "ignore:The explicit passing of coroutine objects:DeprecationWarning"
)

ORIGIN = "http://portal.test"
TIMEOUT = 10.0  # a frame the server owes that has not come by then will not come


class StandInAgent:
    """What the channel and Rasa's ``register`` use of Rasa's agent.

    Like Rasa's processor, it handles one message of a conversation at a time (Rasa's lock
    store), logs the user event with its ``message_id``, sends the bot's answer through the
    message's output channel, then saves the tracker. The answer quotes the text (a bot may
    repeat what it was told, as a slot) and names the message it answers. While ``free`` is
    clear, turns wait (a slow action server).
    """

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.given: Counter[str] = Counter()  # message ids, by how often Rasa got each
        self.free = asyncio.Event()
        self.free.set()
        self._locks: dict[str, asyncio.Lock] = {}

    def is_ready(self) -> bool:
        return True

    async def handle_message(self, message: UserMessage) -> None:
        sender = message.sender_id
        async with self._locks.setdefault(sender, asyncio.Lock()):
            self.given[f"{sender}/{message.message_id}"] += 1
            await self.free.wait()
            tracker = await self.tracker_store.get_or_create_tracker(sender)
            tracker.update(UserUttered(
                message.text, metadata=message.metadata, message_id=message.message_id,
                input_channel=message.input_channel,
            ))
            answer = {"text": f"You said: {message.text}",
                      "custom": {"reply_to": message.message_id}}
            await message.output_channel.send_response(sender, answer)
            tracker.update(BotUttered(answer["text"], data={"custom": answer["custom"]}))
            await self.tracker_store.save(tracker)

    def times_given(self, session_id: str, id: str) -> int:
        return self.given[f"{session_id}/{id}"]


class RecordingErrorHandler(ErrorHandler):
    """Sanic's error handler, keeping what reached it (an unhandled exception in a handler)."""

    def __init__(self, crashes: list[str]) -> None:
        super().__init__()
        self.crashes = crashes

    def log(self, request: Any, exception: Exception) -> None:  # type: ignore[override]
        if not getattr(exception, "quiet", False):  # as Sanic's own (a 404 is not a crash)
            self.crashes.append(f"sanic: {exception!r}")

    def default(self, request: Any, exception: Exception) -> Any:
        if getattr(exception, "status_code", 500) >= 500:
            self.crashes.append(f"sanic http: {exception!r}")
        return super().default(request, exception)


class ErrorLog(logging.Handler):
    """Error records of the server's loggers: an exception nothing else reported."""

    def __init__(self, crashes: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.crashes = crashes

    def emit(self, record: logging.LogRecord) -> None:
        self.crashes.append(f"log {record.name}: {record.getMessage()} {record.exc_info!r}")


class ObservedWebChat(WebChatInput):
    """The channel, telling the test when each of its sockets is done."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, origins=ORIGIN)
        self.serving = 0
        self.changed = asyncio.Condition()

    async def serve(self, ws: Any, agent: Any) -> None:
        async with self.changed:
            self.serving += 1
        try:
            await super().serve(ws, agent)
        finally:
            async with self.changed:
                self.serving -= 1
                self.changed.notify_all()


@dataclass
class ServedChat:
    """The channel on a loopback port, its stand-in agent, and what went wrong in the server."""

    channel: ObservedWebChat
    agent: StandInAgent
    port: int
    crashes: list[str]

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/webhooks/webchat/ws"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/webchat"

    async def settled(self) -> None:
        """Wait until every socket is done and every turn is over (no turn is left waiting)."""
        try:
            async with self.channel.changed:
                await asyncio.wait_for(
                    self.channel.changed.wait_for(lambda: self.channel.serving == 0), TIMEOUT
                )
            while self.channel._tasks:
                await asyncio.wait_for(asyncio.gather(*self.channel._tasks), TIMEOUT)
        except asyncio.TimeoutError:
            pytest.fail(f"the server did not settle: {self.channel.serving} sockets served, "
                        f"turns {self.channel.hub.running}, tasks {self.channel._tasks}")
        assert self.channel.hub.running == {}, "a turn never finished"
        assert self.channel.hub.sockets == {}, "a closed socket is still attached"


def sanic_leak(context: dict[str, Any]) -> bool:
    """Sanic 21.12 leaves a socket's unread frames in tasks it never ends: when a socket
    closes abnormally (1009, 1011) with frames still in flight, the garbage collector finds
    them pending. Known, harmless (docs/webchat.md, "Known limits"), and not ours."""
    task = context.get("task")
    return (context.get("message") == "Task was destroyed but it is pending!"
            and task is not None
            and task.get_coro().__qualname__ == "WebsocketImplProtocol.async_data_received")


@asynccontextmanager
async def served_chat(var_dir: Path) -> AsyncIterator[ServedChat]:
    """The web chat channel of a fresh Sanic app, served on a free loopback port."""
    # Sanic's test mode, as its own test client uses: several apps may start in one process
    # (Sanic rewrites its HTTP classes at start; in test mode it keeps the originals).
    test_mode, Sanic.test_mode = Sanic.test_mode, True
    crashes: list[str] = []
    settings = Settings(var_dir=var_dir, webchat_secret="test-secret")
    channel = ObservedWebChat(settings)
    agent = StandInAgent()
    app = Sanic(f"webchat_{uuid.uuid4().hex}", configure_logging=False,
                error_handler=RecordingErrorHandler(crashes))
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")

    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: crashes.extend(
        [] if sanic_leak(context) else [f"loop: {context}"]
    ))
    errors = ErrorLog(crashes)
    loggers = [logging.getLogger(name) for name in ("sanic", "connectors", "rasa")]
    for logger in loggers:
        logger.addHandler(errors)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield ServedChat(channel, agent, port, crashes)
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
        sock.close()
        for logger in loggers:
            logger.removeHandler(errors)
        loop.set_exception_handler(None)
        Sanic.test_mode = test_mode


@dataclass
class Widget:
    """One socket, as the widget uses it: frames out, the server's frames in."""

    ws: Any
    session_id: str = ""
    token: str = ""
    history: list[dict] = field(default_factory=list)

    async def send(self, frame: dict | str | bytes) -> None:
        await self.ws.send(json.dumps(frame) if isinstance(frame, dict) else frame)

    async def next(self, *types: str) -> dict:
        """The next frame of one of ``types`` (others are skipped)."""
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if not types or frame["type"] in types:
                return frame

    async def answer_to(self, id: str) -> tuple[dict, list[dict]]:
        """The ack (or error) for message ``id``, and the bot's messages that came before it."""
        said: list[dict] = []
        while True:
            frame = await self.next()
            if frame["type"] == "bot_uttered":
                said.append(frame)
            elif frame["type"] in ("ack", "error") and frame.get("id") == id:
                return frame, said

    async def say(self, text: str, id: str | None = None) -> tuple[dict, list[dict]]:
        id = id or uuid.uuid4().hex
        await self.send({"type": "user_uttered", "id": id, "text": text})
        return await self.answer_to(id)

    async def closed(self) -> int:
        """The close code, once the server has closed the socket (frames meanwhile skipped)."""
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(self.ws.recv(), TIMEOUT)
        return closed.value.code


def open_socket(chat: ServedChat, **options: Any) -> Any:
    """A connection to the channel from the portal (await it, or ``async with`` it)."""
    return websockets.connect(chat.url, origin=ORIGIN, open_timeout=TIMEOUT, max_size=2**20,
                              ping_interval=None, **options)


async def start_session(ws: Any, session_id: str | None = None, token: str | None = None
                        ) -> Widget:
    w = Widget(ws)
    await w.send({"type": "session_request", "session_id": session_id, "token": token,
                  "lang": "en"})
    confirm = await w.next()
    assert confirm["type"] == "session_confirm", confirm
    w.session_id, w.token = confirm["session_id"], confirm["token"]
    w.history = (await w.next("history"))["messages"]
    return w


@asynccontextmanager
async def widget(chat: ServedChat, session_id: str | None = None, token: str | None = None
                 ) -> AsyncIterator[Widget]:
    async with open_socket(chat) as ws:
        yield await start_session(ws, session_id, token)


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ServedChat]:
    async with served_chat(tmp_path) as served:
        yield served
        await served.settled()
        assert served.crashes == []


# ---- the harness itself


async def test_a_served_channel_answers_each_message_once(chat: ServedChat) -> None:
    async with widget(chat) as w:
        ack, said = await w.say("hello", id="m1")
        assert ack == {"type": "ack", "id": "m1", "duplicate": False}
        assert [f["custom"]["reply_to"] for f in said] == ["m1"]
        ack, said = await w.say("hello", id="m1")
        assert ack["duplicate"] and not said
        session, token = w.session_id, w.token
    async with widget(chat, session, token) as again:
        assert [m["text"] for m in again.history] == ["hello", "You said: hello"]
        ack, _ = await again.say("hello", id="m1")  # known from the tracker, not from memory
        assert ack["duplicate"]
    assert chat.agent.times_given(session, "m1") == 1


# ---- what the fuzzer found (tests/unit/test_webchat_fuzz.py)


async def test_numbers_too_big_for_a_float_are_refused_and_the_socket_goes_on(
    chat: ServedChat,
) -> None:
    huge = "1" + "0" * 400
    async with widget(chat) as w:
        await w.send('{"type": "location", "id": "far", "latitude": ' + huge
                     + ', "longitude": 0}')
        error = await w.next("error")
        assert (error["code"], error["id"]) == ("bad_message", "far")
        ack, said = await w.say("hello")
        assert ack["type"] == "ack" and said
    async with open_socket(chat) as ws:  # a token from the far future is just invalid
        w = Widget(ws)
        await w.send({"type": "session_request", "session_id": "web-" + "a" * 22,
                      "token": f"{huge}.mac"})
        assert (await w.next())["code"] == "invalid_session"
        assert await w.closed() == 4401


async def test_half_an_emoji_is_answered_and_breaks_no_tab(chat: ServedChat) -> None:
    async with widget(chat) as w, widget(chat, w.session_id, w.token) as tab:
        await w.send({"type": "user_uttered", "id": "half", "text": "pothole \ud83d"})
        ack, said = await w.answer_to("half")
        assert ack["type"] == "ack"
        assert [f["text"] for f in said] == ["You said: pothole \ufffd"]
        assert (await tab.next("user_uttered"))["text"] == "pothole \ufffd"
        assert (await tab.next("bot_uttered"))["custom"]["reply_to"] == "half"


async def test_a_lone_surrogate_in_the_tracker_does_not_break_the_history(
    chat: ServedChat,
) -> None:
    async with widget(chat) as w:
        await w.say("hello")
        session, token = w.session_id, w.token
    tracker = await chat.agent.tracker_store.retrieve(session)
    tracker.update(BotUttered("Street \udc00 (from another channel)"))
    await chat.agent.tracker_store.save(tracker)
    async with widget(chat, session, token) as again:
        assert again.history[-1]["text"] == "Street \udc00 (from another channel)"
        ack, _ = await again.say("and now?")
        assert ack["type"] == "ack"


async def test_invalid_utf8_closes_the_socket_with_1007(chat: ServedChat) -> None:
    async with widget(chat) as bystander, widget(chat) as w:
        await w.ws.write_frame(True, Opcode.TEXT, b"caf\xe9")  # Latin-1, not UTF-8
        assert await w.closed() == 1007  # RFC 6455 8.1
        ack, said = await bystander.say("hello")
        assert ack["type"] == "ack" and said


async def test_a_request_to_the_socket_that_is_no_handshake_gets_a_4xx(chat: ServedChat) -> None:
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Origin": ORIGIN,
               "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    async with aiohttp.ClientSession() as session:
        for headers, status in (
            ({}, 426),  # a browser or a crawler opening the URL
            ({**upgrade, "Upgrade": "h2c"}, 426),
            ({**upgrade, "Sec-WebSocket-Key": "short"}, 400),
            ({**upgrade, "Sec-WebSocket-Version": "8"}, 400),
        ):
            async with session.get(f"{chat.http}/ws", headers=headers) as resp:
                assert resp.status == status, (headers, resp.status, await resp.text())
        async with session.ws_connect(chat.url, origin=ORIGIN) as ws:  # the real thing
            await ws.send_json({"type": "session_request"})
            assert (await ws.receive_json())["type"] == "session_confirm"
