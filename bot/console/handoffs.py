"""The operators' queue: conversations waiting for a person, taken by one operator, answered on
the citizen's own channel, and handed back to the assistant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiohttp
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.handoff import release_handoff
from bot.rasa_api import resume_conversation
from bot.store import Handoff, HandoffClaim, Store
from bot.store.models import utcnow
from bot.supervisor import rasa_token

REPLY_CHARS = 2000


class HandoffError(RuntimeError):
    """Why an operator's step did not happen, in words for the operator."""


@dataclass
class Waiting:
    id: int
    sender_id: str
    reason: str
    last_message: str
    since: datetime
    taken_by: str | None

    def waiting_minutes(self, now: datetime | None = None) -> int:
        return int(((now or utcnow()) - self.since).total_seconds() // 60)


async def queue(store: Store) -> list[Waiting]:
    """Open handoffs, oldest first, with who took each."""
    async with store.session() as session:
        rows = await session.execute(
            sa.select(Handoff, HandoffClaim.staff_name)
            .outerjoin(HandoffClaim, HandoffClaim.handoff_id == Handoff.id)
            .where(Handoff.status == "open")
            .order_by(Handoff.created_at, Handoff.id)
        )
        return [
            Waiting(h.id, h.sender_id, h.reason or "", h.last_message or "", h.created_at, name)
            for h, name in rows
        ]


async def get(store: Store, handoff_id: int) -> Waiting | None:
    return next((w for w in await queue(store) if w.id == handoff_id), None)


async def take(store: Store, handoff_id: int, staff_name: str) -> Waiting:
    """This operator answers this citizen now; nobody else can take it."""
    waiting = await get(store, handoff_id)
    if waiting is None:
        raise HandoffError("This conversation is no longer waiting.")
    if waiting.taken_by == staff_name:
        return waiting
    try:
        async with store.session() as session, session.begin():
            session.add(HandoffClaim(handoff_id=handoff_id, staff_name=staff_name))
    except IntegrityError:
        taken = await get(store, handoff_id)
        raise HandoffError(f"{taken.taken_by if taken else 'Someone'} has taken it already.") from None
    waiting.taken_by = staff_name
    return waiting


def _mine(waiting: Waiting | None, staff_name: str) -> Waiting:
    if waiting is None:
        raise HandoffError("This conversation is no longer waiting.")
    if waiting.taken_by != staff_name:
        raise HandoffError("Take the conversation first; only its operator answers it.")
    return waiting


async def reply(settings: Settings, store: Store, handoff_id: int, staff_name: str,
                text: str) -> Waiting:
    """Send the operator's message to the citizen on the channel they used last."""
    waiting = _mine(await get(store, handoff_id), staff_name)
    text = text.strip()
    if not text or len(text) > REPLY_CHARS:
        raise HandoffError(f"Write a reply of up to {REPLY_CHARS} characters.")
    async with aiohttp.ClientSession() as session, session.post(
        f"{settings.rasa_url}/conversations/{waiting.sender_id}/tracker/events",
        params={"token": rasa_token(settings), "output_channel": "latest",
                "execute_side_effects": "true"},
        json=[{"event": "bot", "text": text, "metadata": {"operator": staff_name}}],
        timeout=aiohttp.ClientTimeout(total=15),
    ) as resp:
        if resp.status >= 400:
            raise HandoffError("The assistant's server did not take the reply; try again.")
    return waiting


async def hand_back(settings: Settings, store: Store, handoff_id: int, staff_name: str) -> Waiting:
    """The assistant answers this citizen again."""
    waiting = _mine(await get(store, handoff_id), staff_name)
    try:
        await resume_conversation(settings, waiting.sender_id)
    except aiohttp.ClientError as exc:
        raise HandoffError("The assistant's server could not be reached; try again.") from exc
    await release_handoff(store, waiting.sender_id)
    return waiting
