"""``Idempotency-Key``: the first answer to a POST is stored and returned for every repeat.

Callers hold the app's write lock around replay → act → remember, so two concurrent repeats
cannot both act, and remember in the transaction that acts: the city dying between two commits
would otherwise hold the request but not its key, and file the retry again. Only successful
answers are stored: a refused POST filed nothing, so a corrected retry under the same key should
be able to succeed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.sandbox.dates import utcnow
from bot.sandbox.models import IdempotentAnswer


async def replay(engine: AsyncEngine, scope: str, key: str) -> tuple[int, Any] | None:
    """The stored (status, body) for this key, if any."""
    async with AsyncSession(engine, future=True) as session:
        stored = await session.get(IdempotentAnswer, (scope, key))
        return (stored.status, stored.body) if stored else None


def remember(session: AsyncSession, scope: str, key: str, status: int, body: Any) -> None:
    """Store the answer for this key in the session (the transaction) that acted."""
    session.add(IdempotentAnswer(scope=scope, key=key, status=status, body=body,
                                 created_at=utcnow()))
