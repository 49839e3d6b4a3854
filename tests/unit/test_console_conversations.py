"""The console's conversation index over a tracker database written by Rasa's own SQL store.

Conversations are saved with Rasa 3.6's ``SQLTrackerStore`` (real events, real ``events``
table); the index, the list's filters and pages, transcripts, deletion and masking are checked
against what was saved.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import AsyncIterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.console.conversations import (
    ConversationFilters,
    day_bounds,
    filter_choices,
    get_conversation,
    get_review,
    list_conversations,
    normalize_tags,
    save_review,
)
from bot.console.folding import LOW_CONFIDENCE
from bot.console.index import (
    STATE_KEY,
    delete_conversation,
    forget,
    prune_index,
    rebuild_index,
    refresh_index,
)
from bot.console.transcript import mask_pii, mask_turns, transcript, turns_from_events
from bot.handoff import open_handoff
from bot.store import Handoff, Store
from bot.tracker import Tracker
from bot.store.models import (
    ConversationIndex,
    ConversationReview,
    ConversationTag,
    ConversationText,
    IndexState,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        ConversationPaused,
        Event,
        SessionStarted,
        SlotSet,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc).timestamp()  # 12:00 in Moscow


def at(minutes: float) -> float:
    return T0 + minutes * 60


def user(text: str, intent: str, confidence: float, when: float, channel: str = "rest",
         entities: list[dict[str, Any]] | None = None,
         ranking: list[tuple[str, float]] | None = None) -> UserUttered:
    ranking = ranking or [(intent, confidence)]
    return UserUttered(
        text,
        intent={"name": intent, "confidence": confidence},
        entities=entities or [],
        parse_data={
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "text": text,
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        },
        timestamp=when,
        input_channel=channel,
        message_id=f"m-{when}",
    )


def bot(text: str, when: float, response: str | None = None,
        buttons: list[dict[str, str]] | None = None) -> BotUttered:
    return BotUttered(
        text, data={"buttons": buttons} if buttons else {},
        metadata={"utter_action": response} if response else {}, timestamp=when,
    )


def act(name: str, when: float) -> ActionExecuted:
    return ActionExecuted(name, timestamp=when)


def start(when: float) -> list[Event]:
    return [act("action_session_start", when), SessionStarted(timestamp=when),
            act("action_listen", when)]


ANNA = [  # rest: a problem report, confirmed and filed
    *start(at(0)),
    user("There is a huge pothole, call me at +7 916 123-45-67", "report_problem", 0.93, at(1),
         entities=[{"entity": "problem_category", "value": "pothole", "start": 17, "end": 24}]),
    act("problem_report_form", at(1.1)),
    ActiveLoop("problem_report_form", timestamp=at(1.1)),
    SlotSet("problem_category", "pothole", timestamp=at(1.1)),
    bot("Where is it?", at(1.2)),
    act("action_listen", at(1.2)),
    user("yes", "affirm", 0.99, at(2)),
    act("problem_report_form", at(2.1)),
    SlotSet("report_confirmed", True, timestamp=at(2.1)),
    ActiveLoop(None, timestamp=at(2.1)),
    act("action_file_report", at(2.2)),
    bot("Filed: request 100041.", at(2.2), response="utter_report_filed"),
    SlotSet("report_confirmed", None, timestamp=at(2.2)),
    act("action_listen", at(2.3)),
]
BORIS = [  # telegram: a fallback, then a person
    *start(at(10)),
    user("asdf qwerty", "nlu_fallback", 0.55, at(11), channel="telegram",
         ranking=[("nlu_fallback", 0.55), ("find_office", 0.31), ("faq", 0.2)]),
    act("action_clarify", at(11.1)),
    bot("Did you mean...", at(11.1), buttons=[{"title": "Find an office", "payload": "/find_office"}]),
    act("action_listen", at(11.2)),
    user("I want a PERSON please", "human_handoff", 0.88, at(12), channel="telegram"),
    act("action_handoff", at(12.1)),
    bot("An operator will answer.", at(12.1), response="utter_handoff"),
    ConversationPaused(timestamp=at(12.1)),
]
VERA = [  # webchat, in Russian: meter readings confirmed but refused by the city
    *start(at(20)),
    user("Хочу передать ПОКАЗАНИЯ счётчика", "submit_meter_readings", 0.72, at(21),
         channel="webchat"),
    act("meter_readings_form", at(21.1)),
    ActiveLoop("meter_readings_form", timestamp=at(21.1)),
    SlotSet("meter_account", "7700000017", timestamp=at(21.2)),
    user("да", "affirm", 0.97, at(22), channel="webchat"),
    act("meter_readings_form", at(22.1)),
    SlotSet("meter_confirmed", True, timestamp=at(22.1)),
    ActiveLoop(None, timestamp=at(22.1)),
    act("action_submit_meter_readings", at(22.2)),
    bot("Lower than last month.", at(22.2), response="utter_meter_rejected"),
    act("action_listen", at(22.3)),
]
GLEB = [  # rest, a day earlier: hello only
    *start(at(-1440)),
    user("hello", "greet", 0.99, at(-1439)),
    bot("Hi!", at(-1439), response="utter_greet"),
    act("action_listen", at(-1439)),
]


@pytest.fixture
def tracker_path(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def rasa_store(tracker_path: Path) -> SQLTrackerStore:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tracker_path))


@pytest.fixture
async def tracker(tracker_path: Path, rasa_store: SQLTrackerStore) -> AsyncIterator[Any]:
    engine = Tracker(f"sqlite+aiosqlite:///{tracker_path}")
    yield engine
    await engine.close()


async def save(rasa_store: SQLTrackerStore, sender_id: str, events: list[Event]) -> None:
    """Append events to a conversation the way Rasa does: retrieve, update, save."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        current = await rasa_store.retrieve(sender_id) or DialogueStateTracker(sender_id, [])
        current.update_with_events(events, None, override_timestamp=False)
        await rasa_store.save(current)


async def seeded(rasa_store: SQLTrackerStore) -> int:
    for sender, events in (("gleb", GLEB), ("anna", ANNA), ("boris", BORIS), ("vera", VERA)):
        await save(rasa_store, sender, events)
    return len(GLEB) + len(ANNA) + len(BORIS) + len(VERA)


def event_count(path: Path, sender: str | None = None) -> int:
    with sqlite3.connect(path) as conn:
        if sender is None:
            return conn.execute("SELECT count(*) FROM events").fetchone()[0]
        return conn.execute("SELECT count(*) FROM events WHERE sender_id = ?",
                            (sender,)).fetchone()[0]


async def index_rows(store: Store) -> dict[str, ConversationIndex]:
    async with store.session() as session:
        rows = (await session.execute(select(ConversationIndex))).scalars().all()
    return {r.sender_id: r for r in rows}


async def senders(store: Store, filters: ConversationFilters | None = None, **kw: Any) -> list[str]:
    page = await list_conversations(store, filters or ConversationFilters(**kw), per_page=50)
    return [r.sender_id for r in page.rows]


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------------------- the index


async def test_index_folds_each_conversation_from_rasas_events(rasa_store, tracker, store,
                                                                 tracker_path):
    total = await seeded(rasa_store)
    assert event_count(tracker_path) == total
    assert await refresh_index(tracker, store) == total

    rows = await index_rows(store)
    assert set(rows) == {"anna", "boris", "vera", "gleb"}
    anna, boris, vera, gleb = rows["anna"], rows["boris"], rows["vera"], rows["gleb"]

    assert (anna.channel, boris.channel, vera.channel, gleb.channel) == (
        "rest", "telegram", "webchat", "rest")
    assert anna.started_at == utc(at(0)) and anna.last_at == utc(at(2.3))
    assert anna.first_message.startswith("There is a huge pothole")
    assert (anna.turns, boris.turns, vera.turns, gleb.turns) == (2, 2, 2, 1)
    assert anna.events == len(ANNA)
    assert anna.services == "report_problem"
    assert anna.intents.split() == ["report_problem", "affirm"]
    assert anna.min_confidence == pytest.approx(0.93)
    assert not anna.had_fallback and not anna.handed_off
    assert (anna.forms_started.split(), anna.forms_confirmed.split(), anna.forms_filed.split()) == (
        ["problem_report_form"], ["problem_report_form"], ["problem_report_form"])
    assert anna.active_form is None

    # nlu_fallback counts with the confidence of the best real intent, not the threshold.
    assert boris.had_fallback and boris.handed_off
    assert boris.min_confidence == pytest.approx(0.31)
    assert boris.services == "human_handoff"
    assert boris.intents.split() == ["nlu_fallback", "human_handoff"]

    # Confirmed, but the city refused: not filed.
    assert vera.services == "submit_meter_readings"
    assert vera.forms_confirmed.split() == ["meter_readings_form"]
    assert vera.forms_filed == ""
    assert vera.min_confidence == pytest.approx(0.72)
    assert gleb.services == "" and gleb.forms_started == ""

    async with store.session() as session:
        state = await session.get(IndexState, STATE_KEY)
        text = await session.get(ConversationText, "vera")
    with sqlite3.connect(tracker_path) as conn:
        assert state.last_event_id == conn.execute("SELECT max(id) FROM events").fetchone()[0]
    assert text.text == "хочу передать показания счетчика\nда"  # case-folded, ё as е


async def test_second_refresh_reads_only_the_new_events(rasa_store, tracker, store):
    total = await seeded(rasa_store)
    assert await refresh_index(tracker, store) == total
    assert await refresh_index(tracker, store) == 0

    more = [user("and a broken street light", "report_problem", 0.4, at(30)),
            act("action_listen", at(30.1))]
    await save(rasa_store, "anna", more)
    await save(rasa_store, "dina", [*start(at(40)), user("hi", "greet", 0.9, at(41), "webchat")])
    assert await refresh_index(tracker, store) == len(more) + 4
    assert await refresh_index(tracker, store) == 0

    rows = await index_rows(store)
    assert rows["anna"].turns == 3
    assert rows["anna"].last_at == utc(at(30.1))
    assert rows["anna"].min_confidence == pytest.approx(0.4)
    assert rows["anna"].first_message.startswith("There is a huge pothole")
    assert rows["anna"].events == len(ANNA) + len(more)
    assert rows["dina"].channel == "webchat" and rows["dina"].turns == 1
    async with store.session() as session:
        text = await session.get(ConversationText, "anna")
    assert text.text.endswith("\nand a broken street light")


async def test_events_read_again_are_not_counted_twice(rasa_store, tracker, store):
    # What PostgreSQL refreshes do: read ids back again for transactions committed late.
    total = await seeded(rasa_store)
    assert await refresh_index(tracker, store, reread=10) == total
    before = await index_rows(store)
    await save(rasa_store, "boris", [user("still there?", "faq", 0.6, at(13), "telegram")])
    assert await refresh_index(tracker, store, reread=10) == 1
    after = await index_rows(store)
    assert after["boris"].turns == before["boris"].turns + 1
    assert after["boris"].events == len(BORIS) + 1
    assert after["vera"].events == len(VERA) and after["vera"].turns == 2


async def test_small_batches_give_the_same_index_as_one_batch(rasa_store, tracker, store,
                                                             tmp_path):
    total = await seeded(rasa_store)
    other = await Store(f"sqlite+aiosqlite:///{tmp_path}/other.db").ready()
    try:
        assert await refresh_index(tracker, store) == total
        # Batches of 3 split the filing action from its answer, forms from their slots.
        assert await refresh_index(tracker, other, batch_size=3) == total
        skip = {"id", "updated_at", "_sa_instance_state"}

        def plain(rows: dict[str, ConversationIndex]) -> dict[str, dict[str, Any]]:
            return {k: {c: v for c, v in vars(r).items() if c not in skip}
                    for k, r in rows.items()}

        assert plain(await index_rows(other)) == plain(await index_rows(store))
    finally:
        await other.close()


async def test_max_batches_bounds_one_refresh_and_the_next_goes_on(rasa_store, tracker, store):
    total = await seeded(rasa_store)
    assert await refresh_index(tracker, store, batch_size=5, max_batches=2) == 10
    assert await refresh_index(tracker, store, batch_size=5) == total - 10
    assert set(await index_rows(store)) == {"anna", "boris", "vera", "gleb"}


async def test_rebuild_starts_over_and_keeps_reviews(rasa_store, tracker, store):
    total = await seeded(rasa_store)
    await refresh_index(tracker, store)
    await save_review(store, "anna", by="olga", reviewed=True, tags="pothole")
    assert await rebuild_index(tracker, store) == total
    assert set(await index_rows(store)) == {"anna", "boris", "vera", "gleb"}
    assert (await get_conversation(store, "anna")).reviewed is True


async def test_no_tracker_table_yet_is_an_empty_index(tracker, store, tmp_path):
    empty = Tracker(f"sqlite+aiosqlite:///{tmp_path}/none.db")
    try:
        assert await refresh_index(empty, store) == 0
        assert await transcript(empty, "anna") == []
        assert (await list_conversations(store)).total == 0
    finally:
        await empty.close()


# ---------------------------------------------------------------------------- the list


@pytest.fixture
async def indexed(rasa_store, tracker, store) -> Store:
    await seeded(rasa_store)
    await refresh_index(tracker, store)
    return store


async def test_list_is_newest_first_with_row_details(indexed):
    page = await list_conversations(indexed)
    assert [r.sender_id for r in page.rows] == ["vera", "boris", "anna", "gleb"]
    assert page.total == 4 and page.pages == 1 and not page.has_next and not page.has_prev
    boris = page.rows[1]
    assert boris.services == ["human_handoff"] and boris.turns == 2
    assert boris.had_fallback and boris.handed_off and boris.low_confidence
    assert boris.first_message == "asdf qwerty"
    assert not page.rows[0].low_confidence


async def test_pages_are_cut_in_sql_with_the_total(indexed):
    first = await list_conversations(indexed, page=1, per_page=3)
    second = await list_conversations(indexed, page=2, per_page=3)
    assert [r.sender_id for r in first.rows] == ["vera", "boris", "anna"]
    assert [r.sender_id for r in second.rows] == ["gleb"]
    assert (first.total, second.total, first.pages) == (4, 4, 2)
    assert first.has_next and not first.has_prev and second.has_prev and not second.has_next
    assert second.first_index == 4
    beyond = await list_conversations(indexed, page=9, per_page=3)
    assert beyond.rows == [] and beyond.total == 4


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"channel": "rest"}, ["anna", "gleb"]),
        ({"channel": "telegram"}, ["boris"]),
        ({"channel": "sms"}, []),
        ({"intent": "report_problem"}, ["anna"]),
        ({"intent": "affirm"}, ["vera", "anna"]),
        ({"intent": "report"}, []),  # a whole intent name, not a part of one
        ({"intent": "%"}, []),
        ({"had_fallback": True}, ["boris"]),
        ({"had_fallback": False}, ["vera", "anna", "gleb"]),
        ({"max_confidence": 0.5}, ["boris"]),
        ({"max_confidence": 0.8}, ["vera", "boris"]),
        ({"handed_off": True}, ["boris"]),
        ({"handed_off": False}, ["vera", "anna", "gleb"]),
        ({"since": datetime.fromtimestamp(at(5), timezone.utc)}, ["vera", "boris"]),
        ({"until": utc(at(5))}, ["anna", "gleb"]),
        ({"since": utc(at(-60)), "until": utc(at(15))}, ["boris", "anna"]),
        ({"text": "pothole"}, ["anna"]),
        ({"text": "PERSON"}, ["boris"]),  # a later message, any case
        ({"text": "показания"}, ["vera"]),  # Cyrillic, lower-cased on both sides
        ({"text": "100%"}, []),
        ({"channel": "rest", "max_confidence": 0.95}, ["anna"]),
    ],
)
async def test_each_filter_selects_in_sql(indexed, filters, expected):
    assert await senders(indexed, **filters) == expected
    page = await list_conversations(indexed, ConversationFilters(**filters))
    assert page.total == len(expected)


async def test_reviewed_and_tag_filters(indexed):
    await save_review(indexed, "boris", by="olga", reviewed=True, note="fallback ok",
                      tags="Misunderstood, handoff")
    await save_review(indexed, "vera", by="olga", reviewed=False, tags=["misunderstood"])
    assert await senders(indexed, reviewed=True) == ["boris"]
    assert await senders(indexed, reviewed=False) == ["vera", "anna", "gleb"]
    assert await senders(indexed, tag="misunderstood") == ["vera", "boris"]
    assert await senders(indexed, tag="handoff") == ["boris"]
    assert await senders(indexed, tag="nope") == []
    assert await senders(indexed, tag="misunderstood", reviewed=False) == ["vera"]
    page = await list_conversations(indexed)
    boris = next(r for r in page.rows if r.sender_id == "boris")
    assert (boris.reviewed, boris.reviewed_by, boris.tags) == (True, "olga", ["handoff",
                                                                            "misunderstood"])
    assert await filter_choices(indexed) == {
        "channels": ["rest", "telegram", "webchat"], "tags": ["handoff", "misunderstood"],
        "languages": ["unknown"]}  # no language slot set in these


async def test_save_review_sets_only_what_is_given(indexed):
    first = await save_review(indexed, "anna", by="olga", reviewed=True, note="n", tags="a b")
    assert first.reviewed and first.reviewed_by == "olga" and first.reviewed_at is not None
    again = await save_review(indexed, "anna", by="ivan", tags="b c")
    assert (again.reviewed, again.reviewed_by, again.note, again.tags) == (
        True, "olga", "n", ["b", "c"])
    undone = await save_review(indexed, "anna", by="ivan", reviewed=False)
    assert (undone.reviewed, undone.reviewed_by, undone.reviewed_at) == (False, None, None)
    assert (await get_review(indexed, "nobody")).reviewed is False


def test_filters_from_a_query_string():
    f = ConversationFilters.from_query(
        {"channel": "telegram", "from": "2024-05-01", "to": "2024-05-01", "intent": "faq",
         "fallback": "1", "handoff": "no", "reviewed": "yes", "confidence": "0.5",
         "tag": "Bad Answer", "q": "  pothole "},
        tz="Europe/Moscow",
    )
    assert f == ConversationFilters(
        channel="telegram", since=datetime(2024, 4, 30, 21), until=datetime(2024, 5, 1, 21),
        intent="faq", had_fallback=True, handed_off=False, reviewed=True, max_confidence=0.5,
        tag="bad", text="pothole",
    )
    junk = ConversationFilters.from_query(
        {"from": "yesterday", "confidence": "7", "fallback": "maybe", "intent": "a b", "q": " "})
    assert junk.is_empty()


def test_day_bounds_are_whole_city_days_in_utc():
    assert day_bounds(date(2024, 1, 10), date(2024, 1, 11), "Europe/Moscow") == (
        datetime(2024, 1, 9, 21), datetime(2024, 1, 11, 21))
    assert day_bounds(None, None, "UTC") == (None, None)


def test_normalize_tags():
    assert normalize_tags("Bad answer, bad,  <b>x</b> ,") == ["bad", "answer", "bxb"]
    assert normalize_tags(["ok", "OK", ""]) == ["ok"]


# ---------------------------------------------------------------------------- transcript


async def test_transcript_maps_every_event_in_order(indexed, tracker):
    turns = await transcript(tracker, "boris")
    assert [t.kind for t in turns] == [
        "action", "session", "user", "action", "bot", "user", "handoff", "bot", "pause"]
    fallback = turns[2]
    assert (fallback.intent, fallback.guess, fallback.confidence) == (
        "nlu_fallback", "find_office", pytest.approx(0.31))
    assert fallback.fallback and fallback.low_confidence
    assert fallback.input_channel == "telegram" and fallback.message_id == f"m-{at(11)}"
    assert fallback.timestamp == utc(at(11))
    assert turns[3].name == "action_clarify" and turns[3].fallback
    assert turns[4].buttons == [{"title": "Find an office", "payload": "/find_office"}]
    person = turns[5]
    assert (person.intent, person.fallback, person.low_confidence) == (
        "human_handoff", False, False)
    assert turns[6].name == "action_handoff"
    event_ids = [t.event_id for t in turns]
    assert event_ids == sorted(event_ids) and len(set(event_ids)) == len(turns)


async def test_transcript_of_a_form(indexed, tracker):
    turns = await transcript(tracker, "anna")
    kinds = [(t.kind, t.name, t.value) for t in turns if t.kind in ("form", "slot")]
    assert kinds == [
        ("form", "problem_report_form", "entered"),
        ("slot", "problem_category", "pothole"),
        ("slot", "report_confirmed", True),
        ("form", "problem_report_form", "left"),
        ("slot", "report_confirmed", None),
    ]
    first = next(t for t in turns if t.kind == "user")
    assert first.entities == [
        {"entity": "problem_category", "value": "pothole", "start": 17, "end": 24}]
    assert first.confidence == pytest.approx(0.93) and not first.low_confidence
    filed = next(t for t in turns if t.kind == "bot" and "Filed" in (t.text or ""))
    assert filed.metadata["utter_action"] == "utter_report_filed"
    assert await transcript(tracker, "nobody") == []


def test_turns_from_events_pure_mapping():
    turns = turns_from_events([
        {"event": "user", "id": 7, "timestamp": T0, "text": "hm",
         "parse_data": {"intent": {"name": "faq", "confidence": LOW_CONFIDENCE - 0.01},
                        "intent_ranking": [{"name": "faq", "confidence": 0.49},
                                           {"name": "help", "confidence": 0.3}]}},
        {"event": "action", "name": "action_listen"},
        {"event": "action", "name": "action_default_fallback"},
        {"event": "active_loop", "name": None},  # leaving no form shows nothing
        {"event": "resume"},
        {"event": "restart"},
        {"event": "reset_slots"},
        {"event": "user_featurization", "use_text_for_featurization": False},
        {"event": "followup", "name": "action_x"},
        {"event": "user", "text": "/greet"},  # no prediction at all
    ])
    assert [t.kind for t in turns] == ["user", "action", "resume", "restart", "reset",
                                       "other", "user"]
    assert turns[0].event_id == 7 and turns[0].low_confidence and not turns[0].fallback
    assert turns[0].ranking == [("faq", 0.49), ("help", 0.3)]
    assert turns[1].fallback
    assert turns[5].name == "followup"
    assert (turns[6].intent, turns[6].confidence, turns[6].low_confidence) == (None, None, False)


def test_masked_transcript_hides_numbers_in_text_entities_and_slots():
    turns = mask_turns(turns_from_events([
        {"event": "user", "text": "account 7700000017",
         "parse_data": {"entities": [{"entity": "account_number", "value": "7700000017"}]}},
        {"event": "slot", "name": "meter_account", "value": "7700000017"},
        {"event": "bot", "text": "Account 7700000017?",
         "data": {"buttons": [{"title": "7700000017", "payload": "/affirm"}]}},
    ]))
    assert turns[0].text == "account ••••17"
    assert turns[0].entities[0]["value"] == "••••17"
    assert turns[1].value == "••••17"
    assert turns[2].text == "Account ••••17?"
    assert turns[2].buttons == [{"title": "••••17", "payload": "/affirm"}]


# ---------------------------------------------------------------------------- deletion


async def test_delete_conversation_removes_tracker_and_console_rows(indexed, tracker,
                                                                    tracker_path):
    await save_review(indexed, "anna", by="olga", reviewed=True, tags="x")
    await save_review(indexed, "boris", by="olga", reviewed=True, tags="x")
    await open_handoff(indexed, "anna", reason="human_handoff", last_message="help")
    assert await delete_conversation(tracker, indexed, "anna") == len(ANNA)

    assert event_count(tracker_path, "anna") == 0
    assert event_count(tracker_path, "boris") == len(BORIS)
    async with indexed.session() as session:
        for model in (ConversationIndex, ConversationText, ConversationReview,
                      ConversationTag, Handoff):
            found = (await session.execute(
                select(model).where(model.sender_id == "anna"))).scalars().all()
            assert found == [], model
        assert (await session.execute(
            select(ConversationTag).where(ConversationTag.sender_id == "boris"))).scalars().all()
    assert await senders(indexed) == ["vera", "boris", "gleb"]
    assert await transcript(tracker, "anna") == []
    assert await refresh_index(tracker, indexed) == 0
    assert "anna" not in await index_rows(indexed)


async def test_events_after_deleting_the_newest_conversation_are_indexed(
        indexed, rasa_store, tracker, tracker_path):
    # vera holds the highest ids; SQLite gives them out again after the delete.
    with sqlite3.connect(tracker_path) as conn:
        top = conn.execute("SELECT max(id) FROM events").fetchone()[0]
    await delete_conversation(tracker, indexed, "vera")
    await save(rasa_store, "emil", [*start(at(50)), user("hello", "greet", 0.9, at(51))])
    with sqlite3.connect(tracker_path) as conn:
        assert conn.execute("SELECT min(id) FROM events WHERE sender_id = 'emil'"
                            ).fetchone()[0] <= top
    assert await refresh_index(tracker, indexed) == 4
    assert (await index_rows(indexed))["emil"].turns == 1


async def test_forget_and_prune_cover_deletions_made_elsewhere(indexed, tracker, tracker_path):
    await save_review(indexed, "gleb", by="olga", reviewed=True, tags="t")
    assert await forget(indexed, "gleb") == 6  # index, text, day, intent-day, review, tag
    assert "gleb" not in await index_rows(indexed)
    assert event_count(tracker_path, "gleb") == len(GLEB)  # the tracker is the caller's

    with sqlite3.connect(tracker_path) as conn:
        conn.execute("DELETE FROM events WHERE sender_id = 'boris'")
    assert await prune_index(tracker, indexed) == 1
    assert set(await index_rows(indexed)) == {"anna", "vera"}


# ---------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call +7 916 123-45-67 please", "call ••••67 please"),
        ("call +7 (916) 123-45-67", "call ••••67"),
        ("8 (916) 123 45 67", "••••67"),
        ("89161234567", "••••67"),
        ("+79161234567!", "••••67!"),
        ("tel. 8-916-123-45-67.", "tel. ••••67."),
        ("(495) 123-45-67", "••••67"),
        ("916 123 45 67", "••••67"),
        ("+44 20 7946 0958", "••••58"),
        ("+1 (555) 123-4567", "••••67"),
        ("write to a.petrov@mail.ru today", "write to ••••@••••.ru today"),
        ("Ivan.Ivanov+city@yandex.co.uk", "••••@••••.uk"),
        ("account 7700000017", "account ••••17"),
        ("account 7700 123 456", "account ••••56"),
        ("СТС 77 УЕ 123456", "СТС ••••56"),
        ("sts 77ue123456", "sts ••••56"),
        ("СТС 7700123456", "СТС ••••56"),
        ("certificate 99 17 654321", "certificate ••••21"),
        ("card 4276123456789012", "card ••••12"),
    ],
)
def test_mask_pii_hides_personal_numbers(text, masked):
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "status of request 100041",
        "SR-100041 and #100042",
        "requests 100041 100042",
        "on 12.05.2024 at 10:30",
        "2024-05-12",
        "12/05/2024",
        "Tverskaya street 12, building 3, flat 45",
        "д. 15, кв. 123",
        "hot 123.4 cold 256.7",
        "hot 00123 cold 004567",
        "call 112",
        "version 1.2.3",
        "Москва, 125009",
        "price 1 500 000 roubles",
        "",
    ],
)
def test_mask_pii_leaves_other_numbers(text):
    assert mask_pii(text) == text


def test_mask_pii_of_nothing():
    assert mask_pii(None) == ""


def test_entities_cut_from_a_phone_number_are_masked_too():
    text = "deep hole, call me +7 916 123-45-67 or mail anna@example.ru"
    pieces = [("+7", 19, 21), ("916", 22, 25), ("123-45-67", 26, 35), ("pothole", 0, 4)]
    turn = turns_from_events([{
        "event": "user", "text": text, "timestamp": 1.0,
        "parse_data": {"intent": {"name": "inform", "confidence": 0.9}, "entities": [
            {"entity": "meter_value", "value": v, "start": a, "end": b} for v, a, b in pieces
        ]},
    }])[0]
    masked = mask_turns([turn])[0]
    assert [e["value"] for e in masked.entities] == ["••••", "••••", "••••", "pothole"]
    assert "916" not in masked.text and "anna@" not in masked.text


async def test_the_widgets_hidden_start_is_not_the_citizens_message(rasa_store, tracker, store):
    def web(text: str, intent: str, when: float, **webchat: Any) -> UserUttered:
        event = user(text, intent, 0.99, when, channel="webchat")
        event.metadata = {"webchat": {"lang": "en", **webchat}}
        return event

    await save(rasa_store, "web-1", [
        *start(at(0)),
        web("/greet", "greet", at(0.1), hidden=True),
        bot("Hello! How can I help?", at(0.1), response="utter_greet"),
        web('/inform{"problem_category":"pothole"}', "inform", at(1), title="Pothole"),
        SlotSet("session_started_metadata", {"webchat": {}}, timestamp=at(1)),
        BotUttered("Maria here, I will look into it.", metadata={"operator": "maria"},
                   timestamp=at(2)),
    ])
    await refresh_index(tracker, store)
    row = (await index_rows(store))["web-1"]
    assert (row.first_message, row.turns, row.channel) == ("Pothole", 1, "webchat")
    assert row.intents.split() == ["inform"]
    assert await senders(store, text="greet") == [] and await senders(store, text="pothole") == [
        "web-1"
    ]
    turns = await transcript(tracker, "web-1")
    users = [(t.text, t.hidden, t.pressed) for t in turns if t.kind == "user"]
    assert users == [("/greet", True, False), ("Pothole", False, True)]
    assert "session_started_metadata" not in [t.name for t in turns if t.kind == "slot"]
    assert [t.operator for t in turns if t.kind == "bot"] == [None, "maria"]


def test_a_notification_is_shown_as_sent_unasked_not_as_the_citizens_words():
    from rasa.shared.core.events import UserUttered

    sent = UserUttered.create_external(
        "EXTERNAL_fine_issued", [{"entity": "vehicle_certificate", "value": "77УВ123456"}],
        "telegram").as_dict()
    turns = turns_from_events([sent, {"event": "bot", "text": "A new fine: 500 roubles"}])
    assert [(t.kind, t.name, t.input_channel) for t in turns] == [
        ("notification", "EXTERNAL_fine_issued", "telegram"), ("bot", None, None)]
    assert turns[0].text is None and turns[0].entities == []  # the number is not shown
