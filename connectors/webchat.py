"""The web chat channel: a WebSocket on Rasa's own server for the widget in ``web/``.

Registered in credentials.yml as ``connectors.webchat.WebChatInput``; the protocol is in
docs/webchat.md and its rules in ``webchat_protocol``. Routes under ``/webhooks/webchat/``:
``ws`` (the socket), ``widget.js`` and ``widget.css`` (the widget), and ``/`` (health).

A socket belongs to one conversation (the Rasa sender id is the session id); several sockets
of one conversation (tabs) all get its messages. Citizen messages are handled in order per
socket, acknowledged once Rasa has handled them, and each message id once per conversation:
the ids are the ``message_id`` of the tracker's user events, so a message the widget sends
again after a reconnect (or a Rasa restart) is not answered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import WebsocketClosed
from sanic.request import Request
from sanic.response import HTTPResponse
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidUpgrade
from websockets.server import ServerConnection

from bot.config import ROOT, Settings, kept_secret, load_settings
from connectors.bucket import Bucket
from connectors.output import WholeMessageOutput
from connectors.webchat_relay import Relay
from connectors.webchat_protocol import (
    CLOSE_IDLE,
    CLOSE_INVALID_SESSION,
    CLOSE_NO_SESSION,
    CLOSE_NOT_UTF8,
    PING_SECONDS,
    SOCKET_MAX_BYTES,
    TEXT_CHARS,
    FrameError,
    Ping,
    SessionRequest,
    SessionSigner,
    Utterance,
    bot_frame,
    dumps,
    error_frame,
    handled_ids,
    history,
    parse_frame,
)

log = logging.getLogger(__name__)

WEB = ROOT / "web"
ASSETS = {"widget.js": "application/javascript; charset=utf-8",
          "widget.css": "text/css; charset=utf-8"}
HELLO_SECONDS = 10.0  # the first frame (session_request) must come this soon
HEARTBEAT_SECONDS = 3 * PING_SECONDS  # a socket silent this long is dead
RATE_PER_SECOND = 1.0
RATE_BURST = 8
QUEUE = 16  # citizen messages of one socket waiting for their turn
SEND_SECONDS = 5.0  # a socket that takes longer to accept a frame is closed


@dataclass(eq=False)
class Connection:
    """One open socket."""

    ws: Any
    lang: str = "en"
    sender_id: str | None = None
    bucket: Bucket = field(
        default_factory=lambda: Bucket(RATE_PER_SECOND, RATE_BURST, RATE_BURST, time.monotonic())
    )
    last_frame: float = field(default_factory=time.monotonic)
    last_citizen: float = field(default_factory=time.monotonic)
    inbox: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE))

    async def send(self, frame: dict[str, Any]) -> bool:
        try:
            await self.ws.send(dumps(frame))
        except (ConnectionClosed, WebsocketClosed, OSError):
            # A socket that went away mid-send: the message is in the tracker and shows as
            # history on the next connect.
            return False
        return True

    def abort(self) -> None:
        """Drop a socket that cannot keep up; the widget reconnects and gets the history."""
        with contextlib.suppress(Exception):
            self.ws.fail_connection(1011, "too slow")


def closing_reason(now: float, conn: Connection, idle_seconds: float) -> str | None:
    """Why a quiet socket should be closed now: a dead connection, or a citizen gone idle."""
    if now - conn.last_frame > HEARTBEAT_SECONDS:
        return "heartbeat"
    if now - conn.last_citizen > idle_seconds:
        return "idle"
    return None


class Hub:
    """Open sockets by conversation, and which message ids each conversation has had.

    An id is *handled* once its turn is over (or it is in the tracker), and *running* while its
    turn goes on: a turn is never cancelled with its socket, since the action server may already
    have done something; a resend of a running id waits for that turn instead of starting another.
    """

    def __init__(self) -> None:
        self.sockets: dict[str, set[Connection]] = {}
        self.handled: dict[str, set[str]] = {}
        self.running: dict[tuple[str, str], asyncio.Future] = {}
        # Other servers' sockets (the scaled setup: connectors.webchat_relay).
        self.relay: Relay | None = None

    def attach(self, conn: Connection, handled: set[str]) -> None:
        sender = conn.sender_id
        assert sender is not None
        self.sockets.setdefault(sender, set()).add(conn)
        self.handled.setdefault(sender, set()).update(handled)

    def detach(self, conn: Connection) -> None:
        sender = conn.sender_id
        if sender is None or sender not in self.sockets:
            return
        self.sockets[sender].discard(conn)
        if not self.sockets[sender]:
            del self.sockets[sender]
            self.handled.pop(sender, None)  # the tracker has them for the next connect

    def claim(self, sender: str, id: str) -> asyncio.Future | bool:
        """True: a new message, its turn is ours to run. False: handled already. A future: its
        turn is running (resolves to whether it went well)."""
        if id in self.handled.get(sender, ()):
            return False
        if (sender, id) in self.running:
            return self.running[(sender, id)]
        self.running[(sender, id)] = asyncio.get_running_loop().create_future()
        return True

    def finish(self, sender: str, id: str, ok: bool) -> None:
        """A claimed message's turn is over (``ok``), or it was dropped before it ran."""
        future = self.running.pop((sender, id), None)
        if ok and sender in self.handled:
            self.handled[sender].add(id)
        if future is not None and not future.done():
            future.set_result(ok)

    async def broadcast(
        self, sender: str, frame: dict[str, Any], skip: Connection | None = None
    ) -> int:
        """Send to every socket of the conversation, this server's and (relayed) the others';
        returns how many of this server's took it."""
        if self.relay is not None:
            await self.relay.publish(sender, frame)
        return await self.deliver(sender, frame, skip)

    async def deliver(
        self, sender: str, frame: dict[str, Any], skip: Connection | None = None
    ) -> int:
        """Send to this server's sockets of the conversation; one that does not take it in time
        is closed (a stalled tab must not hold up the turn, and with it the conversation's
        lock)."""
        targets = [c for c in self.sockets.get(sender, ()) if c is not skip]
        sent = await asyncio.gather(
            *(asyncio.wait_for(c.send(frame), SEND_SECONDS) for c in targets),
            return_exceptions=True,
        )
        for conn, result in zip(targets, sent):
            if result is not True:
                conn.abort()
        return sum(result is True for result in sent)


class WebChatOutput(WholeMessageOutput):
    """Sends Rasa's messages to every open socket of a conversation (none open: history later)."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._count = 0

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self._count += 1
        frame = bot_frame(message, time.time(), f"s{time.time_ns():x}{self._count}")
        await self.hub.broadcast(recipient_id, frame)


class _Blueprint(Blueprint):
    """Caps WebSocket frames on the server this blueprint joins (read before it starts)."""

    def register(self, app: Any, options: Any) -> None:
        app.config.WEBSOCKET_MAX_SIZE = SOCKET_MAX_BYTES
        super().register(app, options)


class WebChatInput(InputChannel):
    """The widget's WebSocket: sessions, the per-socket rules, and Rasa's answers."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "WebChatInput":
        settings = load_settings()
        origins = (credentials or {}).get("origins")
        if origins:
            origins = ",".join(origins) if isinstance(origins, list) else str(origins)
        return cls(settings, origins=origins or settings.webchat_origins)

    def __init__(self, settings: Settings, origins: str | None = None) -> None:
        self.settings = settings
        self.origins = {
            o.strip().rstrip("/") for o in (origins or settings.webchat_origins).split(",")
            if o.strip()
        }
        secret = settings.webchat_secret or kept_secret(settings.var_dir / "webchat_secret")
        self.signer = SessionSigner(secret, settings.webchat_session_days * 86400)
        self.hub = Hub()
        self.output = WebChatOutput(self.hub)
        self._tasks: set[asyncio.Task] = set()
        self._on_new_message: Callable[[UserMessage], Awaitable[Any]] | None = None

    def get_output_channel(self) -> OutputChannel | None:
        return self.output

    def origin_allowed(self, origin: str | None) -> bool:
        return "*" in self.origins or (origin or "").rstrip("/") in self.origins

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        self._on_new_message = on_new_message
        bp = _Blueprint("webchat", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            open_sockets = sum(len(s) for s in self.hub.sockets.values())
            return response.json({"status": "ok", "sockets": open_sockets})

        @bp.route("/<name:(widget\\.js|widget\\.css)>", methods=["GET"])
        async def asset(_: Request, name: str) -> HTTPResponse:
            return await response.file(
                WEB / name,
                headers={"Cache-Control": "public, max-age=300",
                         "X-Content-Type-Options": "nosniff",
                         # Public files, embedded by other sites: readable cross-origin.
                         "Access-Control-Allow-Origin": "*"},
                mime_type=ASSETS[name],
            )

        @bp.on_request
        async def check_socket_request(request: Request) -> HTTPResponse | None:
            # Every socket of this channel, whatever its path spelling (Sanic forgives a "/").
            route = getattr(request, "route", None)
            if route is not None and getattr(route.ctx, "websocket", False):
                refused = handshake_refusal(request)
                if refused:
                    return refused
            elif request.headers.get("upgrade", "").lower() != "websocket":
                return None
            origin = request.headers.get("origin")
            if self.origin_allowed(origin):
                return None
            log.warning("web chat: refused a socket from origin %r", origin)
            return response.json(
                {"error": "origin_not_allowed", "message": "This page may not open the chat."},
                status=403,
            )

        if self.settings.redis_url:
            @bp.listener("after_server_start")
            async def relay_start(_app: Any, _loop: Any) -> None:
                self.hub.relay = Relay(self.settings.redis_url, self.hub.deliver)
                await self.hub.relay.start()

            @bp.listener("before_server_stop")
            async def relay_stop(_app: Any, _loop: Any) -> None:
                if self.hub.relay is not None:
                    await self.hub.relay.stop()
                    self.hub.relay = None

        @bp.websocket("/ws")
        async def socket(request: Request, ws: Any) -> None:
            await self.serve(ws, getattr(request.app.ctx, "agent", None))

        return bp

    # ---- one socket

    async def serve(self, ws: Any, agent: Any) -> None:
        _close_on_invalid_utf8(ws)
        conn = Connection(ws)
        worker: asyncio.Task | None = None
        try:
            if not await self._hello(conn, agent):
                return
            worker = asyncio.create_task(self._work(conn, agent))
            await self._read(conn)
        except (ConnectionClosed, WebsocketClosed):
            pass
        finally:
            self.hub.detach(conn)
            if worker:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    async def _hello(self, conn: Connection, agent: Any) -> bool:
        """Wait for ``session_request``; attach the socket to a new or a resumed conversation."""
        deadline = time.monotonic() + HELLO_SECONDS
        while True:
            raw = await conn.ws.recv(timeout=max(0.0, deadline - time.monotonic()))
            if raw is None:
                await conn.ws.close(CLOSE_NO_SESSION, "session_request expected")
                return False
            try:
                frame = parse_frame(raw)
            except FrameError as exc:
                frame = exc
            if isinstance(frame, SessionRequest):
                break
            # Anything else before the session is refused, and counts against the rate limit.
            if conn.bucket.wait_for(time.monotonic()) > 0:
                await conn.send(error_frame("rate_limited", retry_after=1.0))
            elif isinstance(frame, FrameError):
                await conn.send(frame.frame())
            else:
                await conn.send(error_frame("session_required"))
        conn.lang = frame.lang
        resumed = frame.session_id is not None
        if resumed and not self.signer.verify(frame.session_id, frame.token or ""):
            await conn.send(error_frame("invalid_session"))
            await conn.ws.close(CLOSE_INVALID_SESSION, "invalid session")
            return False
        conn.sender_id = frame.session_id if resumed else self.signer.new_session()
        events = await _events(agent, conn.sender_id) if resumed else []
        self.hub.attach(conn, handled_ids(events))
        await conn.send({
            "type": "session_confirm", "session_id": conn.sender_id,
            "token": self.signer.token(conn.sender_id), "resumed": resumed,
            "limits": {"max_text": TEXT_CHARS, "ping_seconds": PING_SECONDS},
        })
        await conn.send({"type": "history", "messages": history(events)})
        return True

    async def _read(self, conn: Connection) -> None:
        while True:
            raw = await conn.ws.recv(timeout=5.0)
            now = time.monotonic()
            if raw is None:
                reason = closing_reason(now, conn, self.settings.webchat_idle_seconds)
                if reason:
                    await conn.ws.close(CLOSE_IDLE, reason)
                    return
                continue
            conn.last_frame = now
            if conn.bucket.wait_for(now) > 0:
                await conn.send(error_frame(
                    "rate_limited", _frame_id(raw), retry_after=round(1 / RATE_PER_SECOND, 1)
                ))
                continue
            try:
                frame = parse_frame(raw)
            except FrameError as exc:
                await conn.send(exc.frame())
                continue
            if isinstance(frame, Ping):
                await conn.send({"type": "pong"})
            elif isinstance(frame, SessionRequest):
                await conn.send(error_frame("bad_message"))
            else:
                conn.last_citizen = now
                await self._accept(conn, frame)

    async def _accept(self, conn: Connection, said: Utterance) -> None:
        sender = conn.sender_id
        assert sender is not None
        claim = self.hub.claim(sender, said.id)
        if claim is False:
            await conn.send({"type": "ack", "id": said.id, "duplicate": True})
            return
        if isinstance(claim, asyncio.Future):  # sent again while its turn is still running
            self._spawn(self._ack_when_done(conn, said.id, claim))
            return
        if conn.inbox.full():
            self.hub.finish(sender, said.id, ok=False)
            await conn.send(error_frame("rate_limited", said.id, retry_after=2.0))
            return
        if said.text and not said.hidden and said.location is None:
            echo = {"type": "user_uttered", "id": said.id, "text": said.title or said.text,
                    "ts": round(time.time(), 3)}
            await self.hub.broadcast(sender, echo, skip=conn)
        conn.inbox.put_nowait(said)

    async def _ack_when_done(self, conn: Connection, id: str, turn: asyncio.Future) -> None:
        ok = await turn
        await conn.send({"type": "ack", "id": id, "duplicate": True} if ok
                        else error_frame("internal", id))

    def _spawn(self, coro: Any) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _work(self, conn: Connection, agent: Any) -> None:
        """Hands the socket's messages to Rasa one at a time; acknowledges each when handled.

        The turn runs in a task of its own: if the socket goes away, the turn still finishes
        (and the widget's resend is answered from it); messages still queued are given up.
        """
        sender = conn.sender_id
        assert sender is not None
        try:
            while True:
                said: Utterance = await conn.inbox.get()
                ok = await asyncio.shield(self._spawn(self._turn(sender, said, conn.lang, agent)))
                await conn.send({"type": "ack", "id": said.id, "duplicate": False} if ok
                                else error_frame("internal", said.id))
        finally:
            while not conn.inbox.empty():
                self.hub.finish(sender, conn.inbox.get_nowait().id, ok=False)

    async def _turn(self, sender: str, said: Utterance, lang: str, agent: Any) -> bool:
        """One citizen message through Rasa; True when Rasa handled it."""
        assert self._on_new_message is not None
        ok = False
        await self.hub.broadcast(sender, {"type": "typing", "on": True})
        try:
            if agent is not None and not agent.is_ready():
                log.warning("web chat: no model loaded; message %s of %s not handled",
                            said.id, sender)
                return False
            await self._on_new_message(UserMessage(
                said.text, self.output, sender, input_channel=self.name(),
                metadata=said.metadata(lang), message_id=said.id,
            ))
            ok = True
        except Exception:  # noqa: BLE001 - the citizen gets an answer, the socket lives on
            log.exception("web chat: message %s of %s failed", said.id, sender)
        finally:
            self.hub.finish(sender, said.id, ok)
            await self.hub.broadcast(sender, {"type": "typing", "on": False})
        return ok


def handshake_refusal(request: Request) -> HTTPResponse | None:
    """A 4xx for a request to the socket that is not a valid WebSocket handshake.

    Sanic 21.12 runs the same checks (websockets' own) but fails on their refusal, so without
    this a browser or a crawler opening the socket's URL got HTTP 500 and an error in the log.
    """
    try:
        ServerConnection().process_request(request)
    except InvalidUpgrade as exc:
        return response.json({"error": "upgrade_required", "message": str(exc)}, status=426,
                             headers={"Upgrade": "websocket"})
    except InvalidHandshake as exc:
        return response.json({"error": "bad_handshake", "message": str(exc)}, status=400)
    return None


def _close_on_invalid_utf8(ws: Any) -> None:
    """Close the socket with 1007 when a text frame is not UTF-8 (RFC 6455, 8.1).

    Sanic 21.12 (Rasa 3.6 pins it) decodes text frames in its own reader task and lets the
    UnicodeDecodeError escape there: the frame, and the frames that came with it, were lost
    unanswered, an error was logged, and the socket stayed open as if nothing had happened.
    """
    process = getattr(ws, "process_events", None)
    if process is None:
        return
    refused: list[Exception] = []

    async def process_utf8(events: Any) -> None:
        if refused:
            return  # the socket is closing: nothing after the bad frame is read
        try:
            await process(events)
        except UnicodeDecodeError as exc:
            refused.append(exc)
            ws.fail_connection(CLOSE_NOT_UTF8, "invalid UTF-8")

    ws.process_events = process_utf8


def _frame_id(raw: str | bytes) -> str | None:
    """The id of a refused frame, when it has a readable one (so the widget can send it again)."""
    try:
        frame = parse_frame(raw)
    except FrameError as exc:
        return exc.id
    return frame.id if isinstance(frame, Utterance) else None


async def _events(agent: Any, sender_id: str) -> list[dict[str, Any]]:
    """Every event of a conversation, across its sessions (Rasa's tracker store)."""
    if agent is None or agent.tracker_store is None:
        return []
    tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)
    return [e.as_dict() for e in tracker.events] if tracker else []
