"""Sending the deliveries that are due through Rasa's ``trigger_intent``, as policy allows.

A delivery is claimed before it is sent: one UPDATE moves it from pending/held to ``sending``
only while its subscription is active, so an unsubscribe that commits first stops it, and a
second notifier cannot claim it too. Then:

- Rasa answers 200: ``sent``.
- Rasa answers that the channel refused the citizen for good (the Telegram bot was blocked, the
  chat is gone: :func:`refusal`): ``failed``, and the subscription ends with the reason, logged.
- Rasa answers another error, or cannot be reached: the turn was not stored; ``pending`` again
  after a backoff (30 s, doubling, at most an hour), ``failed`` after ``max_attempts``.
- The conversation is with an operator (a handoff taken in the console): Rasa would store the
  turn and say nothing, since a paused conversation runs no prediction; the message waits
  (``held``, looked at again every 15 minutes) until the operator hands the conversation back.
- No answer (a timeout, a dropped connection): Rasa may have run the turn. The delivery stays
  ``sending``; after ``verify_after`` the conversation's events are read and the turn looked
  for by the ``notification_id`` entity every delivery carries: found, ``sent``; not found,
  pending again. A crash between the claim and the outcome is the same case. So a message is
  neither lost nor sent twice, as long as Rasa stores what it ran.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select, update

from bot.notify.notices import NOTIFICATION_ENTITY, naive_utc
from bot.notify.policy import Policy
from bot.notify.subscriptions import NOT_SENT, end_subscriptions
from bot.rasa_api import RasaApi, RasaApiError
from bot.store import Delivery, Handoff, HandoffClaim, Store, Subscription

log = logging.getLogger(__name__)

# Rasa 3.6 answers a channel's exception as 500 "ConversationError" with "Error: <exception>".
# python-telegram-bot words Telegram's 403s "Forbidden: bot was blocked by the user" (also "user
# is deactivated", "bot was kicked from the group chat", "bot can't initiate conversation with a
# user") and a deleted chat's 400 "Chat not found": none of them gets better by trying again.
_REFUSED = re.compile(r"Error: (Forbidden: .*|Chat not found.*)$", re.DOTALL)


def refusal(error: RasaApiError) -> str | None:
    """Why the citizen's channel will never take a message, or None if trying again may help.

    Rasa's own 4xx are never the citizen's doing: 401/403 is our token, 404 an intent the domain
    lacks, 400 our request.
    """
    if error.status != 500 or error.reason != "ConversationError":
        return None
    found = _REFUSED.search(error.message)
    return found.group(1).strip() if found else None


def notification_id(delivery_id: int) -> str:
    return f"n{delivery_id}"


# How often a message waiting for an operator to hand the conversation back is looked at.
OPERATOR_RECHECK = timedelta(minutes=15)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _carried(events: list[dict[str, Any]], intent: str, key: str) -> bool:
    """Does the conversation hold the external turn of this delivery?"""
    for event in events:
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        if (parse.get("intent") or {}).get("name") != intent:
            continue
        for entity in parse.get("entities") or []:
            if entity.get("entity") == NOTIFICATION_ENTITY and entity.get("value") == key:
                return True
    return False


@dataclass
class Outcomes:
    """What one pass did, by delivery status (for the log and the tests)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, status: str) -> None:
        self.counts[status] += 1


@dataclass(frozen=True)
class Due:
    id: int
    subscription_id: int
    sender_id: str
    channel: str | None
    intent: str
    payload: dict[str, Any]
    attempts: int
    deadline: datetime | None
    expires_at: datetime | None


class Deliverer:
    """Sends due deliveries; owns nothing (the store and HTTP session are the service's)."""

    def __init__(
        self, store: Store, rasa: RasaApi, policy: Policy, *, batch: int = 200,
        parallel: int = 8, max_attempts: int = 8,
        verify_after: timedelta = timedelta(seconds=90),
    ) -> None:
        self.store = store
        self.rasa = rasa
        self.policy = policy
        self.batch = batch
        self.parallel = parallel
        self.max_attempts = max_attempts
        self.verify_after = verify_after

    async def run(self, now: datetime) -> Outcomes:
        """Settle unanswered sends, then send (or hold) what is due at ``now`` (aware)."""
        outcomes = Outcomes()
        await self._verify_unanswered(now, outcomes)
        due = await self._due(now)
        if not due:
            return outcomes
        senders = {d.sender_id for d in due}
        counts = await self._sent_today(now, senders)
        with_operator = await self._with_operator(senders)
        to_send: dict[str, list[Due]] = {}
        for delivery in due:
            if delivery.sender_id in with_operator:
                await self._set(delivery.id, status="held", unless_cancelled=True,
                                due_at=naive_utc(now) + OPERATOR_RECHECK, error="with an operator")
                outcomes.add("held")
                continue
            decision = self.policy.decide(now, sent_today=counts[delivery.sender_id],
                                          deadline=delivery.deadline,
                                          expires_at=delivery.expires_at)
            if decision.verdict == "send":
                counts[delivery.sender_id] += 1
                to_send.setdefault(delivery.sender_id, []).append(delivery)
            elif decision.verdict == "hold":
                await self._set(delivery.id, status="held", unless_cancelled=True,
                                due_at=decision.until, error=decision.why)
                outcomes.add("held")
            else:
                await self._set(delivery.id, status="expired", unless_cancelled=True,
                                error=decision.why)
                outcomes.add("expired")
        limit = asyncio.Semaphore(self.parallel)

        async def one_citizen(deliveries: list[Due]) -> None:
            async with limit:  # a citizen's messages in order; citizens side by side
                for delivery in deliveries:
                    outcomes.add(await self._send(delivery, now))

        await asyncio.gather(*(one_citizen(d) for d in to_send.values()))
        return outcomes

    # ---- reading

    async def _due(self, now: datetime) -> list[Due]:
        active = and_(Subscription.id == Delivery.subscription_id, Subscription.ended_at.is_(None))
        async with self.store.session() as session:
            rows = await session.execute(
                select(Delivery, Subscription.channel).join(Subscription, active)
                .where(Delivery.status.in_(NOT_SENT), Delivery.due_at <= naive_utc(now))
                .order_by(Delivery.due_at, Delivery.id).limit(self.batch)
            )
            return [Due(d.id, d.subscription_id, d.sender_id, channel, d.intent, dict(d.payload),
                        d.attempts, d.deadline, d.expires_at) for d, channel in rows]

    async def _sent_today(self, now: datetime, senders: set[str]) -> Counter[str]:
        """Messages each citizen got (or is being sent) this city day."""
        start, end = self.policy.day(now)
        counts: Counter[str] = Counter()
        async with self.store.session() as session:
            rows = await session.execute(
                select(Delivery.sender_id, func.count())
                .where(Delivery.sender_id.in_(sorted(senders)),
                       Delivery.status.in_(("sent", "sending")),
                       Delivery.last_attempt_at >= start, Delivery.last_attempt_at < end)
                .group_by(Delivery.sender_id)
            )
            for sender_id, count in rows:
                counts[sender_id] = count
        return counts

    async def _with_operator(self, senders: set[str]) -> set[str]:
        """Citizens whose conversation an operator has taken (Rasa has it paused)."""
        async with self.store.session() as session:
            rows = await session.execute(
                select(Handoff.sender_id)
                .join(HandoffClaim, HandoffClaim.handoff_id == Handoff.id)
                .where(Handoff.status == "open", Handoff.sender_id.in_(sorted(senders)))
            )
            return set(rows.scalars())

    # ---- writing

    async def _set(self, delivery_id: int, *, unless_cancelled: bool = False,
                   **values: Any) -> None:
        """Update one delivery; ``unless_cancelled``: only while it is unsent (an unsubscribe
        that cancelled it since it was read wins)."""
        which = [Delivery.id == delivery_id]
        if unless_cancelled:
            which.append(Delivery.status.in_(NOT_SENT))
        async with self.store.session() as session, session.begin():
            await session.execute(update(Delivery).where(*which).values(**values)
                                  .execution_options(synchronize_session=False))

    async def _claim(self, delivery: Due, now: datetime) -> bool:
        """Mark it ``sending`` if it is still unsent and its subscription active (one UPDATE,
        so an unsubscribe committed before is obeyed)."""
        active = exists().where(Subscription.id == Delivery.subscription_id,
                                Subscription.ended_at.is_(None))
        async with self.store.session() as session, session.begin():
            result = await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery.id, Delivery.status.in_(NOT_SENT), active)
                .values(status="sending", attempts=Delivery.attempts + 1,
                        last_attempt_at=naive_utc(now))
                .execution_options(synchronize_session=False)
            )
            return (result.rowcount or 0) == 1

    async def _send(self, delivery: Due, now: datetime) -> str:
        """Claim, send, and record what came of it; returns the delivery's new status."""
        if not await self._claim(delivery, now):
            return "skipped"
        key = notification_id(delivery.id)
        try:
            await self.rasa.trigger_intent(
                delivery.sender_id, delivery.intent,
                {**delivery.payload, NOTIFICATION_ENTITY: key}, delivery.channel,
            )
        except RasaApiError as error:
            return await self._failed(delivery, error, now)
        await self._set(delivery.id, status="sent", sent_at=naive_utc(now), error=None)
        return "sent"

    async def _failed(self, delivery: Due, error: RasaApiError, now: datetime) -> str:
        attempts = delivery.attempts + 1
        reason = refusal(error)
        if reason is not None:
            log.warning("notifier: %s refused delivery %s, ending subscription %s: %s",
                        delivery.sender_id, delivery.id, delivery.subscription_id, reason)
            async with self.store.session() as session, session.begin():
                await session.execute(update(Delivery).where(Delivery.id == delivery.id)
                                      .values(status="failed", error=reason[:1000]))
                await end_subscriptions(session, [delivery.subscription_id],
                                        f"delivery refused: {reason}"[:1000], naive_utc(now))
            return "failed"
        if error.maybe_done:
            log.warning("notifier: no answer for delivery %s to %s (%s); checking later",
                        delivery.id, delivery.sender_id, error.message)
            await self._set(delivery.id, error=error.message[:1000])
            return "sending"
        return await self._retry_or_fail(delivery.id, attempts, error.message, now)

    async def _retry_or_fail(self, delivery_id: int, attempts: int, why: str,
                             now: datetime) -> str:
        if attempts >= self.max_attempts:
            log.error("notifier: delivery %s failed %d times, giving up: %s",
                      delivery_id, attempts, why)
            await self._set(delivery_id, status="failed", error=why[:1000])
            return "failed"
        log.warning("notifier: delivery %s failed (attempt %d): %s", delivery_id, attempts, why)
        await self._set(delivery_id, status="pending", due_at=naive_utc(now) + backoff(attempts),
                        error=why[:1000])
        return "pending"

    # ---- sends whose answer was lost

    async def _verify_unanswered(self, now: datetime, outcomes: Outcomes) -> None:
        before = naive_utc(now) - self.verify_after
        async with self.store.session() as session:
            rows = (await session.execute(
                select(Delivery).where(Delivery.status == "sending",
                                       Delivery.last_attempt_at <= before)
                .order_by(Delivery.id).limit(self.batch)
            )).scalars().all()
        for row in rows:
            try:
                events = await self.rasa.conversation_events(row.sender_id)
            except RasaApiError as error:
                log.warning("notifier: cannot check delivery %s yet: %s", row.id, error.message)
                continue
            if _carried(events, row.intent, notification_id(row.id)):
                await self._set(row.id, status="sent", sent_at=row.last_attempt_at, error=None)
                outcomes.add("sent")
            else:
                outcomes.add(await self._retry_or_fail(
                    row.id, row.attempts, row.error or "no answer from Rasa", now))
