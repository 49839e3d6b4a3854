"""Service 5: a doctor's appointment at the citizen's own polyclinic, booked or cancelled.

One form, ``doctor_appointment_form``, serves both intents of the catalogue; ``doctor_task``
says what it does, read from the message that started it: book (the specialty, the policy, a
slot, a yes), cancel (the policy, which appointment, a yes) or list ("what appointments do I
have?": the policy only). The patient is known by the health insurance policy number, checked
here (bot.health) before the city is asked; the city names the polyclinic the patient is
attached to, the only one they can book at. Every call to the city happens in the validation,
so that what it answers (a slot taken meanwhile) is asked about in the same form. After a
booking, a cancellation or a listing the citizen is asked whether the policy may be kept for
next time (bot.saved: only with their yes; ``forget_me`` deletes it).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from babel import Locale
from babel.dates import format_datetime
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.keeping import SAME_AS_KEPT, USED_KEPT, Keeping
from actions.common import (
    option_payload,
    SETTINGS,
    Retries,
    ANSWERS,
    CITY_TZ,
    LocalizedFormValidation,
    city,
    confirmation_key,
    language_in,
    latest_entity,
    latest_intent,
    latest_text,
    localized,
    moment,
    plain_yes_or_no,
    render,
    slot_before_latest,
    store,
    weekday,
)
from bot.city import CityNotFound, CityRejected, CityUnavailable
from bot.city.health import Appointment, Clinic, Slot
from bot.health import (
    asks_what_is_booked,
    SPECIALTIES,
    Choice,
    booking_meant,
    cancel_meant,
    choose,
    digits_in,
    find_specialty,
    is_valid_policy,
    needs_referral,
    policy_in,
    shown_policy,
    wants_cancel,
)
from bot.saved import HEALTH_POLICY, drop, saved

log = logging.getLogger(__name__)

# The form's slots, cleared when it ends.
FORM_SLOTS = ("doctor_task", "doctor_specialty", "doctor_policy", "doctor_clinic",
              "doctor_offered", "doctor_slot", "doctor_appointments", "doctor_appointment",
              "doctor_confirmed", "doctor_outcome", "doctor_kept", "doctor_attempts",
              "doctor_remember")
# What the form does (the ``doctor_task`` slot), and what it asks for each.
BOOK, CANCEL, LIST = "book", "cancel", "list"
ASKED = {
    BOOK: ("doctor_specialty", "doctor_policy", "doctor_slot", "doctor_confirmed"),
    CANCEL: ("doctor_policy", "doctor_appointment", "doctor_confirmed"),
    LIST: ("doctor_policy",),
}
# What the form ended in (``doctor_outcome``): done (then keeping the policy is asked), or ended
# with nothing more to ask (declined, nothing found, refused, the city down).
BOOKED, CANCELLED, LISTED, ENDED = "booked", "cancelled", "listed", "ended"
DONE = (BOOKED, CANCELLED, LISTED)
# Answers in a row that could not be used, up to actions.common.ATTEMPTS (the form's own
# required_slots stops asking once the outcome is set).
RETRIES = Retries("doctor_attempts", "doctor_outcome", ENDED, "utter_doctor_too_many_attempts",
                  stop_value=None)
# Free slots offered as buttons at a time.
OFFERED = 6
# The appointment "chosen" when the citizen keeps them all.
KEEP_ALL = "-"
# The policy kept for next time only with consent (``doctor_kept``: whether the one used is the
# one kept, actions.keeping).
KEEPING = Keeping(HEALTH_POLICY, "doctor_policy", "doctor_kept", "doctor_remember",
                  prefix="doctor", field="policy", shown=shown_policy)


def task_of(tracker: Tracker) -> str:
    """What the message that starts the form asks: to cancel, to see the appointments (both
    are ``cancel_appointment``), or else to book. A message the NLU could not place that asks
    for a doctor (actions.conversation.read_in_context) is read from its words."""
    intent, text = latest_intent(tracker), latest_text(tracker)
    if intent == "book_doctor":
        return BOOK
    if wants_cancel(text):
        return CANCEL
    if intent == "cancel_appointment" or asks_what_is_booked(text):
        return LIST
    return BOOK


def _local(start: str | datetime) -> datetime:
    value = datetime.fromisoformat(start) if isinstance(start, str) else start
    return value.astimezone(CITY_TZ)


def short_time(start: str | datetime, language: str) -> str:
    """A slot on a button, as the language abbreviates it ("Tue 8 Dec, 09:20", "Вт 8 дек.,
    09:20")."""
    text = format_datetime(_local(start), "EEE d MMM, HH:mm", locale=language)
    return text[:1].upper() + text[1:]


def full_time(start: str | datetime, language: str) -> str:
    """A slot in a sentence, with its weekday ("Tuesday, 8 December 2026, 09:20")."""
    local = _local(start)
    return f"{weekday(local.weekday(), language)}, {moment(local, language)}"


def clinic_value(clinic: Clinic) -> dict[str, Any]:
    return {"id": clinic.id, "name": clinic.name, "address": clinic.address,
            "specialties": {s.code: s.name for s in clinic.specialties}}


def slot_value(slot: Slot) -> dict[str, Any]:
    return {"id": slot.id, "start": slot.start.isoformat(), "doctor": slot.doctor,
            "room": slot.room, "specialty": slot.specialty,
            "specialty_name": slot.specialty_name}


def appointment_value(appointment: Appointment) -> dict[str, Any]:
    return {"id": appointment.id, "start": appointment.start.isoformat(),
            "doctor": appointment.doctor, "room": appointment.room,
            "specialty": appointment.specialty, "specialty_name": appointment.specialty_name,
            "clinic": appointment.clinic.name, "address": appointment.clinic.address}


def details(item: dict[str, Any], domain: dict[str, Any],
            clinic: dict[str, Any] | None = None) -> dict[str, str]:
    """What a slot or an appointment says in a sentence (its polyclinic from ``clinic`` for a
    slot, which does not name it)."""
    return {"specialty": str(item.get("specialty_name") or item.get("specialty") or ""),
            "doctor": str(item.get("doctor") or ""), "room": str(item.get("room") or "-"),
            "when": full_time(item["start"], language_in(domain)),
            "clinic": str(item.get("clinic") or (clinic or {}).get("name") or ""),
            "address": str(item.get("address") or (clinic or {}).get("address") or "")}


def slot_button(slot: dict[str, Any], domain: dict[str, Any]) -> dict[str, str]:
    title = render(domain, "utter_doctor_slot_label",
                   when=short_time(slot["start"], language_in(domain)), doctor=slot["doctor"])
    return {"title": title, "payload": option_payload(slot["id"])}


def appointment_button(item: dict[str, Any], domain: dict[str, Any]) -> dict[str, str]:
    title = render(domain, "utter_doctor_appointment_label",
                   when=short_time(item["start"], language_in(domain)),
                   specialty=item["specialty_name"])
    return {"title": title, "payload": option_payload(item["id"])}


def appointments_text(items: list[dict[str, Any]], domain: dict[str, Any]) -> str:
    """The citizen's appointments, a header counting them in the language's plural."""
    form = Locale.parse(language_in(domain)).plural_form(len(items))
    lines = [render(domain, f"utter_doctor_appointments_header_{form}", count=len(items))]
    lines += [render(domain, "utter_doctor_appointment_line", **details(item, domain))
              for item in items]
    return "\n".join(lines)


def choices(items: list[dict[str, Any]] | None) -> list[Choice]:
    """Slots or appointments as :func:`bot.health.choose` reads them."""
    return [Choice(str(item["id"]), _local(item["start"]), str(item.get("specialty") or ""))
            for item in items or []]


def _chosen(tracker: Tracker, items_slot: str, chosen_slot: str) -> dict[str, Any]:
    """The offered slot or listed appointment the citizen chose ({} if none)."""
    wanted = tracker.get_slot(chosen_slot)
    return next((item for item in tracker.get_slot(items_slot) or []
                 if str(item["id"]) == wanted), {})


class ValidateDoctorAppointmentForm(LocalizedFormValidation):
    def name(self) -> str:
        return "validate_doctor_appointment_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: dict[str, Any],
    ) -> list[str]:
        """The task's questions; once it is done, keeping the policy (unless it is the one
        kept); once it ended, nothing more."""
        task = tracker.get_slot("doctor_task") or task_of(tracker)
        outcome = tracker.get_slot("doctor_outcome")
        if outcome in DONE and not tracker.get_slot("doctor_kept"):
            return ["doctor_task", "doctor_remember"]
        if outcome is not None:
            return ["doctor_task"]
        return ["doctor_task", *ASKED[task]]

    # ------------------------------------------------------------ reading the answers
    # Only what the form asks for is extracted (rasa-sdk drops the rest), so the values the
    # form does not ask for (clinic, offered slots, outcome) are set by the validations below.

    async def extract_doctor_task(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {} if tracker.get_slot("doctor_task") else {"doctor_task": task_of(tracker)}

    async def extract_doctor_specialty(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A button; the words of the first message ("an eye doctor for tomorrow") or of the
        answer; later, another specialty named ("actually, the dentist") changes it."""
        text, requested = latest_text(tracker), tracker.get_slot("requested_slot")
        current = tracker.get_slot("doctor_specialty")
        if requested == "doctor_specialty":
            option = latest_entity(tracker, "option")
            said = option if option in SPECIALTIES else find_specialty(text)
            if said:
                return {"doctor_specialty": said}
            if policy_in(text):
                return {}  # the policy, said first: extract_doctor_policy takes it
            if needs_referral(text) or latest_intent(tracker) in (*ANSWERS, "book_doctor"):
                return {"doctor_specialty": text}
            return {}
        if current is None and requested is None:
            said = find_specialty(text)
            return {"doctor_specialty": said or text} if said or needs_referral(text) else {}
        named = find_specialty(text, for_child=False)
        if current and named and named != current and requested in ("doctor_policy",
                                                                      "doctor_slot"):
            return {"doctor_specialty": named}
        return {}

    async def extract_doctor_policy(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A number in any message while the policy is not known (the first one too); at the
        start, the one the citizen let the assistant keep; when asked, any answer with digits
        or words (checked below)."""
        if tracker.get_slot("doctor_policy"):
            return {}
        text, requested = latest_text(tracker), tracker.get_slot("requested_slot")
        said = policy_in(text)
        if said:
            return {"doctor_policy": said}
        if requested is None:
            kept = await saved(await store(), tracker.sender_id, HEALTH_POLICY)
            return {"doctor_policy": kept} if kept else {}
        if requested == "doctor_policy" and (latest_intent(tracker) in ANSWERS
                                             or digits_in(text)):
            return {"doctor_policy": text}
        return {}

    async def extract_doctor_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A button, or a time typed that picks one of the slots offered ("the 9:20 one",
        "tomorrow morning"); other words that answer get "press a button" below."""
        if tracker.get_slot("requested_slot") != "doctor_slot":
            return {}
        option = latest_entity(tracker, "option")
        if option in SPECIALTIES:
            return {}  # a specialty's button pressed late: extract_doctor_specialty takes it
        if option:
            return {"doctor_slot": option}
        text = latest_text(tracker)
        named = find_specialty(text, for_child=False)
        if named and named != tracker.get_slot("doctor_specialty"):
            return {}  # another specialty: extract_doctor_specialty takes it
        picked = choose(text, choices(tracker.get_slot("doctor_offered")), SETTINGS.city_today())
        if picked:
            return {"doctor_slot": picked}
        if latest_intent(tracker) in (*ANSWERS, "book_doctor"):
            return {"doctor_slot": text}
        return {}

    async def extract_doctor_appointment(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A button; "none" ("no, keep them"); or words that pick one ("the dentist", "the one
        on friday")."""
        if tracker.get_slot("requested_slot") != "doctor_appointment":
            return {}
        option = latest_entity(tracker, "option")
        if option:
            return {"doctor_appointment": option}
        text = latest_text(tracker)
        if latest_intent(tracker) == "deny" or cancel_meant(text) is False:
            return {"doctor_appointment": KEEP_ALL}
        picked = choose(text, choices(tracker.get_slot("doctor_appointments")), SETTINGS.city_today())
        if picked:
            return {"doctor_appointment": picked}
        if latest_intent(tracker) in (*ANSWERS, "cancel_appointment"):
            return {"doctor_appointment": text}
        return {}

    async def extract_doctor_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Yes or no in the task's own words too ("book it", "cancel it", "не отменяйте"): the
        NLU reads "cancel it" as cancel_appointment, and a plain reading as a no."""
        if tracker.get_slot("requested_slot") != "doctor_confirmed":
            return {}
        text = latest_text(tracker)
        meant = (cancel_meant(text) if tracker.get_slot("doctor_task") == CANCEL
                 else booking_meant(text))
        if meant is not None:
            return {"doctor_confirmed": meant}
        return plain_yes_or_no(tracker, "doctor_confirmed")

    async def extract_doctor_remember(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return plain_yes_or_no(tracker, "doctor_remember")

    # ------------------------------------------------------------ checking them

    async def validate_doctor_task(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        return {"doctor_task": value if value in ASKED else BOOK}

    async def validate_doctor_specialty(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """A specialty bookable without a referral; with the polyclinic known, its free slots
        are fetched at once (again when the specialty changed)."""
        text = str(value or "")
        code = text if text in SPECIALTIES else find_specialty(text)
        if code is None:
            response = ("utter_doctor_needs_referral" if needs_referral(text)
                        else "utter_doctor_specialty_unknown")
            if tracker.get_slot("requested_slot") is None:  # the first message: then asked
                dispatcher.utter_message(response=response)
                return {"doctor_specialty": None}
            return self._wrong(dispatcher, tracker, response, "doctor_specialty")
        result: dict[str, Any] = {"doctor_specialty": code, "doctor_attempts": None}
        clinic = tracker.get_slot("doctor_clinic")
        if clinic and code != slot_before_latest(tracker, "doctor_specialty"):
            result.update(await self._offer(dispatcher, domain, clinic, code))
        return result

    async def validate_doctor_policy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """The number's form here, then the city: the patient's polyclinic (and its slots) to
        book, or the patient's appointments to cancel or see."""
        text = str(value or "")
        policy = policy_in(text)
        if policy is None:
            return self._wrong(dispatcher, tracker, "utter_doctor_policy_length",
                               "doctor_policy", count=digits_in(text))
        if not is_valid_policy(policy):
            return self._wrong(dispatcher, tracker, "utter_doctor_policy_check",
                               "doctor_policy", policy=shown_policy(policy))
        typed = policy_in(latest_text(tracker)) is not None
        kept = await saved(await store(), tracker.sender_id, HEALTH_POLICY)
        task = tracker.get_slot("doctor_task") or BOOK
        try:
            found = await self._patient(dispatcher, tracker, domain, policy, task)
        except (CityNotFound, CityRejected):
            if not typed and policy == kept:
                # the kept number is no patient the city knows now: forgotten, and asked for
                await drop(await store(), tracker.sender_id, HEALTH_POLICY)
                dispatcher.utter_message(response="utter_doctor_kept_unknown",
                                         policy=shown_policy(policy))
                return {"doctor_policy": None, "doctor_kept": None}
            return self._wrong(dispatcher, tracker, "utter_doctor_patient_not_found",
                               "doctor_policy", policy=shown_policy(policy))
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"doctor_policy": policy, "doctor_outcome": ENDED}
        same = (SAME_AS_KEPT if typed else USED_KEPT) if policy == kept else None
        return {"doctor_policy": policy, "doctor_attempts": None, "doctor_kept": same, **found}

    async def validate_doctor_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        offered = {str(slot["id"]) for slot in tracker.get_slot("doctor_offered") or []}
        if str(value) in offered:
            return {"doctor_slot": str(value), "doctor_attempts": None}
        return self._wrong(dispatcher, tracker, "utter_doctor_pick_a_slot", "doctor_slot")

    async def validate_doctor_appointment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if value == KEEP_ALL:
            dispatcher.utter_message(response="utter_doctor_nothing_cancelled")
            return {"doctor_appointment": KEEP_ALL, "doctor_outcome": ENDED}
        listed = {str(item["id"]) for item in tracker.get_slot("doctor_appointments") or []}
        if str(value) in listed:
            return {"doctor_appointment": str(value), "doctor_attempts": None}
        return self._wrong(dispatcher, tracker, "utter_doctor_pick_an_appointment",
                           "doctor_appointment")

    async def validate_doctor_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """The yes books (or cancels) it; a no leaves everything as it was."""
        cancelling = tracker.get_slot("doctor_task") == CANCEL
        if value is not True:
            dispatcher.utter_message(response="utter_doctor_nothing_cancelled" if cancelling
                                     else "utter_doctor_not_booked")
            return {"doctor_confirmed": False, "doctor_outcome": ENDED}
        if cancelling:
            return await self._cancel(dispatcher, tracker, domain)
        return await self._book(dispatcher, tracker, domain)

    # ------------------------------------------------------------ the city

    async def _patient(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: dict[str, Any], policy: str, task: str) -> dict[str, Any]:
        """What the city knows of the patient that the task needs, said to the citizen: the
        polyclinic to book at (and its slots, if the specialty is known), or the appointments.
        Raises CityNotFound for a patient the city does not know."""
        language = language_in(domain)
        if task == BOOK:
            clinics = await city().health.clinics(policy=policy, language=language)
            if not clinics:
                raise CityNotFound("the city names no polyclinic for the patient")
            clinic = clinic_value(clinics[0])
            dispatcher.utter_message(response="utter_doctor_clinic", clinic=clinic["name"],
                                     address=clinic["address"])
            specialty = tracker.get_slot("doctor_specialty")
            found = {"doctor_clinic": clinic}
            if specialty in SPECIALTIES:
                found.update(await self._offer(dispatcher, domain, clinic, specialty))
            return found
        items = [appointment_value(a) for a in
                 await city().health.appointments(policy, language=language)]
        if not items:
            dispatcher.utter_message(response="utter_doctor_no_appointments")
            return {"doctor_outcome": ENDED}
        if task == LIST:
            text = appointments_text(items, domain)
            dispatcher.utter_message(text=f"{text}\n{render(domain, 'utter_doctor_cancel_hint')}")
            return {"doctor_outcome": LISTED}
        only = str(items[0]["id"]) if len(items) == 1 else None
        return {"doctor_appointments": items, "doctor_appointment": only}

    async def _offer(self, dispatcher: CollectingDispatcher, domain: dict[str, Any],
                     clinic: dict[str, Any], specialty: str) -> dict[str, Any]:
        """The next free slots of the specialty at the polyclinic, to be offered as buttons;
        none in the horizon, or the city down, ends the form."""
        try:
            slots = await city().health.slots(clinic["id"], specialty, limit=OFFERED,
                                              language=language_in(domain))
        except (CityUnavailable, CityNotFound, CityRejected) as exc:
            log.warning("no slots of %s at polyclinic %s: %s", specialty, clinic["id"], exc)
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"doctor_outcome": ENDED}
        if not slots:
            dispatcher.utter_message(
                response="utter_doctor_no_slots", clinic=clinic["name"],
                specialty=(clinic.get("specialties") or {}).get(specialty, specialty))
            return {"doctor_outcome": ENDED}
        return {"doctor_offered": [slot_value(s) for s in slots], "doctor_slot": None,
                "doctor_confirmed": None}

    async def _book(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                    domain: dict[str, Any]) -> dict[str, Any]:
        """Book the chosen slot once (the key of the confirmation question); a slot gone
        meanwhile gets the next ones offered."""
        slot = _chosen(tracker, "doctor_offered", "doctor_slot")
        clinic = tracker.get_slot("doctor_clinic") or {}
        specialty = str(tracker.get_slot("doctor_specialty"))
        try:
            booked = await city().health.book(
                str(slot.get("id")), str(tracker.get_slot("doctor_policy")),
                idempotency_key=confirmation_key(tracker, "doctor-booking"),
                language=language_in(domain))
        except CityNotFound:  # the slot has passed, or is no longer the city's to give
            dispatcher.utter_message(response="utter_doctor_slot_gone")
            return await self._offer(dispatcher, domain, clinic, specialty)
        except CityRejected as exc:
            return await self._refused(dispatcher, domain, exc, clinic, specialty)
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"doctor_outcome": ENDED}
        dispatcher.utter_message(response="utter_doctor_booked",
                                 **details(appointment_value(booked), domain))
        return {"doctor_confirmed": True, "doctor_outcome": BOOKED}

    async def _refused(self, dispatcher: CollectingDispatcher, domain: dict[str, Any],
                       refusal: CityRejected, clinic: dict[str, Any],
                       specialty: str) -> dict[str, Any]:
        """What a booking the city refused becomes: the next slots (taken meanwhile; or at the
        polyclinic the city says the patient belongs to), or the reason and the end."""
        if refusal.code == "slot_taken":
            dispatcher.utter_message(response="utter_doctor_slot_gone")
            return await self._offer(dispatcher, domain, clinic, specialty)
        try:
            if refusal.code == "not_attached":
                own = clinic_value(Clinic.from_json(refusal.details.get("clinic")))
                dispatcher.utter_message(response="utter_doctor_not_attached",
                                         clinic=own["name"], address=own["address"])
                return {"doctor_clinic": own,
                        **await self._offer(dispatcher, domain, own, specialty)}
            if refusal.code == "already_booked":
                existing = Appointment.from_json(refusal.details.get("appointment"))
                dispatcher.utter_message(response="utter_doctor_already_booked",
                                         **details(appointment_value(existing), domain))
                return {"doctor_outcome": ENDED}
        except CityUnavailable as exc:  # a refusal whose details cannot be read
            log.warning("unreadable refusal %s: %s", refusal.code, exc)
        log.warning("booking refused: %s", refusal)
        dispatcher.utter_message(response="utter_doctor_booking_refused")
        return {"doctor_outcome": ENDED}

    async def _cancel(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: dict[str, Any]) -> dict[str, Any]:
        chosen = _chosen(tracker, "doctor_appointments", "doctor_appointment")
        try:
            await city().health.cancel(str(chosen.get("id")),
                                       str(tracker.get_slot("doctor_policy")),
                                       language=language_in(domain))
        except (CityNotFound, CityRejected):
            dispatcher.utter_message(response="utter_doctor_cancel_gone")
            return {"doctor_outcome": ENDED}
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"doctor_outcome": ENDED}
        dispatcher.utter_message(response="utter_doctor_cancelled", **details(chosen, domain))
        return {"doctor_confirmed": True, "doctor_outcome": CANCELLED}

    @staticmethod
    def _wrong(dispatcher: CollectingDispatcher, tracker: Tracker, response: str, slot: str,
               **values: Any) -> dict[str, Any]:
        """An answer that cannot be used: the reason and the question again, up to
        :data:`ATTEMPTS` in a row."""
        again = {"doctor_kept": None} if slot == "doctor_policy" else {}
        return {**again, **RETRIES.wrong(dispatcher, tracker, slot, response, **values)}


class ActionAskDoctorSlot(Action):
    """The free slots offered, as buttons."""

    def name(self) -> str:
        return "action_ask_doctor_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        offered = tracker.get_slot("doctor_offered") or []
        clinic = tracker.get_slot("doctor_clinic") or {}
        dispatcher.utter_message(
            response="utter_doctor_slots", clinic=clinic.get("name", ""),
            specialty=offered[0]["specialty_name"] if offered else "",
            buttons=[slot_button(slot, domain) for slot in offered])
        return []


class ActionAskDoctorAppointment(Action):
    """The citizen's appointments, and which one to cancel, as buttons."""

    def name(self) -> str:
        return "action_ask_doctor_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        items = tracker.get_slot("doctor_appointments") or []
        buttons = [appointment_button(item, domain) for item in items]
        buttons.append({"title": render(domain, "utter_doctor_keep_all_label"),
                        "payload": "/deny"})
        question = render(domain, "utter_ask_doctor_appointment")
        dispatcher.utter_message(text=f"{appointments_text(items, domain)}\n{question}",
                                 buttons=buttons)
        return []


class ActionAskDoctorConfirmed(Action):
    """The slot to book, or the appointment to cancel, in full, with yes and no."""

    def name(self) -> str:
        return "action_ask_doctor_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        if tracker.get_slot("doctor_task") == CANCEL:
            chosen = _chosen(tracker, "doctor_appointments", "doctor_appointment")
            dispatcher.utter_message(response="utter_ask_doctor_confirmed_cancel",
                                     **details(chosen, domain))
        else:
            chosen = _chosen(tracker, "doctor_offered", "doctor_slot")
            dispatcher.utter_message(response="utter_ask_doctor_confirmed_book",
                                     **details(chosen, domain, tracker.get_slot("doctor_clinic")))
        return []


class ActionAskDoctorRemember(Action):
    """Whether the policy may be kept for next time (naming the one it would replace)."""

    def name(self) -> str:
        return "action_ask_doctor_remember"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await KEEPING.ask(dispatcher, tracker)
        return []


class ActionDoctorDone(Action):
    """After the form: keep the policy if the citizen said yes, and clear the form."""

    def name(self) -> str:
        return "action_doctor_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await KEEPING.settle(dispatcher, tracker, tracker.get_slot("doctor_outcome") in DONE)
        return [SlotSet(name, None) for name in FORM_SLOTS]
