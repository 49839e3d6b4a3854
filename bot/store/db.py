"""The app database (SQLite under var/ by default, PostgreSQL at scale): engine and sessions."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

from bot.store.models import Base


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # SQLite under several processes: wait for locks instead of failing at once.
        return create_async_engine(url, future=True, connect_args={"timeout": 15})
    return create_async_engine(url, future=True, pool_pre_ping=True)


async def create_schema(engine: AsyncEngine, attempts: int = 3) -> None:
    """Create the missing tables. Processes starting together (``make up``) race to create the
    same table and the loser sees "already exists": it looks again and finds it there."""
    for attempt in range(1, attempts + 1):
        try:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            return
        except DBAPIError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.2 * attempt)


class Store:
    """An engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._ready = False

    async def ready(self) -> "Store":
        if not self._ready:
            await create_schema(self.engine)
            self._ready = True
        return self

    async def close(self) -> None:
        await self.engine.dispose()
