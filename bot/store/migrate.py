"""citybot's own tables, migrated with Alembic (``bot/store/migrations``).

Every process that opens the app database brings it to the newest revision first
(:meth:`bot.store.Store.ready`), and ``citybot up`` does before it starts any. A database at the
newest revision costs one query. A database made before migrations existed (its tables made by
``create_all``, later columns added at start) has no revision: it is given the columns it may lack,
which makes it the first revision's schema, and is marked as at that revision; the later ones then
run as usual.

Processes starting together migrate one at a time: on PostgreSQL an advisory lock held for the
migrating transaction; on SQLite the first write locks the file, and a process that lost the race
to make the same table looks again (:func:`upgrade` retries).

A new revision (after a change to bot/store/models.py): ``citybot db revision "what changed"``
writes one by comparing the models with a database at the newest revision; read it, then commit it.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateColumn

from bot.store.models import Base

HERE = Path(__file__).resolve().parent
# The revision whose schema a database made before migrations has, once given its missing columns.
BASELINE = "0001"
_MIGRATING = threading.Lock()
# One number for citybot's migration lock among PostgreSQL's advisory locks ("citybot1").
ADVISORY_LOCK = 0x63697479626F7431


# Columns given to tables before migrations existed: a database made then
# gets these by ALTER TABLE ... ADD COLUMN, with the indexes that use them
# (:func:`add_missing_columns`), and is then at the first revision. Frozen: a new column is a
# new revision now.
ADDED_COLUMNS: tuple[tuple[str, str], ...] = (
    # The conversation's language (issue 12): the console's list, analytics and corrections.
    ("conversation_index", "language"),
    ("conversation_days", "language"),
    ("corrections", "language"),
    # A Telegram update kept until its turn is over (issue 13: at-least-once delivery).
    ("telegram_claims", "payload"),
    ("telegram_claims", "done_at"),
)


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


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    head = ScriptDirectory.from_config(config()).get_current_head()
    assert head is not None
    return head


def current(conn: Connection) -> str | None:
    """The database's revision (None: never migrated)."""
    return MigrationContext.configure(conn).get_current_revision()


def _upgrade(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    revision = current(conn)
    if revision == head():
        return
    if revision is None and sa.inspect(conn).has_table("reports"):
        add_missing_columns(conn)
        command.stamp(config(conn), BASELINE)
    command.upgrade(config(conn), "head")


def _upgrade_with_retries(url: sa.engine.URL, attempts: int) -> None:
    with _MIGRATING:
        engine = sa.create_engine(url, **({"connect_args": {"timeout": 15}}
                                          if url.drivername == "sqlite" else {}))
        try:
            for attempt in range(1, attempts + 1):
                try:
                    with engine.begin() as conn:
                        _upgrade(conn)
                    return
                except DBAPIError:
                    if attempt == attempts:
                        raise
                    time.sleep(0.2 * attempt)
        finally:
            engine.dispose()


async def upgrade(engine: AsyncEngine, attempts: int = 3) -> None:
    """Bring the app database to the newest revision (see the module's note on races).

    Alembic keeps its migration context in module globals, one per process: migrations run in a
    thread, on a blocking connection (the same database through its synchronous driver), one at
    a time in this process."""
    url = engine.url.set(drivername=engine.url.drivername.split("+", 1)[0])
    await asyncio.to_thread(_upgrade_with_retries, url, attempts)


def new_revision(message: str) -> list[str]:
    """Write a revision for what changed in the models since the newest one (autogenerated
    against an SQLite database brought to the newest revision); returns the files written."""
    with tempfile.TemporaryDirectory() as scratch:
        engine = sa.create_engine(f"sqlite:///{scratch}/head.db")
        try:
            with engine.begin() as conn:
                command.upgrade(config(conn), "head")
                scripts = command.revision(config(conn), message=message, autogenerate=True,
                                           rev_id=f"{int(head()) + 1:04d}")
        finally:
            engine.dispose()
    scripts = scripts if isinstance(scripts, list) else [scripts]
    return [script.path for script in scripts if script is not None]
