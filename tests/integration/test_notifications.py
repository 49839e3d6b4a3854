"""Service 8, personal notifications, end to end on the real stack: a citizen subscribes over
Rasa's REST channel, the sandbox city makes something happen (its test hooks add a planned outage
or a fine, which its events feed then tells of), and a notifier run here, on the stack's Rasa,
city and app database, with the clock it is given, delivers the news as a turn of the citizen's
conversation (read back from Rasa's tracker).

The stack's own notifier is off (tests/stack.py): one on the real clock would message these
citizens in the middle of a test. Each call of :func:`deliver` is a new notifier: a second call
is a restart.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from bot.config import Settings
from bot.notify.notices import INTENT_PREFIX
from bot.notify.service import Pass
from bot.notify.subscriptions import unsubscribe
from bot.sandbox.fines_seed import NEVER_FINED
from bot.store import Store
from bot.vehicles import shown_certificate
from tests.integration.conftest import Stack, buttons, texts

# A vehicle and a street no other test looks at: news made for them surprises no other test.
VEHICLE = NEVER_FINED
HOUSE = "novy arbat 10"


def settings(stack: Stack) -> Settings:
    return stack.settings()


def deliver(stack: Stack, *moments: datetime) -> list[Pass]:
    """A new notifier on the stack (a restart): one pass at each moment of its clock."""
    return stack.notify(*moments)


def city_day(stack: Stack, days: int) -> date:
    return settings(stack).city_today() + timedelta(days=days)


def at(stack: Stack, day: date, hour: int, minute: int = 0) -> datetime:
    """A moment on the city's wall clock."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(settings(stack).city_timezone))


def told(stack: Stack, sender: str) -> list[dict[str, Any]]:
    """Each notification turn of the conversation: its intent, entities, and what the assistant
    said in it, as Rasa's tracker has them."""
    events = stack.tracker(sender, include_events="ALL")["events"]
    turns = []
    for n, event in enumerate(events):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        if event["event"] != "user" or not intent.startswith(INTENT_PREFIX):
            continue
        said = []
        for later in events[n + 1:]:
            if later["event"] == "user":
                break
            if later["event"] == "bot":
                said.append(later.get("text") or "")
        turns.append({"intent": intent, "said": "\n".join(said),
                      "entities": {e["entity"]: e["value"]
                                   for e in event["parse_data"].get("entities") or []}})
    return turns


def _app_db(stack: Stack, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(f"file:{stack.var / 'citybot.db'}?mode=ro", uri=True,
                         timeout=10) as db:
        return db.execute(query, args).fetchall()


def subscriptions(stack: Stack, sender: str) -> list[tuple]:
    """(kind, target, channel, language, ended) of the citizen's subscriptions, as stored."""
    return [(kind, target, channel, language, ended is not None) for kind, target, channel,
            language, ended in _app_db(stack, "SELECT kind, target, channel, language, ended_at "
                                              "FROM subscriptions WHERE sender_id = ? ORDER BY id",
                                       sender)]


def deliveries(stack: Stack, sender: str) -> list[str]:
    return [status for (status,) in _app_db(
        stack, "SELECT status FROM deliveries WHERE sender_id = ? ORDER BY id", sender)]


def address(stack: Stack, text: str, language: str = "en") -> dict:
    """The house the city finds for ``text``."""
    items = stack.city_api("addresses", q=text, limit=1, lang=language).json()["items"]
    assert items, text
    return items[0]


def fine_now(stack: Stack, certificate: str) -> dict:
    """The city fines the vehicle now (a sandbox test hook); the fine, as the city shows it."""
    resp = requests.post(f"{stack.sandbox}/sandbox/fines",
                         json={"vehicle_certificate": certificate}, timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()


def outage_at(stack: Stack, address_id: str, day: date) -> dict:
    """A planned hot water outage on the house's street that day; its feed event."""
    resp = requests.post(f"{stack.sandbox}/sandbox/outages", json={
        "address_id": int(address_id), "kind": "hot_water",
        "starts_at": at(stack, day, 10).isoformat(), "ends_at": at(stack, day, 18).isoformat(),
        "reason": "Repair of a heating main", "reason_ru": "Ремонт тепломагистрали"},
        timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()


def city_fine(stack: Stack, fine_id: str, language: str) -> dict:
    found = stack.city_api("fines", vehicle_certificate=VEHICLE, lang=language).json()["items"]
    return next(f for f in found if f["id"] == fine_id)


@pytest.fixture
def citizens(healthy_city: Stack, sender: str) -> Iterator[list[str]]:
    """Conversation ids for a test (``sender`` first); their subscriptions end with the test,
    so the news of later tests is not theirs."""
    ids = [sender, f"{sender}-b"]
    yield ids

    async def end_all() -> None:
        store = await Store(settings(healthy_city).app_database_url).ready()
        try:
            for citizen in ids:
                await unsubscribe(store, citizen)
        finally:
            await store.close()

    asyncio.run(end_all())


def subscribe_to_fines(stack: Stack, sender: str) -> None:
    asked = texts(stack.say(sender, "notify me of new fines"))
    assert "registration certificate" in asked
    confirm = stack.say(sender, shown_certificate(VEHICLE))
    assert f"certificate {shown_certificate(VEHICLE)}" in texts(confirm)
    assert "between 22:00 and 08:00" in texts(confirm)
    assert [b["title"] for b in buttons(confirm)] == ["Yes, subscribe", "No, thanks"]
    assert "Done" in texts(stack.say(sender, "yes"))


# ------------------------------------------------------------------ one delivery per event


def test_an_outage_reaches_each_subscriber_once_in_their_language_across_a_restart(
    healthy_city: Stack, citizens: list[str]
) -> None:
    anna, boris = citizens
    house = address(healthy_city, HOUSE)
    confirm = texts(healthy_city.say(anna, f"send me alerts about planned outages at {HOUSE}"))
    assert house["label"] in confirm and "Shall I subscribe you?" in confirm
    assert "Done" in texts(healthy_city.say(anna, "yes please"))
    ru_house = address(healthy_city, HOUSE, "ru")
    asked = texts(healthy_city.say(boris, "хочу получать уведомления об отключениях горячей воды"))
    assert "По какому адресу" in asked
    confirm = texts(healthy_city.say(boris, "Новый Арбат 10"))
    assert ru_house["label"] in confirm and "Подписать вас?" in confirm
    assert "Готово" in texts(healthy_city.say(boris, "да"))
    assert subscriptions(healthy_city, anna) == [("outages", str(house["id"]), "rest", "en", False)]
    assert subscriptions(healthy_city, boris) == [("outages", str(house["id"]), "rest", "ru", False)]

    day = city_day(healthy_city, 3)
    event = outage_at(healthy_city, house["id"], day)
    listed = healthy_city.city_api("outages", address_id=house["id"]).json()["items"]
    assert str(event["data"]["outage_id"]) in [str(o["id"]) for o in listed]  # the city has it

    noon = at(healthy_city, city_day(healthy_city, 1), 12)
    deliver(healthy_city, noon, noon + timedelta(minutes=1))
    deliver(healthy_city, noon + timedelta(minutes=2))  # a restart

    (english,) = told(healthy_city, anna)
    (russian,) = told(healthy_city, boris)
    assert english["intent"] == russian["intent"] == "EXTERNAL_outage_planned"
    assert str(english["entities"]["outage_id"]) == str(event["data"]["outage_id"])
    assert f"Planned outage at {house['label']}: Hot water" in english["said"]
    assert event["data"]["reason"] in english["said"]
    assert 'reply "stop notifications"' in english["said"]
    assert f"Плановое отключение по адресу {ru_house['label']}: Горячая вода" in russian["said"]
    assert event["data"]["reason_ru"] in russian["said"]
    assert "Planned" not in russian["said"] and "отключить уведомления" in russian["said"]
    assert deliveries(healthy_city, anna) == deliveries(healthy_city, boris) == ["sent"]


# ------------------------------------------------------------------ quiet hours


def test_a_fine_at_half_past_eleven_at_night_waits_for_eight_in_the_morning(
    healthy_city: Stack, citizens: list[str]
) -> None:
    (citizen, _) = citizens
    asked = texts(healthy_city.say(citizen, "уведомляйте меня о новых штрафах на машину"))
    assert "свидетельства о регистрации" in asked
    confirm = texts(healthy_city.say(citizen, "77 ха 111222"))
    assert "22:00 до 08:00" in confirm and "Подписать вас?" in confirm
    assert "Готово" in texts(healthy_city.say(citizen, "да"))
    fine = fine_now(healthy_city, VEHICLE)

    night = at(healthy_city, city_day(healthy_city, 1), 23, 30)
    morning = at(healthy_city, city_day(healthy_city, 2), 8)
    deliver(healthy_city, night, night + timedelta(hours=4), morning - timedelta(minutes=1))
    assert told(healthy_city, citizen) == []
    assert deliveries(healthy_city, citizen) == ["held"]

    deliver(healthy_city, morning, morning + timedelta(minutes=1))
    (news,) = told(healthy_city, citizen)
    assert news["intent"] == "EXTERNAL_fine_issued"
    assert news["entities"]["fine_id"] == fine["id"]
    russian = city_fine(healthy_city, fine["id"], "ru")
    assert russian["offence"] in news["said"] and "₽" in news["said"]
    assert "roubles" not in news["said"] and "отключить уведомления" in news["said"]
    # the news' own words ("EXTERNAL: EXTERNAL_fine_issued") do not turn the conversation English
    assert healthy_city.tracker(citizen)["slots"]["language"] == "ru"


# ------------------------------------------------------------------ stop works at once


def test_stop_cancels_what_is_waiting_and_nothing_more_comes(
    healthy_city: Stack, citizens: list[str]
) -> None:
    (citizen, _) = citizens
    subscribe_to_fines(healthy_city, citizen)
    fine_now(healthy_city, VEHICLE)
    night = at(healthy_city, city_day(healthy_city, 1), 23)
    deliver(healthy_city, night)
    assert deliveries(healthy_city, citizen) == ["held"]

    stopped = texts(healthy_city.say(citizen, "stop notifying me about fines"))
    assert "I have stopped these notifications" in stopped
    assert f"new traffic fines for {shown_certificate(VEHICLE)}" in stopped
    assert subscriptions(healthy_city, citizen)[0][-1] is True  # ended
    assert deliveries(healthy_city, citizen) == ["cancelled"]

    fine_now(healthy_city, VEHICLE)
    morning = at(healthy_city, city_day(healthy_city, 2), 9)
    deliver(healthy_city, morning, morning + timedelta(minutes=1))
    assert told(healthy_city, citizen) == []
    assert deliveries(healthy_city, citizen) == ["cancelled"]  # nothing owed to an ended one


# ------------------------------------------------------------------ news in the middle of a form


def test_news_in_the_middle_of_a_form_is_told_and_the_form_goes_on(
    healthy_city: Stack, citizens: list[str]
) -> None:
    (citizen, _) = citizens
    subscribe_to_fines(healthy_city, citizen)
    assert "registration certificate" in texts(healthy_city.say(citizen, "check my fines"))
    fine = fine_now(healthy_city, VEHICLE)
    deliver(healthy_city, at(healthy_city, city_day(healthy_city, 1), 12))

    (news,) = told(healthy_city, citizen)
    assert fine["offence"] in news["said"]
    assert "registration certificate" in news["said"]  # the form's question again
    tracker = healthy_city.tracker(citizen)
    assert (tracker.get("active_loop") or {}).get("name") == "fines_form"
    assert tracker["slots"]["language"] == "en"

    shown = texts(healthy_city.say(citizen, shown_certificate(VEHICLE)))
    unpaid = healthy_city.city_api("fines", vehicle_certificate=VEHICLE).json()["items"]
    assert fine["id"] in [f["id"] for f in unpaid]
    for each in unpaid:
        assert each["payment_url"] in shown


# ------------------------------------------------------------------ listing and the buttons


def test_subscriptions_are_listed_and_all_of_them_stop_with_one_button(
    healthy_city: Stack, citizens: list[str]
) -> None:
    (citizen, _) = citizens
    house = address(healthy_city, HOUSE)
    healthy_city.say(citizen, f"notify me about hot water outages at {HOUSE}")
    healthy_city.say(citizen, "yes")
    healthy_city.say(citizen, "remind me every month to submit my meter readings")
    assert "Done" in texts(healthy_city.say(citizen, "yes"))
    assert [s[0] for s in subscriptions(healthy_city, citizen)] == ["outages", "meter_reminder"]

    listed = texts(healthy_city.say(citizen, "what am i subscribed to"))
    today = settings(healthy_city).city_today()
    assert f"planned outages at {house['label']}, since {today.day} " in listed
    assert "the monthly meter reading reminder" in listed

    asked = healthy_city.say(citizen, "unsubscribe")
    titles = [b["title"] for b in buttons(asked)]
    assert titles[-1] == "All of them" and len(titles) == 3
    everything = next(b for b in buttons(asked) if b["title"] == "All of them")
    stopped = texts(healthy_city.say(citizen, everything["payload"]))
    assert "meter reading reminder" in stopped and house["label"] in stopped
    assert all(ended for *_, ended in subscriptions(healthy_city, citizen))
    assert "no notifications switched on" in texts(
        healthy_city.say(citizen, "my subscriptions"))


def test_subscribing_again_is_told_not_doubled(healthy_city: Stack, citizens: list[str]) -> None:
    (citizen, _) = citizens
    subscribe_to_fines(healthy_city, citizen)
    again = texts(healthy_city.say(citizen, f"subscribe me to fine notifications for "
                                            f"{shown_certificate(VEHICLE)}"))
    assert "You already get" in again and "Shall I subscribe" not in again
    assert len(subscriptions(healthy_city, citizen)) == 1
    assert (healthy_city.tracker(citizen).get("active_loop") or {}).get("name") is None
