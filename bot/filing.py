"""Filing a confirmed problem report exactly once, even when the city is down or slow.

The report is written to the app database first (the outbox) under the confirmation's
idempotency key; then it is sent to Open311 with the same key. A repeated action call
with the same key finds the row and answers from it instead of filing again; a report
the city could not take stays ``pending`` and ``retry_pending`` files it later.

A citizen who asks to be forgotten (or whose conversation staff delete) keeps what they were
promised: a report not filed yet stays in the outbox, no longer linked to them
(:func:`detach_unfiled`), is filed, and is then deleted here.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.city.errors import CityNotFound, CityRejected, CityUnavailable
from bot.city.open311 import NewRequest, Open311Client
from bot.saved import forget_all
from bot.store import Delivery, Handoff, Report, Store, Subscription
from bot.store.models import utcnow

log = logging.getLogger(__name__)

State = Literal["filed", "pending", "rejected"]
# The sender of a report kept only until it is filed: nobody's conversation.
FORGOTTEN = "forgotten:"


@dataclass(frozen=True)
class Outcome:
    state: State
    request_id: str | None = None
    token: str | None = None
    notice: str | None = None
    reason: str | None = None
    service_name: str = ""

    @classmethod
    def of(cls, row: Report) -> "Outcome":
        return cls(
            state=row.status,  # type: ignore[arg-type]
            request_id=row.request_id,
            token=row.token,
            notice=row.service_notice,
            reason=row.last_error if row.status == "rejected" else None,
            service_name=row.service_name,
        )


async def file_report(
    store: Store,
    open311: Open311Client,
    *,
    key: str,
    sender_id: str,
    service_name: str,
    request: NewRequest,
    wait_for_other: float = 6.0,
) -> Outcome:
    """Save the report under ``key`` and file it once; return what the citizen should hear."""
    try:
        async with store.session() as session, session.begin():
            row = Report(
                key=key,
                sender_id=sender_id,
                service_code=request.service_code,
                service_name=service_name,
                payload=asdict(request),
                status="pending",
            )
            session.add(row)
    except IntegrityError:
        # Someone (a retried action call) owns this confirmation already.
        return await _wait_for(store, key, wait_for_other)
    return await _attempt(store, open311, key)


async def _load(store: Store, key: str) -> Report | None:
    async with store.session() as session:
        return (await session.execute(select(Report).where(Report.key == key))).scalar_one_or_none()


async def _wait_for(store: Store, key: str, seconds: float) -> Outcome:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        row = await _load(store, key)
        assert row is not None
        if row.status != "pending" or row.attempts > 0:
            return Outcome.of(row)
        if asyncio.get_running_loop().time() >= deadline:
            return Outcome.of(row)
        await asyncio.sleep(0.2)


async def _attempt(store: Store, open311: Open311Client, key: str) -> Outcome:
    row = await _load(store, key)
    assert row is not None
    if row.status != "pending":
        return Outcome.of(row)
    request = NewRequest(**row.payload)
    async with store.session() as session, session.begin():
        current = await session.get(Report, row.id)
        try:
            filed = await open311.create_request(request, idempotency_key=key)
        except CityUnavailable as exc:
            log.warning("report %s not filed yet: %s", key, exc)
            current.attempts += 1
            current.last_error = str(exc)[:1000]
        except CityRejected as exc:
            log.warning("report %s rejected by the city: %s", key, exc)
            current.attempts += 1
            current.status = "rejected"
            current.last_error = exc.message or exc.code
        else:
            current.attempts += 1
            current.status = "filed"
            current.request_id = filed.id
            current.token = filed.token
            current.service_notice = filed.service_notice
            current.last_error = None
        current.updated_at = utcnow()
        outcome = Outcome.of(current)
        if current.status != "pending" and current.sender_id.startswith(FORGOTTEN):
            await session.delete(current)  # filed for a citizen who asked to be forgotten
    return outcome


async def retry_pending(
    store: Store, open311: Open311Client, *, older_than: timedelta = timedelta(seconds=20)
) -> list[Outcome]:
    """File every pending report untouched for a while (the outbox drain)."""
    cutoff = utcnow() - older_than
    async with store.session() as session:
        keys = (
            await session.execute(
                select(Report.key)
                .where(Report.status == "pending", Report.updated_at < cutoff)
                .order_by(Report.id)
                .limit(50)
            )
        ).scalars().all()
    return [await _attempt(store, open311, key) for key in keys]


async def resolve_tokens(store: Store, open311: Open311Client, reports: list[Report]) -> None:
    """Filed reports known only by a token get their request id once the city has one."""
    for report in reports:
        if report.status != "filed" or report.request_id or not report.token:
            continue
        try:
            request_id = await open311.request_id_for_token(report.token)
        except (CityUnavailable, CityNotFound):
            continue
        if request_id:
            report.request_id = request_id
            async with store.session() as session, session.begin():
                row = await session.get(Report, report.id)
                row.request_id = request_id


async def recent_reports(store: Store, sender_id: str, *, limit: int = 5) -> list[Report]:
    """The citizen's own latest reports, newest first."""
    async with store.session() as session:
        rows = await session.execute(
            select(Report)
            .where(Report.sender_id == sender_id)
            .order_by(Report.id.desc())
            .limit(limit)
        )
        return list(rows.scalars().all())


async def detach_unfiled(session: AsyncSession, sender_id: str) -> int:
    """The citizen's reports the city has not taken yet stay in the outbox to be filed, under a
    sender that names nobody (deleted once filed); returns how many."""
    result = await session.execute(
        update(Report)
        .where(Report.sender_id == sender_id, Report.status == "pending")
        .values(sender_id=f"{FORGOTTEN}{uuid.uuid4().hex}")
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class Forgotten:
    deleted: int  # reports deleted (filed ones stay with the city)
    unfiled: int  # reports still to be filed, no longer linked to the citizen


async def forget_sender(store: Store, sender_id: str) -> Forgotten:
    """Delete what the assistant keeps about a citizen (their reports, kept details,
    notification subscriptions and the messages owed to them); filed requests stay with the
    city, and reports not filed yet are still filed (without the citizen's name on them here)."""
    async with store.session() as session, session.begin():
        unfiled = await detach_unfiled(session, sender_id)
        gone = await session.execute(delete(Report).where(Report.sender_id == sender_id))
        await session.execute(
            delete(Handoff).where(Handoff.sender_id == sender_id, Handoff.status != "open")
        )
        await forget_all(session, sender_id)
        # notifications stop at once: nothing owed is sent after this commits
        await session.execute(delete(Delivery).where(Delivery.sender_id == sender_id))
        await session.execute(delete(Subscription).where(Subscription.sender_id == sender_id))
    return Forgotten(deleted=gone.rowcount or 0, unfiled=unfiled)
