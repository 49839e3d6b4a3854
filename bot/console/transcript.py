"""A conversation's transcript for the console, and masking the personal data in it.

- :func:`transcript` maps a conversation's events to display items (:func:`turns_from_events`).
- :func:`mask_pii` hides phone numbers, e-mails, account and vehicle certificate numbers;
  :func:`mask_turns` does so in every text, entity, slot value and button of a transcript.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.folding import (
    FALLBACK_ACTIONS,
    FALLBACK_INTENT,
    HANDOFF_ACTION,
    LANGUAGE_SLOT,
    LOW_CONFIDENCE,
    event_time,
    language_value,
    message_confidence,
)
from bot.console.index import EVENTS, has_events_table
from connectors.webchat_protocol import said_by_citizen

HIDDEN_ACTIONS = frozenset({"action_listen"})  # not shown in a transcript
HIDDEN_SLOTS = frozenset({"session_started_metadata"})


@dataclass
class Turn:
    """One display item of a transcript.

    ``kind``: user, bot, action, slot, form (``value`` "entered"/"left"), session, handoff
    (the handoff action), pause, resume, restart, reset (all slots), rewind, other (``name`` is
    the event type). For a ``user`` turn ``confidence`` is the classifier's confidence in its best
    real intent (see :func:`message_confidence`), ``guess`` that intent when the prediction is
    ``nlu_fallback``, and ``language`` the conversation's language as that turn left it (the
    ``language`` slot the assistant set after reading the message; None: never set).
    """

    kind: str
    event_id: int | None = None
    timestamp: datetime | None = None
    text: str | None = None
    intent: str | None = None
    confidence: float | None = None
    guess: str | None = None
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    input_channel: str | None = None
    message_id: str | None = None
    low_confidence: bool = False
    fallback: bool = False
    buttons: list[dict[str, Any]] = field(default_factory=list)
    name: str | None = None
    value: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    hidden: bool = False  # a user event the citizen did not write (the widget's start)
    pressed: bool = False  # a user turn that is a pressed button (``text`` is its title)
    language: str | None = None

    @property
    def operator(self) -> str | None:
        """For a bot turn, the operator who wrote it (None: the assistant)."""
        return self.metadata.get("operator") if self.kind == "bot" else None


_SIMPLE_KINDS = {
    "session_started": "session", "pause": "pause", "resume": "resume", "restart": "restart",
    "reset_slots": "reset", "rewind": "rewind",
}
_SKIPPED_EVENTS = frozenset({"user_featurization"})


def _user_turn(event: Mapping[str, Any], base: dict[str, Any]) -> Turn:
    parse = event.get("parse_data") or {}
    intent, confidence = message_confidence(parse)
    guess = None
    ranking: list[tuple[str, float]] = []
    for r in parse.get("intent_ranking") or []:
        if r.get("name") and r.get("confidence") is not None:
            ranking.append((r["name"], float(r["confidence"])))
    if intent == FALLBACK_INTENT:
        guess = next((n for n, _ in sorted(ranking, key=lambda r: -r[1])
                      if n != FALLBACK_INTENT), None)
    entities = [
        {k: e.get(k) for k in ("entity", "value", "start", "end", "extractor", "role", "group")
         if e.get(k) is not None}
        for e in parse.get("entities") or event.get("entities") or []
    ]
    text, by_citizen = said_by_citizen(event)
    web = (event.get("metadata") or {}).get("webchat") or {}
    return Turn(
        kind="user", **base, text=text if by_citizen else event.get("text"),
        hidden=not by_citizen, pressed=bool(web.get("title")), intent=intent,
        confidence=confidence,
        guess=guess, ranking=ranking[:5], entities=entities,
        input_channel=event.get("input_channel"), message_id=event.get("message_id"),
        low_confidence=confidence is not None and confidence < LOW_CONFIDENCE,
        fallback=intent == FALLBACK_INTENT,
    )


def turns_from_events(events: Iterable[Mapping[str, Any]]) -> list[Turn]:
    """Display items for events in Rasa's dict form (``Event.as_dict()``, the ``data`` column);
    an ``id`` key, when present, becomes ``event_id``."""
    turns: list[Turn] = []
    active_form: str | None = None
    for event in events:
        kind = event.get("event")
        base = {"event_id": event.get("id"), "timestamp": event_time(event.get("timestamp"))}
        if kind == "user":
            turns.append(_user_turn(event, base))
        elif kind == "bot":
            data = event.get("data") or {}
            buttons = data.get("buttons") or data.get("quick_replies") or []
            turns.append(Turn(
                kind="bot", **base, text=event.get("text"),
                buttons=[dict(b) for b in buttons if isinstance(b, Mapping)],
                metadata=dict(event.get("metadata") or {}),
            ))
        elif kind == "action":
            name = event.get("name")
            if name in HIDDEN_ACTIONS:
                continue
            turns.append(Turn(
                kind="handoff" if name == HANDOFF_ACTION else "action", **base, name=name,
                fallback=name in FALLBACK_ACTIONS,
            ))
        elif kind == "slot":
            if event.get("name") in HIDDEN_SLOTS:
                continue
            turns.append(Turn(kind="slot", **base, name=event.get("name"),
                              value=event.get("value")))
        elif kind == "active_loop":
            name = event.get("name")
            if name:
                turns.append(Turn(kind="form", **base, name=name, value="entered"))
            elif active_form:
                turns.append(Turn(kind="form", **base, name=active_form, value="left"))
            active_form = name
        elif kind in _SIMPLE_KINDS:
            turns.append(Turn(kind=_SIMPLE_KINDS[kind], **base))
            if kind == "restart":
                active_form = None
        elif kind not in _SKIPPED_EVENTS:
            turns.append(Turn(kind="other", **base, name=str(kind)))
    _mark_languages(turns)
    return turns


def _mark_languages(turns: list[Turn]) -> None:
    """Give each user turn the conversation's language as its turn left it: the assistant reads
    a message and sets the ``language`` slot after it, before the next message."""
    current: str | None = None
    this_turn: list[Turn] = []
    for turn in turns:
        if turn.kind == "user":
            for earlier in this_turn:
                earlier.language = current
            this_turn = [turn]
        elif turn.kind == "slot" and turn.name == LANGUAGE_SLOT:
            current = language_value(turn.value)
    for earlier in this_turn:
        earlier.language = current


async def transcript(tracker: AsyncEngine, sender_id: str) -> list[Turn]:
    """Every event of a conversation, in order, as display items ([] if there is none)."""
    if not await has_events_table(tracker):
        return []
    async with tracker.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(EVENTS.c.id, EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender_id)
                .order_by(EVENTS.c.id)
            )
        ).all()
    events = []
    for event_id, data in rows:
        try:
            event = json.loads(data or "{}")
        except ValueError:
            event = {"event": "unreadable"}
        events.append({**event, "id": event_id})
    return turns_from_events(events)


# ---------------------------------------------------------------------------------- privacy


MASK = "••••"
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.([^\W\d_]{2,24})(?![\w-])")
_PHONES = (
    # Russian: +7 / 7 / 8, then ten digits, with the usual spaces, dashes and brackets.
    re.compile(r"(?<![\w+])(?:\+\s?7|8|7)[\s\-]?\(?\d{3}\)?[\s\-]?\d{3}[\s\-]?\d{2}[\s\-]?\d{2}"
               r"(?![\w])"),
    # International: + and 8 to 15 digits, single separators.
    re.compile(r"(?<![\w+])\+\d(?:[\s\-.()]{0,2}\d){7,14}(?![\w])"),
    # Russian without the country code: (495) 123-45-67, 916 123 45 67.
    re.compile(r"(?<![\w+])\(?[3489]\d{2}\)?[\s\-]?\d{3}[\s\-]\d{2}[\s\-]?\d{2}(?![\w])"),
)
# Vehicle registration certificate (СТС): 2 digits, 2 digits or letters, 6 digits.
_STS = re.compile(r"(?<![\w])\d{2}\s?(?:\d{2}|[^\W\d_]{2})\s?\d{6}(?![\w])")
# Meter account numbers (data/nlu/regexes.yml: 7700 and six digits), also typed in groups, and
# any longer run of digits (ten and more is an account, a certificate or a phone, never a date,
# a request number or a reading).
_ACCOUNT = re.compile(r"(?<![\w])7700[\s\-]?\d{3}[\s\-]?\d{3}(?![\w])")
_LONG_NUMBER = re.compile(r"(?<![\w])\d{10,}(?![\w])")


def _hint(match: re.Match[str]) -> str:
    tail = "".join(c for c in match.group(0) if c.isalnum())[-2:]
    return f"{MASK}{tail}"


def _email_hint(match: re.Match[str]) -> str:
    return f"{MASK}@{MASK}.{match.group(1)}"


def mask_pii(text: str | None) -> str:
    """``text`` with phone numbers, e-mails, meter account and vehicle certificate numbers
    replaced by •••• and their last two characters ("••••67"; an e-mail keeps its top domain)."""
    if not text:
        return text or ""
    text = _EMAIL.sub(_email_hint, text)
    for pattern in (*_PHONES, _STS, _ACCOUNT, _LONG_NUMBER):
        text = pattern.sub(_hint, text)
    return text


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        masked = mask_pii(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, Mapping):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_value(v) for v in value]
    return value


def pii_spans(text: str | None) -> list[tuple[int, int]]:
    """Where ``mask_pii`` would mask ``text`` (start, end), in the original text."""
    if not text:
        return []
    return [m.span() for pattern in (_EMAIL, *_PHONES, _STS, _ACCOUNT, _LONG_NUMBER)
            for m in pattern.finditer(text)]


def _mask_entity(entity: dict[str, Any], spans: list[tuple[int, int]]) -> dict[str, Any]:
    """An entity's value masked, also when it is a piece of something masked in the text (the
    extractor may cut a phone number into "+7", "916", "123-45-67")."""
    start, end = entity.get("start"), entity.get("end")
    if isinstance(start, int) and isinstance(end, int) and any(
        start < b and a < end for a, b in spans
    ):
        return {**entity, "value": MASK}
    return {**entity, "value": _mask_value(entity.get("value"))}


def mask_turn(turn: Turn) -> Turn:
    """A copy of a turn with its text, entity values, slot value and button titles masked."""
    spans = pii_spans(turn.text)
    return replace(
        turn,
        text=mask_pii(turn.text) if turn.text else turn.text,
        entities=[_mask_entity(e, spans) for e in turn.entities],
        value=_mask_value(turn.value),
        buttons=[{**b, "title": mask_pii(str(b.get("title") or ""))} for b in turn.buttons],
    )


def mask_turns(turns: Iterable[Turn]) -> list[Turn]:
    return [mask_turn(t) for t in turns]
