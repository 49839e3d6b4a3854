"""Service 1: a citizen reports a city problem (Open311 POST requests)."""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    city,
    confirmation_key,
    day,
    render,
    shared_location,
    shared_photo,
    store,
)
from bot.city import CityError, CityUnavailable
from bot.city.models import ServiceAttribute
from bot.city.open311 import MAX_DESCRIPTION, NewRequest
from bot.filing import file_report
from bot.places import Resolved, address_candidates, resolve_address, resolve_first
from bot.textparse import describes_problem

log = logging.getLogger(__name__)

FORM_SLOTS = (
    "problem_category", "problem_service_code", "problem_service_name", "problem_address",
    "problem_address_label", "problem_address_id", "problem_lat", "problem_lon",
    "problem_description", "problem_attribute", "problem_attributes", "report_confirmed",
    "problem_media_url",
)
MIN_DESCRIPTION_WORDS = 2


def reset_report_slots() -> list[EventType]:
    return [SlotSet(name, None) for name in FORM_SLOTS]


async def _pending_attribute(tracker: Tracker) -> ServiceAttribute | None:
    """The next required Open311 attribute of the chosen service the citizen has not answered."""
    code = tracker.get_slot("problem_service_code")
    if not code:
        return None
    answered = tracker.get_slot("problem_attributes") or {}
    definition = await city().catalogue.definition(code)
    return next((a for a in definition.required_attributes if a.code not in answered), None)


class ValidateProblemReportForm(FormValidationAction):
    def name(self) -> str:
        return "validate_problem_report_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """A photo is kept for the report; a photo alone answers no question (it is asked again)."""
        photo = shared_photo(tracker)
        if photo is None:
            return await super().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_report_photo_attached")
        events: list[EventType] = [SlotSet("problem_media_url", photo)]
        text = ((tracker.latest_message or {}).get("text") or "").strip()
        if text.startswith("/") and shared_location(tracker) is None:
            requested = tracker.get_slot("requested_slot")
            if requested:
                events.append(SlotSet(requested, None))
            tracker.add_slots(events)
            next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
            return events + ([next_slot] if next_slot else [])
        return events + await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: dict[str, Any],
    ) -> list[str]:
        """Ask ``problem_attribute`` once per unanswered required attribute of the service."""
        try:
            pending = await _pending_attribute(tracker)
        except CityError:
            pending = None
        if pending is None:
            return [s for s in domain_slots if s != "problem_attribute"]
        return list(domain_slots)

    async def extract_problem_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A first message that already describes the problem is the description."""
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        intent = (message.get("intent") or {}).get("name")
        if (
            tracker.get_slot("problem_description") is None
            and tracker.get_slot("requested_slot") is None
            and intent == "report_problem"
            and not text.startswith("/")
            and describes_problem(_without_entities(text, message.get("entities") or []))
        ):
            return {"problem_description": text[:MAX_DESCRIPTION]}
        return {}

    async def extract_problem_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return _first_mention(tracker, "problem_category", "problem_category")

    async def extract_problem_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if shared_location(tracker) is not None:
            return {"problem_address": "/location"}  # validate_problem_address reads it
        found = _first_mention(tracker, "problem_address", "address")
        if found or tracker.get_slot("problem_address") or tracker.get_slot("requested_slot"):
            return found
        # The first message named a place the NLU did not tag: ask the city about likely spans.
        text = (tracker.latest_message or {}).get("text") or ""
        for guess in address_candidates(text):
            try:
                resolved = await resolve_address(city().api, guess)
            except CityUnavailable:
                return {}
            if resolved.address is not None:
                return {"problem_address": resolved.address.label}
        return {}

    async def validate_problem_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        value = _best_entity(tracker, "problem_category") or value
        if shared_location(tracker) is not None and str(value or "").startswith("/"):
            return {"problem_category": None}  # a location is no answer to "what kind?"
        try:
            service = await city().catalogue.match(str(value or ""))
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"problem_category": None}
        if service is None:
            dispatcher.utter_message(response="utter_problem_category_unknown")
            return {"problem_category": None}
        return {
            "problem_category": value,
            "problem_service_code": service.code,
            "problem_service_name": service.name,
            "problem_attributes": {},
            "problem_attribute": None,
        }

    async def validate_problem_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        location = shared_location(tracker)
        if location is not None:
            lat, lon = location
            label = render(
                domain, "utter_shared_location_label", lat=f"{lat:.5f}", lon=f"{lon:.5f}"
            )
            return {
                "problem_address": label,
                "problem_address_label": label,
                "problem_address_id": None,
                "problem_lat": lat,
                "problem_lon": lon,
            }
        try:
            found = await _resolve_first(tracker, str(value or ""))
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"problem_address": None}
        if found.address is not None:
            a = found.address
            return {
                "problem_address": a.label,
                "problem_address_label": a.label,
                "problem_address_id": a.id,
                "problem_lat": a.lat,
                "problem_lon": a.lon,
            }
        streets = {s.street for s in found.suggestions}
        if len(streets) == 1 and not any(ch.isdigit() for ch in str(value or "")):
            dispatcher.utter_message(
                response="utter_address_needs_house",
                street=streets.pop(),
                buttons=[
                    {"title": s.label, "payload": _inform("address", s.label)}
                    for s in found.suggestions
                ],
            )
        elif found.suggestions:
            dispatcher.utter_message(
                response="utter_address_suggest",
                buttons=[
                    {"title": s.label, "payload": _inform("address", s.label)}
                    for s in found.suggestions
                ],
            )
        else:
            dispatcher.utter_message(response="utter_address_not_found")
        return {"problem_address": None}

    async def validate_problem_attribute(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if value is None or not str(value).strip():
            return {"problem_attribute": None}  # nothing was said (a reset, not an answer)
        try:
            attribute = await _pending_attribute(tracker)
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"problem_attribute": None}
        if attribute is None:
            return {"problem_attribute": None}
        chosen = attribute.choose(_best_entity(tracker, "option") or str(value or ""))
        if chosen is None:
            dispatcher.utter_message(response="utter_attribute_invalid")
            return {"problem_attribute": None}
        answers = dict(tracker.get_slot("problem_attributes") or {})
        answers[attribute.code] = chosen
        # Cleared again so the next required attribute (if any) is asked with the same slot.
        return {"problem_attributes": answers, "problem_attribute": None}

    async def validate_problem_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if len(text) > MAX_DESCRIPTION:
            dispatcher.utter_message(response="utter_description_too_long", max=MAX_DESCRIPTION)
            return {"problem_description": None}
        if len(text.split()) < MIN_DESCRIPTION_WORDS:
            dispatcher.utter_message(response="utter_description_too_short")
            return {"problem_description": None}
        return {"problem_description": text}


def _without_entities(text: str, entities: list[dict[str, Any]]) -> str:
    """The text with the tagged spans (category, address, ...) cut out."""
    for entity in sorted(entities, key=lambda e: e.get("start", 0), reverse=True):
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text):
            text = text[:start] + " " + text[end:]
    return text


def _entity_values(tracker: Tracker, entity: str) -> list[str]:
    """Values of an entity in the latest message, most confident first (DIET may tag several)."""
    found = [
        e for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity") == entity and e.get("value")
    ]
    found.sort(key=lambda e: -(e.get("confidence_entity") or 1.0))
    return [str(e["value"]) for e in found]


def _best_entity(tracker: Tracker, entity: str) -> str | None:
    values = _entity_values(tracker, entity)
    return values[0] if values else None


async def _resolve_first(tracker: Tracker, text: str) -> Resolved:
    """The first tagged address the city knows; else the whole text; else spans of the text."""
    tagged = _entity_values(tracker, "address")
    return await resolve_first(
        city().api, [*tagged, text, *([] if tagged else address_candidates(text))]
    )


def _first_mention(tracker: Tracker, slot: str, entity: str) -> dict[str, Any]:
    """Fill a slot from an entity only while it is empty and not another slot's turn.

    Later mentions (an answer about the leak that says "street") must not change it.
    """
    if tracker.get_slot(slot) is not None:
        return {}
    if tracker.get_slot("requested_slot") not in (None, slot):
        return {}
    value = _best_entity(tracker, entity)
    return {slot: value} if value else {}


def _inform(entity: str, value: str) -> str:
    return "/inform" + json.dumps({entity: value}, ensure_ascii=False)


class ActionAskProblemAttribute(Action):
    """Ask the next required attribute of the Open311 service, with its options as buttons."""

    def name(self) -> str:
        return "action_ask_problem_attribute"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            attribute = await _pending_attribute(tracker)
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return []
        if attribute is None:
            return []
        buttons = [{"title": v.name, "payload": _inform("option", v.key)} for v in attribute.values]
        dispatcher.utter_message(text=attribute.description, buttons=buttons or None)
        return []


class ActionFileReport(Action):
    """After the citizen's yes: file the report once, and tell them its number."""

    def name(self) -> str:
        return "action_file_report"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("report_confirmed") is not True:
            dispatcher.utter_message(response="utter_report_cancelled")
            return reset_report_slots()
        request = NewRequest(
            service_code=tracker.get_slot("problem_service_code"),
            description=tracker.get_slot("problem_description") or "",
            lat=tracker.get_slot("problem_lat"),
            long=tracker.get_slot("problem_lon"),
            address_string=tracker.get_slot("problem_address_label"),
            address_id=tracker.get_slot("problem_address_id"),
            attributes=tracker.get_slot("problem_attributes") or {},
            device_id=tracker.sender_id,
            media_url=tracker.get_slot("problem_media_url"),
        )
        outcome = await file_report(
            await store(),
            city().open311,
            key=confirmation_key(tracker, "report"),
            sender_id=tracker.sender_id,
            service_name=tracker.get_slot("problem_service_name") or "",
            request=request,
        )
        if outcome.state == "filed" and outcome.request_id:
            dispatcher.utter_message(response="utter_report_filed", request_id=outcome.request_id)
            await _tell_details(dispatcher, outcome.request_id)
        elif outcome.state == "filed":
            dispatcher.utter_message(response="utter_report_token", token=outcome.token)
        elif outcome.state == "rejected":
            dispatcher.utter_message(response="utter_report_rejected", reason=outcome.reason)
        else:
            dispatcher.utter_message(response="utter_report_pending")
        return reset_report_slots()


async def _tell_details(dispatcher: CollectingDispatcher, request_id: str) -> None:
    """Agency and expected date, when the city gives them (a lookup that may fail quietly)."""
    try:
        request = await city().open311.get_request(request_id)
    except CityError as exc:
        log.info("no details for request %s yet: %s", request_id, exc)
        return
    if request.agency_responsible or request.expected:
        dispatcher.utter_message(
            response="utter_report_filed_details",
            agency=request.agency_responsible or "-",
            expected=day(request.expected),
        )
