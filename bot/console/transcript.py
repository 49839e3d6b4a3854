"""A conversation's transcript for the console, and masking the personal data in it.

- :func:`transcript` maps a conversation's events to display items (:func:`turns_from_events`);
  :func:`session_at` keeps one session of them (and what came after it).
- :func:`mask_turns` hides personal data (:func:`bot.console.privacy.mask_pii`: phone numbers,
  e-mails, cards, SNILS, account and certificate numbers, places) in every text, entity, slot
  value and button of a transcript; a slot holding a latitude or longitude is hidden whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

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
from bot.console.privacy import MASK, is_coordinate, mask_pii, pii_spans
from bot.tracker import Tracker
from connectors.webchat_protocol import is_notification, said_by_citizen

HIDDEN_ACTIONS = frozenset({"action_listen"})  # not shown in a transcript
HIDDEN_SLOTS = frozenset({"session_started_metadata"})


@dataclass
class Turn:
    """One display item of a transcript.

    ``kind``: user, notification (the notifier's external event: ``name`` its intent; what it
    carried is said by the bot turn after it), bot, action, slot, form (``value`` "entered"/"left"),
    session, handoff (the handoff action), pause, resume, restart, reset (all slots), rewind, other (``name`` is
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
        if kind == "user" and is_notification(event):
            turns.append(Turn(
                kind="notification", **base,
                name=((event.get("parse_data") or {}).get("intent") or {}).get("name"),
                input_channel=event.get("input_channel"),
            ))
        elif kind == "user":
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


def session_at(turns: Sequence[Turn], moment: datetime) -> list[Turn]:
    """The session going on at ``moment`` (naive UTC) and everything after it, never an
    earlier session: the turns from the last session start at or before ``moment``.

    Rasa splits one sender's tracker into sessions (``action_session_start``, after an hour's
    silence, a restart or a "forget me"); an operator who takes a handoff sees the session it
    was asked for in, and what the citizen wrote since, even in a session that began while
    they waited. Turns before the first session start are one session too.
    """
    first = 0
    for n, turn in enumerate(turns):
        if turn.kind == "session" and turn.timestamp is not None and turn.timestamp <= moment:
            first = n
    return list(turns[first:])


async def transcript(tracker: Tracker, sender_id: str) -> list[Turn]:
    """Every event of a conversation, in order, as display items ([] if there is none)."""
    return turns_from_events(await tracker.conversation(sender_id))


# ---------------------------------------------------------------------------------- privacy


def _mask_value(value: Any) -> Any:
    """A slot or entity value masked: strings, numbers that are personal data, and anything kept
    under a latitude or longitude key (a shared place)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        masked = mask_pii(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, Mapping):
        return {k: MASK if is_coordinate(k) and v is not None else _mask_value(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_value(v) for v in value]
    return value


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
    place = turn.kind == "slot" and is_coordinate(turn.name) and turn.value is not None
    return replace(
        turn,
        text=mask_pii(turn.text) if turn.text else turn.text,
        entities=[_mask_entity(e, spans) for e in turn.entities],
        value=MASK if place else _mask_value(turn.value),
        buttons=[{**b, "title": mask_pii(str(b.get("title") or ""))} for b in turn.buttons],
    )


def mask_turns(turns: Iterable[Turn]) -> list[Turn]:
    return [mask_turn(t) for t in turns]
