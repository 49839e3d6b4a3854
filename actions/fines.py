"""Service 4: traffic fines for a vehicle, by its registration certificate (СТС).

The certificate is asked once; the fines are shown as soon as the city knows the vehicle, and
then, if the certificate is not kept yet, the citizen is asked whether it may be kept for next
time (``bot.saved``: only with their yes, and ``forget_me`` deletes it).
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    ANSWERS,
    city,
    day,
    language_in,
    latest_intent,
    latest_text,
    localized,
    never_reject,
    plain_yes_or_no,
    render,
    store,
)
from bot.city import CityNotFound, CityRejected, CityUnavailable
from bot.city.fines import Fine, VehicleFines
from bot.saved import VEHICLE_CERTIFICATE, keep, saved
from bot.vehicles import find_certificate, normalise_certificate, shown_certificate

FORM_SLOTS = ("vehicle_certificate", "fines_outcome", "fines_remember", "fines_kept")
# Wrong or unknown numbers in one conversation before the form stops (not reset with the form).
ATTEMPTS = 3
# What a lookup ended in (the ``fines_outcome`` slot).
SHOWN, FAILED = "shown", "failed"
# Besides the answers, what a number that is not quite a certificate may read as ("77 ув
# 12345" is no sentence the NLU knows): an answer too, when it has digits.
NUMBER_READINGS = ("out_of_scope", "check_fines")


def money(amount: int, domain: dict[str, Any]) -> str:
    """An amount in roubles as the language writes it ("2,500 roubles", "2 500 ₽")."""
    number = format_decimal(amount, "#,##0", locale=language_in(domain))
    return render(domain, "utter_fines_amount", amount=number)


def fine_line(fine: Fine, domain: dict[str, Any]) -> str:
    """One fine: when, what, where, how much, the discount while it lasts, the payment link."""
    language = language_in(domain)
    values = {
        "ruled_on": day(fine.ruled_on, language), "offence": fine.offence,
        "article": fine.article, "place": fine.place or "-", "amount": money(fine.amount, domain),
        "url": fine.payment_url,
    }
    if fine.discount_amount is not None and fine.discount_until is not None:
        return render(domain, "utter_fines_line_discount", **values,
                      discounted=money(fine.discount_amount, domain),
                      until=day(fine.discount_until, language))
    return render(domain, "utter_fines_line", **values)


def fines_text(found: VehicleFines, domain: dict[str, Any]) -> str:
    """The vehicle's unpaid fines, or that it has none, as one message."""
    vehicle = shown_certificate(found.certificate)
    if not found.fines:
        return render(domain, "utter_fines_none", certificate=vehicle)
    count = len(found.fines)
    form = Locale.parse(language_in(domain)).plural_form(count)
    total = sum(f.amount_due for f in found.fines)
    lines = [render(domain, f"utter_fines_header_{form}", certificate=vehicle, count=count,
                    total=money(total, domain))]
    lines += [fine_line(fine, domain) for fine in found.fines]
    return "\n".join(lines)


class ValidateFinesForm(FormValidationAction):
    def name(self) -> str:
        return "validate_fines_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        return never_reject(dispatcher, tracker, await super().run(dispatcher, tracker, domain))

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: dict[str, Any],
    ) -> list[str]:
        """Keeping the certificate is asked only after the fines were shown, and only if it is
        not kept already."""
        if tracker.get_slot("fines_outcome") == SHOWN and not tracker.get_slot("fines_kept"):
            return list(domain_slots)
        return ["vehicle_certificate"]

    async def extract_vehicle_certificate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A certificate said in the message (the first one too: "any fines for 77 ув
        123456?"); at the start, the one the citizen let the assistant keep; when asked, any
        answer (checked below)."""
        if tracker.get_slot("vehicle_certificate"):
            return {}
        text = latest_text(tracker)
        said = find_certificate(text)
        if said:
            return {"vehicle_certificate": said}
        requested = tracker.get_slot("requested_slot")
        if requested is None:
            kept = await saved(await store(), tracker.sender_id, VEHICLE_CERTIFICATE)
            return {"vehicle_certificate": kept, "fines_kept": True} if kept else {}
        intent = latest_intent(tracker)
        if requested == "vehicle_certificate" and (
                intent in ANSWERS or (intent in NUMBER_READINGS and any(c.isdigit() for c in text))):
            return {"vehicle_certificate": text}
        return {}

    async def extract_fines_remember(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return plain_yes_or_no(tracker, "fines_remember")

    async def validate_vehicle_certificate(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """The number's form, then the city: the fines are shown here, at once."""
        tried = int(tracker.get_slot("fines_attempts") or 0)
        certificate = normalise_certificate(str(value or "")) or find_certificate(str(value or ""))
        if certificate is None:
            return self._wrong(dispatcher, tried, "utter_fines_certificate_invalid")
        try:
            found = await city().fines.fines(certificate, language=language_in(domain))
        except CityNotFound:
            return self._wrong(dispatcher, tried, "utter_fines_vehicle_not_found",
                               certificate=shown_certificate(certificate))
        except CityRejected:
            return self._wrong(dispatcher, tried, "utter_fines_certificate_invalid")
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"vehicle_certificate": certificate, "fines_outcome": FAILED}
        dispatcher.utter_message(text=fines_text(found, domain))
        return {"vehicle_certificate": found.certificate, "fines_outcome": SHOWN}

    @staticmethod
    def _wrong(dispatcher: CollectingDispatcher, tried: int, response: str,
               **values: Any) -> dict[str, Any]:
        """A number the city cannot use: asked again, up to :data:`ATTEMPTS` times."""
        tries = tried + 1
        if tries >= ATTEMPTS:
            dispatcher.utter_message(response="utter_fines_too_many_attempts")
            return {"fines_attempts": float(tries), "vehicle_certificate": "-",
                    "fines_outcome": FAILED}
        dispatcher.utter_message(response=response, **values)
        return {"fines_attempts": float(tries), "vehicle_certificate": None, "fines_kept": None}


class ActionAskFinesRemember(Action):
    """Whether the certificate may be kept for next time, naming it."""

    def name(self) -> str:
        return "action_ask_fines_remember"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        certificate = str(tracker.get_slot("vehicle_certificate") or "")
        dispatcher.utter_message(response="utter_ask_fines_remember",
                                 certificate=shown_certificate(certificate))
        return []


class ActionFinesDone(Action):
    """After the form: keep the certificate if the citizen said yes, and clear the form."""

    def name(self) -> str:
        return "action_fines_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        certificate = str(tracker.get_slot("vehicle_certificate") or "")
        if tracker.get_slot("fines_outcome") != SHOWN or tracker.get_slot("fines_kept"):
            if tracker.get_slot("fines_kept") and tracker.get_slot("fines_outcome") == SHOWN:
                dispatcher.utter_message(response="utter_fines_kept_note")
            return reset
        if tracker.get_slot("fines_remember") is True:
            await keep(await store(), tracker.sender_id, VEHICLE_CERTIFICATE, certificate)
            dispatcher.utter_message(response="utter_fines_remembered",
                                     certificate=shown_certificate(certificate))
        else:
            dispatcher.utter_message(response="utter_fines_not_remembered")
        return reset
