"""The doctor's appointment form (actions/doctor.py): what the citizen reads, in English and
Russian (slots as buttons, dates, Russian plurals), and what the form does with each answer,
against the sandbox city on loopback: the policy checked before the city is asked, the
patient's polyclinic and its next free slots, a slot taken meanwhile, booking, listing and
cancelling, and the policy kept only with consent."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp.test_utils import TestServer
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import doctor, keeping
from actions.common import ATTEMPTS, in_language
from actions.doctor import (
    BOOK,
    BOOKED,
    CANCEL,
    CANCELLED,
    ENDED,
    LIST,
    LISTED,
    OFFERED,
    USED_KEPT,
    ActionAskDoctorAppointment,
    ActionAskDoctorSlot,
    ActionDoctorDone,
    ValidateDoctorAppointmentForm,
    appointments_text,
    details,
    slot_button,
    task_of,
)
from bot.city.health import HealthClient
from bot.city.http import CityHTTP
from bot.config import ROOT
from bot.health import shown_policy, with_check_digit
from bot.saved import HEALTH_POLICY, keep, saved
from bot.sandbox.clinics import policy_of
from bot.sandbox.dates import MOSCOW
from bot.store import Store

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
EN, RU = in_language(DOMAIN, "en"), in_language(DOMAIN, "ru")
# A well-formed policy number of no patient the sandbox has.
NOBODY = with_check_digit("770999999999999")
SLOT = {"id": "51-202612031420", "start": "2026-12-03T14:20:00+03:00", "doctor": "Ivanova A. B.",
        "room": "326", "specialty": "ophthalmologist", "specialty_name": "Ophthalmologist"}


def _appointment(n: int, specialty: str = "dentist", name: str = "Dentist") -> dict[str, Any]:
    start = datetime(2026, 12, 3, 9, 0, tzinfo=MOSCOW) + timedelta(days=n)
    return {"id": str(n), "start": start.isoformat(), "doctor": "Petrova O. I.", "room": "214",
            "specialty": specialty, "specialty_name": name, "clinic": "City Polyclinic No. 6",
            "address": "Bolshaya Nikitskaya Street, 53"}


# ---------------------------------------------------------------- texts

def test_a_slot_button_says_day_time_and_doctor_and_chooses_the_slot():
    assert slot_button(SLOT, EN) == {"title": "Thu 3 Dec, 14:20 — Ivanova A. B.",
                                     "payload": '/inform{"option": "51-202612031420"}'}
    russian = slot_button({**SLOT, "doctor": "Иванова А. Б."}, RU)
    assert russian["title"] == "Чт 3 дек., 14:20 — Иванова А. Б."
    assert russian["payload"] == '/inform{"option": "51-202612031420"}'


def test_details_name_the_weekday_date_time_room_and_polyclinic():
    clinic = {"name": "City Polyclinic No. 22", "address": "Novy Arbat Avenue, 15"}
    said = details(SLOT, EN, clinic)
    assert said == {"specialty": "Ophthalmologist", "doctor": "Ivanova A. B.", "room": "326",
                    "when": "Thursday, 3 December 2026, 14:20", "clinic": clinic["name"],
                    "address": clinic["address"]}
    assert details(SLOT, RU, clinic)["when"] == "Четверг, 3 декабря 2026, 14:20"


@pytest.mark.parametrize(("count", "header"), [
    (1, "У вас 1 запись к врачу:"), (3, "У вас 3 записи к врачам:"),
    (5, "У вас 5 записей к врачам:"),
])
def test_russian_counts_appointments_in_the_right_form(count, header):
    text = appointments_text([_appointment(n) for n in range(count)], RU)
    assert text.splitlines()[0] == header
    assert len(text.splitlines()) == count + 1
    assert "кабинет 214" in text and "room" not in text


def test_english_lists_each_appointment_in_full():
    lines = appointments_text([_appointment(1), _appointment(2)], EN).splitlines()
    assert lines[0] == "You have 2 appointments to come:"
    assert lines[1] == ("- Friday, 4 December 2026, 09:00: Dentist, Petrova O. I., room 214, "
                        "City Polyclinic No. 6, Bolshaya Nikitskaya Street, 53")


def test_every_response_the_form_says_is_in_the_domain_in_both_languages():
    source = (ROOT / "actions" / "doctor.py").read_text(encoding="utf-8")
    named = set(re.findall(r'"(utter_[a-z_]+)"', source))
    named |= {f"utter_doctor_appointments_header_{form}" for form in ("one", "few", "many",
                                                                      "other")}
    named |= {"utter_ask_doctor_specialty", "utter_ask_doctor_policy"}
    assert len(named) > 30
    responses = DOMAIN["responses"]
    for name in sorted(named):
        assert name in responses, name
        languages = {(v.get("condition") or [{}])[0].get("value", "en") for v in responses[name]}
        assert languages == {"en", "ru"}, name
    for slot in ("doctor_specialty", "doctor_policy", "doctor_slot", "doctor_appointment",
                 "doctor_confirmed", "doctor_remember"):
        assert f"utter_explain_{slot}" in responses, slot  # "why do you need this?"


# ---------------------------------------------------------------- the form, against the sandbox

def _tracker(text: str = "", intent: str = "inform", entities: list[dict] | None = None,
             sender: str = "citizen", **slots: Any) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9},
               "entities": entities or []}
    events = [{"event": "bot", "text": "a question", "timestamp": 1.0},
              {"event": "user", "text": text, "parse_data": message, "timestamp": 2.0}]
    return Tracker(sender, {"language": "en", **slots}, message, events, False, None,
                   {"name": "doctor_appointment_form"}, "action_listen")


@pytest.fixture
def health(city_http: CityHTTP, city_server: TestServer) -> HealthClient:
    return HealthClient(city_http, str(city_server.make_url("/api/v1")))


@pytest.fixture
def sandbox(health: HealthClient, store: Store, monkeypatch: pytest.MonkeyPatch) -> HealthClient:
    """The sandbox as the city of actions/doctor.py, and a fresh app store."""

    async def the_store() -> Store:
        return store

    monkeypatch.setattr(doctor, "city", lambda: SimpleNamespace(health=health))
    monkeypatch.setattr(doctor, "store", the_store)
    monkeypatch.setattr(keeping, "store", the_store)
    return health


def _responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") or m.get("text") for m in dispatcher.messages]


async def _policy(text: str, task: str = BOOK, sender: str = "citizen",
                  **slots: Any) -> tuple[dict[str, Any], CollectingDispatcher]:
    """The citizen answers the policy question."""
    form, dispatcher = ValidateDoctorAppointmentForm(), CollectingDispatcher()
    tracker = _tracker(text, sender=sender, requested_slot="doctor_policy", doctor_task=task,
                       **slots)
    extracted = await form.extract_doctor_policy(dispatcher, tracker, EN)
    tracker.slots.update(extracted)
    validated = await form.validate_doctor_policy(extracted["doctor_policy"], dispatcher,
                                                  tracker, EN)
    return validated, dispatcher


async def _confirm(slots: dict[str, Any], sender: str = "citizen",
                   answer: bool = True) -> tuple[dict[str, Any], CollectingDispatcher]:
    form, dispatcher = ValidateDoctorAppointmentForm(), CollectingDispatcher()
    tracker = _tracker("yes" if answer else "no", "affirm" if answer else "deny", sender=sender,
                       requested_slot="doctor_confirmed", **slots)
    validated = await form.validate_doctor_confirmed(answer, dispatcher, tracker, EN)
    return validated, dispatcher


async def test_the_patients_polyclinic_and_its_next_free_slots_are_the_citys(sandbox):
    policy = policy_of(1)
    validated, dispatcher = await _policy(f"here: {shown_policy(policy)}",
                                          doctor_specialty="ophthalmologist")
    (clinic,) = await sandbox.clinics(policy=policy)
    slots = await sandbox.slots(clinic.id, "ophthalmologist", limit=OFFERED)
    assert validated["doctor_policy"] == policy and validated["doctor_clinic"]["id"] == clinic.id
    assert [s["id"] for s in validated["doctor_offered"]] == [s.id for s in slots]
    assert len(slots) == OFFERED
    assert _responses(dispatcher) == ["utter_doctor_clinic"]
    assert dispatcher.messages[0]["clinic"] == clinic.name


@pytest.mark.parametrize(("typed", "response"), [
    ("7700 1234 5678 901", "utter_doctor_policy_length"),
    ("I don't have it on me", "utter_doctor_policy_length"),
])
async def test_a_malformed_number_is_explained_before_the_city_is_asked(
        sandbox, city_fault, typed, response):
    await city_fault(mode="error", paths="/api/v1")  # never reached
    validated, dispatcher = await _policy(typed)
    assert validated == {"doctor_attempts": 1.0, "doctor_policy": None, "doctor_kept": None}
    assert _responses(dispatcher) == [response]


async def test_a_mistyped_digit_fails_the_check_digit_before_the_city_is_asked(sandbox, city_fault):
    await city_fault(mode="error", paths="/api/v1")
    policy = policy_of(2)
    typo = policy[:-1] + str((int(policy[-1]) + 1) % 10)
    validated, dispatcher = await _policy(typo)
    assert validated["doctor_policy"] is None
    assert _responses(dispatcher) == ["utter_doctor_policy_check"]
    assert dispatcher.messages[0]["policy"] == shown_policy(typo)


async def test_a_patient_the_city_does_not_know_is_asked_again_then_the_form_stops(sandbox):
    validated, dispatcher = await _policy(NOBODY)
    assert _responses(dispatcher) == ["utter_doctor_patient_not_found"]
    assert validated["doctor_attempts"] == 1.0 and validated["doctor_policy"] is None
    validated, dispatcher = await _policy(NOBODY, doctor_attempts=float(ATTEMPTS - 1))
    assert _responses(dispatcher) == ["utter_doctor_too_many_attempts"]
    assert validated["doctor_outcome"] == ENDED


async def test_a_city_that_fails_ends_the_form_politely(sandbox, city_fault):
    await city_fault(mode="error", paths="/api/v1/clinics")
    validated, dispatcher = await _policy(policy_of(3), doctor_specialty="dentist")
    assert _responses(dispatcher) == ["utter_city_unavailable"]
    assert validated["doctor_outcome"] == ENDED


async def test_a_slot_taken_meanwhile_offers_the_next_ones_then_books(
        sandbox, city_server: TestServer, city_session: aiohttp.ClientSession):
    policy = policy_of(4)
    offered, _ = await _policy(policy, doctor_specialty="surgeon")
    first = offered["doctor_offered"][0]["id"]
    async with city_session.post(city_server.make_url(f"/sandbox/slots/{first}/take")) as resp:
        assert resp.status == 200
    slots = {"doctor_task": BOOK, "doctor_specialty": "surgeon", **offered, "doctor_slot": first}
    again, dispatcher = await _confirm(slots)
    assert _responses(dispatcher) == ["utter_doctor_slot_gone"]
    assert again["doctor_slot"] is None and again["doctor_confirmed"] is None
    fresh = [s["id"] for s in again["doctor_offered"]]
    assert first not in fresh and fresh
    booked, dispatcher = await _confirm({**slots, **again, "doctor_slot": fresh[0]})
    assert booked == {"doctor_confirmed": True, "doctor_outcome": BOOKED}
    assert _responses(dispatcher) == ["utter_doctor_booked"]
    (appointment,) = await sandbox.appointments(policy)
    assert appointment.slot_id == fresh[0]
    assert dispatcher.messages[0]["room"] == appointment.room
    assert dispatcher.messages[0]["doctor"] == appointment.doctor


async def test_a_second_booking_of_a_specialty_is_refused_naming_the_first(sandbox):
    policy = policy_of(5)
    offered, _ = await _policy(policy, doctor_specialty="urologist")
    slots = {"doctor_task": BOOK, "doctor_specialty": "urologist", **offered}
    await _confirm({**slots, "doctor_slot": offered["doctor_offered"][0]["id"]})
    second = offered["doctor_offered"][1]["id"]
    refused, dispatcher = await _confirm({**slots, "doctor_slot": second}, sender="citizen-again")
    assert refused == {"doctor_outcome": ENDED}
    assert _responses(dispatcher) == ["utter_doctor_already_booked"]
    assert len(await sandbox.appointments(policy)) == 1


async def test_a_no_books_nothing(sandbox):
    policy = policy_of(6)
    offered, _ = await _policy(policy, doctor_specialty="dentist")
    slots = {"doctor_task": BOOK, **offered, "doctor_slot": offered["doctor_offered"][0]["id"]}
    validated, dispatcher = await _confirm(slots, answer=False)
    assert validated["doctor_outcome"] == ENDED
    assert _responses(dispatcher) == ["utter_doctor_not_booked"]
    assert await sandbox.appointments(policy) == []


async def _book_directly(health: HealthClient, n: int, specialty: str) -> str:
    (clinic,) = await health.clinics(policy=policy_of(n))
    slot = (await health.slots(clinic.id, specialty, start=datetime.now(MOSCOW).date()
                               + timedelta(days=1)))[0]
    return (await health.book(slot.id, policy_of(n), idempotency_key=f"unit-{n}-{slot.id}")).id


async def test_appointments_are_listed_and_one_is_cancelled(sandbox):
    booked = {s: await _book_directly(sandbox, 7, s) for s in ("dentist", "therapist")}
    listed, dispatcher = await _policy(policy_of(7), task=CANCEL)
    city = await sandbox.appointments(policy_of(7))
    assert [a["id"] for a in listed["doctor_appointments"]] == [a.id for a in city]
    assert listed["doctor_appointment"] is None  # two: asked which
    asked = CollectingDispatcher()
    await ActionAskDoctorAppointment().run(asked, _tracker(**listed), EN)
    titles = [b["title"] for b in asked.messages[0]["buttons"]]
    assert titles[:2] == [f"{a.start:%a %-d %b, %H:%M} — {a.specialty_name}" for a in city]
    assert titles[2] == "None, keep them"
    form, picking = ValidateDoctorAppointmentForm(), CollectingDispatcher()
    tracker = _tracker("the therapist one", "cancel_appointment",
                       requested_slot="doctor_appointment", **listed)
    assert await form.extract_doctor_appointment(picking, tracker, EN) == {
        "doctor_appointment": booked["therapist"]}
    slots = {"doctor_task": CANCEL, "doctor_policy": policy_of(7), **listed,
             "doctor_appointment": booked["therapist"]}
    cancelled, dispatcher = await _confirm(slots)
    assert cancelled == {"doctor_confirmed": True, "doctor_outcome": CANCELLED}
    assert _responses(dispatcher) == ["utter_doctor_cancelled"]
    assert [a.id for a in await sandbox.appointments(policy_of(7))] == [booked["dentist"]]


async def test_asking_what_is_booked_lists_it_and_none_is_said_so(sandbox):
    await _book_directly(sandbox, 8, "ophthalmologist")
    listed, dispatcher = await _policy(policy_of(8), task=LIST)
    assert listed["doctor_outcome"] == LISTED
    assert "You have 1 appointment to come:" in dispatcher.messages[0]["text"]
    assert "cancel my appointment" in dispatcher.messages[0]["text"]
    nothing, dispatcher = await _policy(policy_of(9), task=CANCEL)
    assert nothing["doctor_outcome"] == ENDED
    assert _responses(dispatcher) == ["utter_doctor_no_appointments"]


async def test_the_slots_are_offered_as_at_most_six_buttons(sandbox):
    offered, _ = await _policy(policy_of(10), doctor_specialty="therapist")
    asked = CollectingDispatcher()
    await ActionAskDoctorSlot().run(asked, _tracker(**offered), EN)
    [message] = asked.messages
    assert message["response"] == "utter_doctor_slots" and len(message["buttons"]) == OFFERED
    assert message["specialty"] == "General practitioner (therapist)"
    assert all(" — " in b["title"] and b["payload"].startswith("/inform") for b in
               message["buttons"])


async def test_a_typed_time_picks_an_offered_slot(sandbox):
    offered, _ = await _policy(policy_of(11), doctor_specialty="gynecologist")
    second = offered["doctor_offered"][1]
    form, dispatcher = ValidateDoctorAppointmentForm(), CollectingDispatcher()
    tracker = _tracker("the second one please", requested_slot="doctor_slot",
                       doctor_specialty="gynecologist", **offered)
    assert await form.extract_doctor_slot(dispatcher, tracker, EN) == {"doctor_slot": second["id"]}
    tracker = _tracker("whenever suits", requested_slot="doctor_slot", **offered)
    typed = await form.extract_doctor_slot(dispatcher, tracker, EN)
    validated = await form.validate_doctor_slot(typed["doctor_slot"], dispatcher, tracker, EN)
    assert validated == {"doctor_attempts": 1.0, "doctor_slot": None}
    assert _responses(dispatcher) == ["utter_doctor_pick_a_slot"]


async def test_the_first_message_gives_the_specialty_and_the_task(sandbox):
    form, dispatcher = ValidateDoctorAppointmentForm(), CollectingDispatcher()
    tracker = _tracker("need an eye doctor for my husband", "book_doctor")
    assert await form.extract_doctor_specialty(dispatcher, tracker, EN) == {
        "doctor_specialty": "ophthalmologist"}
    assert task_of(tracker) == BOOK
    assert task_of(_tracker("cancel my dentist on friday", "cancel_appointment")) == CANCEL
    assert task_of(_tracker("what time is my appointment", "cancel_appointment")) == LIST
    referral = _tracker("book me a neurologist", "book_doctor")
    said = await form.extract_doctor_specialty(dispatcher, referral, EN)
    assert await form.validate_doctor_specialty(said["doctor_specialty"], dispatcher, referral,
                                                EN) == {"doctor_specialty": None}
    assert _responses(dispatcher) == ["utter_doctor_needs_referral"]


async def test_the_policy_is_kept_only_with_consent_and_used_next_time(sandbox, store):
    policy = policy_of(12)
    slots = {"doctor_policy": policy, "doctor_outcome": BOOKED, "doctor_remember": False}
    said = CollectingDispatcher()
    await ActionDoctorDone().run(said, _tracker(sender="anna", **slots), EN)
    assert await saved(store, "anna", HEALTH_POLICY) is None
    assert _responses(said) == ["utter_doctor_not_remembered"]
    said = CollectingDispatcher()
    await ActionDoctorDone().run(said, _tracker(sender="anna", **{**slots,
                                                                  "doctor_remember": True}), EN)
    assert await saved(store, "anna", HEALTH_POLICY) == policy
    # next time: taken at the start, and said to be the kept one
    form, dispatcher = ValidateDoctorAppointmentForm(), CollectingDispatcher()
    start = _tracker("book a dentist", "book_doctor", sender="anna")
    assert await form.extract_doctor_policy(dispatcher, start, EN) == {"doctor_policy": policy}
    validated = await form.validate_doctor_policy(policy, dispatcher, start, EN)
    assert validated["doctor_kept"] == USED_KEPT


async def test_a_kept_policy_the_city_no_longer_knows_is_forgotten_and_asked_for(sandbox, store):
    await keep(store, "boris", HEALTH_POLICY, NOBODY)
    form, dispatcher = ValidateDoctorAppointmentForm(), CollectingDispatcher()
    start = _tracker("book a GP", "book_doctor", sender="boris")
    validated = await form.validate_doctor_policy(NOBODY, dispatcher, start, EN)
    assert validated == {"doctor_policy": None, "doctor_kept": None}
    assert _responses(dispatcher) == ["utter_doctor_kept_unknown"]
    assert await saved(store, "boris", HEALTH_POLICY) is None



async def test_a_policy_said_before_the_specialty_is_no_wrong_specialty(sandbox):
    form, dispatcher = ValidateDoctorAppointmentForm(), CollectingDispatcher()
    tracker = _tracker(f"my policy is {policy_of(13)}", requested_slot="doctor_specialty",
                       doctor_task=BOOK)
    assert await form.extract_doctor_specialty(dispatcher, tracker, EN) == {}
    assert await form.extract_doctor_policy(dispatcher, tracker, EN) == {
        "doctor_policy": policy_of(13)}


@pytest.mark.parametrize(("task", "text", "intent", "meant"), [
    (CANCEL, "yes cancel it", "cancel_appointment", True),
    (CANCEL, "no, keep it please", "deny", False),
    (BOOK, "book it", "book_doctor", True),
    (BOOK, "cancel", "stop", False),
])
async def test_the_confirmation_is_read_in_the_tasks_own_words(sandbox, task, text, intent, meant):
    form, dispatcher = ValidateDoctorAppointmentForm(), CollectingDispatcher()
    tracker = _tracker(text, intent, requested_slot="doctor_confirmed", doctor_task=task)
    assert await form.extract_doctor_confirmed(dispatcher, tracker, EN) == {
        "doctor_confirmed": meant}
