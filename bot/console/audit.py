"""The audit log: who viewed, revealed, corrected, exported or deleted what, for admins to read.

``action`` is a short verb-like code (``login``, ``viewed``, ``revealed``, ``corrected``,
``exported``, ``deleted``, ``staff_added``...); ``target`` names what it was done to (a
conversation id, a staff name); ``detail`` is a small JSON object with the rest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.store import AuditEvent, Staff, Store

NEWEST = 200


async def audit(
    store: Store,
    staff: Staff | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    *,
    who: str = "",
) -> AuditEvent:
    """Record one event (``staff`` None: done by ``who``, such as "citizen", or from the
    command line when that is empty too)."""
    event = AuditEvent(
        staff_id=staff.id if staff is not None else None,
        staff_name=staff.name if staff is not None else who[:64],
        action=action[:32],
        target=str(target)[:255],
        detail=dict(detail or {}),
    )
    async with store.session() as session, session.begin():
        session.add(event)
    return event


async def recent_events(store: Store, limit: int = NEWEST) -> list[AuditEvent]:
    """The newest events first."""
    async with store.session() as session:
        rows = await session.execute(
            select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
        )
        return list(rows.scalars().all())
