"""The console on PostgreSQL: Rasa's tracker store and the app tables in one PostgreSQL database.

Uses the machine's PostgreSQL (127.0.0.1:5432, trust auth) with a database of its own, made
and dropped here. Conversations are saved by Rasa's own ``SQLTrackerStore`` (psycopg2); the
console reads them over asyncpg, as it does at scale. The figures must be the SQLite ones.
"""

from __future__ import annotations

import asyncio
import secrets
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa

from bot.console import analytics, corrections
from bot.console.conversations import NO_LANGUAGE, ConversationFilters, list_conversations
from bot.console.index import delete_conversation, refresh_index
from bot.tracker import Tracker
from bot.console.transcript import transcript
from bot.store import Store
from bot.store.migrate import ADDED_COLUMNS
from bot.store.models import ConversationDay, IntentDay
from tests.unit.test_console_analytics import BOTH, figures
from tests.unit.test_console_languages import seeded as seeded_in_two_languages
from tests.unit.test_console_conversations import (
    ANNA,
    BORIS,
    GLEB,
    VERA,
    at,
    save,
    start,
    user,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import psycopg2
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"


def _admin(sql: str) -> None:
    conn = psycopg2.connect(host=HOST, port=PORT, user=USER, dbname="postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


@pytest.fixture
def database() -> Iterator[str]:
    """A new, empty database (dropped afterwards, connections and all)."""
    name = f"citybot_console_{secrets.token_hex(4)}"
    try:
        _admin(f"CREATE DATABASE {name}")
    except psycopg2.OperationalError as exc:  # pragma: no cover - the machine's service is down
        pytest.fail(f"PostgreSQL at {HOST}:{PORT} is not reachable: {exc}")
    yield name
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def rasa_store(database: str) -> SQLTrackerStore:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SQLTrackerStore(domain=Domain.empty(), dialect="postgresql", host=HOST, port=PORT,
                               db=database, username=USER)


@pytest.fixture
async def pg(database: str, rasa_store: SQLTrackerStore) -> AsyncIterator[tuple]:
    url = f"postgresql+asyncpg://{USER}@{HOST}:{PORT}/{database}"
    tracker = Tracker(url)
    store = await Store(url).ready()
    yield tracker, store
    await store.close()
    await tracker.close()
    rasa_store.engine.dispose()


async def seeded(rasa_store: SQLTrackerStore) -> None:
    for sender, events in (("gleb", GLEB), ("anna", ANNA), ("boris", BORIS), ("vera", VERA)):
        await save(rasa_store, sender, events)


async def test_the_index_filters_and_analytics_work_on_postgresql(rasa_store, pg) -> None:
    tracker, store = pg
    await seeded(rasa_store)
    assert await refresh_index(tracker, store, tz="Europe/Moscow") > 0
    assert await refresh_index(tracker, store, tz="Europe/Moscow") == 0

    async def senders(**filters) -> list[str]:
        page = await list_conversations(store, ConversationFilters(**filters))
        return [row.sender_id for row in page.rows]

    assert await senders() == ["vera", "boris", "anna", "gleb"]
    assert await senders(had_fallback=True) == ["boris"]
    assert await senders(max_confidence=0.6) == ["boris"]
    assert await senders(text="показания") == ["vera"]  # case-insensitive, in Russian
    assert await senders(intent="report_problem") == ["anna"]

    found = await figures(store)
    assert found["daily"] == [
        (BOTH.first, "rest", 1, 1, 0, 0),
        (BOTH.last, "rest", 1, 2, 0, 0),
        (BOTH.last, "telegram", 1, 2, 1, 1),
        (BOTH.last, "webchat", 1, 2, 0, 0),
    ]
    s = found["summary"]
    assert (s.conversations, s.messages, s.fallbacks, s.handoffs, s.median_turns) == (4, 7, 1, 1, 2)
    assert [(f.form, f.started, f.confirmed, f.filed) for f in found["funnels"]] == [
        ("problem_report_form", 1, 1, 1), ("meter_readings_form", 1, 1, 0),
    ]
    assert [t.kind for t in await transcript(tracker, "boris")][:3] == ["action", "session", "user"]


async def test_new_events_are_read_once_despite_the_reread_window(rasa_store, pg) -> None:
    tracker, store = pg
    await seeded(rasa_store)
    await refresh_index(tracker, store, tz="Europe/Moscow")
    # PostgreSQL can show a lower id late: every refresh reads the last ids again.
    await save(rasa_store, "gleb", [user("hello again", "greet", 0.98, at(40))])
    assert await refresh_index(tracker, store, tz="Europe/Moscow") == 1
    assert await refresh_index(tracker, store, tz="Europe/Moscow") == 0
    summary = await analytics.summary(store, BOTH)
    assert (summary.conversations, summary.messages) == (4, 8)


async def test_deleting_a_conversation_on_postgresql_leaves_nothing(rasa_store, pg) -> None:
    tracker, store = pg
    await seeded(rasa_store)
    await save(rasa_store, "boris", [*start(at(50)), user("call me", "faq", 0.8, at(51))])
    await refresh_index(tracker, store, tz="Europe/Moscow")
    await corrections.save(store, sender_id="boris", event_id=1, text="asdf qwerty",
                           predicted="nlu_fallback", intent="out_of_scope",
                           example="asdf qwerty", by="rita")
    assert await delete_conversation(tracker, store, "boris") > 0
    async with tracker.engine.connect() as conn:
        left = await conn.scalar(sa.text("SELECT count(*) FROM events WHERE sender_id = 'boris'"))
    assert left == 0
    async with store.session() as session:
        for model in (ConversationDay, IntentDay):
            assert await session.scalar(
                sa.select(sa.func.count()).select_from(model).where(model.sender_id == "boris")
            ) == 0
    assert await corrections.pending_count(store) == 0
    page = await list_conversations(store, ConversationFilters())
    assert [row.sender_id for row in page.rows] == ["vera", "anna", "gleb"]


async def test_consoles_starting_together_fold_each_event_once(rasa_store, pg) -> None:
    """Four consoles start on an empty database at once: each makes the index's state (one
    wins, the others must not deadlock or drop its work) and folds what it gets."""
    tracker, store = pg
    await seeded(rasa_store)
    url = store.engine.url.render_as_string(hide_password=False)
    others = [await Store(url).ready() for _ in range(3)]
    try:
        read = await asyncio.gather(*(
            refresh_index(tracker, each, batch_size=size, tz="Europe/Moscow")
            for each, size in zip([store, *others], (3, 4, 5, 7))
        ))
    finally:
        for other in others:
            await other.close()
    assert sum(read) == len(GLEB) + len(ANNA) + len(BORIS) + len(VERA)
    assert (await analytics.summary(store, BOTH)).messages == 7
    page = await list_conversations(store, ConversationFilters())
    assert [row.turns for row in page.rows] == [2, 2, 2, 1]


async def test_languages_filter_search_and_figures_on_postgresql(rasa_store, pg) -> None:
    tracker, store = pg
    await seeded_in_two_languages(rasa_store)
    await refresh_index(tracker, store, tz="Europe/Moscow")

    async def senders(**filters) -> list[str]:
        page = await list_conversations(store, ConversationFilters(**filters))
        return [row.sender_id for row in page.rows]

    assert await senders(language="ru") == ["pavel", "olga"]
    assert await senders(language="en") == ["kira"]
    assert await senders(language=NO_LANGUAGE) == ["gleb"]
    assert await senders(text="ЯМА") == ["olga"]  # LIKE is case-sensitive here: folded first
    assert await senders(text="елка") == ["pavel"]
    per_language = await analytics.by_language(store, BOTH)
    assert [(code, s.conversations, s.messages) for code, s in per_language] == [
        ("en", 1, 2), ("ru", 3, 6), (NO_LANGUAGE, 1, 1)]
    assert (await analytics.summary(store, BOTH, "ru")).fallbacks == 1
    assert [(f.form, f.started) for f in await analytics.funnels(store, BOTH, "ru")] == [
        ("problem_report_form", 1)]
    await corrections.save(store, sender_id="pavel", event_id=1, text="Ёлка упала",
                           predicted="greet", intent="report_problem", example="Ёлка упала",
                           by="rita", language="ru")
    assert await corrections.pending_by_language(store) == {"en": 0, "ru": 1}
    assert (await corrections.export(store, "ru"))[1] == 1


async def test_a_postgresql_database_from_before_languages_gets_its_columns(database) -> None:
    url = f"postgresql+asyncpg://{USER}@{HOST}:{PORT}/{database}"
    before = await Store(url).ready()
    async with before.engine.begin() as conn:  # dropping a column drops its indexes here
        for table, column in ADDED_COLUMNS:
            await conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        await conn.execute(sa.text("DROP TABLE alembic_version"))  # made before migrations
    await before.close()
    stores = [Store(url) for _ in range(3)]
    try:
        await asyncio.gather(*(each.ready() for each in stores))

        def schema(conn) -> tuple[set[str], set[str]]:
            inspector = sa.inspect(conn)
            columns = {f"{t}.{c['name']}" for t, _ in ADDED_COLUMNS
                       for c in inspector.get_columns(t)}
            indexes = {i["name"] for t in ("conversation_index", "conversation_days")
                       for i in inspector.get_indexes(t)}
            return columns, indexes

        async with stores[0].engine.connect() as conn:
            columns, indexes = await conn.run_sync(schema)
    finally:
        for each in stores:
            await each.close()
    assert {f"{t}.{c}" for t, c in ADDED_COLUMNS} <= columns
    assert {"ix_conversation_index_language_last", "ix_conversation_days_day_language"} <= indexes
