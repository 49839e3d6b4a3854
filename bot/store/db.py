"""The app database (SQLite under var/ by default, PostgreSQL at scale): engine and sessions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.schema import CreateColumn

from bot.store.models import Base

# Columns given to tables after databases were made with them. ``create_all`` makes missing
# tables only, so a database from before gets these by ALTER TABLE ... ADD COLUMN at start,
# with the indexes that use them (:func:`add_missing_columns`). Each must be nullable or have a
# server default. Append; never reorder or remove.
ADDED_COLUMNS: tuple[tuple[str, str], ...] = (
    # The conversation's language (issue 12): the console's list, analytics and corrections.
    ("conversation_index", "language"),
    ("conversation_days", "language"),
    ("corrections", "language"),
    # A Telegram update kept until its turn is over (issue 13: at-least-once delivery).
    ("telegram_claims", "payload"),
    ("telegram_claims", "done_at"),
)


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # SQLite under several processes: wait for locks instead of failing at once.
        return create_async_engine(url, future=True, connect_args={"timeout": 15})
    return create_async_engine(url, future=True, pool_pre_ping=True)


def add_missing_columns(conn: Connection) -> list[str]:
    """Add the :data:`ADDED_COLUMNS` a database lacks, and their indexes; returns them as
    "table.column"."""
    inspector = sa.inspect(conn)
    added = []
    for table_name, column_name in ADDED_COLUMNS:
        table = Base.metadata.tables[table_name]
        if column_name in {c["name"] for c in inspector.get_columns(table_name)}:
            continue
        preparer = conn.dialect.identifier_preparer
        column = CreateColumn(table.c[column_name]).compile(dialect=conn.dialect)
        conn.execute(sa.text(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {column}"))
        for index in table.indexes:
            if column_name in index.columns:
                index.create(conn, checkfirst=True)
        added.append(f"{table_name}.{column_name}")
    return added


def _create_all(conn: Connection) -> None:
    Base.metadata.create_all(conn)
    add_missing_columns(conn)


async def create_schema(engine: AsyncEngine, attempts: int = 3) -> None:
    """Create the missing tables and columns. Processes starting together (``make up``) race to
    create the same table (or column) and the loser sees "already exists": it looks again and
    finds it there."""
    for attempt in range(1, attempts + 1):
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_create_all)
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
