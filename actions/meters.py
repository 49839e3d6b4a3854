"""Service 3: water meter readings, checked before anything is sent.

An account number alone is guessable (about a million of them), so, as the city does, the
account is taken with the flat it belongs to: the city shows nothing and takes nothing for an
account without its flat, and a conversation gets :data:`ATTEMPTS` tries at the pair.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    LocalizedFormValidation,
    ANSWERS,
    city,
    confirmation_key,
    day,
    language_in,
    language_of,
    latest_intent,
    latest_text,
    localized,
    plain_yes_or_no,
    quantity,
    render,
    slot_before_latest,
)
from bot.city import CityNotFound, CityRejected, CityUnavailable
from bot.city.models import MeterAccount
from bot.meters import IMPLAUSIBLY_HIGH, LOWER_THAN_PREVIOUS, check_reading
from bot.textparse import parse_account, parse_flat, parse_meter_readings, parse_number

FORM_SLOTS = (
    "meter_account", "meter_flat", "meter_hot", "meter_cold", "meter_hot_last",
    "meter_cold_last", "meter_blocked", "meter_confirmed",
)
# Tries at an account and its flat in one conversation (``meter_attempts`` is not reset with
# the form: starting over does not buy more).
ATTEMPTS = 3


def _kept(value: float) -> str:
    """A reading as its slot keeps it ("154.8", in any language): the slot is what is submitted
    and compared; texts show it with :func:`_shown`."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _shown(value: float, domain: dict[str, Any]) -> str:
    """A reading or a volume as the language of a localized domain writes it ("154,8")."""
    return quantity(value, language_in(domain))


def _shown_slot(tracker: Tracker, slot: str) -> str:
    """A reading kept in a slot, as the conversation's language writes it ("-" for none)."""
    number = parse_number(str(tracker.get_slot(slot) or ""))
    return "-" if number is None else quantity(number, language_of(tracker))


def _settled_account(tracker: Tracker) -> str | None:
    """The account accepted before this message, if any."""
    settled = slot_before_latest(tracker, "meter_account")
    return parse_account(str(settled)) if settled else None


class ValidateMeterReadingsForm(LocalizedFormValidation):
    def name(self) -> str:
        return "validate_meter_readings_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: dict[str, Any],
    ) -> list[str]:
        """Once the city refused the account (window closed, too many wrong tries), nothing
        more is asked."""
        if tracker.get_slot("meter_blocked"):
            return ["meter_account", "meter_flat"]
        return list(domain_slots)

    async def extract_meter_flat(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """"flat 12" / "кв. 12" with the account or any time before the readings; a bare
        "12" when the flat was asked."""
        if tracker.get_slot("meter_flat") and tracker.get_slot("requested_slot") != "meter_flat":
            return {}
        asked = tracker.get_slot("requested_slot") == "meter_flat"
        flat = parse_flat(latest_text(tracker), bare=asked)
        if flat is None and asked and latest_intent(tracker) in ANSWERS:
            return {"meter_flat": latest_text(tracker)}  # validated (and refused) below
        # Anything else ("why do you need my flat?") is left to the policies.
        return {"meter_flat": flat} if flat else {}

    async def extract_meter_hot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return self._labelled(tracker, "hot")

    async def extract_meter_cold(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return self._labelled(tracker, "cold")

    @staticmethod
    def _labelled(tracker: Tracker, kind: str) -> dict[str, Any]:
        """"hot 45.2 cold 102" fills both readings at once, whatever was asked; "wait, cold is
        298.4 not 299.6" later corrects one (then the confirmation is asked again)."""
        if not tracker.get_slot("meter_account"):
            return {}
        readings = parse_meter_readings(latest_text(tracker))
        if kind not in readings or _kept(readings[kind]) == tracker.get_slot(f"meter_{kind}"):
            return {}
        return {f"meter_{kind}": str(readings[kind])}

    async def extract_meter_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """At the confirmation, a plain yes or no the NLU was unsure of still counts."""
        return plain_yes_or_no(tracker, "meter_confirmed")

    async def validate_meter_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """A reading corrected at the confirmation is shown again before anything is sent."""
        if {"meter_hot", "meter_cold"} & set(tracker.slots_to_validate()):
            return {"meter_confirmed": None}
        return {"meter_confirmed": value}

    async def validate_meter_account(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Only its form here: whether the account exists is not told before its flat."""
        account = parse_account(str(value or ""))
        settled = _settled_account(tracker)
        if account is None and settled and tracker.get_slot("requested_slot") != "meter_account":
            # A number meant as a reading ("95") read as an account: the account stays.
            return {"meter_account": settled}
        if account is None:
            dispatcher.utter_message(response="utter_meter_account_invalid")
            return {"meter_account": None}
        return {"meter_account": account}

    async def validate_meter_flat(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """The account and its flat, checked with the city together."""
        account = parse_account(str(tracker.get_slot("meter_account") or ""))
        flat = parse_flat(str(value or ""), bare=True)
        tried = int(tracker.get_slot("meter_attempts") or 0)
        if tried >= ATTEMPTS:  # not even a right pair now: the city is not asked again
            dispatcher.utter_message(response="utter_meter_too_many_attempts")
            return {"meter_flat": flat or "-", "meter_account": account or "-",
                    "meter_blocked": "too_many_attempts"}
        if account is None:
            return {"meter_flat": None}  # the account is asked first
        if flat is None:
            dispatcher.utter_message(response="utter_meter_flat_invalid")
            return {"meter_flat": None}
        try:
            meters = await city().api.meter_account(account, flat)
        except CityNotFound:
            tries = tried + 1
            if tries >= ATTEMPTS:
                dispatcher.utter_message(response="utter_meter_too_many_attempts")
                return {"meter_attempts": float(tries), "meter_flat": flat,
                        "meter_blocked": "too_many_attempts"}
            dispatcher.utter_message(response="utter_meter_account_not_found",
                                     account=account, flat=flat)
            return {"meter_attempts": float(tries), "meter_account": None, "meter_flat": None}
        except CityRejected:  # the city locked the account after wrong flats from anywhere
            dispatcher.utter_message(response="utter_meter_too_many_attempts")
            return {"meter_flat": flat, "meter_blocked": "too_many_attempts"}
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"meter_flat": None}
        if not meters.window.open_now:
            dispatcher.utter_message(
                response="utter_meter_window_closed",
                opens=meters.window.opens_day,
                closes=meters.window.closes_day,
                next_opens=day(meters.window.next_opens, language_in(domain)),
            )
            return {"meter_flat": flat, "meter_blocked": "window_closed"}
        checked: dict[str, Any] = {}
        for kind in ("hot", "cold"):  # readings said before the flat, now checked
            said = tracker.get_slot(f"meter_{kind}")
            if said is not None and f"meter_{kind}" not in tracker.slots_to_validate():
                number = parse_number(str(said))
                if number is None or _refused(kind, number, meters, dispatcher, domain):
                    checked[f"meter_{kind}"] = None
        return {
            "meter_flat": flat,
            "meter_hot_last": _last(meters, "hot"),
            "meter_cold_last": _last(meters, "cold"),
            **checked,
        }

    async def validate_meter_hot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        return await self._reading("hot", value, dispatcher, tracker, domain)

    async def validate_meter_cold(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        return await self._reading("cold", value, dispatcher, tracker, domain)

    async def _reading(
        self, kind: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        slot = f"meter_{kind}"
        number = parse_number(str(value or ""))
        if number is None:
            number = parse_meter_readings(str(value or "")).get(kind)
        if number is None:
            dispatcher.utter_message(response="utter_meter_not_a_number")
            return {slot: None}
        account = parse_account(str(tracker.get_slot("meter_account") or "")) or _settled_account(
            tracker
        )
        flat = tracker.get_slot("meter_flat")
        if account is None:
            return {slot: None}  # the account is asked first
        if not flat:
            # Said with the account ("7700000011: hot 268.5 cold 364"): kept, and checked
            # once the flat opens the account (validate_meter_flat).
            return {slot: _kept(number)}
        try:
            meters = await city().api.meter_account(account, str(flat))
        except (CityNotFound, CityRejected, CityUnavailable):
            dispatcher.utter_message(response="utter_city_unavailable")
            return {slot: None}
        if _refused(kind, number, meters, dispatcher, domain):
            return {slot: None}
        return {slot: _kept(number)}


def _refused(kind: str, number: float, meters: MeterAccount, dispatcher: CollectingDispatcher,
             domain: dict[str, Any]) -> bool:
    """Whether the reading is refused (lower than last month, implausibly high), said why."""
    meter = meters.meter(kind)
    previous = meter.last.value if meter and meter.last else 0.0
    problem = check_reading(previous, number, meters.max_monthly_m3)
    kind_word = render(domain, f"utter_kind_{kind}")
    if problem == LOWER_THAN_PREVIOUS:
        dispatcher.utter_message(
            response="utter_meter_reading_lower",
            kind=kind_word, value=_shown(number, domain), previous=_shown(previous, domain),
        )
    elif problem == IMPLAUSIBLY_HIGH:
        dispatcher.utter_message(
            response="utter_meter_reading_too_high", kind=kind_word,
            value=_shown(number, domain), consumption=_shown(number - previous, domain),
            max=_shown(meters.max_monthly_m3, domain),
        )
    return problem is not None


def _last(meters: MeterAccount, kind: str) -> str:
    meter = meters.meter(kind)
    return _kept(meter.last.value) if meter and meter.last else "-"


class _AskWithReadings(Action, metaclass=ABCMeta):
    """A form question that shows readings, written the conversation's way.

    Rasa would fill the slots into the response as they are kept ("154.8"); values given with
    the response take their place. The response is the action's name with ``utter_`` for
    ``action_`` (``action_ask_meter_hot`` asks ``utter_ask_meter_hot``). Abstract, so the action
    server does not register the base itself.
    """

    shown: tuple[str, ...] = ()  # the slots the question shows

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_" + self.name().removeprefix("action_"),
                                 **{slot: _shown_slot(tracker, slot) for slot in self.shown})
        return []


class ActionAskMeterHot(_AskWithReadings):
    """The hot water question, with last month's reading ("В прошлом месяце: 152,1")."""

    shown = ("meter_hot_last",)

    def name(self) -> str:
        return "action_ask_meter_hot"


class ActionAskMeterCold(_AskWithReadings):
    """The cold water question, with last month's reading."""

    shown = ("meter_cold_last",)

    def name(self) -> str:
        return "action_ask_meter_cold"


class ActionAskMeterConfirmed(_AskWithReadings):
    """The confirmation, with both readings ("горячая вода — 154,8 м³")."""

    shown = ("meter_hot", "meter_cold")

    def name(self) -> str:
        return "action_ask_meter_confirmed"


class ActionSubmitMeterReadings(Action):
    """After the citizen's yes: submit once (idempotency key) and show the consumption."""

    def name(self) -> str:
        return "action_submit_meter_readings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        if tracker.get_slot("meter_blocked"):
            return reset
        if tracker.get_slot("meter_confirmed") is not True:
            dispatcher.utter_message(response="utter_meter_cancelled")
            return reset
        account = tracker.get_slot("meter_account")
        readings = {
            kind: float(tracker.get_slot(f"meter_{kind}"))
            for kind in ("hot", "cold")
            if tracker.get_slot(f"meter_{kind}") is not None
        }
        try:
            accepted = await city().api.submit_readings(
                account, str(tracker.get_slot("meter_flat") or ""), readings,
                idempotency_key=confirmation_key(tracker, "readings"),
            )
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return reset
        except (CityRejected, CityNotFound) as exc:
            reason = getattr(exc, "message", "") or str(exc)
            dispatcher.utter_message(response="utter_meter_rejected", reason=reason)
            return reset
        lines = [render(domain, "utter_meter_submitted", account=account)]
        for r in accepted:
            lines.append(
                render(
                    domain, "utter_meter_line", kind=render(domain, f"utter_kind_{r.kind}"),
                    value=_shown(r.value, domain),
                    consumption=(_shown(r.consumption, domain)
                                 if r.consumption is not None else "-"),
                )
            )
        dispatcher.utter_message(text="\n".join(lines))
        return reset
