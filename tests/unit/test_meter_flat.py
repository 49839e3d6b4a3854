"""The meter form takes an account only with its flat, checked with the city, and a conversation
gets three tries at the pair (issue 13: any of a million guessable account numbers showed last
month's readings). Against the sandbox city on loopback."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.meters import ATTEMPTS, ValidateMeterReadingsForm
from bot.sandbox.seed import flat_of
from bot.textparse import parse_flat

ACCOUNT = "7700000021"


def _tracker(text: str, slots: dict[str, Any]) -> Tracker:
    message = {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []}
    events = [{"event": "user", "text": text, "parse_data": message}]
    return Tracker("citizen", {"language": "en", **slots}, message, events, False, None,
                   {"name": "meter_readings_form"}, "action_listen")


def _wrong_flat(account: str) -> str:
    return str(int(flat_of(account)) % 240 + 1)


async def _give_flat(flat: str, **slots: Any) -> tuple[dict[str, Any], list[str]]:
    form, dispatcher = ValidateMeterReadingsForm(), CollectingDispatcher()
    tracker = _tracker(flat, {"meter_account": ACCOUNT, "requested_slot": "meter_flat", **slots})
    extracted = await form.extract_meter_flat(dispatcher, tracker, {})
    validated = await form.validate_meter_flat(extracted["meter_flat"], dispatcher, tracker, {})
    return validated, [m["response"] for m in dispatcher.messages]


@pytest.mark.parametrize(("text", "bare", "flat"), [
    ("flat 12", False, "12"), ("apt. 7b", False, "7b"), ("кв. 12", False, "12"),
    ("квартира 45А", False, "45а"), ("account 7700000011, flat 3", False, "3"),
    ("kv 8", False, "8"), ("12", True, "12"), ("№ 7", True, "7"),
    ("it's 106", True, "106"), ("number 45, thanks", True, "45"),
    ("12", False, None), ("7700000011", True, None), ("hot 12", True, None),
    ("my flat is on the third floor", True, None), ("12.5", True, None),
    ("12 or 14, not sure", True, None), ("горячая 45", True, None),
])
def test_flat_numbers_as_people_write_them(text, bare, flat):
    assert parse_flat(text, bare=bare) == flat


async def test_the_right_flat_opens_the_account_with_last_months_readings(city):
    validated, said = await _give_flat(flat_of(ACCOUNT))
    assert validated["meter_flat"] == flat_of(ACCOUNT)
    assert validated["meter_hot_last"] != "-" and said == []


async def test_a_wrong_flat_asks_for_both_again_without_telling_which_was_wrong(city):
    validated, said = await _give_flat(_wrong_flat(ACCOUNT))
    assert validated == {"meter_attempts": 1.0, "meter_account": None, "meter_flat": None}
    assert said == ["utter_meter_account_not_found"]


async def test_the_third_wrong_pair_stops_the_form_and_offers_a_person(city):
    validated, said = await _give_flat(_wrong_flat(ACCOUNT), meter_attempts=ATTEMPTS - 1)
    assert validated["meter_blocked"] == "too_many_attempts"
    assert said == ["utter_meter_too_many_attempts"]


async def test_after_three_wrong_pairs_even_the_right_one_is_not_tried(city):
    validated, said = await _give_flat(flat_of(ACCOUNT), meter_attempts=float(ATTEMPTS))
    assert validated["meter_blocked"] == "too_many_attempts" and "meter_hot_last" not in validated
    assert said == ["utter_meter_too_many_attempts"]


async def test_something_that_is_not_a_flat_is_asked_again(city):
    validated, said = await _give_flat("the one on the left")
    assert validated == {"meter_flat": None}
    assert said == ["utter_meter_flat_invalid"]


async def test_readings_said_before_the_flat_are_checked_once_the_flat_opens_the_account(city):
    # "7700000021: hot 1 cold 99999" then the flat: hot is lower than last month, cold too high.
    validated, said = await _give_flat(flat_of(ACCOUNT), meter_hot="1", meter_cold="99999")
    assert validated["meter_hot"] is None and validated["meter_cold"] is None
    assert said == ["utter_meter_reading_lower", "utter_meter_reading_too_high"]


async def test_a_question_when_the_flat_is_asked_is_left_to_the_policies():
    tracker = _tracker("why do you need my flat?", {"meter_account": ACCOUNT,
                                                    "requested_slot": "meter_flat"})
    tracker.latest_message["intent"] = {"name": "explain", "confidence": 0.9}
    assert await ValidateMeterReadingsForm().extract_meter_flat(
        CollectingDispatcher(), tracker, {}) == {}


async def test_an_account_the_city_locked_stops_the_form_politely(city):
    """Wrong flats from anywhere lock an account at the city for the hour (429): the citizen is
    told so, not that something broke."""
    from bot.city import CityNotFound
    from bot.sandbox.meters_api import MISSES_PER_HOUR

    for n in range(MISSES_PER_HOUR):
        with pytest.raises(CityNotFound):
            await city.api.meter_account(ACCOUNT, str(1000 + n))
    validated, said = await _give_flat(flat_of(ACCOUNT))
    assert validated["meter_blocked"] == "too_many_attempts"
    assert said == ["utter_meter_too_many_attempts"]
