"""Rasa's SQL tracker store, read and deleted from outside Rasa.

Rasa writes its ``events`` table (SQLite under ``var/`` in the embedded default, PostgreSQL at
scale); this is the one place that reads or deletes it for others: the console's index and
transcripts, its "delete conversation", the action server's forget-me sweep and the CLI.
Nothing here creates or alters the table: until Rasa stores its first conversation there is
none, and every read says "nothing" instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from bot.store.db import make_engine

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
# On servers that commit transactions concurrently (PostgreSQL), an event with a lower id can
# become visible after a higher one was read: readers that go on from an id read this many ids
# back again. SQLite commits one writer at a time, but hands out the ids of deleted newest
# events again.
REREAD_IDS = 1000


class Tracker:
    """Rasa's tracker database; one per process, closed by whoever opened it."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._has_events = False  # once made, Rasa's table stays: asked until it is there

    @property
    def commits_concurrently(self) -> bool:
        """Whether a lower event id can become visible after a higher one (not SQLite)."""
        return self.engine.dialect.name != "sqlite"

    async def close(self) -> None:
        await self.engine.dispose()

    async def has_events(self) -> bool:
        """Whether Rasa has made its ``events`` table yet (it does at its first conversation)."""
        if not self._has_events:
            async with self.engine.connect() as conn:
                self._has_events = await conn.run_sync(
                    lambda sync: sa.inspect(sync).has_table("events"))
        return self._has_events

    async def top_id(self) -> int:
        """The highest event id (0: none)."""
        if not await self.has_events():
            return 0
        async with self.engine.connect() as conn:
            return (await conn.execute(sa.select(sa.func.max(EVENTS.c.id)))).scalar() or 0

    async def batch(self, after_id: int, limit: int) -> Sequence[Row]:
        """Up to ``limit`` events above ``after_id``, oldest first (id, sender_id, type_name,
        timestamp, action_name, data)."""
        async with self.engine.connect() as conn:
            return (await conn.execute(
                sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name,
                          EVENTS.c.timestamp, EVENTS.c.action_name, EVENTS.c.data)
                .where(EVENTS.c.id > after_id)
                .order_by(EVENTS.c.id)
                .limit(limit)
            )).all()

    async def conversation(self, sender_id: str) -> list[dict[str, Any]]:
        """Every event of a conversation, oldest first, as Rasa's dicts with their ``id``."""
        if not await self.has_events():
            return []
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(EVENTS.c.id, EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender_id)
                .order_by(EVENTS.c.id)
            )).all()
        events = []
        for event_id, data in rows:
            try:
                event = json.loads(data or "{}")
            except ValueError:
                event = {"event": "unreadable"}
            events.append({**event, "id": event_id})
        return events

    async def actions(self, name: str, after_id: int, upto: int) -> Sequence[Row]:
        """The runs of action ``name`` with ids in (after_id, upto], oldest first (id,
        sender_id)."""
        async with self.engine.connect() as conn:
            return (await conn.execute(
                sa.select(EVENTS.c.id, EVENTS.c.sender_id)
                .where(EVENTS.c.id > after_id, EVENTS.c.id <= upto,
                       EVENTS.c.type_name == "action", EVENTS.c.action_name == name)
                .order_by(EVENTS.c.id)
            )).all()

    async def next_of(self, sender_id: str, after_id: int,
                      types: Iterable[str]) -> Row | None:
        """The conversation's first event of one of ``types`` above ``after_id`` (type_name,
        timestamp), or None."""
        async with self.engine.connect() as conn:
            return (await conn.execute(
                sa.select(EVENTS.c.type_name, EVENTS.c.timestamp)
                .where(EVENTS.c.sender_id == sender_id, EVENTS.c.id > after_id,
                       EVENTS.c.type_name.in_(tuple(types)))
                .order_by(EVENTS.c.id)
                .limit(1)
            )).first()

    async def count(self, sender_id: str, before: float | None = None) -> int:
        """How many events the conversation has (older than ``before``, when given)."""
        async with self.engine.connect() as conn:
            return (await conn.execute(
                sa.select(sa.func.count()).select_from(EVENTS).where(
                    self._which(sender_id, before))
            )).scalar() or 0

    async def senders(self) -> set[str]:
        """Every conversation the tracker store holds."""
        if not await self.has_events():
            return set()
        async with self.engine.connect() as conn:
            return set((await conn.execute(sa.select(EVENTS.c.sender_id).distinct())).scalars())

    async def delete(self, sender_id: str, before: float | None = None) -> tuple[int, int]:
        """Delete a conversation's events (those older than ``before``, when given); returns how
        many, and the highest event id left."""
        if not await self.has_events():
            return 0, 0
        async with self.engine.begin() as conn:
            result = await conn.execute(sa.delete(EVENTS).where(self._which(sender_id, before)))
            top = (await conn.execute(sa.select(sa.func.max(EVENTS.c.id)))).scalar() or 0
        return result.rowcount or 0, top

    @staticmethod
    def _which(sender_id: str, before: float | None) -> Any:
        which = EVENTS.c.sender_id == sender_id
        return which if before is None else sa.and_(which, EVENTS.c.timestamp < before)
