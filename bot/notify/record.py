"""Recording a batch: the deliveries its notices owe, and the source's new cursor, in one
transaction.

This is the notifier's exactly-once on the reading side. The cursor moves only together with
the deliveries of what was read; a crash before the commit leaves both as they were and the
batch is read again. A notice read twice (that, or a source's deliberate overlap) finds its
deliveries there: they are unique per (subscription, event key), checked here and enforced by
the table. A subscription hears of what happened after it began (``created_at`` no later than
the notice), so starting to read a source from its beginning tells nobody of the past.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify.notices import INTENTS, Notice, naive_utc
from bot.notify.sources import Batch
from bot.store import Delivery, NotifierCursor, Store, Subscription

# The entity that names a subscription's target in its messages, where the notice leaves it out.
TARGET_ENTITY = {"outages": "address_id", "fines": "vehicle_certificate"}


class CursorMoved(RuntimeError):
    """The cursor is not where this batch was read from: another notifier recorded it."""


async def read_cursor(store: Store, source: str) -> str | None:
    async with store.session() as session:
        row = await session.get(NotifierCursor, source)
        return row.cursor if row else None


async def _matching(session: AsyncSession, notice: Notice) -> list[Subscription]:
    """The active subscriptions a notice concerns."""
    if notice.targets is not None and not notice.targets:
        return []
    if notice.senders is not None and not notice.senders:
        return []
    which = [Subscription.kind == notice.kind, Subscription.ended_at.is_(None),
             Subscription.created_at <= notice.occurred_at]
    if notice.targets is not None:
        which.append(Subscription.target.in_(sorted(notice.targets)))
    if notice.senders is not None:
        which.append(Subscription.sender_id.in_(sorted(notice.senders)))
    rows = await session.execute(select(Subscription).where(*which).order_by(Subscription.id))
    return list(rows.scalars())


def _delivery(notice: Notice, subscription: Subscription, now: datetime) -> Delivery:
    entities = notice.entities(subscription.language)
    target_entity = TARGET_ENTITY.get(notice.kind)
    if target_entity and subscription.target:
        entities.setdefault(target_entity, subscription.target)
    return Delivery(
        subscription_id=subscription.id, sender_id=subscription.sender_id,
        event_key=notice.key, intent=INTENTS[notice.kind], payload=entities, status="pending",
        attempts=0, occurred_at=notice.occurred_at, deadline=notice.deadline,
        expires_at=notice.expires_at, due_at=now, created_at=now,
    )


async def record(
    store: Store, source: str, read_from: str | None, batch: Batch, now: datetime
) -> int:
    """Store the deliveries ``batch`` owes and move ``source``'s cursor from ``read_from`` to the
    batch's, atomically; returns how many deliveries are new."""
    now = naive_utc(now)
    added = 0
    async with store.session() as session, session.begin():
        row = await session.get(NotifierCursor, source)
        if (row.cursor if row else None) != read_from:
            raise CursorMoved(f"{source}: cursor is {row.cursor if row else None!r}, "
                              f"the batch was read from {read_from!r}")
        for notice in batch.notices:
            subscriptions = await _matching(session, notice)
            if not subscriptions:
                continue
            done = set((await session.execute(
                select(Delivery.subscription_id).where(Delivery.event_key == notice.key)
            )).scalars())
            for subscription in subscriptions:
                if subscription.id not in done:
                    session.add(_delivery(notice, subscription, now))
                    added += 1
        if row is None:
            session.add(NotifierCursor(source=source, cursor=batch.cursor, updated_at=now))
        else:
            row.cursor, row.updated_at = batch.cursor, now
    return added
