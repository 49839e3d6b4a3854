"""A citizen's "forget me", finished once Rasa has stored the turn that asked for it.

``action_forget_me`` runs in the middle of a turn, and Rasa writes the turn's events to its
tracker store after the action has answered: it counts the events stored for the current
session and adds the rest. Events deleted from inside the action would be written back. So
forgetting takes two steps:

1. The action deletes the reports and closed handoffs kept about the citizen (what it tells
   them) and returns a ``session_started`` event: Rasa's state for the citizen starts afresh,
   and Rasa never loads an event older than the latest session start again.
2. :func:`sweep` (the action server runs it every :data:`SWEEP_SECONDS`) finds each stored
   ``action_forget_me`` and deletes everything of that conversation older than the session
   start stored with it, from the tracker store and from every console table, under the
   conversation index's lock (:func:`bot.console.index.delete_conversation`).

The tracker store is the queue: a request is the action's own event, stored with its turn, so
a process stopped in between loses nothing (a new process reads every request once). Rasa
stamps the action's event before the session start it returned, so carrying a request out
deletes the request too; one read again finds nothing more to delete.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.console.audit import audit
from bot.console.index import EVENTS, REREAD_IDS, delete_conversation, has_events_table
from bot.store import Store

log = logging.getLogger(__name__)

FORGET_ACTION = "action_forget_me"
SWEEP_SECONDS = 2.0


@dataclass(frozen=True)
class Request:
    """One forget_me: its action's event in the tracker store, and the conversation."""

    event_id: int
    sender_id: str


async def requests_after(tracker: AsyncEngine, after_id: int) -> tuple[list[Request], int]:
    """The forget_me requests stored above ``after_id``, and the highest event id now.

    :data:`REREAD_IDS` below ``after_id`` are read again: a server that commits concurrently
    can show a lower id late, and SQLite hands out the ids of deleted newest events again.
    """
    if not await has_events_table(tracker):
        return [], after_id  # Rasa has not stored anything yet
    async with tracker.connect() as conn:
        top = (await conn.execute(sa.select(sa.func.max(EVENTS.c.id)))).scalar() or 0
        rows = await conn.execute(
            sa.select(EVENTS.c.id, EVENTS.c.sender_id)
            .where(
                EVENTS.c.id > max(0, min(after_id, top) - REREAD_IDS),
                EVENTS.c.id <= top,
                EVENTS.c.type_name == "action",
                EVENTS.c.action_name == FORGET_ACTION,
            )
            .order_by(EVENTS.c.id)
        )
        return [Request(row.id, row.sender_id) for row in rows], top


async def fresh_start(tracker: AsyncEngine, request: Request) -> float | None:
    """The timestamp of the session start the forget_me turn stored; None when that turn has
    none (the action failed, or it ran before forget_me started a session)."""
    async with tracker.connect() as conn:
        found = (
            await conn.execute(
                sa.select(EVENTS.c.type_name, EVENTS.c.timestamp)
                .where(
                    EVENTS.c.sender_id == request.sender_id,
                    EVENTS.c.id > request.event_id,
                    EVENTS.c.type_name.in_(("user", "session_started")),
                )
                .order_by(EVENTS.c.id)
                .limit(1)
            )
        ).first()
    if found is None or found.type_name != "session_started":
        return None  # the citizen's next message came first: not this turn's
    return found.timestamp


async def carry_out(tracker: AsyncEngine, store: Store, request: Request) -> int:
    """Delete the conversation up to the request's fresh session from the tracker store and
    every console table; returns the tracker events deleted (0: nothing was left to do)."""
    start = await fresh_start(tracker, request)
    if start is None:
        return 0
    async with tracker.connect() as conn:
        older = (
            await conn.execute(
                sa.select(sa.func.count()).select_from(EVENTS).where(
                    EVENTS.c.sender_id == request.sender_id, EVENTS.c.timestamp < start
                )
            )
        ).scalar()
    if not older:
        return 0  # done before; whatever the console has now is the citizen's new conversation
    deleted = await delete_conversation(tracker, store, request.sender_id, before=start)
    await audit(store, None, "deleted", request.sender_id,
                {"events": deleted, "by": "forget_me"}, who="citizen")
    log.info("forget_me: conversation %s deleted (%d events)", request.sender_id, deleted)
    return deleted


async def sweep(tracker: AsyncEngine, store: Store, after_id: int = 0) -> int:
    """Carry out the forget_me requests stored above ``after_id``; returns where to go on from."""
    requests, top = await requests_after(tracker, after_id)
    for request in requests:
        await carry_out(tracker, store, request)
    return top
