"""citybot's own tables under Alembic (bot.store.migrate): the revisions make exactly what the
models say, a database from before migrations is taken over, and starts that race agree."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.store import Store
from bot.store.migrate import ADDED_COLUMNS, BASELINE, current, head
from bot.store.models import Base


def differences(conn: sa.engine.Connection) -> list:
    """What autogenerate would write for this database: nothing when it matches the models."""
    context = MigrationContext.configure(conn, opts={
        "include_name": lambda name, type_, _parent: type_ != "table"
        or name in Base.metadata.tables,
        "compare_type": True,
    })
    return compare_metadata(context, Base.metadata)


async def revision_and_differences(store: Store) -> tuple[str | None, list]:
    async with store.engine.connect() as conn:
        return await conn.run_sync(current), await conn.run_sync(differences)


async def test_a_new_database_is_made_by_the_revisions_as_the_models_say(tmp_path) -> None:
    store = await Store(f"sqlite+aiosqlite:///{tmp_path}/new.db").ready()
    try:
        revision, diff = await revision_and_differences(store)
    finally:
        await store.close()
    assert revision == head()
    assert diff == []


async def test_a_database_from_before_migrations_is_taken_over_by_racing_starts(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    old = Store(url)
    async with old.engine.begin() as conn:  # as create_all made it, before the added columns
        await conn.run_sync(Base.metadata.create_all)
        for table, column in ADDED_COLUMNS:
            for index in Base.metadata.tables[table].indexes:
                if column in index.columns:
                    await conn.execute(sa.text(f"DROP INDEX {index.name}"))
            await conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        await conn.execute(sa.text(
            "INSERT INTO reports (key, sender_id, service_code, service_name, payload, status, "
            "attempts, created_at, updated_at) VALUES ('k1', 'anna', 'pothole', 'Pothole', "
            "'{}', 'filed', 0, '2026-01-01', '2026-01-01')"))
    await old.close()
    stores = [Store(url) for _ in range(3)]
    try:
        await asyncio.gather(*(store.ready() for store in stores))
        revision, diff = await revision_and_differences(stores[0])
        async with stores[0].engine.connect() as conn:
            kept = (await conn.execute(sa.text("SELECT sender_id FROM reports"))).scalars().all()
    finally:
        for store in stores:
            await store.close()
    assert revision == head()
    assert diff == []
    assert kept == ["anna"]


def test_the_baseline_is_the_first_revision() -> None:
    from alembic.script import ScriptDirectory

    from bot.store.migrate import config

    first = list(ScriptDirectory.from_config(config()).walk_revisions())[-1]
    assert first.revision == BASELINE
    assert first.down_revision is None
