"""The app database (SQLite under var/ by default, PostgreSQL at scale): engine and sessions."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

from bot.store.migrate import upgrade


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # SQLite under several processes: wait for locks instead of failing at once.
        return create_async_engine(url, future=True, connect_args={"timeout": 15})
    return create_async_engine(url, future=True, pool_pre_ping=True)


class Store:
    """An engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._ready = False

    async def ready(self) -> "Store":
        if not self._ready:
            await upgrade(self.engine)
            self._ready = True
        return self

    async def close(self) -> None:
        await self.engine.dispose()
