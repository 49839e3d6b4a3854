"""The console in both of the assistant's languages: the conversation's language in the index,
the list's language filter and Cyrillic search, analytics per language, and corrections exported
into the training data of their language.

Conversations are saved with Rasa's own SQL tracker store (tests/unit/test_console_conversations)
with the ``language`` slot events the assistant writes: Olga reports a pothole in Russian and is
not understood once (webchat, 1 May); Pavel greets in English, asks for Russian and reports a
fallen tree (telegram, 1 May); Kira writes Russian on 30 April, asks for English on 1 May and
then for a person (rest); Gleb only said hello before languages were kept (no slot at all).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import warnings
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from bot import cli
from bot.console import analytics, corrections
from bot.console.analytics import Period
from bot.console.conversations import (
    NO_LANGUAGE,
    ConversationFilters,
    filter_choices,
    get_conversation,
    list_conversations,
)
from bot.console.folding import search_key
from bot.console.index import STATE_KEY, rebuild_index, refresh_index
from bot.console.transcript import transcript, turns_from_events
from bot.store import Correction, Store
from bot.store.migrate import ADDED_COLUMNS
from bot.store.models import ConversationDay, ConversationIndex, IndexState
from tests.unit.test_console_conversations import (  # noqa: F401 - fixtures used by name
    GLEB,
    act,
    at,
    bot,
    rasa_store,
    save,
    start,
    tracker,
    tracker_path,
    user,
)
from tests.unit.test_console_corrections import read_nlu
from tests.unit.test_console_http import console, csrf_token, log_in  # noqa: F401

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.shared.core.events import ActiveLoop, SlotSet

APR30, MAY1 = date(2024, 4, 30), date(2024, 5, 1)
BOTH = Period(APR30, MAY1)
ZONE = "Europe/Moscow"


def language(value: str, when: float) -> SlotSet:
    return SlotSet("language", value, timestamp=when)


OLGA = [  # webchat, Russian: a pothole, then a fallback
    *start(at(30)),
    user("На Тверской ЯМА огромная", "report_problem", 0.9, at(31), channel="webchat"),
    language("ru", at(31.05)),
    act("problem_report_form", at(31.1)),
    ActiveLoop("problem_report_form", timestamp=at(31.1)),
    bot("Где именно?", at(31.2)),
    act("action_listen", at(31.2)),
    user("ну там", "nlu_fallback", 0.4, at(32), channel="webchat",
         ranking=[("nlu_fallback", 0.4), ("affirm", 0.3)]),
    act("action_clarify", at(32.1)),
    act("action_listen", at(32.2)),
]
PAVEL = [  # telegram: English first, then Russian asked for
    *start(at(40)),
    user("hello there", "greet", 0.99, at(41), channel="telegram"),
    language("en", at(41.05)),
    bot("Hi!", at(41.1), response="utter_greet"),
    act("action_listen", at(41.2)),
    user("по-русски пожалуйста", "change_language", 0.97, at(42), channel="telegram"),
    act("action_change_language", at(42.1)),
    language("ru", at(42.1)),
    SlotSet("language_chosen", True, timestamp=at(42.1)),
    act("action_listen", at(42.2)),
    user("Ёлка упала во дворе", "report_problem", 0.8, at(43), channel="telegram"),
    act("action_listen", at(43.1)),
]
KIRA = [  # rest: Russian on 30 April, English on 1 May, then a person
    *start(at(-1440)),
    user("привет, у меня вопрос", "greet", 0.9, at(-1439)),
    language("ru", at(-1439)),
    act("action_listen", at(-1439)),
    user("in English please", "change_language", 0.95, at(50)),
    act("action_change_language", at(50.1)),
    language("en", at(50.1)),
    act("action_listen", at(50.2)),
    user("I want a PERSON", "human_handoff", 0.9, at(51)),
    act("action_handoff", at(51.1)),
]


async def seeded(rasa_store) -> int:  # noqa: F811
    for sender, events in (("gleb", GLEB), ("olga", OLGA), ("pavel", PAVEL), ("kira", KIRA)):
        await save(rasa_store, sender, events)
    return len(GLEB) + len(OLGA) + len(PAVEL) + len(KIRA)


@pytest.fixture
async def indexed(rasa_store, tracker, store) -> Store:  # noqa: F811
    await seeded(rasa_store)
    await refresh_index(tracker, store, tz=ZONE)
    return store


async def languages_of(store: Store) -> dict[str, str | None]:
    async with store.session() as session:
        rows = await session.execute(select(ConversationIndex.sender_id, ConversationIndex.language))
    return dict(rows.all())


async def day_languages(store: Store) -> list[tuple[str, date, str | None, int]]:
    days = ConversationDay.__table__
    async with store.session() as session:
        rows = await session.execute(
            select(days.c.sender_id, days.c.day, days.c.language, days.c.messages)
            .order_by(days.c.sender_id, days.c.day)
        )
    return [tuple(row) for row in rows]


async def senders(store: Store, **filters) -> list[str]:
    page = await list_conversations(store, ConversationFilters(**filters))
    return [row.sender_id for row in page.rows]


# ---------------------------------------------------------------------------- the index


async def test_the_index_keeps_the_latest_language_slot(indexed) -> None:
    assert await languages_of(indexed) == {"olga": "ru", "pavel": "ru", "kira": "en",
                                           "gleb": None}
    kira = await get_conversation(indexed, "kira")
    assert kira.language == "en"  # what she asked for last, not what she wrote first


async def test_each_day_keeps_the_language_it_ended_in(indexed) -> None:
    assert await day_languages(indexed) == [
        ("gleb", APR30, None, 1),
        ("kira", APR30, "ru", 1),
        ("kira", MAY1, "en", 2),
        ("olga", MAY1, "ru", 2),
        ("pavel", MAY1, "ru", 3),  # English at first, Russian by the day's end
    ]


async def test_one_event_a_batch_gives_the_languages_of_one_batch(
    rasa_store, tracker, store  # noqa: F811
) -> None:
    # The slot lands in the batch after its message: the day row written before is updated.
    total = await seeded(rasa_store)
    assert await refresh_index(tracker, store, batch_size=1, tz=ZONE) == total
    piecewise = (await languages_of(store), await day_languages(store))
    await rebuild_index(tracker, store, tz=ZONE)
    assert (await languages_of(store), await day_languages(store)) == piecewise
    assert piecewise[0]["pavel"] == "ru"


async def test_a_later_switch_changes_the_conversations_language(rasa_store, tracker,  # noqa: F811
                                                                 indexed) -> None:
    await save(rasa_store, "olga", [user("english please", "change_language", 0.9, at(60)),
                                    language("en", at(60.1))])
    await refresh_index(tracker, indexed, tz=ZONE)
    assert (await languages_of(indexed))["olga"] == "en"
    assert ("olga", MAY1, "en", 3) in await day_languages(indexed)


async def test_an_index_of_the_previous_version_is_rebuilt_with_languages(
    rasa_store, tracker, store  # noqa: F811
) -> None:
    await seeded(rasa_store)
    await refresh_index(tracker, store, tz=ZONE)
    async with store.session() as session, session.begin():  # what version 4 left behind
        await session.execute(sa.update(ConversationIndex).values(language=None))
        await session.execute(sa.update(IndexState).values(key="tracker/4"))
    assert await refresh_index(tracker, store, tz=ZONE) > 0
    assert (await languages_of(store))["pavel"] == "ru"
    async with store.session() as session:
        assert [s.key for s in (await session.execute(select(IndexState))).scalars()] == [
            STATE_KEY]


async def test_a_database_from_before_languages_gets_its_columns_at_start(
    rasa_store, tracker, tmp_path  # noqa: F811
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/before.db"
    before = await Store(url).ready()
    async with before.engine.begin() as conn:  # the schema as the previous version made it
        await conn.execute(sa.text("DROP INDEX ix_conversation_index_language_last"))
        await conn.execute(sa.text("DROP INDEX ix_conversation_days_day_language"))
        for table, column in ADDED_COLUMNS:
            await conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        await conn.execute(sa.text("DROP TABLE alembic_version"))  # made before migrations
    await before.close()

    # Processes starting together (make up) all upgrade, or find it upgraded.
    stores = [Store(url) for _ in range(3)]
    try:
        await asyncio.gather(*(s.ready() for s in stores))

        def schema(conn) -> tuple[dict[str, set[str]], set[str]]:
            inspector = sa.inspect(conn)
            columns = {t: {c["name"] for c in inspector.get_columns(t)} for t, _ in ADDED_COLUMNS}
            indexes = {i["name"] for t in ("conversation_index", "conversation_days")
                       for i in inspector.get_indexes(t)}
            return columns, indexes

        async with stores[0].engine.connect() as conn:
            columns, indexes = await conn.run_sync(schema)
        assert all(column in columns[table] for table, column in ADDED_COLUMNS)
        assert {"ix_conversation_index_language_last",
                "ix_conversation_days_day_language"} <= indexes
        await seeded(rasa_store)
        await refresh_index(tracker, stores[0], tz=ZONE)
        assert (await languages_of(stores[0]))["olga"] == "ru"
    finally:
        for s in stores:
            await s.close()


# ---------------------------------------------------------------------------- the list


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"language": "ru"}, ["pavel", "olga"]),
        ({"language": "en"}, ["kira"]),
        ({"language": NO_LANGUAGE}, ["gleb"]),
        ({"language": "de"}, []),
        ({"language": "ru", "channel": "telegram"}, ["pavel"]),
        ({"text": "яма"}, ["olga"]),
        ({"text": "ЯМА"}, ["olga"]),  # SQLite's LIKE folds only ASCII; the index folds in Python
        ({"text": "тверской"}, ["olga"]),
        ({"text": "елка"}, ["pavel"]),  # typed without ё
        ({"text": "ЁЛКА УПАЛА"}, ["pavel"]),
        ({"text": "person"}, ["kira"]),
        ({"text": "яма", "language": "en"}, []),
    ],
)
async def test_language_filter_and_search_in_any_script(indexed, filters, expected) -> None:
    assert await senders(indexed, **filters) == expected
    assert (await list_conversations(indexed, ConversationFilters(**filters))).total == len(
        expected)


def test_the_language_filter_from_a_query_string() -> None:
    assert ConversationFilters.from_query({"language": " RU "}).language == "ru"
    assert ConversationFilters.from_query({"language": "unknown"}).language == NO_LANGUAGE
    for junk in ("", "r", "ru-RU", "<b>", "x" * 9):
        assert ConversationFilters.from_query({"language": junk}).language is None


def test_search_key_folds_case_and_yo() -> None:
    assert search_key("ЁЛКА На Тверской, STRASSE") == "елка на тверской, strasse"
    assert search_key("Straße") == "strasse"


async def test_filter_choices_offer_the_languages_seen(indexed) -> None:
    assert (await filter_choices(indexed))["languages"] == ["en", "ru", NO_LANGUAGE]


async def test_the_list_shows_and_filters_the_language(console, rasa_store) -> None:  # noqa: F811
    await seeded(rasa_store)
    assert (await log_in(console, "rita")).status == 302
    page = await (await console.get("/conversations")).text()
    assert '<th scope="col">Language</th>' in page
    assert '<span lang="ru">Русский</span>' in page and '<span lang="en">English</span>' in page
    assert '<option value="ru">Русский</option>' in page
    russian = await (await console.get("/conversations?language=ru&q=%D0%AF%D0%9C%D0%90")).text()
    assert "2 found" not in russian and "1 found" in russian  # "ЯМА": Olga only
    assert '<option value="ru" selected>Русский</option>' in russian
    header = await (await console.get("/conversations/pavel")).text()
    assert '<span lang="ru">Русский</span>' in header


# ---------------------------------------------------------------------------- the transcript


def test_each_citizen_message_has_the_language_its_turn_left() -> None:
    turns = turns_from_events([
        {"event": "user", "text": "hello"},
        {"event": "slot", "name": "language", "value": "en"},
        {"event": "user", "text": "по-русски"},
        {"event": "action", "name": "action_change_language"},
        {"event": "slot", "name": "language", "value": "ru"},
        {"event": "user", "text": "да"},  # one word: the slot stays as it was
    ])
    assert [(t.text, t.language) for t in turns if t.kind == "user"] == [
        ("hello", "en"), ("по-русски", "ru"), ("да", "ru")]
    assert turns_from_events([{"event": "user", "text": "hi"}])[0].language is None


async def test_a_transcript_from_the_tracker_knows_the_languages(indexed, tracker) -> None:  # noqa: F811
    turns = await transcript(tracker, "kira")
    assert [(t.text, t.language) for t in turns if t.kind == "user"] == [
        ("привет, у меня вопрос", "ru"), ("in English please", "en"), ("I want a PERSON", "en")]


# ---------------------------------------------------------------------------- analytics


def _counts(s: analytics.Summary) -> tuple:
    return s.conversations, s.messages, s.fallbacks, s.handoffs, s.median_turns


async def test_the_summary_of_each_language(indexed) -> None:
    per_language = await analytics.by_language(indexed, BOTH)
    assert [(code, _counts(s)) for code, s in per_language] == [
        ("en", (1, 2, 0, 1, 2)),  # Kira's English day
        ("ru", (3, 6, 1, 0, 2)),  # Kira's Russian day, Olga, Pavel: turns 1, 2, 3
        (NO_LANGUAGE, (1, 1, 0, 0, 1)),
    ]
    assert _counts(await analytics.summary(indexed, BOTH)) == (4, 9, 1, 1, 2.5)  # Kira once
    assert _counts(await analytics.summary(indexed, BOTH, "ru")) == (3, 6, 1, 0, 2)
    assert (await analytics.summary(indexed, BOTH, "ru")).fallback_rate == pytest.approx(1 / 3)
    assert (await analytics.summary(indexed, BOTH, "en")).containment == 0.0
    assert dict(await analytics.by_language(indexed, Period(APR30, APR30))).keys() == {
        "ru", NO_LANGUAGE}


async def test_every_figure_can_be_asked_for_one_language(indexed) -> None:
    daily = await analytics.daily(indexed, BOTH, "ru")
    assert [(r.day, r.channel, r.conversations, r.messages, r.fallbacks) for r in daily] == [
        (APR30, "rest", 1, 1, 0), (MAY1, "telegram", 1, 3, 0), (MAY1, "webchat", 1, 2, 1)]
    assert await analytics.top_intents(indexed, BOTH, language="en") == [
        ("change_language", 1), ("human_handoff", 1)]
    assert await analytics.top_intents(indexed, BOTH, language=NO_LANGUAGE) == [("greet", 1)]
    assert ("report_problem", 2) in await analytics.top_intents(indexed, BOTH, language="ru")
    assert [(f.form, f.started) for f in await analytics.funnels(indexed, BOTH, "ru")] == [
        ("problem_report_form", 1)]
    assert await analytics.funnels(indexed, BOTH, "en") == []


async def test_the_languages_csv_and_a_cache_per_language(indexed) -> None:
    cache = analytics.FiguresCache()
    found = await cache.get(indexed, BOTH, "ru")
    assert found.summary.conversations == 3 and found.language == "ru"
    assert (await cache.get(indexed, BOTH)).summary.conversations == 4
    header, rows = analytics.table(found, "languages")
    lines = list(csv.reader(io.StringIO(analytics.to_csv(header, rows))))
    assert lines[0][:3] == ["language", "conversations", "messages"]
    assert [line[:3] for line in lines[1:]] == [["en", "1", "2"], ["ru", "3", "6"],
                                                [NO_LANGUAGE, "1", "1"]]


async def test_the_analytics_page_per_language(console, rasa_store) -> None:  # noqa: F811
    await seeded(rasa_store)
    assert (await log_in(console, "rita")).status == 302
    page = await (await console.get("/analytics?from=2024-04-30&to=2024-05-01")).text()
    assert "Per language" in page
    rows = re.findall(r'<th scope="row"><a href="([^"]+)" lang="(\w+)">([^<]+)</a></th>', page)
    assert [(code, name) for _, code, name in rows] == [
        ("en", "English"), ("ru", "Русский"), (NO_LANGUAGE, "unknown")]
    assert rows[1][0] == "/analytics?from=2024-04-30&amp;to=2024-05-01&amp;language=ru"

    russian = await (await console.get("/analytics?from=2024-04-30&to=2024-05-01&language=ru"))\
        .text()
    assert re.findall(r'class="kpi-value">([^<]*)<', russian)[:2] == ["3", "33.3%"]
    assert '<option value="ru" selected>Русский</option>' in russian
    # The links keep the language: the list of its fallbacks, its CSVs.
    assert "/conversations?from=2024-04-30&amp;to=2024-05-01&amp;language=ru&amp;fallback=yes" \
        in russian
    resp = await console.get("/analytics/summary.csv?from=2024-04-30&to=2024-05-01&language=ru")
    assert resp.headers["Content-Disposition"] == (
        'attachment; filename="citybot-summary-ru-2024-04-30-2024-05-01.csv"')
    assert "conversations,3" in (await resp.text()).splitlines()


# ---------------------------------------------------------------------------- corrections


@pytest.mark.parametrize(
    ("text", "conversation", "expected"),
    [
        ("да", "ru", "ru"),  # one word: the conversation's language
        ("ok", "ru", "ru"),
        ("на Tverskaya 12 яма", "ru", "ru"),
        ("there is a pothole here", "ru", "en"),  # the words decide
        ("Ёлка упала во дворе", "en", "ru"),
        ("Ёлка упала во дворе", None, "ru"),
        ("12", None, "en"),  # nothing to go by: English
        ("да", None, "ru"),
        ("hello", "de", "en"),
    ],
)
def test_the_language_of_a_corrected_message(text, conversation, expected) -> None:
    assert corrections.language_of(text, conversation) == expected


def test_each_language_has_its_training_data_folder(tmp_path: Path) -> None:
    assert corrections.nlu_dir("ru") == corrections.NLU_DATA / "ru"
    assert corrections.nlu_dir("ru").is_dir()
    assert corrections.nlu_dir("en") == corrections.NLU_DATA  # English is at the top for now
    (tmp_path / "en").mkdir()
    assert corrections.nlu_dir("en", tmp_path) == tmp_path / "en"  # until it has its own


async def test_exporting_one_language_leaves_the_other_pending(store: Store) -> None:
    await corrections.save(store, sender_id="p", event_id=3, text="Ёлка упала во дворе",
                           predicted="greet", intent="report_problem",
                           example="Ёлка упала во дворе", by="rita", language="ru")
    await corrections.save(store, sender_id="k", event_id=9, text="I want a person",
                           predicted="greet", intent="human_handoff",
                           example="I want a person", by="rita", language="en")
    await corrections.save(store, sender_id="o", event_id=5, text="да", predicted="greet",
                           intent="affirm", example="да", by="rita", language="ru")
    assert await corrections.pending_by_language(store) == {"en": 1, "ru": 2}

    text, count = await corrections.export(store, "ru")
    assert count == 2
    assert read_nlu(text) == {"affirm": ["да"], "report_problem": ["Ёлка упала во дворе"]}
    assert text.startswith("# Corrections from the staff console, language ru: merge each "
                           "intent's examples into its file in data/nlu/ru/\n")
    assert await corrections.pending_by_language(store) == {"en": 1, "ru": 0}
    text, count = await corrections.export(store, "en")
    assert (count, read_nlu(text)) == (1, {"human_handoff": ["I want a person"]})
    assert "into its file in data/nlu/\n" in text
    with pytest.raises(corrections.CorrectionError, match="not a language"):
        await corrections.export(store, "de")


async def test_a_correction_kept_before_languages_is_exported_by_its_words(store: Store) -> None:
    async with store.session() as session, session.begin():
        session.add(Correction(sender_id="old", event_id=1, text="яма на дороге",
                               intent="report_problem", example="яма на дороге",
                               corrected_by="rita"))
    assert await corrections.pending_by_language(store) == {"en": 0, "ru": 1}
    assert (await corrections.export(store, "en"))[1] == 0
    assert read_nlu((await corrections.export(store, "ru"))[0]) == {
        "report_problem": ["яма на дороге"]}


async def test_corrections_in_the_console_go_to_their_languages_file(
    console, rasa_store, store  # noqa: F811
) -> None:
    await save(rasa_store, "pavel", PAVEL)
    assert (await log_in(console, "rita")).status == 302
    token = await csrf_token(console, "/conversations/pavel")
    page = await (await console.get("/conversations/pavel")).text()
    ids = dict((text, int(event_id)) for event_id, text in re.findall(
        r'name="event_id" value="(\d+)".*?name="example"[^>]*value="([^"]*)"', page, re.S))
    for text, intent in (("hello there", "greet"), ("Ёлка упала во дворе", "report_problem")):
        done = await console.post("/conversations/pavel/correct", allow_redirects=False, data={
            "event_id": str(ids[text]), "intent": intent, "example": text, "csrf_token": token})
        assert done.status == 303
    async with store.session() as session:
        kept = {c.text: c.language for c in (await session.execute(select(Correction))).scalars()}
    assert kept == {"hello there": "en", "Ёлка упала во дворе": "ru"}

    listing = await (await console.get("/conversations")).text()
    assert "<strong>2</strong> corrections awaiting export" in listing
    assert 'name="language" value="ru">Export Русский (YAML)</button>' in listing

    exported = await console.post("/corrections/export", data={"csrf_token": token,
                                                               "language": "ru"})
    assert exported.headers["Content-Disposition"] == (
        'attachment; filename="corrections-ru.yml"')
    assert read_nlu(await exported.text()) == {"report_problem": ["Ёлка упала во дворе"]}
    listing = await (await console.get("/conversations")).text()
    assert 'name="language" value="ru" disabled>' in listing
    english = await console.post("/corrections/export", data={"csrf_token": token,
                                                              "language": "en"})
    assert read_nlu(await english.text()) == {"greet": ["hello there"]}
    refused = await console.post("/corrections/export", data={"csrf_token": token})
    assert refused.status == 400


def test_export_corrections_command_per_language(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CITYBOT_VAR_DIR", str(tmp_path))

    async def seed() -> None:
        store = await Store(f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}").ready()
        await corrections.save(store, sender_id="a", event_id=1, text="привет", predicted="faq",
                               intent="greet", example="привет", by="rita", language="ru")
        await store.close()

    asyncio.run(seed())
    out = tmp_path / "corrections-ru.yml"
    assert cli.main(["export-corrections", "--language", "en", "--out", str(out)]) == 0
    assert read_nlu(out.read_text()) == {}
    assert cli.main(["export-corrections", "--language", "ru", "--out", str(out)]) == 0
    assert read_nlu(out.read_text()) == {"greet": ["привет"]}
    assert "1 correction(s) in ru exported" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["export-corrections"])  # which language's data?
