"""The console's incremental index over Rasa's tracker store, and deleting from both.

Rasa's ``SQLTrackerStore`` keeps every event of every conversation in one table, ``events``
(id, sender_id, type_name, timestamp, intent_name, action_name, data = the event's JSON). The
console reads it and never changes its schema. Listing 100 000 conversations with filters from
that table alone would mean reading every event, so :func:`refresh_index` folds new events
(``id`` above the last one read, in batches; :mod:`bot.console.folding` says what each means)
into one ``conversation_index`` row per conversation in the app database, and the list
(:mod:`bot.console.conversations`) pages and filters in SQL over that table.

- :func:`refresh_index` reads what is new; call it before a list or every few seconds
  (:func:`keep_index_fresh`). :func:`rebuild_index` starts over. The same pass keeps the
  search text (``conversation_texts``) and the analytics tables: ``conversation_days`` (a
  conversation's messages, fallback and handoff on one day of the city's calendar),
  ``intent_days`` (messages per intent per day) and ``form_days``.
- :func:`delete_conversation` removes a conversation from the tracker store and every console
  table; :func:`forget` only the console's side (rows of any app table with a ``sender_id``).

Times are naive UTC ``datetime`` objects, like every time in the app database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import load_settings
from bot.console.folding import DayTally, fold_event, new_row
from bot.filing import detach_unfiled
from bot.store import Handoff, HandoffClaim, Store
from bot.store.models import (
    Base,
    ConversationDay,
    ConversationIndex,
    ConversationText,
    FormDay,
    IndexState,
    IntentDay,
    utcnow,
)
from bot.tracker import REREAD_IDS, Tracker

log = logging.getLogger(__name__)

# The index's state row. A new key (when what the indexer writes changes) rebuilds the index
# from the first event: :func:`_ensure_state`. 5: the conversation's language, search text
# case-folded with ё as е. 6: search text masked (an index of raw text is dropped at start).
STATE_KEY = "tracker/6"
BATCH_SIZE = 5000
# Woken by the event broker, the index is refreshed at most this often (one refresh folds in
# every event that came meanwhile; docs/performance.md).
WAKE_AT_MOST_EVERY = 1.0
IN_CHUNK = 500  # senders per IN (...) list
SEARCH_TEXT_CHARS = 4000  # what the search keeps of one conversation's citizen messages


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


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


def index_columns() -> list[str]:
    """The columns of ``conversation_index`` a row dict holds (all but ``updated_at``)."""
    return [c.name for c in ConversationIndex.__table__.columns if c.name != "updated_at"]


async def _load_rows(session: AsyncSession, senders: Sequence[str]) -> dict[str, dict[str, Any]]:
    table = ConversationIndex.__table__
    columns = [table.c[name] for name in index_columns()]
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
                "language": add["language"],
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
            row = rows[e.sender_id] = new_row(e.sender_id)
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


async def refresh_index(tracker: Tracker, store: Store, *, batch_size: int = BATCH_SIZE,
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
    if not await tracker.has_events():
        return 0
    await _ensure_state(store)
    # Nothing new (the usual case): answer without taking the write lock.
    async with store.session() as session:
        seen = await session.scalar(
            sa.select(IndexState.last_event_id).where(IndexState.key == STATE_KEY)
        )
    if await tracker.top_id() == seen:
        return 0
    if reread is None:  # already folded events are skipped per conversation
        reread = REREAD_IDS if tracker.commits_concurrently else 0
    zone = ZoneInfo(tz or load_settings().city_timezone)
    total = batches = 0
    while True:
        batches += 1
        async with store.session() as session, session.begin():
            state = await _lock_state(session)
            watermark = state.last_event_id
            top = await tracker.top_id()
            if top < watermark:
                # The newest events were deleted; SQLite hands their ids out again.
                watermark = top
            events = await tracker.batch(max(0, watermark - reread), batch_size)
            reread = 0
            if events:
                total += await _fold_batch(session, events, zone)
                watermark = max(watermark, events[-1].id)
            if watermark != state.last_event_id:
                state.last_event_id = watermark
                state.updated_at = utcnow()
        if len(events) < batch_size or (max_batches and batches >= max_batches):
            return total


async def rebuild_index(tracker: Tracker, store: Store, *, batch_size: int = BATCH_SIZE,
                        tz: str | None = None) -> int:
    """Drop the index and analytics (reviews and tags stay) and fold every event again."""
    await _ensure_state(store)
    async with store.session() as session, session.begin():
        state = await _lock_state(session)
        for model in _DERIVED:
            await session.execute(sa.delete(model))
        state.last_event_id = 0
    return await refresh_index(tracker, store, batch_size=batch_size, tz=tz)


async def keep_index_fresh(tracker: Tracker, store: Store, every: float = 5.0,
                           tz: str | None = None, wake: asyncio.Event | None = None) -> None:
    """Refresh the index every ``every`` seconds, and sooner when ``wake`` is set (an event came
    through the broker: bot.console.follow), but not more often than every ``WAKE_AT_MOST_EVERY`` seconds:
    under load events arrive all the time, and one refresh folds all that came meanwhile.
    Until cancelled (a console background task)."""
    while True:
        if wake is not None:
            wake.clear()
        try:
            await refresh_index(tracker, store, tz=tz)
        except asyncio.CancelledError:
            raise
        except Exception:  # a locked or restarting database must not end the loop
            log.exception("conversation index refresh failed")
        if wake is None:
            await asyncio.sleep(every)
        else:
            await asyncio.sleep(WAKE_AT_MOST_EVERY)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), max(0.0, every - WAKE_AT_MOST_EVERY))


# ------------------------------------------------------------------------------- deletion


def _forgettable_tables() -> list[sa.Table]:
    """Every app table with a ``sender_id`` column, unless marked ``info={"keep_on_forget": True}``."""
    return [
        table for table in Base.metadata.sorted_tables
        if "sender_id" in table.c and not table.info.get("keep_on_forget")
    ]


async def _forget(session: AsyncSession, sender_id: str) -> int:
    # Reports the city has not taken yet are still filed, no longer linked to the conversation.
    await detach_unfiled(session, sender_id)
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


async def delete_conversation(tracker: Tracker, store: Store, sender_id: str, *,
                              before: float | None = None) -> int:
    """Delete a conversation from Rasa's tracker store and every console table.

    ``before``: delete only the tracker events older than this timestamp (a citizen's forget_me
    keeps the fresh session it started: :mod:`bot.forgetting`). Runs under the index's lock so
    a refresh cannot bring it back half-way. Returns the number of tracker events deleted.
    """
    await _ensure_state(store)
    async with store.session() as session, session.begin():
        state = await _lock_state(session)
        deleted, top = await tracker.delete(sender_id, before)
        if top < state.last_event_id:
            state.last_event_id = top  # ids above are free again on SQLite
        await _forget(session, sender_id)
    return deleted


async def prune_index(tracker: Tracker, store: Store) -> int:
    """Forget indexed conversations that are no longer in the tracker (deleted by other means)."""
    if not await tracker.has_events():
        return 0
    alive = await tracker.senders()
    async with store.session() as session:
        indexed = (await session.execute(sa.select(ConversationIndex.sender_id))).scalars().all()
    gone = [sender for sender in indexed if sender not in alive]
    for sender in gone:
        await forget(store, sender)
    return len(gone)
