"""Alembic's environment for citybot's own tables (bot.store.models), run by bot.store.migrate.

It runs on the connection bot.store.migrate hands it (``config.attributes["connection"]``), in
that connection's transaction; there is no alembic.ini and no URL here.
"""

from __future__ import annotations

from alembic import context

from bot.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most of a table: Alembic's batch mode copies it instead.
    render_as_batch=connection.dialect.name == "sqlite",
    # Rasa's tracker store may share the database (its ``events`` table): not ours to manage.
    include_name=lambda name, type_, _parent: type_ != "table" or name in Base.metadata.tables,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
