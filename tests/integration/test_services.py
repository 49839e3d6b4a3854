"""Services 2, 3, 6, 7, 10, 11 and the conversation basics, through Rasa's REST channel."""

from __future__ import annotations

import subprocess
import sys

import requests

from bot.sandbox.seed import flat_of
from tests.integration.conftest import Stack, buttons, texts


# ---- service 2: request status

def test_status_of_a_known_request(healthy_city: Stack, sender: str) -> None:
    known = healthy_city.open311("requests.json", status="closed").json()[0]
    reply = texts(healthy_city.say(sender, f"what is the status of request {known['service_request_id']}"))
    assert known["service_request_id"] in reply
    assert "is closed" in reply


def test_status_of_an_unknown_request_is_a_clear_answer(healthy_city: Stack, sender: str) -> None:
    reply = texts(healthy_city.say(sender, "status of my request 199999 please"))
    assert "could not find request 199999" in reply


def test_status_without_a_number_asks_for_it(healthy_city: Stack, sender: str) -> None:
    reply = texts(healthy_city.say(sender, "check the status of my request"))
    assert "Please send its number" in reply
    known = healthy_city.open311("requests.json").json()[0]["service_request_id"]
    answer = texts(healthy_city.say(sender, known))
    assert known in answer and ("is open" in answer or "is closed" in answer)


# ---- service 3: meter readings (account 7700000001: last hot 100, cold 200)

def start_readings(stack: Stack, sender: str) -> str:
    stack.say(sender, "I want to submit my water meter readings")
    assert "flat" in texts(stack.say(sender, "7700000001"))
    return texts(stack.say(sender, f"flat {flat_of('7700000001')}"))


def test_meter_readings_accepted_with_consumption(healthy_city: Stack, sender: str) -> None:
    asked = start_readings(healthy_city, sender)
    assert "hot water meter" in asked and "100" in asked
    assert "cold water" in texts(healthy_city.say(sender, "103.5"))
    confirm = texts(healthy_city.say(sender, "207,25"))
    assert "hot water 103.5" in confirm and "cold water 207.25" in confirm
    done = texts(healthy_city.say(sender, "yes"))
    assert "accepted" in done
    assert "used 3.5" in done and "used 7.25" in done


def test_meter_reading_lower_than_last_month_is_refused(healthy_city: Stack, sender: str) -> None:
    start_readings(healthy_city, sender)
    reply = texts(healthy_city.say(sender, "95"))
    assert "lower than last month's 100" in reply
    assert "hot water meter" in reply  # asked again, nothing lost


def test_implausibly_high_meter_reading_is_refused(healthy_city: Stack, sender: str) -> None:
    start_readings(healthy_city, sender)
    reply = texts(healthy_city.say(sender, "190"))
    assert "implausible" in reply and "90" in reply


def test_meter_readings_outside_the_window_are_refused(healthy_city: Stack, sender: str) -> None:
    from bot.sandbox.dates import moscow_now

    today = moscow_now().day  # the city's day, not UTC's (they differ 21:00-24:00 UTC)
    # A window that excludes today.
    healthy_city.meter_window(*((today + 2, 31) if today <= 25 else (1, max(1, today - 3))))
    reply = start_readings(healthy_city, sender)
    assert "Readings are accepted from day" in reply
    assert "next window opens" in reply
    tracker = healthy_city.tracker(sender)
    assert not (tracker.get("active_loop") or {}).get("name")


def test_unknown_meter_account_is_explained(healthy_city: Stack, sender: str) -> None:
    healthy_city.say(sender, "submit meter readings")
    assert "flat" in texts(healthy_city.say(sender, "7700999999"))
    reply = texts(healthy_city.say(sender, "12"))
    assert "could not find account 7700999999 with flat 12" in reply


def test_guessing_flats_stops_after_three_tries(healthy_city: Stack, sender: str) -> None:
    """Issue 13: any of a million guessable account numbers showed last month's readings."""
    right = flat_of("7700000002")
    wrong = [str(n) for n in range(1, 20) if str(n) != right]
    healthy_city.say(sender, "submit meter readings")
    for flat in wrong[:2]:
        healthy_city.say(sender, "7700000002")
        reply = texts(healthy_city.say(sender, flat))
        assert "could not find account" in reply and "hot water meter" not in reply
    healthy_city.say(sender, "7700000002")
    stopped = texts(healthy_city.say(sender, wrong[2]))
    assert "stopped here to protect the account" in stopped
    # Starting over buys no more tries, even with the right pair.
    healthy_city.say(sender, "submit meter readings")
    healthy_city.say(sender, "7700000002")
    again = texts(healthy_city.say(sender, right))
    assert "stopped here to protect the account" in again and "hot water meter" not in again


# ---- service 6: nearest office

def test_nearest_service_centre_to_an_address(healthy_city: Stack, sender: str) -> None:
    reply = texts(healthy_city.say(sender, "where is the nearest public service centre to pokrovka 5"))
    assert "The nearest public service centre to Pokrovka Street, 5" in reply
    assert "Queue now" in reply and "Phone" in reply


def test_office_without_a_place_asks_for_one(healthy_city: Stack, sender: str) -> None:
    assert "Where are you" in texts(healthy_city.say(sender, "find the nearest my documents office"))
    reply = texts(healthy_city.say(sender, "arbat"))
    assert "The nearest" in reply and "Arbat" in reply


# ---- service 7: outages

def test_outages_for_an_address(healthy_city: Stack, sender: str) -> None:
    reply = texts(healthy_city.say(sender, "are there any hot water outages at tverskaya 12"))
    assert "Outages for Tverskaya Street, 12" in reply or "No outages are planned" in reply


# ---- service 10: FAQ

def test_faq_answer_carries_its_official_source(healthy_city: Stack, sender: str) -> None:
    reply = texts(healthy_city.say(sender, "what documents do I need to get a passport at 14"))
    link = f"{healthy_city.sandbox}/portal/faq/passport"
    assert f"Official source: {link}" in reply
    page = requests.get(link, timeout=5)
    assert page.status_code == 200 and "passport" in page.text.lower()


# ---- service 11: a person

def test_a_handoff_waits_in_the_queue_while_the_bot_still_helps_and_can_be_withdrawn(
    healthy_city: Stack, sender: str
) -> None:
    asked = texts(healthy_city.say(sender, "I want to talk to a real person"))
    assert "passing the conversation to a person" in asked
    assert "Operators answer from 08:00 to 20:00" in asked
    cli = [sys.executable, "-m", "bot.cli", "handoff"]
    listed = subprocess.run([*cli, "list"], capture_output=True, text=True, check=True)
    assert sender in listed.stdout
    # Until an operator takes it (the console pauses the assistant then), the bot answers.
    assert "Request 100002" in texts(healthy_city.say(sender, "status of request 100002"))
    assert "cancelled the request for a person" in texts(
        healthy_city.say(sender, "cancel the request for a person")
    )
    listed = subprocess.run([*cli, "list"], capture_output=True, text=True, check=True)
    assert sender not in listed.stdout
    assert not healthy_city.tracker(sender)["slots"].get("handoff_waiting")


def test_a_released_handoff_gives_the_conversation_back(healthy_city: Stack, sender: str) -> None:
    healthy_city.say(sender, "I want to talk to a real person")
    cli = [sys.executable, "-m", "bot.cli", "handoff"]
    subprocess.run([*cli, "release", sender], capture_output=True, text=True, check=True)
    assert not healthy_city.tracker(sender)["slots"].get("handoff_waiting")
    assert texts(healthy_city.say(sender, "hi")).startswith("Hello")


# ---- conversation basics

def test_out_of_scope_never_starts_a_service(healthy_city: Stack, sender: str) -> None:
    for question in ("how do I open a bank account", "give me a recipe for borscht"):
        reply = texts(healthy_city.say(sender, question))
        assert "I can't help with that" in reply
        assert not (healthy_city.tracker(sender).get("active_loop") or {}).get("name")


def test_nonsense_starts_nothing(healthy_city: Stack, sender: str) -> None:
    reply = texts(healthy_city.say(sender, "blorf zibble quux"))
    assert "Did you mean" in reply or "I can't help with that" in reply
    assert not (healthy_city.tracker(sender).get("active_loop") or {}).get("name")


def test_low_confidence_asks_back_then_offers_a_person(healthy_city: Stack, sender: str) -> None:
    # The fallback intent itself (what the FallbackClassifier makes of a low-confidence turn):
    # which gibberish falls below the threshold is the model's business, the dialogue is ours.
    first = healthy_city.say(sender, "/nlu_fallback")
    assert "Did you mean" in texts(first)
    payloads = [b["payload"] for b in buttons(first)]
    assert len(payloads) == 3 and payloads[-1] == "/help"
    second = healthy_city.say(sender, "/nlu_fallback")
    assert "talk to a person" in texts(second)
    assert "/human_handoff" in [b["payload"] for b in buttons(second)]


def test_outages_for_a_named_day(healthy_city: Stack, sender: str) -> None:
    reply = texts(healthy_city.say(sender, "will there be any outages at tverskaya 12 tomorrow"))
    assert "Tverskaya Street, 12 from" in reply


def test_forget_me_deletes_the_report_history_kept_here(healthy_city: Stack, sender: str) -> None:
    healthy_city.say(sender, f"graffiti all over the wall at pokrovka 5 ({sender})")
    healthy_city.say(sender, "yes")
    mine = texts(healthy_city.say(sender, "status of my reports"))
    assert "Your recent reports" in mine and "Graffiti" in mine and "None" not in mine
    forgot = texts(healthy_city.say(sender, "please delete all my data"))
    assert "deleted the details and report history" in forgot and "(1 report)" in forgot
    assert "Please send its number" in texts(healthy_city.say(sender, "status of my reports"))
