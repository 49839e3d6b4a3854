"""What staff cannot see: personal data masked in every shape a citizen types it, search that
finds only what the searcher sees, and an operator's view of one handed-off session."""

from __future__ import annotations

import warnings

import pytest
import sqlalchemy as sa

from bot.console.conversations import ConversationFilters, list_conversations
from bot.console.handoffs import take
from bot.console.index import STATE_KEY, refresh_index
from bot.console.transcript import mask_pii, mask_turns, session_at, turns_from_events
from bot.handoff import open_handoff
from bot.store import Handoff, Store
from bot.store.models import ConversationText, IndexState
from tests.unit.test_console_conversations import (  # noqa: F401 - fixtures used by name
    act,
    at,
    bot,
    rasa_store,
    save,
    start,
    tracker,
    tracker_path,
    user,
    utc,
)
from tests.unit.test_console_http import console, csrf_token, log_in  # noqa: F401

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.shared.core.events import SlotSet

# ---------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Bank cards: in groups of four, with dashes, run together, longer and shorter.
        ("card 4276 1234 5678 9012", "card ••••12"),
        ("card 4276-1234-5678-9012 exp 05/27", "card ••••12 exp 05/27"),
        ("card 4276123456789012", "card ••••12"),
        ("4276 1234 5678 9012 345", "••••45"),  # 19 digits
        ("amex 3782 822463 10005", "amex ••••05"),  # 4-6-5
        ("4276  1234  5678  9012", "••••12"),  # two spaces between groups
        ("card 4276 1234 5678 9012, thanks", "card ••••12, thanks"),
        # SNILS: 3-3-3 and the check number, written three ways.
        ("СНИЛС 123-456-789 01", "СНИЛС ••••01"),
        ("snils 123 456 789 01", "snils ••••01"),
        ("СНИЛС 12345678901", "СНИЛС ••••01"),
        # Phones with dots, and the last seven digits in one group.
        ("call 8.916.123.45.67", "call ••••67"),
        ("+7.916.123.45.67", "••••67"),
        ("916 1234567", "••••67"),
        ("8 916 1234567", "••••67"),
        ("916.123.45.67", "••••67"),
        ("(916) 123 4567", "••••67"),
        ("8-916-12-34-567", "••••67"),
        # A place as latitude and longitude: hidden whole (its last digits say nothing).
        ("I am at 55.7558, 37.6173 now", "I am at •••• now"),
        ("55.755800 37.617300", "••••"),
        ("55.755800;37.617300", "••••"),
        ("(55.75580, 37.61730)", "(••••)"),
        ("55,7558 37,6173", "••••"),
        ("-33.8688, 151.2093", "••••"),
        ("lat 55.7558 lon 37.6173", "••••"),
        ("широта 55.7558, долгота 37.6173", "••••"),
        ("55.7558°N 37.6173°E", "••••"),
        ("55°45'20.9\"N 37°37'03.6\"E", "•••• ••••"),
        ("point 55.755831", "point ••••"),
    ],
)
def test_mask_pii_hides_cards_snils_phones_and_places(text, masked):
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "requests 100041, 100042, 100043",
        "requests 100041 100042 100043",
        "request 100001",
        "reading 01234,5",
        "hot 00123,456 cold 00078,912",
        "hot 123.4 cold 256.7",
        "readings for 01.2024, 02.2024",
        "за 01.2024",
        "on 12.05.2024 at 10.30",
        "12.05.2024, 13.05.2024",
        "from 9.00 to 18.00",
        "temperature 36.6",
        "house 8, flat 916",
        "Lenina 12/3, entrance 4, floor 9",
        "meter 4276 reads 1234",
        "it is 20° outside",
        "price 1 500 000 roubles",
    ],
)
def test_mask_pii_leaves_ordinary_numbers(text):
    assert mask_pii(text) == text


def test_a_shared_place_is_hidden_in_slots_and_the_assistants_words():
    turns = mask_turns(turns_from_events([
        {"event": "slot", "name": "problem_lat", "value": 55.7558, "timestamp": 1.0},
        {"event": "slot", "name": "problem_lon", "value": 37.6173, "timestamp": 1.0},
        {"event": "slot", "name": "problem_address",
         "value": "the place you shared (55.75580, 37.61730)", "timestamp": 1.0},
        {"event": "slot", "name": "last_place", "timestamp": 1.0, "value": {
            "label": "", "district": None,
            "address": {"id": "", "street": "", "lat": 55.7558, "lon": 37.6173}}},
        {"event": "bot", "text": "Report a pothole at the place you shared (55.75580, 37.61730)?",
         "timestamp": 2.0},
        {"event": "slot", "name": "meter_hot", "value": 123.4, "timestamp": 3.0},
    ]))
    values = {t.name: t.value for t in turns if t.kind == "slot"}
    assert values["problem_lat"] == values["problem_lon"] == "••••"
    assert values["problem_address"] == "the place you shared (••••)"
    assert values["last_place"]["address"]["lat"] == values["last_place"]["address"]["lon"] == "••••"
    assert values["meter_hot"] == 123.4  # a reading is no place
    assert next(t.text for t in turns if t.kind == "bot") == (
        "Report a pothole at the place you shared (••••)?")


def test_entities_cut_from_a_card_or_a_place_are_masked_too():
    text = "card 4276 1234 5678 9012 at 55.7558, 37.6173"
    turn = turns_from_events([{
        "event": "user", "text": text, "timestamp": 1.0,
        "parse_data": {"intent": {"name": "inform", "confidence": 0.9}, "entities": [
            {"entity": "meter_value", "value": "4276", "start": 5, "end": 9},
            {"entity": "meter_value", "value": "37.6173", "start": 37, "end": 44},
        ]},
    }])[0]
    assert [e["value"] for e in mask_turns([turn])[0].entities] == ["••••", "••••"]


# ---------------------------------------------------------------------------- search


PHONE_TALK = [
    *start(at(0)),
    user("Deep pothole on Lenina, call me on +7 916 123-45-60", "report_problem", 0.9, at(1)),
    bot("Where is it?", at(1.1)),
    user("my card 4276 1234 5678 9012 was charged, I am at 55.7558, 37.6173", "inform", 0.9,
         at(2)),
]


async def search(store: Store, text: str) -> list[str]:
    page = await list_conversations(store, ConversationFilters(text=text))
    return [row.sender_id for row in page.rows]


async def test_search_finds_words_but_not_the_masked_numbers(rasa_store, tracker, store) -> None:  # noqa: F811
    await save(rasa_store, "lena", PHONE_TALK)
    await refresh_index(tracker, store)
    assert await search(store, "pothole on lenina") == ["lena"]
    assert await search(store, "charged") == ["lena"]
    # Digit by digit, a reviewer would learn which conversation has which number.
    for probe in ("916 123-45-6", "+7 916", "123-45-60", "916", "4276 1234", "5678", "55.7558",
                  "37.61"):
        assert await search(store, probe) == [], probe
    assert await search(store, "••••60") == ["lena"]  # what the transcript shows is found


async def test_an_index_with_raw_text_is_rebuilt_masked(rasa_store, tracker, store) -> None:  # noqa: F811
    await save(rasa_store, "lena", PHONE_TALK)
    await refresh_index(tracker, store)
    async with store.session() as session, session.begin():  # what the previous version kept
        await session.execute(sa.update(ConversationText).values(text="call me on +7 916 123-45-60"))
        await session.execute(sa.update(IndexState).values(key="tracker/5"))
    await refresh_index(tracker, store)
    assert await search(store, "916 123") == []
    assert await search(store, "pothole") == ["lena"]
    async with store.session() as session:
        assert (await session.scalars(sa.select(IndexState.key))).all() == [STATE_KEY]


# ---------------------------------------------------------------------------- operators


async def test_an_operator_sees_only_the_handed_off_session(
    console, rasa_store, store  # noqa: F811
) -> None:
    await save(rasa_store, "kate", [
        *start(at(-1440)),  # yesterday's session: none of the operator's business
        user("the key is under the doormat of flat 12", "inform", 0.9, at(-1439)),
        bot("Noted.", at(-1439)),
        *start(at(0)),
        user("I want a person about my water bill", "human_handoff", 0.9, at(1)),
        act("action_handoff", at(1.1)),
        bot("An operator will answer.", at(1.1)),
        SlotSet("handoff_waiting", True, timestamp=at(1.1)),
        *start(at(90)),  # the session expired while she waited; what she writes now counts
        user("is anybody there?", "greet", 0.9, at(91)),
    ])
    handoff = await open_handoff(store, "kate", reason="human_handoff",
                                 last_message="I want a person about my water bill")
    async with store.session() as session, session.begin():
        await session.execute(sa.update(Handoff).where(Handoff.id == handoff.id)
                              .values(created_at=utc(at(1.05))))
    await take(store, handoff.id, "otto")
    assert (await log_in(console, "otto")).status == 302
    page = await (await console.get(f"/handoffs/{handoff.id}")).text()
    assert "I want a person about my water bill" in page
    assert "An operator will answer." in page and "is anybody there?" in page
    assert "doormat" not in page and "Noted." not in page

    # Reviewers keep the whole conversation (masked), as before.
    await console.post("/logout", data={"csrf_token": await csrf_token(console, "/handoffs")})
    assert (await log_in(console, "rita")).status == 302
    assert "doormat" in await (await console.get("/conversations/kate")).text()



def test_the_session_at_a_moment_starts_at_its_session_start():
    events = [
        {"event": "user", "text": "before any session start", "timestamp": at(-10)},
        {"event": "session_started", "timestamp": at(0)},
        {"event": "user", "text": "asked for a person", "timestamp": at(1)},
        {"event": "session_started", "timestamp": at(90)},
        {"event": "user", "text": "still waiting", "timestamp": at(91)},
    ]
    said = [t.text for t in session_at(turns_from_events(events), utc(at(2))) if t.kind == "user"]
    assert said == ["asked for a person", "still waiting"]
    # Before the first session start, the turns before it are that session.
    said = [t.text for t in session_at(turns_from_events(events), utc(at(-5))) if t.kind == "user"]
    assert said == ["before any session start", "asked for a person", "still waiting"]
