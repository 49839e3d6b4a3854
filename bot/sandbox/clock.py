"""The sandbox's clock: every tick moves open requests filed through the API along.

A request gets "Crew assigned" on its first tick and closes as "Repaired" on its second or
third (by its id), so a test or a demo sees every state change within a few ticks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy import select

from bot.sandbox.dates import utcnow
from bot.sandbox.models import ServiceRequest
from bot.sandbox.state import CONFIG, RUNTIME, open_session

log = logging.getLogger(__name__)

CREW_ASSIGNED = "Crew assigned"
SCHEDULED = "Scheduled for repair"
REPAIRED = "Repaired"


def next_state(request_id: str, ticks: int) -> tuple[str, str] | None:
    """(status, status_notes) after the request's ``ticks``-th tick, or None for no change."""
    closes_on = 2 + int(request_id) % 2 if request_id.isdigit() else 3
    if ticks == 1:
        return "open", CREW_ASSIGNED
    if ticks == closes_on:
        return "closed", REPAIRED
    if ticks == 2:
        return "open", SCHEDULED
    return None


async def tick(app: web.Application, now: datetime | None = None) -> list[str]:
    """Advance every open API-filed request by one tick; return the ids that changed."""
    now = (now or utcnow()).replace(microsecond=0)
    changed = []
    async with app[RUNTIME].write_lock, open_session(app) as session, session.begin():
        rows = (await session.scalars(select(ServiceRequest).where(
            ServiceRequest.status == "open", ServiceRequest.moved_by_clock.is_(True)))).all()
        for row in rows:
            row.ticks += 1
            state = next_state(row.id, row.ticks)
            if state is None:
                continue
            row.status, row.status_notes = state
            # Strictly later, so an updated_after poll at second precision sees the change.
            row.updated_datetime = max(now, row.updated_datetime + timedelta(seconds=1))
            changed.append(row.id)
    return changed


async def _run(app: web.Application, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            changed = await tick(app)
        except Exception:  # the clock must survive a bad tick; the next one may succeed
            log.exception("sandbox clock tick failed")
        else:
            if changed:
                log.info("sandbox clock moved requests %s", ", ".join(changed))


async def clock_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the clock in the background while the app runs (``clock_seconds`` ≤ 0: never)."""
    seconds = app[CONFIG].clock_seconds
    task = asyncio.create_task(_run(app, seconds)) if seconds > 0 else None
    yield
    if task is not None:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
