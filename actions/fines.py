"""Service 4: traffic fines for a vehicle, by its registration certificate (СТС).

The certificate is asked once; the fines are shown as soon as the city knows the vehicle, and
then, if the certificate is not kept yet, the citizen is asked whether it may be kept for next
time (``bot.saved``: only with their yes, and ``forget_me`` deletes it).
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.keeping import SAME_AS_KEPT, USED_KEPT, Keeping
from actions.common import (
    Retries,
    LocalizedFormValidation,
    ANSWERS,
    city,
    day,
    language_in,
    latest_intent,
    latest_text,
    plain_yes_or_no,
    render,
    store,
)
from bot.city import CityNotFound, CityRejected, CityUnavailable
from bot.city.fines import Fine, VehicleFines
from bot.saved import VEHICLE_CERTIFICATE, drop, saved
from bot.vehicles import (
    article_and_part,
    find_certificate,
    normalise_certificate,
    shown_certificate,
)

# The form's slots, cleared when it ends (``fines_attempts`` counts numbers in a row that could
# not be used, so it is cleared too: a success starts the count again).
FORM_SLOTS = ("vehicle_certificate", "fines_outcome", "fines_remember", "fines_kept",
              "fines_attempts")
# What a lookup ended in (the ``fines_outcome`` slot).
SHOWN, FAILED = "shown", "failed"
# Numbers in a row that could not be used, up to actions.common.ATTEMPTS.
RETRIES = Retries("fines_attempts", "fines_outcome", FAILED, "utter_fines_too_many_attempts")
# Besides the answers, what a number that is not quite a certificate may read as ("77 ув
# 12345" is no sentence the NLU knows): an answer too, when it has digits.
NUMBER_READINGS = ("out_of_scope", "check_fines")


def money(amount: int, domain: dict[str, Any]) -> str:
    """An amount in roubles as the language writes it ("2,500 roubles", "2 500 ₽")."""
    number = format_decimal(amount, "#,##0", locale=language_in(domain))
    return render(domain, "utter_fines_amount", amount=number)


def citation(code: str, domain: dict[str, Any]) -> str:
    """The offence's article as the law cites it ("article 12.9, part 2", "ч. 2 ст. 12.9")."""
    article, part = article_and_part(code)
    if part is None:
        return render(domain, "utter_fines_article", article=article)
    return render(domain, "utter_fines_article_part", article=article, part=part)


def fine_line(fine: Fine, domain: dict[str, Any]) -> str:
    """One fine: when, what, where, how much, the discount while it lasts, the payment link."""
    language = language_in(domain)
    values = {
        "ruled_on": day(fine.ruled_on, language), "offence": fine.offence,
        "article": citation(fine.article, domain),
        "place": render(domain, "utter_fines_place", place=fine.place) if fine.place else "",
        "amount": money(fine.amount, domain), "url": fine.payment_url,
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
    lines = [render(domain, f"utter_fines_header_{form}", certificate=vehicle, count=count,
                    total=money(found.total_due, domain))]
    lines += [fine_line(fine, domain) for fine in found.fines]
    return "\n".join(lines)


# The certificate kept for next time only with consent (the ``fines_kept`` slot: whether the
# one shown is the one kept, actions.keeping).
KEEPING = Keeping(VEHICLE_CERTIFICATE, "vehicle_certificate", "fines_kept", "fines_remember",
                  prefix="fines", field="certificate", shown=shown_certificate)


class ValidateFinesForm(LocalizedFormValidation):
    def name(self) -> str:
        return "validate_fines_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: dict[str, Any],
    ) -> list[str]:
        """Keeping the certificate is asked only after the fines were shown, and only if it is
        not the one kept already."""
        if tracker.get_slot("fines_outcome") == SHOWN and not tracker.get_slot("fines_kept"):
            return list(domain_slots)
        return ["vehicle_certificate"]

    async def extract_vehicle_certificate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A certificate said in the message (the first one too: "any fines for 77 ув
        123456?"; another one at the keeping question looks that vehicle up instead); at the
        start, the one the citizen let the assistant keep; when asked, any answer (checked
        below)."""
        # Only the certificate is extracted here: rasa-sdk drops what an extraction sets for a
        # slot the form does not ask for (fines_kept, and the others until the fines are shown),
        # so their values are the validation's (validate_vehicle_certificate).
        text = latest_text(tracker)
        said = find_certificate(text)
        current = tracker.get_slot("vehicle_certificate")
        if current and not (said and said != current
                            and tracker.get_slot("requested_slot") == "fines_remember"):
            return {}
        requested = tracker.get_slot("requested_slot")
        if said:
            return {"vehicle_certificate": said}
        if requested is None:
            kept = await saved(await store(), tracker.sender_id, VEHICLE_CERTIFICATE)
            return {"vehicle_certificate": kept} if kept else {}
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
        certificate = normalise_certificate(str(value or "")) or find_certificate(str(value or ""))
        if certificate is None:
            return self._wrong(dispatcher, tracker, "utter_fines_certificate_invalid")
        try:
            found = await city().fines.fines(certificate, language=language_in(domain))
        except (CityNotFound, CityRejected):
            if not find_certificate(latest_text(tracker)) and certificate == await saved(
                    await store(), tracker.sender_id, VEHICLE_CERTIFICATE):
                # the kept number is no vehicle the city knows now: forgotten, and asked for
                await drop(await store(), tracker.sender_id, VEHICLE_CERTIFICATE)
                dispatcher.utter_message(response="utter_fines_kept_unknown",
                                         certificate=shown_certificate(certificate))
                return {"vehicle_certificate": None, "fines_kept": None}
            return self._wrong(dispatcher, tracker, "utter_fines_vehicle_not_found",
                               certificate=shown_certificate(certificate))
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"vehicle_certificate": certificate, "fines_outcome": FAILED}
        dispatcher.utter_message(text=fines_text(found, domain))
        kept = await saved(await store(), tracker.sender_id, VEHICLE_CERTIFICATE)
        same = found.certificate == kept
        return {"vehicle_certificate": found.certificate, "fines_outcome": SHOWN,
                "fines_attempts": None, "fines_remember": None,
                "fines_kept": (SAME_AS_KEPT if find_certificate(latest_text(tracker)) else USED_KEPT)
                if same else None}

    @staticmethod
    def _wrong(dispatcher: CollectingDispatcher, tracker: Tracker, response: str,
               **values: Any) -> dict[str, Any]:
        """A number that cannot be used: asked again (the kept one no longer the one shown),
        up to :data:`ATTEMPTS` in a row."""
        return {"fines_kept": None,
                **RETRIES.wrong(dispatcher, tracker, "vehicle_certificate", response, **values)}


class ActionAskFinesRemember(Action):
    """Whether the certificate may be kept for next time, naming it (and the one it would
    replace, when another is kept)."""

    def name(self) -> str:
        return "action_ask_fines_remember"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await KEEPING.ask(dispatcher, tracker)
        return []


class ActionFinesDone(Action):
    """After the form: keep the certificate if the citizen said yes, and clear the form."""

    def name(self) -> str:
        return "action_fines_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await KEEPING.settle(dispatcher, tracker, tracker.get_slot("fines_outcome") == SHOWN)
        return [SlotSet(name, None) for name in FORM_SLOTS]
