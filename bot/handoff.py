"""Handing a conversation to a person, and giving it back to the assistant."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from bot.store import Handoff, Store
from bot.store.models import utcnow

# Handoff.status: waiting for (or answered by) a person; handed back to the assistant; ended by
# the operator (the assistant starts afresh at the citizen's next message); taken back by the
# citizen before an operator took it.
OPEN, RELEASED, CLOSED, WITHDRAWN = "open", "released", "closed", "withdrawn"


async def open_handoff(store: Store, sender_id: str, *, reason: str, last_message: str) -> Handoff:
    """Record that this conversation waits for an operator (one open handoff per sender)."""
    async with store.session() as session, session.begin():
        existing = (
            await session.execute(
                select(Handoff).where(Handoff.sender_id == sender_id, Handoff.status == OPEN)
            )
        ).scalar_one_or_none()
        if existing is not None:
            existing.last_message = last_message
            return existing
        handoff = Handoff(sender_id=sender_id, reason=reason, last_message=last_message)
        session.add(handoff)
        return handoff


async def release_handoff(store: Store, sender_id: str, *, status: str = RELEASED) -> bool:
    """End the open handoff of this sender (``status``: :data:`RELEASED` when handed back,
    :data:`CLOSED` when the operator ended the conversation); False if there was none."""
    async with store.session() as session, session.begin():
        rows = (
            await session.execute(
                select(Handoff).where(Handoff.sender_id == sender_id, Handoff.status == OPEN)
            )
        ).scalars().all()
        for row in rows:
            row.status = status
            row.released_at = utcnow()
        return bool(rows)


def operator_hours(hours: str) -> tuple[str, str]:
    """("08:00", "20:00") from operator hours written "08:00-20:00"."""
    opens, closes = (part.strip() for part in hours.split("-", 1))
    return opens, closes


def within_hours(hours: str, now: time) -> bool:
    """Whether ``now`` is inside operator hours written "08:00-20:00"."""
    opens, closes = (time.fromisoformat(part) for part in operator_hours(hours))
    return opens <= now < closes


async def waiting_before(store: Store, sender_id: str) -> int:
    """How many citizens wait for an operator ahead of this one."""
    async with store.session() as session:
        rows = (await session.execute(
            select(Handoff.sender_id).where(Handoff.status == OPEN).order_by(Handoff.id)
        )).scalars().all()
    return rows.index(sender_id) if sender_id in rows else len(rows)


async def open_handoffs(store: Store) -> list[Handoff]:
    async with store.session() as session:
        rows = await session.execute(
            select(Handoff).where(Handoff.status == OPEN).order_by(Handoff.id)
        )
        return list(rows.scalars().all())
