"""The operators' queue: conversations waiting for a person, taken by one operator, answered on
the citizen's own channel, and handed back to the assistant or closed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot import responses
from bot.handoff import CLOSED, RELEASED, release_handoff
from bot.language import DEFAULT, LANGUAGES
from bot.rasa_api import RasaApi, RasaApiError
from bot.store import Handoff, HandoffClaim, Store
from bot.store.models import ConversationIndex, utcnow

REPLY_CHARS = 2000
CLOSING_RESPONSE = "utter_handoff_closed"


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


async def queue(store: Store, handoff_id: int | None = None) -> list[Waiting]:
    """Open handoffs, oldest first, with who took each (only ``handoff_id``'s when given)."""
    query = (
        sa.select(Handoff, HandoffClaim.staff_name)
        .outerjoin(HandoffClaim, HandoffClaim.handoff_id == Handoff.id)
        .where(Handoff.status == "open")
        .order_by(Handoff.created_at, Handoff.id)
    )
    if handoff_id is not None:
        query = query.where(Handoff.id == handoff_id)
    async with store.session() as session:
        return [
            Waiting(h.id, h.sender_id, h.reason or "", h.last_message or "", h.created_at, name)
            for h, name in await session.execute(query)
        ]


async def get(store: Store, handoff_id: int) -> Waiting | None:
    found = await queue(store, handoff_id)
    return found[0] if found else None


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


async def take_over(rasa: RasaApi, store: Store, handoff_id: int, staff_name: str
                    ) -> Waiting:
    """Take the conversation and quiet the assistant in it (the operator answers now)."""
    waiting = await take(store, handoff_id, staff_name)
    try:
        await rasa.pause(waiting.sender_id)
    except RasaApiError as exc:
        raise HandoffError("The assistant's server could not be reached; try again.") from exc
    return waiting


def _mine(waiting: Waiting | None, staff_name: str) -> Waiting:
    if waiting is None:
        raise HandoffError("This conversation is no longer waiting.")
    if waiting.taken_by != staff_name:
        raise HandoffError("Take the conversation first; only its operator answers it.")
    return waiting


async def reply(rasa: RasaApi, store: Store, handoff_id: int, staff_name: str,
                text: str) -> Waiting:
    """Send the operator's message to the citizen on the channel they used last."""
    waiting = _mine(await get(store, handoff_id), staff_name)
    text = text.strip()
    if not text or len(text) > REPLY_CHARS:
        raise HandoffError(f"Write a reply of up to {REPLY_CHARS} characters.")
    try:
        await rasa.say_as_operator(waiting.sender_id, text, staff_name)
    except RasaApiError as exc:
        raise HandoffError("The assistant's server did not take the reply; try again.") from exc
    return waiting


async def _end(store: Store, handoff_id: int, staff_name: str,
               tell_rasa: Callable[[str], Awaitable[None]], status: str) -> Waiting:
    """The operator ends their part: Rasa is told (``tell_rasa(sender_id)``), then the handoff
    is recorded with ``status``; nothing is recorded if Rasa could not be reached."""
    waiting = _mine(await get(store, handoff_id), staff_name)
    try:
        await tell_rasa(waiting.sender_id)
    except RasaApiError as exc:
        raise HandoffError("The assistant's server could not be reached; try again.") from exc
    await release_handoff(store, waiting.sender_id, status=status)
    return waiting


async def hand_back(rasa: RasaApi, store: Store, handoff_id: int, staff_name: str) -> Waiting:
    """The assistant answers this citizen again."""
    return await _end(store, handoff_id, staff_name, rasa.resume, RELEASED)


def closing_message(language: str = DEFAULT) -> str:
    """What the citizen reads when an operator closes, in their language: the domain's
    response (sentences citizens read are data)."""
    return responses.say(responses.of_domain(), CLOSING_RESPONSE, language)


async def conversation_language(store: Store, sender_id: str) -> str:
    """The conversation's language as the console's index last saw it (the default if none)."""
    async with store.session() as session:
        language = await session.scalar(
            sa.select(ConversationIndex.language).where(ConversationIndex.sender_id == sender_id))
    return language if language in LANGUAGES else DEFAULT


async def close(rasa: RasaApi, store: Store, handoff_id: int, staff_name: str) -> Waiting:
    """The operator ends the conversation: a closing message, and the assistant starts afresh
    at the citizen's next message (recorded as closed, not handed back)."""
    async def tell_rasa(sender: str) -> None:
        text = closing_message(await conversation_language(store, sender))
        await rasa.close_conversation(sender, text, staff_name)

    return await _end(store, handoff_id, staff_name, tell_rasa, CLOSED)
