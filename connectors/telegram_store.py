"""What the Telegram channel must remember across restarts: updates received and handled, the
keyboards answered, and long button payloads."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import Store, TelegramCallback, TelegramClaim
from bot.store.models import utcnow

CALLBACK_DATA_BYTES = 64  # Telegram's limit for an inline button's callback_data
LONG_PAYLOAD_PREFIX = "#"  # callback_data "#<key>": the payload is in telegram_callbacks
KEEP_CLAIMS = timedelta(days=7)  # Telegram keeps an undelivered update for 24 hours


class TelegramLedger:
    """Claims (each update and each question's keyboard handled once) and button payloads."""

    def __init__(self, store: Store, bot_id: int) -> None:
        self.store = store
        self.bot_id = bot_id

    async def claim(self, key: str, payload: str | None = None) -> bool:
        """True the first time ``key`` is claimed for this bot, False ever after."""
        try:
            async with self.store.session() as session, session.begin():
                session.add(TelegramClaim(bot_id=self.bot_id, key=key, payload=payload))
        except IntegrityError:
            return False
        return True

    async def claim_update(self, update_id: int, update: dict[str, Any] | None = None) -> bool:
        """Keep an update (before it is confirmed to Telegram); True the first time. It stays
        unfinished until :meth:`finish`."""
        payload = json.dumps(update, ensure_ascii=False) if update is not None else None
        return await self.claim(f"update:{update_id}", payload)

    async def finish(self, update_id: int) -> None:
        """The update's turn is over (answered, or the citizen told what went wrong)."""
        async with self.store.session() as session, session.begin():
            await session.execute(
                update(TelegramClaim)
                .where(TelegramClaim.bot_id == self.bot_id,
                       TelegramClaim.key == f"update:{update_id}")
                .values(done_at=utcnow())
            )

    async def unfinished(self) -> list[dict[str, Any]]:
        """Updates received and kept but not finished (the process stopped mid-turn), oldest
        first."""
        async with self.store.session() as session:
            rows = (await session.scalars(
                select(TelegramClaim)
                .where(TelegramClaim.bot_id == self.bot_id,
                       TelegramClaim.key.like("update:%"),
                       TelegramClaim.done_at.is_(None),
                       TelegramClaim.payload.is_not(None))
                .order_by(TelegramClaim.id)
            )).all()
        return [json.loads(row.payload) for row in rows]

    async def claim_keyboard(self, chat_id: int, message_id: int, update_id: int = 0) -> bool:
        """True for the first press on a question's keyboard, and again for the same press
        (``update_id``) handled again after a failure or a restart."""
        key = f"keyboard:{chat_id}:{message_id}"
        if await self.claim(key, str(update_id) if update_id else None):
            return True
        if not update_id:
            return False
        async with self.store.session() as session:
            holder = await session.scalar(
                select(TelegramClaim.payload)
                .where(TelegramClaim.bot_id == self.bot_id, TelegramClaim.key == key)
            )
        return holder == str(update_id)

    async def prune(self, now: datetime | None = None) -> int:
        """Forget claims older than Telegram could ever re-deliver."""
        cutoff = (now or utcnow()) - KEEP_CLAIMS
        async with self.store.session() as session, session.begin():
            result = await session.execute(
                delete(TelegramClaim).where(TelegramClaim.created_at < cutoff)
            )
        return result.rowcount or 0

    async def callback_data(self, payload: str) -> str:
        """``payload`` itself when it fits in callback_data, else a short key to it."""
        if len(payload.encode()) <= CALLBACK_DATA_BYTES and not payload.startswith(
            LONG_PAYLOAD_PREFIX
        ):
            return payload
        key = hashlib.sha256(payload.encode()).hexdigest()[:24]
        try:
            async with self.store.session() as session, session.begin():
                if await session.get(TelegramCallback, key) is None:
                    session.add(TelegramCallback(key=key, payload=payload))
        except IntegrityError:  # the same payload stored at the same moment: it is there
            pass
        return LONG_PAYLOAD_PREFIX + key

    async def payload(self, callback_data: str) -> str | None:
        """The payload a pressed button stands for (None for an unknown key)."""
        if not callback_data.startswith(LONG_PAYLOAD_PREFIX):
            return callback_data
        async with self.store.session() as session:
            row = await session.scalar(
                select(TelegramCallback).where(
                    TelegramCallback.key == callback_data[len(LONG_PAYLOAD_PREFIX):]
                )
            )
        return row.payload if row else None
