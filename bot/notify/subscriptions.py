"""Subscribing, unsubscribing and listing: what the dialogue's actions call.

Unsubscribing takes effect at once: in the same transaction that ends the subscriptions, every
message still owed to them (pending or held) is cancelled, and the sender only ever sends a
message whose subscription it finds active in the statement that claims it
(:mod:`bot.notify.delivery`). Only a message already handed to Rasa can still arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notify.notices import KINDS, LANGUAGES, Kind, naive_utc
from bot.store import Delivery, Store, Subscription
from bot.store.models import utcnow
from bot.vehicles import normalise_certificate

UNSUBSCRIBED = "unsubscribed"
# Messages that have not gone to Rasa yet; ending a subscription cancels them.
NOT_SENT = ("pending", "held")


class BadSubscription(ValueError):
    """A kind or target the notifier cannot watch (the dialogue asks again)."""


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription as the dialogue shows it."""

    id: int
    kind: Kind
    target: str | None
    channel: str | None
    language: str
    created_at: datetime

    @classmethod
    def of(cls, row: Subscription) -> "SubscriptionView":
        return cls(id=row.id, kind=row.kind, target=row.target or None,  # type: ignore[arg-type]
                   channel=row.channel, language=row.language, created_at=row.created_at)


def normal_target(kind: str, target: str | None) -> str:
    """The stored form of a target: an address id as the city gives it, a certificate canonical
    (``77 uv 123456`` is ``77УВ123456``), "" for kinds without one."""
    if kind not in KINDS:
        raise BadSubscription(f"no such kind of notification: {kind!r}")
    if kind == "outages":
        if not target or not str(target).strip():
            raise BadSubscription("outage notifications need an address id")
        return str(target).strip()
    if kind == "fines":
        canonical = normalise_certificate(target or "")
        if canonical is None:
            raise BadSubscription(f"not a vehicle certificate: {target!r}")
        return canonical
    return ""


async def subscribe(
    store: Store, sender_id: str, kind: str, target: str | None = None, *,
    channel: str | None = None, language: str = "en", now: datetime | None = None,
) -> SubscriptionView:
    """Subscribe (idempotent: the same kind and target again is the same subscription, opened
    again if it had ended; its channel and language are brought up to date)."""
    stored_target = normal_target(kind, target)
    language = language if language in LANGUAGES else "en"
    # Whole seconds: a city that stamps changes to the second (the sandbox does) must not
    # seem to have changed a request before a subscription made in the same second.
    moment = (naive_utc(now) if now else utcnow()).replace(microsecond=0)
    for _ in range(2):  # a second try when a concurrent subscribe inserted the row first
        try:
            async with store.session() as session, session.begin():
                row = (await session.execute(select(Subscription).where(
                    Subscription.sender_id == sender_id, Subscription.kind == kind,
                    Subscription.target == stored_target,
                ))).scalar_one_or_none()
                if row is None:
                    row = Subscription(sender_id=sender_id, kind=kind, target=stored_target,
                                       created_at=moment)
                    session.add(row)
                elif row.ended_at is not None:
                    # Told of what happens from now on, not of what happened while away.
                    row.created_at, row.ended_at, row.end_reason = moment, None, None
                row.channel = channel or row.channel
                row.language = language
            return SubscriptionView.of(row)
        except IntegrityError:
            continue
    raise RuntimeError("subscribe: the subscription row kept changing")  # pragma: no cover


async def end_subscriptions(
    session: AsyncSession, ids: list[int], reason: str, now: datetime
) -> None:
    """End these subscriptions and cancel what is still owed to them, in the caller's
    transaction."""
    if not ids:
        return
    await session.execute(
        update(Subscription).where(Subscription.id.in_(ids), Subscription.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    await session.execute(
        update(Delivery).where(Delivery.subscription_id.in_(ids), Delivery.status.in_(NOT_SENT))
        .values(status="cancelled", error=reason)
    )


async def unsubscribe(
    store: Store, sender_id: str, kind: str | None = None, target: str | None = None, *,
    now: datetime | None = None,
) -> int:
    """End the citizen's subscriptions of ``kind`` (None: all of them; with ``target`` only that
    one) at once; returns how many ended."""
    moment = naive_utc(now) if now else utcnow()
    which = [Subscription.sender_id == sender_id, Subscription.ended_at.is_(None)]
    if kind is not None:
        which.append(Subscription.kind == kind)
        if target is not None:
            which.append(Subscription.target == normal_target(kind, target))
    async with store.session() as session, session.begin():
        ids = list((await session.execute(select(Subscription.id).where(*which))).scalars())
        await end_subscriptions(session, ids, UNSUBSCRIBED, moment)
    return len(ids)


async def list_subscriptions(store: Store, sender_id: str) -> list[SubscriptionView]:
    """The citizen's active subscriptions, oldest first."""
    async with store.session() as session:
        rows = await session.execute(
            select(Subscription)
            .where(Subscription.sender_id == sender_id, Subscription.ended_at.is_(None))
            .order_by(Subscription.id)
        )
        return [SubscriptionView.of(row) for row in rows.scalars()]


async def watched_targets(store: Store) -> dict[str, frozenset[str]]:
    """The targets active subscriptions watch, by kind (what a source need look up at all)."""
    async with store.session() as session:
        rows = await session.execute(
            select(Subscription.kind, Subscription.target)
            .where(Subscription.ended_at.is_(None)).distinct()
        )
        found: dict[str, set[str]] = {kind: set() for kind in KINDS}
        for kind, target in rows:
            found.setdefault(kind, set()).add(target)
    return {kind: frozenset(targets) for kind, targets in found.items()}


async def earliest_active(store: Store, kind: Kind) -> datetime | None:
    """When the oldest active subscription of ``kind`` began (None: there is none)."""
    async with store.session() as session:
        return await session.scalar(
            select(func.min(Subscription.created_at))
            .where(Subscription.kind == kind, Subscription.ended_at.is_(None))
        )
