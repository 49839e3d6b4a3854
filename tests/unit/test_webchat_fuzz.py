"""The web chat protocol fuzzed with Hypothesis, over real sockets (docs/webchat.md).

The channel is served as in ``test_webchat_socket.py`` (Rasa's agent stood in). A fuzzed
conversation is frames before the handshake, then a sequence of steps: valid messages (ids from
a small pool, so some are sent twice), malformed JSON, wrong types, missing fields, unicode of
every kind (NUL, RTL marks, emoji, lone surrogates), text past the limits, frames past 4 KiB
and past 64 KiB, invalid UTF-8, binary and fragmented frames, a second ``session_request``,
reconnects that resend what was not acknowledged, a second tab, a slow assistant (messages
queue up, past the queue), and intruders with forged or borrowed sessions. Whatever the steps:

- the server never crashes: no unhandled exception, no 5xx; a socket it ends is closed with a
  protocol close code (1007, 1009, 4401), never because a handler died;
- every frame gets exactly one ``ack``, ``error`` or ``pong`` on its socket;
- every valid message is acknowledged (after ``rate_limited``, when sent again), handled by
  Rasa exactly once however often it was sent, and answered before its ``ack``; nothing of
  another conversation reaches this one;
- afterwards the same conversation still converses.

The default run is small: ``CITYBOT_FUZZ_EXAMPLES`` (40) examples per property, a few seconds.
A long run (``make fuzz``)::

    CITYBOT_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest -q -p no:cacheprovider \
        tests/unit/test_webchat_fuzz.py --hypothesis-show-statistics

The rate limit is lifted here (the fuzzer sends faster than a citizen types, and a limited
frame is answered ``rate_limited`` like any other refusal); ``tests/integration`` checks it.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode

from connectors import webchat
from connectors.webchat_protocol import FRAME_BYTES, SOCKET_MAX_BYTES, TEXT_CHARS
from tests.unit.test_webchat_socket import (
    ORIGIN,
    TIMEOUT,
    ServedChat,
    open_socket,
    served_chat,
    start_session,
)

# Sanic 21.12's socket reader, on every recv (not ours; Python 3.11 would make it an error).
pytestmark = pytest.mark.filterwarnings(
    "ignore:The explicit passing of coroutine objects:DeprecationWarning"
)

EXAMPLES = int(os.environ.get("CITYBOT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    # make test: the same examples every run (a regression net, never a surprise in CI);
    # make fuzz (CITYBOT_FUZZ_EXAMPLES set) explores with fresh randomness.
    derandomize="CITYBOT_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,  # nothing written into the shared checkout; a failure prints its blob
    print_blob=True,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],  # "explain" re-runs for minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
PING = '{"type": "ping"}'
REPLIES = {"ack", "error", "pong"}  # one of these answers each client frame
SERVER_TYPES = REPLIES | {"session_confirm", "history", "typing", "bot_uttered", "user_uttered"}

# ---- strategies

SPICE = ["\x00", "\u202e", "\u200f", "\ufeff", "\ud800", "\udfff", "\U0001f600", "\u0301",
         "\n", "\\", '"', "\U0010ffff", "\x7f"]
chars = st.one_of(st.characters(), st.characters(codec="utf-8"), st.sampled_from(SPICE))
texts = st.text(chars, max_size=60)
said_texts = st.builds(lambda a, b: f"{a}x{b}", texts, texts)  # never blank
# Valid messages' ids: a small pool, so that some are sent twice. A refused frame's id starts
# with "x" (see ``as_garbage``): an error with an id then says which frame it refuses.
ids = st.one_of(st.sampled_from(["a", "b", "c-1", "d_2"]),
                st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
                .filter(lambda id: not id.startswith("x")))
bad_ids = st.one_of(st.just(""), st.just("xa\n"), st.just("x" * 65),
                    st.text(chars, max_size=70).map(lambda t: "x" + t), st.integers())
json_scalars = st.one_of(
    st.none(), st.booleans(), st.floats(), texts,
    st.integers(min_value=-(10**400), max_value=10**400),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def frame_text(frame: dict[str, Any]) -> str:
    # ASCII: lone surrogates travel as \ud800 escapes, as a browser's JSON.stringify sends them.
    return json.dumps(frame)


def valid_frames() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """(id, frame) of messages the protocol accepts."""
    typed = st.builds(lambda id, text: {"type": "user_uttered", "id": id, "text": text},
                      ids, said_texts)
    button = st.builds(
        lambda id, payload, title: {"type": "user_uttered", "id": id, "payload": "/" + payload,
                                    **({"title": title} if title else {})},
        ids, texts, st.none() | said_texts,
    )
    place = st.builds(lambda id, lat, lon: {"type": "location", "id": id, "latitude": lat,
                                            "longitude": lon},
                      ids, st.floats(-90, 90), st.floats(-180, 180))
    return st.one_of(typed, typed, button, place).map(lambda f: (f["id"], f))


@dataclass(frozen=True)
class Send:
    """A frame the server answers with one ``ack``/``error``/``pong`` (``valid``: must be handled).
    A tuple is sent as the fragments of one message."""

    frame: str | bytes | tuple[str, ...]
    valid: str | None = None


@dataclass(frozen=True)
class Closing:
    """A frame the server ends the socket for, with ``code``."""

    frame: str | bytes
    code: int


@dataclass(frozen=True)
class Reconnect:
    """Drop the socket (``settle``: once everything sent is answered) and resume the session."""

    settle: bool


@dataclass(frozen=True)
class Tab:
    """A second tab of the conversation sends ``frames`` (while the first is busy), then closes."""

    frames: tuple[Send, ...]


@dataclass(frozen=True)
class Busy:
    """``count`` new messages and ``frames`` sent while the assistant is slow (turns wait,
    messages queue up, past the queue's 16), the socket perhaps lost (``drop``) before the
    turns go on."""

    count: int
    frames: tuple[Send, ...]
    drop: bool


@dataclass(frozen=True)
class Intruder:
    """Another socket's ``session_request`` naming ``whose`` session, with ``token``."""

    whose: str  # "ours", "other", or "any" (session_id itself is then fuzzed)
    session_id: Any
    token: Any
    lang: Any


def as_garbage(frame: dict[str, Any]) -> dict[str, Any]:
    id = frame.get("id")
    return {**frame, "id": "x" + id[:63]} if isinstance(id, str) else frame


def mutated(frame: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The frame with a field missing, of another type, or with fields it does not know."""
    keys = sorted(frame)
    return st.one_of(
        st.sampled_from(keys).map(lambda k: {n: v for n, v in frame.items() if n != k}),
        st.tuples(st.sampled_from(keys), json_values).map(lambda kv: {**frame, kv[0]: kv[1]}),
        st.dictionaries(texts, json_values, min_size=1, max_size=3).map(lambda x: {**x, **frame}),
    )


def refused_frames() -> st.SearchStrategy[Send]:
    """Frames refused with an error frame (or, by chance, accepted: answered all the same)."""
    base = valid_frames().map(lambda pair: pair[1]) | st.just({"type": "ping"})
    return st.one_of(
        texts.map(Send),  # not JSON, mostly
        json_values.map(lambda v: Send(json.dumps(v))),
        base.flatmap(mutated).map(lambda f: Send(frame_text(as_garbage(f)))),
        st.builds(lambda id, text: Send(frame_text({"type": "user_uttered", "id": id,
                                                    "text": text})), bad_ids, said_texts),
        st.builds(lambda id: Send(frame_text({"type": "user_uttered", "id": "x" + id[:63],
                                              "text": "y" * (TEXT_CHARS + 1)})), ids),
        st.builds(lambda id, n: Send(frame_text({"type": "user_uttered", "id": "x" + id[:63],
                                                 "text": "z" * n})),
                  ids, st.integers(FRAME_BYTES, SOCKET_MAX_BYTES - 100)),
        st.binary(max_size=64).map(Send),
        st.just(Send(frame_text({"type": "session_request", "session_id": None}))),
        st.just(Send("[" * FRAME_BYTES)),
        st.just(Send('{"type": "location", "id": "xn", "latitude": 1' + "0" * 400
                     + ', "longitude": 0}')),
    )


def accepted_frames() -> st.SearchStrategy[Send]:
    return st.one_of(
        valid_frames().map(lambda p: Send(frame_text(p[1]), valid=p[0])),
        valid_frames().map(lambda p: Send(frame_text(p[1]).encode(), valid=p[0])),  # binary
        valid_frames().flatmap(lambda p: st.integers(1, 5).map(
            lambda n, p=p: Send(fragments(frame_text(p[1]), n), valid=p[0]))),
        st.just(Send(PING)),
    )


def fragments(text: str, n: int) -> tuple[str, ...]:
    step = max(1, len(text) // n)
    return tuple(text[i:i + step] for i in range(0, len(text), step))


intruders = st.one_of(
    st.builds(Intruder, st.just("ours"), st.none(),
              st.one_of(st.just("other"), texts, json_values,
                        st.integers(0, 10**600).map(lambda n: f"{n}.forged")), json_values),
    st.builds(Intruder, st.just("other"), st.none(), st.just("ours"), json_values),
    st.builds(Intruder, st.just("any"),
              st.one_of(json_values, texts.map(lambda t: "web-" + t),
                        st.from_regex(r"web-[A-Za-z0-9_-]{16,64}\n?", fullmatch=True)),
              st.one_of(json_values, st.just("ours")), json_values),
)

any_frames = accepted_frames() | refused_frames()
steps = st.lists(
    st.one_of(
        any_frames,
        st.builds(Reconnect, st.booleans()),
        st.builds(Busy, st.integers(0, 4) | st.just(webchat.QUEUE + 2),  # over: rate_limited
                  st.lists(accepted_frames(), max_size=4).map(tuple), st.booleans()),
        st.lists(any_frames, max_size=6).map(lambda fs: Tab(tuple(fs))),
        st.sampled_from([Closing("x" * (SOCKET_MAX_BYTES + 10), 1009),
                         Closing(b"\xff\xfe not utf-8", 1007)]),
        intruders,
        any_frames,
    ),
    min_size=3,
    max_size=25,
)
before_session = st.lists(
    st.one_of(refused_frames().filter(lambda s: "session_request" not in str(s.frame)),
              accepted_frames()),
    max_size=5,
)

# ---- the client


@dataclass
class Conversation:
    """One fuzzed conversation as the widget keeps it, and what the server said to it."""

    chat: ServedChat
    ws: Any = None
    session_id: str = ""
    token: str = ""
    other: tuple[str, str] = ("", "")  # another conversation: its session id and token
    owed: int = 0  # replies the current socket still owes
    unacked: dict[str, Send] = field(default_factory=dict)  # valid messages, by id
    refused: list[dict] = field(default_factory=list)  # errors about valid messages
    answered: Counter[str] = field(default_factory=Counter)  # bot answers seen, by message id
    acked: set[str] = field(default_factory=set)  # message ids
    answered_here: set[str] = field(default_factory=set)  # on the current socket
    acked_here: set[str] = field(default_factory=set)

    async def connect(self) -> None:
        """Resume the conversation on a new socket."""
        self.ws = await open_socket(self.chat, max_queue=None)
        w = await start_session(self.ws, self.session_id, self.token)
        assert w.session_id == self.session_id
        self.token, self.owed = w.token, 0

    async def send(self, step: Send) -> None:
        await self.ws.send(list(step.frame) if isinstance(step.frame, tuple) else step.frame)
        self.owed += 1
        if step.valid:
            self.unacked.setdefault(step.valid, step)

    async def receive(self) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
        assert frame.get("type") in SERVER_TYPES, frame
        if frame["type"] in REPLIES:
            self.owed -= 1
            assert self.owed >= 0, f"an answer to nothing: {frame}"
        if frame["type"] == "bot_uttered":
            reply_to = frame["custom"]["reply_to"]
            assert self.answered[reply_to] == 0, f"answered twice: {frame}"
            assert reply_to not in self.acked_here, f"answered after its ack: {frame}"
            self.answered[reply_to] += 1
            self.answered_here.add(reply_to)
        elif frame["type"] == "ack":
            event(f"reply: ack, duplicate {frame['duplicate']}")
            assert frame["duplicate"] or frame["id"] in self.answered_here, f"no answer: {frame}"
            self.acked.add(frame["id"])
            self.acked_here.add(frame["id"])
            self.unacked.pop(frame["id"], None)
        elif frame["type"] == "error":
            event(f"reply: error {frame['code']}")
            if frame.get("id") in self.unacked:
                self.refused.append(frame)
        return frame

    async def receive_pongs(self, count: int) -> None:
        while count:
            count -= (await self.receive())["type"] == "pong"

    async def settle(self) -> None:
        """Every reply this socket owes."""
        while self.owed:
            try:
                await self.receive()
            except asyncio.TimeoutError:
                pytest.fail(f"stuck: {self.owed} frames never answered")

    async def drop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        self.answered_here, self.acked_here = set(), set()

    async def resend_unacked(self) -> None:
        """What the widget does after a reconnect (and after ``retry_after``)."""
        for _ in range(3):
            for step in list(self.unacked.values()):
                await self.send(step)
            await self.settle()
        assert not self.unacked, f"never acknowledged: {sorted(self.unacked)}"


async def run_step(conv: Conversation, step: Any) -> None:
    event(f"step: {type(step).__name__}")
    if isinstance(step, Send):
        await conv.send(step)
    elif isinstance(step, Closing):
        if isinstance(step.frame, bytes):  # invalid UTF-8 in a text frame
            await conv.ws.write_frame(True, Opcode.TEXT, step.frame)
        else:
            await conv.ws.send(step.frame)
        try:
            while True:
                await conv.receive()
        except ConnectionClosed as closed:
            assert closed.code == step.code, closed
        except asyncio.TimeoutError:
            pytest.fail(f"the socket was not closed after {step}")
        await conv.drop()
        await conv.connect()
        await conv.resend_unacked()
    elif isinstance(step, Reconnect):
        if step.settle:
            await conv.settle()
        await conv.drop()
        await conv.connect()
        await conv.resend_unacked()
    elif isinstance(step, Busy):
        event(f"step: Busy, {'over' if step.count > webchat.QUEUE else 'under'} the queue")
        await conv.settle()
        conv.chat.agent.free.clear()
        try:
            for number in range(step.count):
                id = f"busy{number}"
                await conv.send(Send(frame_text({"type": "user_uttered", "id": id,
                                                 "text": f"message {number}"}), valid=id))
            for frame in step.frames:
                await conv.send(frame)
            # The server reads a socket's frames in order: its pong says it has read them all.
            await conv.send(Send(PING))
            await conv.receive_pongs(1 + sum(frame.frame == PING for frame in step.frames))
            if step.drop:
                await conv.drop()
                await conv.connect()
        finally:
            conv.chat.agent.free.set()
        await conv.resend_unacked()
    elif isinstance(step, Tab):
        tab = Conversation(conv.chat, session_id=conv.session_id, token=conv.token)
        try:
            await tab.connect()
            for frame in step.frames:
                await tab.send(frame)
            await tab.settle()
            await tab.resend_unacked()
            assert [f for f in tab.refused if f["code"] != "rate_limited"] == []
        finally:
            await tab.drop()
            conv.acked |= tab.acked
    else:
        await intrude(conv, step)


async def intrude(conv: Conversation, step: Intruder) -> None:
    """Nobody resumes a conversation without its token; a fuzzed request never crashes."""
    session_id = {"ours": conv.session_id, "other": conv.other[0]}.get(step.whose,
                                                                       step.session_id)
    token = step.token
    if token == "ours":
        token = conv.token
    elif token == "other":
        token = conv.other[1]
    if step.whose == "ours" and token == conv.token:
        token = conv.token + "x"
    request = {"type": "session_request", "session_id": session_id, "token": token,
               "lang": step.lang}
    async with open_socket(conv.chat) as ws:
        await ws.send(json.dumps(request))
        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if frame["type"] == "session_confirm":  # a new conversation, never an existing one
            assert session_id in (None, "") and frame["resumed"] is False, (request, frame)
            assert frame["session_id"] not in (conv.session_id, conv.other[0])
        elif frame.get("code") == "invalid_session":
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert closed.value.code == 4401
        else:
            assert frame.get("code") == "bad_message", (request, frame)


@pytest.fixture
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webchat, "RATE_BURST", 10**6)
    monkeypatch.setattr(webchat, "RATE_PER_SECOND", 10.0**6)


@pytest.fixture
async def chat(tmp_path: Path, unlimited: None) -> Any:
    """One server for all the examples of a property (each example is a new conversation)."""
    async with served_chat(tmp_path) as served:
        yield served


@FUZZ
@given(before=before_session, script=steps)
async def test_fuzzed_conversations_never_crash_and_never_get_stuck(
    chat: ServedChat, before: list[Send], script: list[Any]
) -> None:
    chat.crashes.clear()
    conv = Conversation(chat)
    try:
        async with open_socket(chat) as other_ws:  # another conversation, open all along
            other = await start_session(other_ws)
            conv.other = (other.session_id, other.token)
            await converse(conv, before, script)
    finally:
        await conv.drop()  # a failed example leaves no socket to the next one
    await chat.settled()
    assert chat.crashes == [], "\n".join(chat.crashes)
    given_twice = {k: n for k, n in chat.agent.given.items() if n > 1}
    assert given_twice == {}, "a message was handled more than once"
    never = [id for id in conv.acked if chat.agent.times_given(conv.session_id, id) != 1]
    assert never == [], "acknowledged, never handled"
    assert not any(k.startswith(f"{conv.other[0]}/") for k in chat.agent.given)


async def converse(conv: Conversation, before: list[Send], script: list[Any]) -> None:
    # Out of order: frames before the session_request, each refused on its own.
    conv.ws = await open_socket(conv.chat, max_queue=None)
    for step in before:
        await conv.ws.send(list(step.frame) if isinstance(step.frame, tuple) else step.frame)
    for _ in before:
        frame = json.loads(await asyncio.wait_for(conv.ws.recv(), TIMEOUT))
        assert frame["type"] == "error", frame
    w = await start_session(conv.ws)
    conv.session_id, conv.token = w.session_id, w.token

    event(f"steps: {len(script) // 5 * 5}-{len(script) // 5 * 5 + 4}")
    for step in script:
        await run_step(conv, step)
    await conv.settle()
    await conv.resend_unacked()

    # Not stuck: the same conversation goes on.
    last = uuid.uuid4().hex
    await conv.send(Send(frame_text({"type": "user_uttered", "id": last,
                                     "text": "still there?"}), valid=last))
    await conv.settle()
    assert conv.answered[last] == 1 and not conv.unacked
    assert [f for f in conv.refused if f["code"] != "rate_limited"] == []  # queue full: ok


# ---- the HTTP side: no 5xx, whatever the request

methods = st.just("GET") | st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD",
                                            "PATCH"])
paths = st.one_of(
    st.sampled_from(["/ws", "/ws/", "//ws", "/ws?x=1"]),  # the socket, however spelled
    st.sampled_from(["", "/", "/widget.js", "/widget.css", "/widget.jsx", "/../credentials.yml",
                     "/%2e%2e/credentials.yml"]),
    st.text(st.characters(codec="ascii", exclude_characters="#?\r\n "), max_size=30)
    .map(lambda p: "/" + p),
)
header_values = st.one_of(texts.map(lambda t: t.encode("utf-8", "replace").decode("latin-1")
                                    .replace("\r", "").replace("\n", "")),
                          st.sampled_from(["websocket", "Upgrade", "13", "8", ORIGIN, "null"]))
headers = st.lists(  # a list: a header may come twice
    st.tuples(st.sampled_from(["Origin", "Upgrade", "Connection", "Sec-WebSocket-Key",
                               "Sec-WebSocket-Version", "Sec-WebSocket-Protocol",
                               "Sec-WebSocket-Extensions", "Content-Type", "Range"]),
              header_values),
    max_size=6,
)


@FUZZ
@given(method=methods, path=paths, head=headers, body=st.binary(max_size=200))
async def test_fuzzed_http_requests_never_get_a_5xx(
    chat: ServedChat, method: str, path: str, head: list[tuple[str, str]], body: bytes
) -> None:
    chat.crashes.clear()
    sent = CIMultiDict((name, value.strip()) for name, value in head)
    async with aiohttp.ClientSession() as session:
        try:
            async with session.request(method, chat.http + path, headers=sent, data=body,
                                       allow_redirects=False,
                                       timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as resp:
                await resp.read()
                status = resp.status
        except aiohttp.ClientResponseError as exc:  # 101, then the socket: not an HTTP reply
            status = exc.status
        except aiohttp.ServerDisconnectedError:
            status = 0  # a handshake Sanic refused by closing
    assert status < 500, (method, path, head, status)
    await chat.settled()
    assert chat.crashes == [], "\n".join(chat.crashes)
