"""Service 8: personal notifications. Subscribing (``subscription_form``), unsubscribing,
listing, and saying the news the notifier delivers (bot/notify, docs/notifications.md).

The notifier runs each piece of news as an external event (``trigger_intent``) in the
subscriber's conversation: one ``EXTERNAL_*`` intent per kind, whose entities carry the news in
the subscriber's language. :class:`ActionNotify` says it as a normal turn and touches no slot, so
news arriving in the middle of a form leaves the form where it was (the form's question is asked
again after it). Which kind a citizen means is read from their words by ``bot.notify.words``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    option_payload,
    Retries,
    is_news,
    ANSWERS,
    CITY_TZ,
    LocalizedFormValidation,
    city,
    day,
    language_in,
    language_of,
    latest_entity,
    latest_intent,
    latest_text,
    localized,
    plain_yes_or_no,
    render,
    store,
)
from bot.city import CityNotFound, CityRejected, CityUnavailable
from bot.city.errors import CityError
from bot.notify.notices import KINDS
from bot.notify.settings import NotifySettings
from bot.notify.subscriptions import (
    SubscriptionView,
    list_subscriptions,
    subscribe,
    unsubscribe,
)
from bot.notify.words import ALL, kind_in, option_of, to_end
from bot.places import address_candidates, resolve_first
from bot.saved import VEHICLE_CERTIFICATE, saved
from bot.vehicles import find_certificate, normalise_certificate, shown_certificate

log = logging.getLogger(__name__)

# The form's slots, cleared when it ends (and by action_stop_form, with the other forms').
FORM_SLOTS = ("subscription_kind", "subscription_target", "subscription_target_label",
              "subscription_confirmed", "subscription_outcome", "subscription_attempts")
# Kinds that watch something the citizen names: an address, a vehicle certificate.
TARGETED = ("outages", "fines")
# How the form ended without subscribing (``subscription_outcome``): the citizen has it already;
# the city did not answer, or three answers could not be used.
ALREADY, FAILED = "already", "failed"
# Answers in a row that could not be used, up to actions.common.ATTEMPTS.
RETRIES = Retries("subscription_attempts", "subscription_outcome", FAILED,
                  "utter_subscription_too_many_attempts")
# Besides the answers, what an address or a certificate typed alone may read as to the NLU.
NUMBER_READINGS = ("out_of_scope", "check_outages", "check_fines", "subscribe_notifications")
# The notifier's quiet hours and daily cap, as the citizen is told them.
NOTIFY = NotifySettings()
# The intent the unsubscribe buttons carry, with the subscription as their ``option``.
UNSUBSCRIBE = "unsubscribe_notifications"


def said(tracker: Tracker) -> str:
    """The citizen's own words in the latest message ("" for a button's payload)."""
    text = latest_text(tracker)
    return "" if text.startswith("/") or is_news(tracker) else text


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# ------------------------------------------------------------------ how subscriptions are named


def what_text(kind: str, label: str, domain: dict[str, Any]) -> str:
    """What a subscription brings, as the confirmation says it ("news of new traffic fines for
    the vehicle with certificate 77 УВ 123456")."""
    return render(domain, f"utter_subscription_what_{kind}", address=label, certificate=label)


def channel_text(channel: str | None, domain: dict[str, Any]) -> str:
    """Where the messages will come: the channel the citizen is writing from."""
    known = channel if channel in ("telegram", "webchat") else "other"
    return render(domain, f"utter_subscription_channel_{known}")


async def target_label(kind: str, target: str | None, domain: dict[str, Any]) -> str:
    """An address id as the city labels the house now (its number, when the city is not
    answering); a certificate as people write it."""
    if not target:
        return ""
    if kind == "fines":
        return shown_certificate(target)
    try:
        return (await city().api.get_address(target, language=language_in(domain))).label
    except CityError:
        return render(domain, "utter_subscription_address_id", address_id=target)


async def label_of(subscription: SubscriptionView, domain: dict[str, Any]) -> str:
    """A subscription in a few words ("planned outages at Pokrovka Street, 5")."""
    label = await target_label(subscription.kind, subscription.target, domain)
    return render(domain, f"utter_subscription_label_{subscription.kind}", address=label,
                  certificate=label)


def since(created_at: datetime, language: str) -> str:
    """The city's date a subscription began (the database keeps naive UTC)."""
    local = created_at.replace(tzinfo=timezone.utc).astimezone(CITY_TZ)
    return day(local.date(), language)


async def _has(tracker: Tracker, kind: str, target: str | None) -> bool:
    """Whether the citizen already gets this kind (for this target)."""
    return any(s.kind == kind and (s.target or "") == (target or "")
               for s in await list_subscriptions(await store(), tracker.sender_id))


# ------------------------------------------------------------------ the subscription form


class ValidateSubscriptionForm(LocalizedFormValidation):
    """Kind (from the words, else four buttons), then an address or a certificate for the kinds
    that watch one, then a yes to what will come, where, and when not."""

    def name(self) -> str:
        return "validate_subscription_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: dict[str, Any],
    ) -> list[str]:
        """Nothing more once it is settled that nothing will be subscribed; no target for the
        kinds that watch none."""
        if tracker.get_slot("subscription_outcome"):
            return ["subscription_kind"]
        if tracker.get_slot("subscription_kind") in ("reports", "meter_reminder"):
            return ["subscription_kind", "subscription_confirmed"]
        return list(domain_slots)

    async def extract_subscription_kind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A button's choice, or the one kind the words name ("notify me about hot water");
        when asked, any answer (checked below); at the start, with no kind named, the outages
        of the house an outage lookup just answered about."""
        if tracker.get_slot("subscription_kind"):
            return {}
        option = latest_entity(tracker, "option")
        if option in KINDS:
            return {"subscription_kind": option}
        found = kind_in(said(tracker))
        if found:
            return {"subscription_kind": found}
        requested = tracker.get_slot("requested_slot")
        if requested == "subscription_kind" and latest_intent(tracker) in ANSWERS:
            return {"subscription_kind": latest_text(tracker)}
        if requested is None and self._last_looked_up(tracker):
            # "keep me posted" right after an outage lookup of a house: that house's outages
            # (the confirmation names them, so a wrong guess costs a "no")
            return {"subscription_kind": "outages"}
        return {}

    async def extract_subscription_target(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """For fines, a certificate in the message, else the one the citizen let the assistant
        keep; for outages, an address in the message, else the house of the outage lookup just
        answered. When asked, an answer's words (checked below)."""
        kind = tracker.get_slot("subscription_kind")
        if kind not in TARGETED or tracker.get_slot("subscription_target"):
            return {}
        text = said(tracker)
        asked = tracker.get_slot("requested_slot") == "subscription_target"
        intent = latest_intent(tracker)
        answer = intent in ANSWERS or (
            intent in NUMBER_READINGS and any(c.isdigit() for c in text))
        if kind == "fines":
            found = find_certificate(text)
            if found or (asked and answer and text):
                return {"subscription_target": found or text}
            if asked:
                return {}
            kept = await saved(await store(), tracker.sender_id, VEHICLE_CERTIFICATE)
            return {"subscription_target": kept} if kept else {}
        tagged = latest_entity(tracker, "address")
        if tagged or (asked and answer and text):
            return {"subscription_target": tagged or text}
        if asked:
            return {}
        if address_candidates(text):
            return {"subscription_target": text}
        return self._last_looked_up(tracker)

    @staticmethod
    def _last_looked_up(tracker: Tracker) -> dict[str, Any]:
        """"notify me about outages there" right after an outage lookup of a house."""
        if tracker.get_slot("last_service") != "check_outages":
            return {}
        address = (tracker.get_slot("last_place") or {}).get("address") or {}
        label = address.get("label") if address.get("id") else None
        return {"subscription_target": label} if label else {}

    async def extract_subscription_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return plain_yes_or_no(tracker, "subscription_confirmed")

    async def validate_subscription_kind(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        kind = value if value in KINDS else kind_in(str(value or ""))
        if kind is None:
            return self._wrong(dispatcher, tracker, "subscription_kind",
                                     "utter_subscription_kind_unknown")
        if kind not in TARGETED and await _has(tracker, kind, None):
            dispatcher.utter_message(response="utter_subscription_already",
                                     what=what_text(kind, "", domain))
            return {"subscription_kind": kind, "subscription_outcome": ALREADY}
        return {"subscription_kind": kind, "subscription_attempts": None}

    async def validate_subscription_target(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """A vehicle the city knows, or a house the city knows; then whether it is watched
        already."""
        kind = str(tracker.get_slot("subscription_kind"))
        try:
            if kind == "fines":
                found = await self._vehicle(dispatcher, tracker, str(value or ""), domain)
            else:
                found = await self._house(dispatcher, tracker, str(value or ""), domain)
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"subscription_target": "-", "subscription_outcome": FAILED}
        target = found.get("subscription_target")
        if target and target != "-" and await _has(tracker, kind, target):
            dispatcher.utter_message(
                response="utter_subscription_already",
                what=what_text(kind, found["subscription_target_label"], domain))
            return {**found, "subscription_outcome": ALREADY}
        return found

    async def _vehicle(self, dispatcher: CollectingDispatcher, tracker: Tracker, value: str,
                       domain: dict[str, Any]) -> dict[str, Any]:
        certificate = normalise_certificate(value) or find_certificate(value)
        if certificate is None:
            return self._wrong(dispatcher, tracker, "subscription_target",
                                     "utter_fines_certificate_invalid")
        try:
            await city().fines.fines(certificate, language=language_in(domain))
        except (CityNotFound, CityRejected):
            return self._wrong(dispatcher, tracker, "subscription_target",
                                     "utter_fines_vehicle_not_found",
                                     certificate=shown_certificate(certificate))
        return {"subscription_target": certificate,
                "subscription_target_label": shown_certificate(certificate),
                "subscription_attempts": None}

    async def _house(self, dispatcher: CollectingDispatcher, tracker: Tracker, value: str,
                     domain: dict[str, Any]) -> dict[str, Any]:
        """The house as the place lookups find it (``bot.places``): a tagged address, the
        street-and-house spans of the words, the words whole; else its likely houses offered as
        buttons. (Spans before the whole: a first message says more than the address.)"""
        guesses = [latest_entity(tracker, "address") or "", *address_candidates(value), value]
        found = await resolve_first(city().api, list(dict.fromkeys(g for g in guesses if g)),
                                    language=language_in(domain))
        if found.address is not None:
            return {"subscription_target": found.address.id,
                    "subscription_target_label": found.address.label,
                    "subscription_attempts": None}
        buttons = [{"title": s.label, "payload": "/inform" + json.dumps(
            {"address": s.label}, ensure_ascii=False)} for s in found.suggestions]
        streets = {s.street for s in found.suggestions}
        if len(streets) == 1 and not any(c.isdigit() for c in value):
            return self._wrong(dispatcher, tracker, "subscription_target",
                                     "utter_address_needs_house", street=streets.pop(),
                                     buttons=buttons)
        if buttons:
            return self._wrong(dispatcher, tracker, "subscription_target",
                                     "utter_address_suggest", buttons=buttons)
        return self._wrong(dispatcher, tracker, "subscription_target",
                                 "utter_address_not_found")

    @staticmethod
    def _wrong(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str,
               response: str, **values: Any) -> dict[str, Any]:
        """An answer that cannot be used: why, and the question again, up to :data:`ATTEMPTS`
        in a row; then the form stops."""
        return RETRIES.wrong(dispatcher, tracker, slot, response, **values)


class ActionAskSubscriptionTarget(Action):
    """The house for outages, the certificate for fines."""

    def name(self) -> str:
        return "action_ask_subscription_target"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("subscription_kind") == "fines":
            dispatcher.utter_message(response="utter_ask_vehicle_certificate")
        else:
            dispatcher.utter_message(response="utter_ask_subscription_address")
        return []


class ActionAskSubscriptionConfirmed(Action):
    """What will come, on which channel, when nothing comes, and how to stop; then yes or no."""

    def name(self) -> str:
        return "action_ask_subscription_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        kind = str(tracker.get_slot("subscription_kind"))
        quiet_from, quiet_to = NOTIFY.quiet_hours
        dispatcher.utter_message(
            response="utter_ask_subscription_confirmed",
            what=what_text(kind, str(tracker.get_slot("subscription_target_label") or ""),
                           domain),
            channel=channel_text(tracker.get_latest_input_channel(), domain),
            quiet_from=quiet_from.strftime("%H:%M"), quiet_to=quiet_to.strftime("%H:%M"),
            cap=NOTIFY.daily_cap,
        )
        return []


class ActionSubscriptionDone(Action):
    """After the form: subscribe on the citizen's yes, on the channel they are writing from and
    in their language; clear the form."""

    def name(self) -> str:
        return "action_subscription_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        if tracker.get_slot("subscription_outcome"):
            return reset  # already told why nothing is subscribed
        if tracker.get_slot("subscription_confirmed") is not True:
            dispatcher.utter_message(response="utter_subscription_not_made")
            return reset
        kind = str(tracker.get_slot("subscription_kind"))
        await subscribe(await store(), tracker.sender_id, kind,
                        tracker.get_slot("subscription_target") if kind in TARGETED else None,
                        channel=tracker.get_latest_input_channel(),
                        language=language_of(tracker))
        what = what_text(kind, str(tracker.get_slot("subscription_target_label") or ""),
                         localized(domain, tracker))
        dispatcher.utter_message(response="utter_subscribed", what=what)
        return reset


# ------------------------------------------------------------------ unsubscribe, list


class ActionUnsubscribeNotifications(Action):
    """End what the words name at once ("stop the fine alerts", "stop all notifications"); when
    they leave it open, offer the subscriptions as buttons, with "all of them"."""

    def name(self) -> str:
        return "action_unsubscribe_notifications"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        app_store = await store()
        active = await list_subscriptions(app_store, tracker.sender_id)
        if not active:
            dispatcher.utter_message(response="utter_no_subscriptions")
            return []
        option = latest_entity(tracker, "option")
        choice = to_end(active, said(tracker), option)
        if choice.ask:
            everything = choice.named[0] if len(choice.named) == 1 else ALL
            buttons = [{"title": _capitalised(await label_of(s, domain)),
                        "payload": option_payload(option_of(s), UNSUBSCRIBE)} for s in choice.ask]
            buttons.append({"title": render(domain, "utter_label_unsubscribe_all"),
                            "payload": option_payload(everything, UNSUBSCRIBE)})
            dispatcher.utter_message(response="utter_unsubscribe_which", buttons=buttons)
            return []
        if not choice.end:
            if option:
                dispatcher.utter_message(response="utter_subscription_already_ended")
            else:
                kinds = ", ".join(render(domain, f"utter_subscription_kind_{k}")
                                  for k in choice.named)
                dispatcher.utter_message(response="utter_not_subscribed_to", kinds=kinds)
            return []
        for subscription in choice.end:  # each at once: its pending messages are cancelled
            await unsubscribe(app_store, tracker.sender_id, subscription.kind,
                              subscription.target)
        lines = [render(domain, "utter_subscription_ended_line", label=await label_of(s, domain))
                 for s in choice.end]
        dispatcher.utter_message(response="utter_unsubscribed", ended="\n".join(lines))
        return []


class ActionListSubscriptions(Action):
    """The citizen's notifications in words, each since when, and how to stop them."""

    def name(self) -> str:
        return "action_list_subscriptions"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        active = await list_subscriptions(await store(), tracker.sender_id)
        if not active:
            dispatcher.utter_message(response="utter_no_subscriptions_yet")
            return []
        dispatcher.utter_message(text="\n".join(await subscriptions_text(active, domain)))
        return []


async def subscriptions_text(active: Sequence[SubscriptionView],
                             domain: dict[str, Any]) -> list[str]:
    """The lines of the list: a header, one line a subscription, how to stop."""
    language = language_in(domain)
    lines = [render(domain, "utter_subscriptions_header")]
    for subscription in active:
        lines.append(render(domain, "utter_subscription_line",
                            label=await label_of(subscription, domain),
                            since=since(subscription.created_at, language)))
    lines.append(render(domain, "utter_subscriptions_footer"))
    return lines
