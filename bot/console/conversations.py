"""Conversations for the staff console: an incremental index over Rasa's tracker store.

Rasa's ``SQLTrackerStore`` keeps every event of every conversation in one table, ``events``
(id, sender_id, type_name, timestamp, intent_name, action_name, data = the event's JSON). The
console reads it and never changes its schema. Listing 100 000 conversations with filters from
that table alone would mean reading every event, so :func:`refresh_index` folds new events
(``id`` above the last one read, in batches) into one ``conversation_index`` row per
conversation in the app database, and the list pages and filters in SQL over that table.

- :func:`refresh_index` reads what is new; call it before a list or every few seconds
  (:func:`keep_index_fresh`). :func:`rebuild_index` starts over. The same pass keeps the
  analytics tables: ``conversation_days`` (a conversation's messages, fallback and handoff on
  one day of the city's calendar) and ``intent_days`` (messages per intent per day).
- :func:`list_conversations` filters (:class:`ConversationFilters`), orders newest first and pages.
- :func:`transcript` maps a conversation's events to display items (:func:`turns_from_events`).
- :func:`delete_conversation` removes a conversation from the tracker store and every console
  table; :func:`forget` only the console's side (rows of any app table with a ``sender_id``).
- :func:`mask_pii` hides phone numbers, e-mails, account and vehicle certificate numbers.

Times are naive UTC ``datetime`` objects, like every time in the app database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.config import load_settings
from bot.store import Handoff, HandoffClaim, Store
from bot.store.db import make_engine
from bot.store.models import (
    Base,
    ConversationDay,
    ConversationIndex,
    ConversationReview,
    ConversationTag,
    ConversationText,
    FormDay,
    IndexState,
    IntentDay,
    utcnow,
)
from connectors.webchat_protocol import said_by_citizen

log = logging.getLogger(__name__)

# Rasa's events table as Rasa 3.6 creates it (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent);
# a bare table clause: nothing here can create or alter it.
EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)

# The index's state row. A new key (when what the indexer writes changes) rebuilds the index
# from the first event: :func:`_ensure_state`.
STATE_KEY = "tracker/4"
BATCH_SIZE = 5000
# On servers that commit transactions concurrently (PostgreSQL), an event with a lower id can
# become visible after a higher one was read; each refresh reads this many ids back again
# (already folded events are skipped per conversation). SQLite commits one writer at a time.
REREAD_IDS = 1000
IN_CHUNK = 500  # senders per IN (...) list

LOW_CONFIDENCE = 0.5  # a citizen message below this is highlighted
FIRST_MESSAGE_CHARS = 300
SEARCH_TEXT_CHARS = 4000  # what the search keeps of one conversation's citizen messages

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({
    "action_default_fallback",
    "action_two_stage_fallback",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_clarify",  # citybot's answer to nlu_fallback (data/rules/basics.yml)
})
HANDOFF_INTENT = "human_handoff"
HANDOFF_ACTION = "action_handoff"
# The service catalogue (../shared/SERVICES.md): intents and forms that count as a service used.
SERVICE_INTENTS = frozenset({
    "report_problem", "check_request_status", "submit_meter_readings", "check_fines",
    "book_doctor", "cancel_appointment", "find_office", "check_outages",
    "subscribe_notifications", "unsubscribe_notifications", "list_subscriptions",
    "show_polls", "vote", "faq", "human_handoff",
})
FORM_SERVICES = {
    "problem_report_form": "report_problem",
    "meter_readings_form": "submit_meter_readings",
    "fines_form": "check_fines",
    "doctor_appointment_form": "book_doctor",
    "subscription_form": "subscribe_notifications",
    "vote_form": "vote",
}
# The funnel of a form: started (the form became active) -> confirmed (its confirmation slot set
# to true; any other "<x>_confirmed" slot counts for the active form) -> filed (its filing
# action ran and answered with anything but one of the refusals below).
CONFIRM_SLOTS = {
    "report_confirmed": "problem_report_form",
    "meter_confirmed": "meter_readings_form",
}
FILING_ACTIONS = {
    "action_file_report": "problem_report_form",
    "action_submit_meter_readings": "meter_readings_form",
}
NOT_FILED_RESPONSES = frozenset({
    "utter_report_cancelled", "utter_report_rejected",
    "utter_meter_cancelled", "utter_meter_rejected",
    "utter_city_unavailable",
})
HIDDEN_ACTIONS = frozenset({"action_listen"})  # not shown in a transcript
HIDDEN_SLOTS = frozenset({"session_started_metadata"})


def _utc(ts: float | None) -> datetime | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(float(ts), tz=timezone.utc).replace(tzinfo=None)


def naive_utc(value: datetime) -> datetime:
    """An aware datetime in naive UTC; a naive one is taken as UTC already."""
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _tokens(column: str) -> list[str]:
    return column.split()


def _add_token(column: str, token: str) -> str:
    if f" {token} " in column:
        return column
    return f"{column or ' '}{token} "


def tracker_engine(url: str) -> AsyncEngine:
    """An async engine on Rasa's tracker database (``Settings.tracker_db_url``)."""
    return make_engine(url)


async def has_events_table(tracker: AsyncEngine) -> bool:
    """Whether Rasa has made its ``events`` table yet (it does at its first conversation)."""
    async with tracker.connect() as conn:
        return await conn.run_sync(lambda sync: sa.inspect(sync).has_table("events"))


# ---------------------------------------------------------------------------------- the index


def message_confidence(parse_data: Mapping[str, Any]) -> tuple[str | None, float | None]:
    """The predicted intent of a message and the classifier's confidence in its best guess.

    Rasa's FallbackClassifier replaces a weak prediction by ``nlu_fallback`` with the threshold
    as its confidence; the informative figure is then the best real intent's confidence.
    """
    intent = parse_data.get("intent") or {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    if name == FALLBACK_INTENT:
        others = [
            r for r in parse_data.get("intent_ranking") or []
            if r.get("name") != FALLBACK_INTENT and r.get("confidence") is not None
        ]
        if others:
            confidence = max(float(r["confidence"]) for r in others)
    return name, (float(confidence) if confidence is not None else None)


def _new_row(sender_id: str) -> dict[str, Any]:
    return {
        "id": None, "sender_id": sender_id, "channel": "", "started_at": None, "last_at": None,
        "first_message": "", "turns": 0, "events": 0, "services": "", "intents": "",
        "had_fallback": False, "min_confidence": None, "handed_off": False,
        "forms_started": "", "forms_confirmed": "", "forms_filed": "", "active_form": None,
        "fold_state": {}, "last_event_id": 0,
    }


def _add_service(row: dict[str, Any], service: str | None) -> None:
    if service and service not in row["services"].split(","):
        row["services"] = f"{row['services']},{service}" if row["services"] else service


@dataclass
class DayTally:
    """What a batch of events adds to the analytics tables, by day of the city's calendar.

    ``days``: (sender, day) -> {"channel", "messages", "fallback", "handoff"};
    ``intents``: (sender, day, intent) -> messages; ``forms``: (sender, day, form, stage). A
    turn's actions count on the day of the citizen's message that started it.
    """

    zone: ZoneInfo
    days: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    intents: Counter[tuple[str, date, str]] = field(default_factory=Counter)
    forms: set[tuple[str, date, str, str]] = field(default_factory=set)

    def _day(self, row: dict[str, Any], day: date) -> dict[str, Any]:
        key = (row["sender_id"], day)
        if key not in self.days:
            self.days[key] = {"channel": row["channel"], "messages": 0, "fallback": False,
                              "handoff": False}
        return self.days[key]

    def message(self, row: dict[str, Any], when: datetime, intent: str | None) -> None:
        day = when.replace(tzinfo=timezone.utc).astimezone(self.zone).date()
        row["fold_state"]["day"] = day.isoformat()
        self._day(row, day)["messages"] += 1
        if intent:
            self.intents[(row["sender_id"], day, intent[:100])] += 1

    def flag(self, row: dict[str, Any], name: str) -> None:
        day = row["fold_state"].get("day")
        if day:  # no citizen message yet: nothing to count it on
            self._day(row, date.fromisoformat(day))[name] = True

    def form(self, row: dict[str, Any], form: str, stage: str) -> None:
        day = row["fold_state"].get("day")
        if day:
            self.forms.add((row["sender_id"], date.fromisoformat(day), form[:64], stage))


def fold_event(row: dict[str, Any], event_id: int, type_name: str, timestamp: float | None,
               action_name: str | None, data: str | None, texts: list[str],
               tally: DayTally | None = None) -> None:
    """Fold one tracker event into a conversation row (a dict of ConversationIndex columns).

    ``texts`` collects what the citizen wrote (for the search table), ``tally`` the day's
    activity (for analytics). Only user, bot and slot events need their JSON; the rest is read
    from the table's columns.
    """
    row["events"] += 1
    row["last_event_id"] = event_id
    when = _utc(timestamp)
    if when is not None:
        if row["started_at"] is None or when < row["started_at"]:
            row["started_at"] = when
        if row["last_at"] is None or when > row["last_at"]:
            row["last_at"] = when
    state = row["fold_state"]

    def flag(name: str) -> None:
        row["had_fallback" if name == "fallback" else "handed_off"] = True
        if tally is not None:
            tally.flag(row, name)

    def reach(stage: str, form: str) -> None:
        column = f"forms_{stage}"
        row[column] = _add_token(row[column], form)
        if tally is not None:
            tally.form(row, form, stage)

    if type_name == "user":
        state.pop("filing", None)
        event = json.loads(data or "{}")
        if not row["channel"] and event.get("input_channel"):
            row["channel"] = str(event["input_channel"])[:64]
        text, by_citizen = said_by_citizen(event)
        if not by_citizen:
            return  # the widget's hidden start: not a turn, not a message
        row["turns"] += 1
        if text:
            texts.append(text.lower())
        if row["turns"] == 1:
            row["first_message"] = text[:FIRST_MESSAGE_CHARS]
        intent, confidence = message_confidence(event.get("parse_data") or {})
        if tally is not None and when is not None:
            tally.message(row, when, intent)
        if intent:
            row["intents"] = _add_token(row["intents"], intent)
            if intent in SERVICE_INTENTS:
                _add_service(row, intent)
            if intent == FALLBACK_INTENT:
                flag("fallback")
            if intent == HANDOFF_INTENT:
                flag("handoff")
        if confidence is not None and (
            row["min_confidence"] is None or confidence < row["min_confidence"]
        ):
            row["min_confidence"] = confidence
    elif type_name == "action":
        state.pop("filing", None)
        if action_name in FALLBACK_ACTIONS:
            flag("fallback")
        if action_name == HANDOFF_ACTION:
            flag("handoff")
        form = FILING_ACTIONS.get(action_name or "")
        if form and f" {form} " in row["forms_confirmed"]:
            state["filing"] = form  # filed unless its answer is a refusal
    elif type_name == "bot":
        form = state.pop("filing", None)
        if form:
            event = json.loads(data or "{}")
            if (event.get("metadata") or {}).get("utter_action") not in NOT_FILED_RESPONSES:
                reach("filed", form)
    elif type_name == "slot":
        name = action_name or ""
        if name.endswith("_confirmed"):
            event = json.loads(data or "{}")
            form = CONFIRM_SLOTS.get(name) or row["active_form"]
            if event.get("value") is True and form:
                reach("confirmed", form)
    elif type_name == "active_loop":
        row["active_form"] = action_name or None
        if action_name:
            reach("started", action_name)
            _add_service(row, FORM_SERVICES.get(action_name))
    elif type_name == "pause":
        flag("handoff")
    elif type_name == "restart":
        row["active_form"] = None
        state.pop("filing", None)


# Rebuilt from the events.
_DERIVED = (ConversationIndex, ConversationText, ConversationDay, IntentDay, FormDay)


async def _ensure_state(store: Store) -> None:
    """Make the index's state row; without one, what an older indexer wrote is dropped first
    (the next refresh folds every event again)."""
    async with store.session() as session:
        if await session.get(IndexState, STATE_KEY) is not None:
            return
    try:
        async with store.session() as session, session.begin():
            # The insert comes first: a second process making it too waits here holding
            # nothing, then finds the row made, having dropped nothing (no deadlock, no loss).
            session.add(IndexState(key=STATE_KEY, last_event_id=0))
            await session.flush()
            for model in _DERIVED:
                await session.execute(sa.delete(model))
            await session.execute(
                sa.delete(IndexState)
                .where(IndexState.key.like("tracker%"), IndexState.key != STATE_KEY)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:  # another process made it first
        pass


async def _lock_state(session: AsyncSession) -> IndexState:
    """The index's state row, write-locked for this transaction.

    The first statement writes, so SQLite takes its write lock now and PostgreSQL locks the row:
    one refresh (or deletion) at a time, across processes.
    """
    locked = await session.execute(
        sa.update(IndexState)
        .where(IndexState.key == STATE_KEY)
        .values(last_event_id=IndexState.last_event_id)
    )
    if locked.rowcount != 1:  # never deleted once made (_ensure_state); a lock on nothing is none
        raise RuntimeError("the conversation index's state row is missing")
    state = (
        await session.execute(sa.select(IndexState).where(IndexState.key == STATE_KEY))
    ).scalar_one()
    return state


def _columns() -> list[str]:
    return [c.name for c in ConversationIndex.__table__.columns if c.name != "updated_at"]


async def _load_rows(session: AsyncSession, senders: Sequence[str]) -> dict[str, dict[str, Any]]:
    table = ConversationIndex.__table__
    columns = [table.c[name] for name in _columns()]
    rows: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(senders):
        result = await session.execute(sa.select(*columns).where(table.c.sender_id.in_(chunk)))
        for found in result.mappings():
            row = dict(found)
            row["fold_state"] = dict(row["fold_state"] or {})
            rows[row["sender_id"]] = row
    return rows


async def _load_texts(session: AsyncSession, senders: Sequence[str]) -> dict[str, str]:
    table = ConversationText.__table__
    texts: dict[str, str] = {}
    for chunk in _chunks(senders):
        result = await session.execute(
            sa.select(table.c.sender_id, table.c.text).where(table.c.sender_id.in_(chunk))
        )
        texts.update({sender: text for sender, text in result.all()})
    return texts


async def _write_days(session: AsyncSession, tally: DayTally, known: set[str]) -> None:
    """Add a batch's tally to ``conversation_days``, ``intent_days`` and ``form_days``.

    Only ``known`` conversations (indexed before this batch) can have rows already.
    """
    senders = list(dict.fromkeys(sender for sender, _ in tally.days if sender in known))
    days, intents = ConversationDay.__table__, IntentDay.__table__
    old_days: dict[tuple[str, date], Any] = {}
    old_intents: dict[tuple[str, date, str], Any] = {}
    for chunk in _chunks(senders):
        for found in await session.execute(
            sa.select(days.c.id, days.c.sender_id, days.c.day, days.c.messages, days.c.fallback,
                      days.c.handoff).where(days.c.sender_id.in_(chunk))
        ):
            old_days[(found.sender_id, found.day)] = found
        for found in await session.execute(
            sa.select(intents.c.id, intents.c.sender_id, intents.c.day, intents.c.intent,
                      intents.c.messages).where(intents.c.sender_id.in_(chunk))
        ):
            old_intents[(found.sender_id, found.day, found.intent)] = found
    inserts, updates = [], []
    for (sender, day), add in tally.days.items():
        old = old_days.get((sender, day))
        if old is None:
            inserts.append({"sender_id": sender, "day": day, **add})
        else:
            updates.append({
                "b_id": old.id, "messages": old.messages + add["messages"],
                "fallback": old.fallback or add["fallback"], "handoff": old.handoff or add["handoff"],
            })
    if inserts:
        await session.execute(days.insert(), inserts)
    if updates:
        await session.execute(days.update().where(days.c.id == sa.bindparam("b_id")), updates)
    inserts, updates = [], []
    for (sender, day, intent), count in tally.intents.items():
        old = old_intents.get((sender, day, intent))
        if old is None:
            inserts.append({"sender_id": sender, "day": day, "intent": intent, "messages": count})
        else:
            updates.append({"b_id": old.id, "messages": old.messages + count})
    if inserts:
        await session.execute(intents.insert(), inserts)
    if updates:
        await session.execute(intents.update().where(intents.c.id == sa.bindparam("b_id")), updates)
    await _write_forms(session, tally.forms, known)


async def _write_forms(session: AsyncSession, reached: set[tuple[str, date, str, str]],
                       known: set[str]) -> None:
    """Add the form stages a batch reached to ``form_days`` (once per conversation and day)."""
    forms = FormDay.__table__
    old: set[tuple[str, date, str, str]] = set()
    for chunk in _chunks(list({sender for sender, *_ in reached if sender in known})):
        old.update(tuple(found) for found in await session.execute(
            sa.select(forms.c.sender_id, forms.c.day, forms.c.form, forms.c.stage)
            .where(forms.c.sender_id.in_(chunk))
        ))
    new = [
        {"sender_id": sender, "day": day, "form": form, "stage": stage}
        for sender, day, form, stage in sorted(reached - old)
    ]
    if new:
        await session.execute(forms.insert(), new)


async def _fold_batch(session: AsyncSession, events: Sequence[Any], zone: ZoneInfo) -> int:
    """Fold a batch of event rows into the index; returns how many were new to it."""
    senders = list(dict.fromkeys(e.sender_id for e in events))
    rows = await _load_rows(session, senders)
    known = set(rows)
    old_texts = await _load_texts(session, senders)
    new_texts: dict[str, list[str]] = {}
    tally = DayTally(zone)
    changed: set[str] = set()
    folded = 0
    for e in events:
        row = rows.get(e.sender_id)
        if row is None:
            row = rows[e.sender_id] = _new_row(e.sender_id)
        if e.id <= row["last_event_id"]:
            continue  # read again (REREAD_IDS), already in the row
        fold_event(row, e.id, e.type_name, e.timestamp, e.action_name, e.data,
                   new_texts.setdefault(e.sender_id, []), tally)
        changed.add(e.sender_id)
        folded += 1
    if not changed:
        return 0
    now = utcnow()
    inserts, updates = [], []
    for sender in changed:
        row = rows[sender]
        if row["started_at"] is None:  # events without timestamps (never written by Rasa)
            row["started_at"] = row["last_at"] = now
        row["updated_at"] = now
        if row["id"] is None:
            inserts.append({k: v for k, v in row.items() if k != "id"})
        else:
            updates.append({**{k: v for k, v in row.items() if k != "id"}, "b_id": row["id"]})
    table = ConversationIndex.__table__
    if inserts:
        await session.execute(table.insert(), inserts)
    if updates:
        await session.execute(table.update().where(table.c.id == sa.bindparam("b_id")), updates)
    text_inserts, text_updates = [], []
    for sender, parts in new_texts.items():
        if not parts:
            continue
        if sender in old_texts:
            text = "\n".join([old_texts[sender], *parts])[:SEARCH_TEXT_CHARS]
            text_updates.append({"b_sender": sender, "text": text})
        else:
            text_inserts.append({"sender_id": sender, "text": "\n".join(parts)[:SEARCH_TEXT_CHARS]})
    texts = ConversationText.__table__
    if text_inserts:
        await session.execute(texts.insert(), text_inserts)
    if text_updates:
        await session.execute(
            texts.update().where(texts.c.sender_id == sa.bindparam("b_sender")), text_updates
        )
    await _write_days(session, tally, known)
    return folded


async def refresh_index(tracker: AsyncEngine, store: Store, *, batch_size: int = BATCH_SIZE,
                        max_batches: int | None = None, reread: int | None = None,
                        tz: str | None = None) -> int:
    """Fold the tracker's events added since the last refresh into the index.

    Reads ``events`` by id in batches of ``batch_size``, one app-database transaction per batch
    (the index and its state move together), until none is left or ``max_batches`` were read
    (a page can bound its wait while a background task builds the index). ``reread``: ids read
    back again (default: none on SQLite, :data:`REREAD_IDS` elsewhere). ``tz``: the city's time
    zone, whose calendar the analytics days follow (default: the settings'). Returns how many
    events were new to the index.
    """
    if not await has_events_table(tracker):
        return 0
    await _ensure_state(store)
    # Nothing new (the usual case): answer without taking the write lock.
    async with store.session() as session:
        seen = await session.scalar(
            sa.select(IndexState.last_event_id).where(IndexState.key == STATE_KEY)
        )
    async with tracker.connect() as conn:
        if (await conn.execute(sa.select(sa.func.max(EVENTS.c.id)))).scalar() == seen:
            return 0
    if reread is None:
        reread = 0 if tracker.dialect.name == "sqlite" else REREAD_IDS
    zone = ZoneInfo(tz or load_settings().city_timezone)
    total = batches = 0
    while True:
        batches += 1
        async with store.session() as session, session.begin():
            state = await _lock_state(session)
            watermark = state.last_event_id
            async with tracker.connect() as conn:
                top = (await conn.execute(sa.select(sa.func.max(EVENTS.c.id)))).scalar() or 0
                if top < watermark:
                    # The newest events were deleted; SQLite hands their ids out again.
                    watermark = top
                events = (
                    await conn.execute(
                        sa.select(
                            EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name,
                            EVENTS.c.timestamp, EVENTS.c.action_name, EVENTS.c.data,
                        )
                        .where(EVENTS.c.id > max(0, watermark - reread))
                        .order_by(EVENTS.c.id)
                        .limit(batch_size)
                    )
                ).all()
            reread = 0
            if events:
                total += await _fold_batch(session, events, zone)
                watermark = max(watermark, events[-1].id)
            if watermark != state.last_event_id:
                state.last_event_id = watermark
                state.updated_at = utcnow()
        if len(events) < batch_size or (max_batches and batches >= max_batches):
            return total


async def rebuild_index(tracker: AsyncEngine, store: Store, *, batch_size: int = BATCH_SIZE,
                        tz: str | None = None) -> int:
    """Drop the index and analytics (reviews and tags stay) and fold every event again."""
    await _ensure_state(store)
    async with store.session() as session, session.begin():
        state = await _lock_state(session)
        for model in _DERIVED:
            await session.execute(sa.delete(model))
        state.last_event_id = 0
    return await refresh_index(tracker, store, batch_size=batch_size, tz=tz)


async def keep_index_fresh(tracker: AsyncEngine, store: Store, every: float = 5.0,
                           tz: str | None = None) -> None:
    """Refresh the index every ``every`` seconds until cancelled (a console background task)."""
    while True:
        try:
            await refresh_index(tracker, store, tz=tz)
        except asyncio.CancelledError:
            raise
        except Exception:  # a locked or restarting database must not end the loop
            log.exception("conversation index refresh failed")
        await asyncio.sleep(every)


# ------------------------------------------------------------------------------- deletion


def _forgettable_tables() -> list[sa.Table]:
    """Every app table with a ``sender_id`` column, unless marked ``info={"keep_on_forget": True}``."""
    return [
        table for table in Base.metadata.sorted_tables
        if "sender_id" in table.c and not table.info.get("keep_on_forget")
    ]


async def _forget(session: AsyncSession, sender_id: str) -> int:
    # A claim names its handoff, not the conversation: it goes with the conversation's handoffs.
    claims = HandoffClaim.__table__
    result = await session.execute(sa.delete(claims).where(claims.c.handoff_id.in_(
        sa.select(Handoff.__table__.c.id).where(Handoff.__table__.c.sender_id == sender_id)
    )))
    count = result.rowcount or 0
    for table in reversed(_forgettable_tables()):
        result = await session.execute(sa.delete(table).where(table.c.sender_id == sender_id))
        count += result.rowcount or 0
    return count


async def forget(store: Store, sender_id: str) -> int:
    """Delete every console row of a conversation (index, search text, review, tags, handoffs
    and their claims, reports: each app table with a ``sender_id``); returns the rows deleted.
    The tracker's own events are :func:`delete_conversation`'s business; if they remain, the
    conversation comes back in the index only by a rebuild (or when the citizen writes again)."""
    async with store.session() as session, session.begin():
        return await _forget(session, sender_id)


async def delete_conversation(tracker: AsyncEngine, store: Store, sender_id: str, *,
                              before: float | None = None) -> int:
    """Delete a conversation from Rasa's tracker store and every console table.

    ``before``: delete only the tracker events older than this timestamp (a citizen's forget_me
    keeps the fresh session it started: :mod:`bot.forgetting`). Runs under the index's lock so
    a refresh cannot bring it back half-way. Returns the number of tracker events deleted.
    """
    await _ensure_state(store)
    async with store.session() as session, session.begin():
        state = await _lock_state(session)
        deleted = 0
        if await has_events_table(tracker):
            async with tracker.begin() as conn:
                which = EVENTS.c.sender_id == sender_id
                if before is not None:
                    which = sa.and_(which, EVENTS.c.timestamp < before)
                result = await conn.execute(sa.delete(EVENTS).where(which))
                deleted = result.rowcount or 0
                top = (await conn.execute(sa.select(sa.func.max(EVENTS.c.id)))).scalar() or 0
            if top < state.last_event_id:
                state.last_event_id = top  # ids above are free again on SQLite
        await _forget(session, sender_id)
    return deleted


async def prune_index(tracker: AsyncEngine, store: Store) -> int:
    """Forget indexed conversations that are no longer in the tracker (deleted by other means)."""
    if not await has_events_table(tracker):
        return 0
    async with tracker.connect() as conn:
        alive = set((await conn.execute(sa.select(EVENTS.c.sender_id).distinct())).scalars())
    async with store.session() as session:
        indexed = (await session.execute(sa.select(ConversationIndex.sender_id))).scalars().all()
    gone = [sender for sender in indexed if sender not in alive]
    for sender in gone:
        await forget(store, sender)
    return len(gone)


# ------------------------------------------------------------------------------- the list


_TRUE = ("1", "true", "yes", "on", "y")
_FALSE = ("0", "false", "no", "off", "n")
_NAME = re.compile(r"^[\w./-]{1,100}$")


def _flag(value: str | None) -> bool | None:
    value = (value or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def day_bounds(first: date | None, last: date | None, tz: str) -> tuple[datetime | None,
                                                                        datetime | None]:
    """Naive-UTC bounds of whole days in the city's time zone, ``last`` included."""
    zone = ZoneInfo(tz)

    def start(day: date) -> datetime:
        return naive_utc(datetime.combine(day, time.min, tzinfo=zone))

    return (
        start(first) if first else None,
        start(last + timedelta(days=1)) if last else None,
    )


@dataclass(frozen=True)
class ConversationFilters:
    """What the list shows; ``None`` (or empty) leaves a filter out.

    ``since``/``until``: naive UTC (aware values are converted), ``since <= last_at < until``.
    ``max_confidence``: the conversation's lowest message confidence is below it.
    ``text``: a substring of anything the citizen wrote (case-insensitive).
    """

    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    intent: str | None = None
    had_fallback: bool | None = None
    max_confidence: float | None = None
    handed_off: bool | None = None
    reviewed: bool | None = None
    tag: str | None = None
    text: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str], tz: str = "UTC") -> ConversationFilters:
        """Filters from a list page's query string; values that do not parse are left out.

        Parameters: channel, from, to (YYYY-MM-DD, days in ``tz``, both included), intent,
        fallback, handoff, reviewed (1/0, yes/no), confidence (below, 0..1), tag, q.
        """
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat((query.get(name) or "").strip())
            except ValueError:
                return None

        def name(key: str) -> str | None:
            value = (query.get(key) or "").strip()
            return value if _NAME.match(value) else None

        try:
            confidence: float | None = float((query.get("confidence") or "").strip())
        except ValueError:
            confidence = None
        if confidence is not None and not 0.0 <= confidence <= 1.0:
            confidence = None
        since, until = day_bounds(day("from"), day("to"), tz)
        text = (query.get("q") or "").strip()[:200] or None
        return cls(
            channel=name("channel"), since=since, until=until, intent=name("intent"),
            had_fallback=_flag(query.get("fallback")), max_confidence=confidence,
            handed_off=_flag(query.get("handoff")), reviewed=_flag(query.get("reviewed")),
            tag=next(iter(normalize_tags(query.get("tag") or "")), None),
            text=text,
        )

    def is_empty(self) -> bool:
        return all(getattr(self, f) is None for f in self.__dataclass_fields__)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: ConversationFilters) -> list[Any]:
    ci = ConversationIndex.__table__.c
    where: list[Any] = []
    if filters.channel:
        where.append(ci.channel == filters.channel)
    if filters.since is not None:
        where.append(ci.last_at >= naive_utc(filters.since))
    if filters.until is not None:
        where.append(ci.last_at < naive_utc(filters.until))
    if filters.intent:
        where.append(ci.intents.like(f"% {_like_escape(filters.intent)} %", escape="\\"))
    if filters.had_fallback is not None:
        where.append(ci.had_fallback == filters.had_fallback)
    if filters.max_confidence is not None:
        where.append(ci.min_confidence < filters.max_confidence)
    if filters.handed_off is not None:
        where.append(ci.handed_off == filters.handed_off)
    if filters.reviewed is not None:
        reviewed = sa.exists().where(
            ConversationReview.sender_id == ci.sender_id, ConversationReview.reviewed.is_(True)
        )
        where.append(reviewed if filters.reviewed else ~reviewed)
    if filters.tag:
        where.append(
            sa.exists().where(ConversationTag.sender_id == ci.sender_id,
                              ConversationTag.tag == filters.tag)
        )
    if filters.text:
        needle = f"%{_like_escape(filters.text.lower())}%"
        where.append(
            ci.sender_id.in_(
                sa.select(ConversationText.sender_id).where(
                    ConversationText.text.like(needle, escape="\\")
                )
            )
        )
    return where


@dataclass
class ConversationRow:
    """One line of the list (also the transcript page's header)."""

    sender_id: str
    channel: str
    started_at: datetime
    last_at: datetime
    first_message: str
    turns: int
    services: list[str]
    intents: list[str]
    had_fallback: bool
    min_confidence: float | None
    handed_off: bool
    forms_started: list[str]
    forms_confirmed: list[str]
    forms_filed: list[str]
    active_form: str | None
    reviewed: bool = False
    reviewed_by: str | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def low_confidence(self) -> bool:
        return self.min_confidence is not None and self.min_confidence < LOW_CONFIDENCE


@dataclass
class Page:
    rows: list[ConversationRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first row (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0


def _row(found: Mapping[str, Any]) -> ConversationRow:
    return ConversationRow(
        sender_id=found["sender_id"], channel=found["channel"], started_at=found["started_at"],
        last_at=found["last_at"], first_message=found["first_message"], turns=found["turns"],
        services=[s for s in found["services"].split(",") if s],
        intents=_tokens(found["intents"]), had_fallback=bool(found["had_fallback"]),
        min_confidence=found["min_confidence"], handed_off=bool(found["handed_off"]),
        forms_started=_tokens(found["forms_started"]),
        forms_confirmed=_tokens(found["forms_confirmed"]),
        forms_filed=_tokens(found["forms_filed"]), active_form=found["active_form"],
    )


async def _decorate(session: AsyncSession, rows: list[ConversationRow]) -> None:
    """Reviews and tags of a page's rows (two small queries)."""
    senders = [r.sender_id for r in rows]
    if not senders:
        return
    reviews = {
        r.sender_id: r
        for r in (
            await session.execute(
                sa.select(ConversationReview).where(ConversationReview.sender_id.in_(senders))
            )
        ).scalars()
    }
    tags: dict[str, list[str]] = {}
    for sender, tag in (
        await session.execute(
            sa.select(ConversationTag.sender_id, ConversationTag.tag)
            .where(ConversationTag.sender_id.in_(senders))
            .order_by(ConversationTag.tag)
        )
    ).all():
        tags.setdefault(sender, []).append(tag)
    for row in rows:
        review = reviews.get(row.sender_id)
        row.reviewed = bool(review and review.reviewed)
        row.reviewed_by = review.reviewed_by if review and review.reviewed else None
        row.tags = tags.get(row.sender_id, [])


async def list_conversations(store: Store, filters: ConversationFilters | None = None,
                             page: int = 1, per_page: int = 50) -> Page:
    """One page of conversations, newest first (last activity), with the filters' total.

    Everything happens in SQL: a count, then the page's ids by ``ORDER BY last_at DESC, id DESC
    LIMIT/OFFSET`` on the (filter, last_at) indexes, then those rows.
    """
    filters = filters or ConversationFilters()
    per_page = max(1, min(int(per_page), 500))
    page = max(1, int(page))
    table = ConversationIndex.__table__
    where = _conditions(filters)
    async with store.session() as session:
        total = (
            await session.execute(sa.select(sa.func.count()).select_from(table).where(*where))
        ).scalar_one()
        # Ids first (the walk over skipped rows stays in the index), then the page's rows.
        ids = (
            sa.select(table.c.id)
            .where(*where)
            .order_by(table.c.last_at.desc(), table.c.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
            .subquery()
        )
        columns = [table.c[name] for name in _columns()]
        found = (
            await session.execute(
                sa.select(*columns)
                .join(ids, ids.c.id == table.c.id)
                .order_by(table.c.last_at.desc(), table.c.id.desc())
            )
        ).mappings().all()
        rows = [_row(f) for f in found]
        await _decorate(session, rows)
    return Page(rows=rows, total=total, page=page, per_page=per_page)


async def get_conversation(store: Store, sender_id: str) -> ConversationRow | None:
    """The index row of one conversation with its review and tags, or None."""
    table = ConversationIndex.__table__
    columns = [table.c[name] for name in _columns()]
    async with store.session() as session:
        found = (
            await session.execute(sa.select(*columns).where(table.c.sender_id == sender_id))
        ).mappings().first()
        if found is None:
            return None
        row = _row(found)
        await _decorate(session, [row])
    return row


async def filter_choices(store: Store) -> dict[str, list[str]]:
    """Channels seen and tags in use, for the list's drop-downs."""
    async with store.session() as session:
        channels = (
            await session.execute(
                sa.select(ConversationIndex.channel).distinct().order_by(ConversationIndex.channel)
            )
        ).scalars().all()
        tags = (
            await session.execute(
                sa.select(ConversationTag.tag).distinct().order_by(ConversationTag.tag)
            )
        ).scalars().all()
    return {"channels": [c for c in channels if c], "tags": list(tags)}


# ---------------------------------------------------------------------------- reviews, tags


_TAG = re.compile(r"[^\w\-]+")


def normalize_tags(text: str | Iterable[str]) -> list[str]:
    """Tags from "a, b c" or a list: lower-case words (letters, digits, _ and -), 32 chars, unique."""
    parts = re.split(r"[,\s]+", text) if isinstance(text, str) else list(text)
    tags: list[str] = []
    for part in parts:
        tag = _TAG.sub("", str(part).strip().lower())[:32]
        if tag and tag not in tags:
            tags.append(tag)
    return tags


@dataclass
class Review:
    sender_id: str
    reviewed: bool = False
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    note: str = ""
    tags: list[str] = field(default_factory=list)


async def get_review(store: Store, sender_id: str) -> Review:
    async with store.session() as session:
        found = await session.get(ConversationReview, sender_id)
        tags = (
            await session.execute(
                sa.select(ConversationTag.tag)
                .where(ConversationTag.sender_id == sender_id)
                .order_by(ConversationTag.tag)
            )
        ).scalars().all()
    if found is None:
        return Review(sender_id=sender_id, tags=list(tags))
    return Review(sender_id=sender_id, reviewed=found.reviewed, reviewed_by=found.reviewed_by,
                  reviewed_at=found.reviewed_at, note=found.note, tags=list(tags))


async def save_review(store: Store, sender_id: str, *, by: str, reviewed: bool | None = None,
                      note: str | None = None, tags: str | Iterable[str] | None = None) -> Review:
    """Set what is given (reviewed flag, note, the full tag list); ``by`` is the staff name."""
    async with store.session() as session, session.begin():
        found = await session.get(ConversationReview, sender_id)
        if found is None:
            found = ConversationReview(sender_id=sender_id, reviewed=False, note="")
            session.add(found)
        if reviewed is not None and bool(reviewed) != bool(found.reviewed):
            found.reviewed = bool(reviewed)
            found.reviewed_by = by if reviewed else None
            found.reviewed_at = utcnow() if reviewed else None
        if note is not None:
            found.note = note[:5000]
        found.updated_at = utcnow()
        if tags is not None:
            wanted = normalize_tags(tags)
            await session.execute(
                sa.delete(ConversationTag).where(
                    ConversationTag.sender_id == sender_id, ConversationTag.tag.not_in(wanted)
                )
            )
            have = set(
                (
                    await session.execute(
                        sa.select(ConversationTag.tag).where(ConversationTag.sender_id == sender_id)
                    )
                ).scalars()
            )
            session.add_all(
                ConversationTag(sender_id=sender_id, tag=t) for t in wanted if t not in have
            )
    return await get_review(store, sender_id)


# ---------------------------------------------------------------------------- the transcript


@dataclass
class Turn:
    """One display item of a transcript.

    ``kind``: user, bot, action, slot, form (``value`` "entered"/"left"), session, handoff
    (the handoff action), pause, resume, restart, reset (all slots), rewind, other (``name`` is
    the event type). For a ``user`` turn ``confidence`` is the classifier's confidence in its best
    real intent (see :func:`message_confidence`) and ``guess`` that intent when the prediction is
    ``nlu_fallback``.
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
        base = {"event_id": event.get("id"), "timestamp": _utc(event.get("timestamp"))}
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
    return turns


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
