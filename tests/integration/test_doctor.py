"""Service 5, doctor's appointments, through Rasa's REST channel against the sandbox city's
seeded patients (bot/sandbox/clinics.py: ``policy_of(n)`` is the n-th patient's policy): the
patient's own polyclinic and its next free slots as buttons, a slot taken by someone else
meanwhile, the booking with its date, doctor and room, the appointments listed and cancelled,
the policy kept only with consent, and every way a number or the city can fail.

Each test has patients of its own (a patient books one appointment per specialty), and starts by
cancelling whatever they have, so a stack that lives on can run these again.
"""

from __future__ import annotations

import json
import uuid

import requests

from bot.health import shown_policy, with_check_digit
from bot.sandbox.clinics import policy_of
from tests.integration.conftest import Stack, buttons, texts

# A well-formed policy number of no patient the sandbox has.
NOBODY = with_check_digit("770999999999990")
OFFERED = 6


def _loop(stack: Stack, sender: str) -> str | None:
    return (stack.tracker(sender).get("active_loop") or {}).get("name")


def _api_appointments(stack: Stack, policy: str, language: str = "en") -> list[dict]:
    return stack.city_api("appointments", policy_number=policy, lang=language).json()["items"]


def _api_clinic(stack: Stack, policy: str, language: str = "en") -> dict:
    [clinic] = stack.city_api("clinics", policy_number=policy, lang=language).json()["items"]
    return clinic


def _api_slots(stack: Stack, clinic_id: str, specialty: str, language: str = "en") -> list[dict]:
    return stack.city_api(f"clinics/{clinic_id}/slots", specialty=specialty, limit=OFFERED,
                          lang=language).json()["items"]


def _patient(stack: Stack, n: int) -> str:
    """The n-th seeded patient's policy, with no appointments to come."""
    policy = policy_of(n)
    for appointment in _api_appointments(stack, policy):
        requests.delete(f"{stack.sandbox}/api/v1/appointments/{appointment['id']}",
                        params={"policy_number": policy}, timeout=10).raise_for_status()
    return policy


def _book_in_city(stack: Stack, policy: str, specialty: str) -> dict:
    """An appointment the citizen made elsewhere (at the registry, on the portal)."""
    slot = _api_slots(stack, _api_clinic(stack, policy)["id"], specialty)[-1]
    resp = requests.post(f"{stack.sandbox}/api/v1/appointments", timeout=10,
                         json={"slot_id": slot["id"], "policy_number": policy},
                         headers={"Idempotency-Key": uuid.uuid4().hex})
    resp.raise_for_status()
    return resp.json()


def _slot_ids(reply: list[dict]) -> list[str]:
    """The slots offered as buttons, by the ids their payloads choose."""
    found = []
    for button in buttons(reply):
        payload = button["payload"]
        if payload.startswith("/inform{"):
            found.append(json.loads(payload.removeprefix("/inform"))["option"])
    return found


def _press(stack: Stack, sender: str, reply: list[dict], title: str) -> list[dict]:
    [button] = [b for b in buttons(reply) if b["title"] == title]
    return stack.say(sender, button["payload"])


def test_an_eye_doctor_is_booked_at_the_patients_polyclinic_with_a_button(
    healthy_city: Stack, sender: str
) -> None:
    policy = _patient(healthy_city, 21)
    asked = texts(healthy_city.say(sender, "could you book me in with an eye doctor?"))
    assert "health insurance (OMS) policy number" in asked
    offered = healthy_city.say(sender, f"sure, it's {shown_policy(policy)}")
    clinic = _api_clinic(healthy_city, policy)
    slots = _api_slots(healthy_city, clinic["id"], "ophthalmologist")
    shown = texts(offered)
    assert f"You are attached to {clinic['name']}, {clinic['address']}" in shown
    assert "Ophthalmologist" in shown and "earliest free times" in shown
    assert _slot_ids(offered) == [s["id"] for s in slots]
    assert slots[0]["doctor"] in buttons(offered)[0]["title"]

    # the latest slot offered: none begins while the test books it
    confirm = healthy_city.say(sender, buttons(offered)[-1]["payload"])
    assert "Shall I book this appointment?" in texts(confirm)
    assert [b["title"] for b in buttons(confirm)] == ["Yes, book it", "No"]
    assert f"room {slots[-1]['room']}" in texts(confirm)
    assert healthy_city.city_api("appointments", policy_number=policy).json()["items"] == []

    booked = _press(healthy_city, sender, confirm, "Yes, book it")
    [appointment] = _api_appointments(healthy_city, policy)
    assert appointment["slot_id"] == slots[-1]["id"]
    said = texts(booked)
    assert "you are booked" in said
    for fact in (appointment["doctor"], f"room {appointment['room']}",
                 appointment["clinic"]["name"], appointment["clinic"]["address"],
                 appointment["specialty_name"]):
        assert fact in said, fact
    assert "Shall I keep the policy number" in said
    assert "not kept the policy number" in texts(_press(healthy_city, sender, booked, "No, thanks"))
    assert _loop(healthy_city, sender) is None
    again = texts(healthy_city.say(sender, "I need to book a dentist too"))
    assert "policy number" in again  # not kept: asked again


def test_a_slot_taken_meanwhile_gets_the_next_ones_offered(
    healthy_city: Stack, sender: str
) -> None:
    policy = _patient(healthy_city, 22)
    healthy_city.say(sender, "i want to book a dentist appointment")
    offered = healthy_city.say(sender, policy)
    first = _slot_ids(offered)[0]
    # someone else books it while the citizen reads the buttons
    requests.post(f"{healthy_city.sandbox}/sandbox/slots/{first}/take",
                  timeout=10).raise_for_status()
    confirm = healthy_city.say(sender, buttons(offered)[0]["payload"])
    gone = _press(healthy_city, sender, confirm, "Yes, book it")
    assert "that slot has just gone" in texts(gone)
    fresh = _slot_ids(gone)
    clinic = _api_clinic(healthy_city, policy)
    assert fresh == [s["id"] for s in _api_slots(healthy_city, clinic["id"], "dentist")]
    assert first not in fresh
    assert _api_appointments(healthy_city, policy) == []
    confirm = healthy_city.say(sender, buttons(gone)[-1]["payload"])
    booked = _press(healthy_city, sender, confirm, "Yes, book it")
    assert "you are booked" in texts(booked)
    [appointment] = _api_appointments(healthy_city, policy)
    assert appointment["slot_id"] == fresh[-1]


def test_the_specialty_is_asked_with_buttons_and_a_typed_time_picks_a_slot(
    healthy_city: Stack, sender: str
) -> None:
    policy = _patient(healthy_city, 23)
    asked = healthy_city.say(sender, "I have to see a doctor, can you help?")
    assert "Which doctor do you need?" in texts(asked)
    assert "GP (therapist)" in [b["title"] for b in buttons(asked)]
    assert "policy number" in texts(_press(healthy_city, sender, asked, "GP (therapist)"))
    offered = healthy_city.say(sender, policy)
    second = _slot_ids(offered)[1]
    confirm = healthy_city.say(sender, "the second one please")
    slot = next(s for s in _api_slots(healthy_city, _api_clinic(healthy_city, policy)["id"],
                                      "therapist") if s["id"] == second)
    assert "Shall I book this appointment?" in texts(confirm)
    assert slot["doctor"] in texts(confirm)
    assert "nothing is booked" in texts(_press(healthy_city, sender, confirm, "No"))
    assert _api_appointments(healthy_city, policy) == []
    assert _loop(healthy_city, sender) is None


def test_a_specialist_needing_a_referral_is_explained_and_the_choice_offered(
    healthy_city: Stack, sender: str
) -> None:
    reply = healthy_city.say(sender, "please book me an appointment with a neurologist")
    assert "referral from the GP" in texts(reply)
    assert "Which doctor do you need?" in texts(reply)
    assert _loop(healthy_city, sender) == "doctor_appointment_form"


def test_a_malformed_number_is_explained_and_asked_again_then_stops(
    healthy_city: Stack, sender: str
) -> None:
    healthy_city.say(sender, "book a GP please")
    short = texts(healthy_city.say(sender, "7700 1234 5678"))
    assert "16 digits, and I counted 12" in short
    assert _loop(healthy_city, sender) == "doctor_appointment_form"
    policy = policy_of(24)
    typo = policy[:-1] + str((int(policy[-1]) + 3) % 10)
    wrong = texts(healthy_city.say(sender, typo))
    assert "is not a valid policy number" in wrong and "check digit" in wrong
    last = healthy_city.say(sender, "7700 1234")
    assert "Three answers in a row could not be used" in texts(last)
    assert "Talk to a person" in [b["title"] for b in buttons(last)]
    assert _loop(healthy_city, sender) is None


def test_a_patient_the_city_does_not_know_is_told_so(healthy_city: Stack, sender: str) -> None:
    assert healthy_city.city_api("clinics", policy_number=NOBODY).status_code == 404
    healthy_city.say(sender, "I'd like to see the ENT")
    reply = texts(healthy_city.say(sender, NOBODY))
    assert f"No patient with policy {shown_policy(NOBODY)}" in reply
    assert _loop(healthy_city, sender) == "doctor_appointment_form"
    assert "stopped" in texts(healthy_city.say(sender, "stop"))
    assert _loop(healthy_city, sender) is None


def test_a_city_error_is_a_polite_answer_and_ends_the_form(
    healthy_city: Stack, sender: str
) -> None:
    healthy_city.fault("error", "/api/v1/clinics")
    healthy_city.say(sender, "book me a surgeon")
    reply = texts(healthy_city.say(sender, policy_of(25)))
    assert "The city's service is not answering" in reply
    assert "Shall I keep" not in reply
    assert _loop(healthy_city, sender) is None


def test_a_city_that_hangs_gets_a_polite_answer(healthy_city: Stack, sender: str) -> None:
    healthy_city.fault("hang", "/api/v1/appointments", seconds=600)
    healthy_city.say(sender, "show me my doctor appointments")
    reply = texts(healthy_city.say(sender, policy_of(25)))
    assert "The city's service is not answering" in reply
    assert _loop(healthy_city, sender) is None


def test_an_appointment_is_cancelled_and_the_time_is_free_again(
    healthy_city: Stack, sender: str
) -> None:
    policy = _patient(healthy_city, 26)
    made = _book_in_city(healthy_city, policy, "urologist")
    asked = texts(healthy_city.say(sender, "I can't come to my appointment, please cancel it"))
    assert "policy number" in asked
    confirm = healthy_city.say(sender, shown_policy(policy))
    said = texts(confirm)
    assert "Shall I cancel this appointment?" in said
    assert made["doctor"] in said and f"room {made['room']}" in said
    assert [b["title"] for b in buttons(confirm)] == ["Yes, cancel it", "No, keep it"]
    done = _press(healthy_city, sender, confirm, "Yes, cancel it")
    assert "Cancelled:" in texts(done)
    assert _api_appointments(healthy_city, policy) == []
    clinic = _api_clinic(healthy_city, policy)
    assert made["slot_id"] in [s["id"] for s in healthy_city.city_api(
        f"clinics/{clinic['id']}/slots", specialty="urologist", limit=50).json()["items"]]
    assert "Shall I keep the policy number" in texts(done)


def test_several_appointments_are_listed_and_one_chosen_to_cancel(
    healthy_city: Stack, sender: str
) -> None:
    policy = _patient(healthy_city, 27)
    made = [_book_in_city(healthy_city, policy, s) for s in ("dentist", "ophthalmologist")]
    healthy_city.say(sender, "cancel my appointment at the polyclinic")
    listed = healthy_city.say(sender, policy)
    assert "You have 2 appointments to come:" in texts(listed)
    assert "Which one shall I cancel?" in texts(listed)
    titles = [b["title"] for b in buttons(listed)]
    assert titles[-1] == "None, keep them" and len(titles) == 3
    eye = next(a for a in made if a["specialty"] == "ophthalmologist")
    [button] = [b for b in buttons(listed) if eye["specialty_name"] in b["title"]]
    confirm = healthy_city.say(sender, button["payload"])
    assert eye["doctor"] in texts(confirm)
    _press(healthy_city, sender, confirm, "Yes, cancel it")
    left = _api_appointments(healthy_city, policy)
    assert [a["specialty"] for a in left] == ["dentist"]


def test_asking_what_is_booked_lists_the_appointments_without_cancelling(
    healthy_city: Stack, sender: str
) -> None:
    policy = _patient(healthy_city, 28)
    made = _book_in_city(healthy_city, policy, "gynecologist")
    healthy_city.say(sender, "which appointments do I have at the clinic?")
    listed = texts(healthy_city.say(sender, policy))
    assert "You have 1 appointment to come:" in listed
    assert made["doctor"] in listed and made["clinic"]["name"] in listed
    assert "cancel my appointment" in listed
    assert len(_api_appointments(healthy_city, policy)) == 1
    nobody_booked = _patient(healthy_city, 29)
    other = f"{sender}-other"
    healthy_city.say(other, "have I got any doctor's appointments coming up")
    assert "no doctor's appointments to come" in texts(healthy_city.say(other, nobody_booked))


def test_a_kept_policy_is_used_next_time_and_forget_me_deletes_it(
    healthy_city: Stack, sender: str
) -> None:
    policy = _patient(healthy_city, 30)
    healthy_city.say(sender, "book an appointment with the urologist")
    offered = healthy_city.say(sender, policy)
    confirm = healthy_city.say(sender, buttons(offered)[-1]["payload"])
    booked = _press(healthy_city, sender, confirm, "Yes, book it")
    assert "I'll keep" in texts(_press(healthy_city, sender, booked, "Yes, keep it"))
    # next time nothing is asked: the kept policy names the patient's polyclinic at once
    again = healthy_city.say(sender, "and now I'd like to book the surgeon")
    assert "policy number" not in texts(again)
    assert "earliest free times" in texts(again) and len(_slot_ids(again)) == OFFERED
    healthy_city.say(sender, "stop")
    listed = texts(healthy_city.say(sender, "when is my appointment?"))
    assert "You have 1 appointment to come:" in listed
    assert "I used the policy number you asked me to keep" in listed
    healthy_city.say(sender, "forget me")
    after = texts(healthy_city.say(sender, "please cancel my doctor's appointment, I'm away"))
    assert "policy number" in after


def test_a_second_appointment_with_the_same_specialty_is_refused_naming_the_first(
    healthy_city: Stack, sender: str
) -> None:
    policy = _patient(healthy_city, 31)
    made = _book_in_city(healthy_city, policy, "dentist")
    healthy_city.say(sender, "i need a dentist")
    offered = healthy_city.say(sender, policy)
    confirm = healthy_city.say(sender, buttons(offered)[-1]["payload"])
    refused = texts(_press(healthy_city, sender, confirm, "Yes, book it"))
    assert "You already have an appointment for this specialty" in refused
    assert made["specialty_name"] in refused and made["clinic"]["name"] in refused
    assert [a["id"] for a in _api_appointments(healthy_city, policy)] == [made["id"]]
    assert _loop(healthy_city, sender) is None


def test_a_doctor_booked_in_russian(healthy_city: Stack, sender: str) -> None:
    policy = _patient(healthy_city, 32)
    asked = texts(healthy_city.say(sender, "запишите меня, пожалуйста, к окулисту"))
    assert "номер полиса ОМС" in asked
    offered = healthy_city.say(sender, f"полис {shown_policy(policy)}")
    clinic = _api_clinic(healthy_city, policy, "ru")
    slots = _api_slots(healthy_city, clinic["id"], "ophthalmologist", "ru")
    shown = texts(offered)
    assert clinic["name"] in shown and clinic["address"] in shown
    assert _slot_ids(offered) == [s["id"] for s in slots]
    assert slots[-1]["doctor"] in buttons(offered)[-1]["title"]  # the doctor's name in Russian
    confirm = healthy_city.say(sender, buttons(offered)[-1]["payload"])
    assert "Записать вас на приём?" in texts(confirm)
    booked = texts(_press(healthy_city, sender, confirm, "Да, записать"))
    assert "вы записаны" in booked and f"кабинет {slots[-1]['room']}" in booked
    for english in ("room", "Shall I", "booked", "policy"):
        assert english not in booked
    assert "Сохранить номер полиса" in booked
    [appointment] = _api_appointments(healthy_city, policy)
    assert appointment["slot_id"] == slots[-1]["id"]


def test_why_the_policy_is_needed_is_explained_then_asked_again(
    healthy_city: Stack, sender: str
) -> None:
    healthy_city.say(sender, "I need a paediatrician for my daughter")
    reply = texts(healthy_city.say(sender, "why do you need my policy?"))
    assert "by the health insurance (OMS) policy" in reply
    assert "Please send your health insurance (OMS) policy number" in reply
    assert _loop(healthy_city, sender) == "doctor_appointment_form"
