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

from bot.console.audit import audit
from bot.console.index import delete_conversation
from bot.store import Store
from bot.tracker import REREAD_IDS, Tracker

log = logging.getLogger(__name__)

FORGET_ACTION = "action_forget_me"
SWEEP_SECONDS = 2.0


@dataclass(frozen=True)
class Request:
    """One forget_me: its action's event in the tracker store, and the conversation."""

    event_id: int
    sender_id: str


async def requests_after(tracker: Tracker, after_id: int) -> tuple[list[Request], int]:
    """The forget_me requests stored above ``after_id``, and the highest event id now.

    :data:`REREAD_IDS` below ``after_id`` are read again: a server that commits concurrently
    can show a lower id late, and SQLite hands out the ids of deleted newest events again.
    """
    top = await tracker.top_id()
    if not top:
        return [], after_id  # Rasa has not stored anything yet
    rows = await tracker.actions(FORGET_ACTION, max(0, min(after_id, top) - REREAD_IDS), top)
    return [Request(row.id, row.sender_id) for row in rows], top


async def fresh_start(tracker: Tracker, request: Request) -> float | None:
    """The timestamp of the session start the forget_me turn stored; None when that turn has
    none (the action failed, or it ran before forget_me started a session)."""
    found = await tracker.next_of(request.sender_id, request.event_id,
                                  ("user", "session_started"))
    if found is None or found.type_name != "session_started":
        return None  # the citizen's next message came first: not this turn's
    return found.timestamp


async def carry_out(tracker: Tracker, store: Store, request: Request) -> int:
    """Delete the conversation up to the request's fresh session from the tracker store and
    every console table; returns the tracker events deleted (0: nothing was left to do)."""
    start = await fresh_start(tracker, request)
    if start is None:
        return 0
    if not await tracker.count(request.sender_id, before=start):
        return 0  # done before; whatever the console has now is the citizen's new conversation
    deleted = await delete_conversation(tracker, store, request.sender_id, before=start)
    await audit(store, None, "deleted", request.sender_id,
                {"events": deleted, "by": "forget_me"}, who="citizen")
    log.info("forget_me: conversation %s deleted (%d events)", request.sender_id, deleted)
    return deleted


async def sweep(tracker: Tracker, store: Store, after_id: int = 0) -> int:
    """Carry out the forget_me requests stored above ``after_id``; returns where to go on from."""
    requests, top = await requests_after(tracker, after_id)
    for request in requests:
        await carry_out(tracker, store, request)
    return top
