"""What the Telegram channel must remember across restarts: handled updates and long payloads."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
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

    async def claim(self, key: str) -> bool:
        """True the first time ``key`` is claimed for this bot, False ever after."""
        try:
            async with self.store.session() as session, session.begin():
                session.add(TelegramClaim(bot_id=self.bot_id, key=key))
        except IntegrityError:
            return False
        return True

    async def claim_update(self, update_id: int) -> bool:
        return await self.claim(f"update:{update_id}")

    async def claim_keyboard(self, chat_id: int, message_id: int) -> bool:
        return await self.claim(f"keyboard:{chat_id}:{message_id}")

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
