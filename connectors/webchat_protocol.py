"""The web chat protocol without the socket: frames in, frames out, session tokens, history.

Everything here is plain data and pure functions, so the rules in docs/webchat.md are tested
without a server. ``connectors/webchat.py`` puts them on a WebSocket.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FRAME_BYTES = 4096  # a client frame above this is refused (the socket stays open)
SOCKET_MAX_BYTES = 65536  # a frame above this closes the socket (1009), before it is read
TEXT_CHARS = 1000
HISTORY_MESSAGES = 100
PING_SECONDS = 20.0
SESSION_PREFIX = "web-"

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # fullmatch: "$" would let a final "\n" through
_SESSION = re.compile(r"web-[A-Za-z0-9_-]{16,64}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
ISSUED_DIGITS = 12  # a token's issue time: Unix seconds, 10 digits until the year 2286
LANGS = ("en", "ru")

# Close codes (docs/webchat.md).
CLOSE_NO_SESSION = 4400
CLOSE_INVALID_SESSION = 4401
CLOSE_IDLE = 4408
CLOSE_NOT_UTF8 = 1007  # RFC 6455: a text frame that is not UTF-8


class FrameError(ValueError):
    """A client frame the server refuses; ``code`` goes back in an ``error`` frame."""

    MESSAGES = {
        "bad_json": "The message is not a JSON object.",
        "bad_message": "The message is not one this chat understands.",
        "too_large": "The message is too large.",
        "rate_limited": "Too many messages at once; please wait a moment.",
        "session_required": "Start with a session_request.",
        "invalid_session": "This conversation cannot be resumed; a new one starts.",
        "internal": "Something went wrong on our side with this message.",
    }

    def __init__(self, code: str, detail: str = "", id: str | None = None) -> None:
        super().__init__(detail or self.MESSAGES[code])
        self.code = code
        self.id = id

    def frame(self, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "error", "code": self.code, "message": str(self)}
        if self.id:
            body["id"] = self.id
        return {**body, **extra}


def error_frame(code: str, id: str | None = None, **extra: Any) -> dict[str, Any]:
    return FrameError(code, id=id).frame(**extra)


@dataclass(frozen=True)
class SessionRequest:
    session_id: str | None
    token: str | None
    lang: str


@dataclass(frozen=True)
class Utterance:
    """Something the citizen said: typed text, a pressed button, or a shared location."""

    id: str
    text: str  # what Rasa receives
    title: str | None = None  # a button's title, shown in the transcript
    hidden: bool = False  # a start payload the transcript does not show
    location: tuple[float, float] | None = None

    def metadata(self, lang: str) -> dict[str, Any]:
        meta: dict[str, Any] = {"webchat": {"lang": lang}}
        if self.title is not None:
            meta["webchat"]["title"] = self.title
        if self.hidden:
            meta["webchat"]["hidden"] = True
        if self.location is not None:
            meta["location"] = {"lat": self.location[0], "lon": self.location[1]}
        return meta


@dataclass(frozen=True)
class Ping:
    pass


Frame = SessionRequest | Utterance | Ping

LOCATION_TEXT = "/inform"  # a bare location is an answer, its content in metadata


def parse_frame(raw: str | bytes) -> Frame:
    """One client frame, checked; FrameError says why it is refused."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode()
        except UnicodeDecodeError as exc:
            raise FrameError("too_large" if len(raw) > FRAME_BYTES else "bad_json") from exc
    if len(raw.encode()) > FRAME_BYTES:
        raise FrameError("too_large", id=_readable_id(raw))
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise FrameError("bad_json") from exc
    if not isinstance(body, dict):
        raise FrameError("bad_json")
    kind = body.get("type")
    if kind == "ping":
        return Ping()
    if kind == "session_request":
        return _session_request(body)
    if kind in ("user_uttered", "location"):
        id = body.get("id")
        if not isinstance(id, str) or not _ID.fullmatch(id):
            raise FrameError("bad_message", "A message needs an id of letters, digits, _ or -.")
        return _location(id, body) if kind == "location" else _utterance(id, body)
    raise FrameError("bad_message", f"Unknown message type {str(kind)[:40]!r}.")


def _readable_id(raw: str) -> str | None:
    """The id of a frame refused as too large, so the widget can stop sending it."""
    try:
        id = json.loads(raw).get("id")
    except (ValueError, RecursionError, AttributeError):
        return None
    return id if isinstance(id, str) and _ID.fullmatch(id) else None


def _session_request(body: dict[str, Any]) -> SessionRequest:
    session_id, token = body.get("session_id"), body.get("token")
    if session_id is not None and not isinstance(session_id, str):
        raise FrameError("bad_message", "session_id must be a string or null.")
    if token is not None and not isinstance(token, str):
        raise FrameError("bad_message", "token must be a string or null.")
    lang = body.get("lang") if body.get("lang") in LANGS else LANGS[0]
    return SessionRequest(session_id or None, token or None, lang)


def _text(body: dict[str, Any], key: str, id: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FrameError("bad_message", f"{key} must be a string.", id)
    # JSON.stringify sends half an emoji (a lone surrogate) as an escape; no UTF-8 can carry it
    # on to Rasa, the stores or another tab, so it becomes U+FFFD, as a browser's encoder does.
    value = _LONE_SURROGATE.sub("\ufffd", value).strip()
    if len(value) > TEXT_CHARS:
        raise FrameError("bad_message", f"{key} is longer than {TEXT_CHARS} characters.", id)
    return value


def _utterance(id: str, body: dict[str, Any]) -> Utterance:
    text, payload, title = _text(body, "text", id), _text(body, "payload", id), _text(body, "title", id)
    if payload:
        if not payload.startswith("/"):
            raise FrameError("bad_message", "A button payload starts with '/'.", id)
        return Utterance(id, payload, title=title or None, hidden=not title)
    if not text:
        raise FrameError("bad_message", "The message has no text.", id)
    return Utterance(id, text)


def _location(id: str, body: dict[str, Any]) -> Utterance:
    try:
        lat, lon = float(body["latitude"]), float(body["longitude"])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # 10**400: JSON, no float
        raise FrameError("bad_message", "A location needs latitude and longitude.", id) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FrameError("bad_message", "The location is outside the globe.", id)
    return Utterance(id, LOCATION_TEXT, location=(lat, lon))


# ---- session tokens


class SessionSigner:
    """Session ids and the tokens that prove a widget was given one.

    A token is ``<issued unix time>.<HMAC-SHA256(secret, id.issued)>`` in base64url: it proves
    the server issued this id to whoever holds the token, and when. Nothing is stored.
    """

    def __init__(
        self, secret: str, max_age_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.key = hashlib.sha256(b"citybot-webchat:" + secret.encode()).digest()
        self.max_age = max_age_seconds
        self.clock = clock

    def new_session(self) -> str:
        return SESSION_PREFIX + secrets.token_urlsafe(18)

    def token(self, session_id: str) -> str:
        issued = str(int(self.clock()))
        return f"{issued}.{self._mac(session_id, issued)}"

    def verify(self, session_id: str, token: str) -> bool:
        if not _SESSION.fullmatch(session_id):
            return False
        issued, _, mac = token.partition(".")
        if not (issued.isascii() and issued.isdigit() and len(issued) <= ISSUED_DIGITS
                and mac.isascii() and mac):
            return False  # (a longer number overflows the float arithmetic below)
        age = self.clock() - int(issued)
        if age < -300 or age > self.max_age:  # a little clock skew forgiven, never the future
            return False
        return hmac.compare_digest(mac.encode(), self._mac(session_id, issued).encode())

    def _mac(self, session_id: str, issued: str) -> str:
        digest = hmac.new(self.key, f"{session_id}.{issued}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# ---- server frames


def bot_frame(message: dict[str, Any], ts: float, id: str) -> dict[str, Any]:
    """A ``bot_uttered`` frame from what Rasa hands an output channel (or a tracker bot event)."""
    frame: dict[str, Any] = {"type": "bot_uttered", "id": id, "text": message.get("text") or "",
                             "ts": round(ts, 3)}
    for key in ("buttons", "quick_replies"):
        buttons = _buttons(message.get(key))
        if buttons:
            frame[key] = buttons
    if isinstance(message.get("image"), str) and message["image"]:
        frame["image"] = message["image"]
    custom = message.get("custom")
    if isinstance(custom, dict) and custom:
        frame["custom"] = custom
    return frame


def _buttons(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        return []
    return [
        {"title": str(b.get("title") or b.get("payload")), "payload": str(b.get("payload") or "")}
        for b in raw
        if isinstance(b, dict) and (b.get("payload") or b.get("title"))
    ]


def history(events: Iterable[dict[str, Any]], limit: int = HISTORY_MESSAGES) -> list[dict[str, Any]]:
    """The transcript a widget shows, from a tracker's events (oldest first, newest ``limit``)."""
    shown: list[dict[str, Any]] = []
    for number, event in enumerate(events):
        ts = float(event.get("timestamp") or 0)
        if event.get("event") == "bot":
            data = {**(event.get("data") or {}), "text": event.get("text")}
            if data["text"] or data.get("buttons") or data.get("image") or data.get("custom"):
                item = bot_frame(data, ts, f"b{number}")
                del item["type"]
                shown.append({"from": "bot", **item})
        elif event.get("event") == "user":
            item = _user_item(event, ts, number)
            if item:
                shown.append(item)
    return shown[-limit:]


def is_notification(event: Mapping[str, Any]) -> bool:
    """Whether a user event is a notification the assistant sent unasked: Rasa stores the
    notifier's ``trigger_intent`` (bot/notify) as a user event marked ``is_external``, with the
    text "EXTERNAL: <intent>"."""
    return bool((event.get("metadata") or {}).get("is_external"))


def said_by_citizen(event: Mapping[str, Any]) -> tuple[str, bool]:
    """What a user event shows as the citizen's words (a pressed button's title, not its
    payload; see :meth:`Utterance.metadata`), and whether the citizen said it at all (the
    widget's hidden start, ``/greet`` when the chat opens, is not theirs; nor is a
    notification, :func:`is_notification`)."""
    web = (event.get("metadata") or {}).get("webchat") or {}
    if web.get("hidden") or is_notification(event):
        return "", False
    return str(web.get("title") or event.get("text") or ""), True


def _user_item(event: dict[str, Any], ts: float, number: int) -> dict[str, Any] | None:
    meta = event.get("metadata") or {}
    web = meta.get("webchat") or {}
    text, by_citizen = said_by_citizen(event)
    if not by_citizen:
        return None
    item: dict[str, Any] = {"from": "user", "id": event.get("message_id") or f"u{number}",
                            "ts": round(ts, 3)}
    location = meta.get("location")
    if isinstance(location, dict) and "lat" in location:
        item["text"] = ""
        item["location"] = {"latitude": location["lat"], "longitude": location.get("lon")}
        return item
    if not text or (text.startswith("/") and not web.get("title")):
        return None  # a payload from another channel's button or a command: nothing to show
    item["text"] = text
    return item


def handled_ids(events: Iterable[dict[str, Any]]) -> set[str]:
    """The message ids of the conversation's citizen messages (a re-sent one is not handled twice)."""
    return {
        str(event["message_id"])
        for event in events
        if event.get("event") == "user" and event.get("message_id")
    }


def dumps(frame: dict[str, Any]) -> str:
    """A frame as WebSocket text: UTF-8, readable; a lone surrogate (which no UTF-8 can carry,
    e.g. in a tracker event another channel wrote) goes as a JSON escape instead."""
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    if _LONE_SURROGATE.search(text):
        return json.dumps(frame, separators=(",", ":"))
    return text
