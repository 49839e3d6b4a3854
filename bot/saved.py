"""Details a citizen lets the assistant keep for next time, only with their consent.

The city needs some details again on every visit (a vehicle certificate for fines). Rasa's
slots end with the session, so a detail the citizen agreed to keep lives here, one per kind
and conversation; ``forget_me`` (:func:`bot.filing.forget_sender`) deletes them.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import SavedDetail, Store
from bot.store.models import utcnow

VEHICLE_CERTIFICATE = "vehicle_certificate"
HEALTH_POLICY = "health_policy"


async def saved(store: Store, sender_id: str, kind: str) -> str | None:
    """The detail kept for the citizen, or None."""
    async with store.session() as session:
        return await session.scalar(select(SavedDetail.value).where(
            SavedDetail.sender_id == sender_id, SavedDetail.kind == kind))


async def keep(store: Store, sender_id: str, kind: str, value: str) -> None:
    """Keep (or replace) the citizen's detail of a kind."""
    for attempt in range(3):  # a concurrent first save wins the insert: then replace its value
        try:
            async with store.session() as session, session.begin():
                row = await session.scalar(select(SavedDetail).where(
                    SavedDetail.sender_id == sender_id, SavedDetail.kind == kind))
                if row is None:
                    session.add(SavedDetail(sender_id=sender_id, kind=kind, value=value))
                else:  # a new value is a new consent: its time is now
                    row.value, row.created_at = value, utcnow()
            return
        except IntegrityError:
            if attempt == 2:
                raise


async def drop(store: Store, sender_id: str, kind: str) -> bool:
    """Forget one detail; whether there was one."""
    async with store.session() as session, session.begin():
        gone = await session.execute(delete(SavedDetail).where(
            SavedDetail.sender_id == sender_id, SavedDetail.kind == kind))
    return bool(gone.rowcount)


async def forget_all(session: AsyncSession, sender_id: str) -> int:
    """Delete every detail kept for the citizen (inside the caller's transaction)."""
    gone = await session.execute(delete(SavedDetail).where(SavedDetail.sender_id == sender_id))
    return gone.rowcount or 0
