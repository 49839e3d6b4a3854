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
    events_since_message,
    language_of,
    latest_intent,
    latest_text,
    localized,
    never_reject,
    plain_yes_or_no,
    render,
    shared_location,
    shared_photo,
    store,
)
from actions.language import language_before_latest
from bot.city import CityError, CityUnavailable
from bot.city.models import Service, ServiceAttribute
from bot.city.open311 import CITY_LANGUAGE, MAX_DESCRIPTION, NewRequest
from bot.corrections import (
    is_correction,
    negated,
    swapped_house,
    asks_to_send,
    without_negated_numbers,
    wrong_detail,
    yes_or_no,
)
from bot.emergency import is_emergency
from bot.filing import file_report
from bot.places import Resolved, address_candidates, resolve_address, resolve_first
from bot.textparse import asks_something, best_option, describes_problem, parse_request_id

log = logging.getLogger(__name__)

FORM_SLOTS = (
    "problem_category", "problem_service_code", "problem_service_name", "problem_address",
    "problem_address_label", "problem_address_id", "problem_lat", "problem_lon",
    "problem_description", "problem_attribute", "problem_attributes", "report_confirmed",
    "problem_media_url",
)
MIN_DESCRIPTION_WORDS = 2
# Longer than this, a message that starts with a yes says something more.
MAX_PLAIN_YES_WORDS = 7
# Answers to a service's question that mean someone is in danger now.
EMERGENCY_ANSWERS = {("people_trapped", "yes")}
# Intents that carry a bare answer: a new place or category in one of them is a correction.
ANSWER_INTENTS = ("inform", "deny", "report_problem")
BARE_ANSWER_EXTRA_WORDS = 3
# What a description the NLU misread may have been called (the interruptions a message that
# tells something, rather than asks, cannot be).
MISREAD_DESCRIPTIONS = ("out_of_scope", "find_office", "check_outages", "check_request_status",
                        "submit_meter_readings", "faq", "help", "greet", "thank", "bot_challenge")
# Intents that leave the form whatever else the message says.
LEAVING = ("stop", "human_handoff", "restart", "forget_me")
# Details a citizen may correct at any later step.
CORRECTABLE = frozenset({"problem_address", "problem_category"})


def reset_report_slots() -> list[EventType]:
    return [SlotSet(name, None) for name in FORM_SLOTS]


async def _pending_attribute(tracker: Tracker) -> ServiceAttribute | None:
    """The next required Open311 attribute of the chosen service the citizen has not answered,
    its question and options worded in the conversation's language."""
    code = tracker.get_slot("problem_service_code")
    if not code:
        return None
    answered = tracker.get_slot("problem_attributes") or {}
    definition = await city().catalogue.definition(code, language_of(tracker))
    return next((a for a in definition.required_attributes if a.code not in answered), None)


async def _in_english(code: str, attribute: ServiceAttribute, language: str
                      ) -> tuple[ServiceAttribute, ...]:
    """The same question as the city words it in English, in a conversation in another language
    (empty in English, or when the city cannot say): its option titles are answers too, for a
    citizen who presses an English button left in the history or answers in English."""
    if language == CITY_LANGUAGE:
        return ()
    try:
        english = (await city().catalogue.definition(code)).attribute(attribute.code)
    except CityError:
        return ()
    return (english,) if english is not None else ()


async def _relabelled(tracker: Tracker, events: list[EventType]) -> list[EventType]:
    """The chosen service's name and the found address's label in the conversation's language,
    when this message changed the language after they were chosen (the confirmation shows
    both), unless this turn chose them again. Only then: the city is not asked on every turn."""
    language = language_of(tracker)
    if language == language_before_latest(tracker):
        return []
    if latest_intent(tracker) == "change_language" and not any(
            e.get("event") == "action" and e.get("name") == "action_change_language"
            for e in events_since_message(tracker)):
        # "can we continue in english": renaming now would fill slots, and the form would take
        # the request itself; left unfilled, it goes to the rule's action_change_language, which
        # says so, and the form's run after that renames.
        return []
    chosen_now = {e.get("name") for e in events if e.get("event") == "slot"}
    relabelled: list[EventType] = []
    code = tracker.get_slot("problem_service_code")
    if code and not chosen_now & {"problem_service_code", "problem_service_name"}:
        try:
            service = await city().catalogue.service(code, language)
        except CityError:
            service = None
        if service is not None and service.name != tracker.get_slot("problem_service_name"):
            relabelled.append(SlotSet("problem_service_name", service.name))
    address_id = tracker.get_slot("problem_address_id")
    if address_id and not chosen_now & {"problem_address", "problem_address_id"}:
        try:
            address = await city().api.get_address(str(address_id), language=language)
        except CityError:
            address = None
        if address is not None and address.label != tracker.get_slot("problem_address_label"):
            relabelled += [SlotSet("problem_address", address.label),
                           SlotSet("problem_address_label", address.label)]
    return relabelled


class ValidateProblemReportForm(FormValidationAction):
    def name(self) -> str:
        return "validate_problem_report_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events = await self._validate(dispatcher, tracker, domain)
        return events + await _relabelled(tracker, events)

    async def _validate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """A photo is kept for the report; a photo alone answers no question (it is asked again)."""
        domain = localized(domain, tracker)
        if is_emergency(latest_text(tracker)) and not _warned_this_form(tracker):
            dispatcher.utter_message(response="utter_emergency")
        photo = shared_photo(tracker)
        if photo is None:
            return never_reject(dispatcher, tracker, await super().run(dispatcher, tracker, domain))
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
        """Ask ``problem_attribute`` once per unanswered required attribute of the service.

        An emergency that names no kind of problem we know (a gas smell, a fire) asks nothing:
        the 112 advice is the answer, and no report is started.
        """
        if (
            tracker.get_slot("requested_slot") is None
            and not tracker.get_slot("problem_service_code")
            and is_emergency(latest_text(tracker))
            and not await _names_known_category(tracker)
        ):
            return []
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
        """A first message that already describes the problem is the description, whatever the
        NLU called it ("several street lights are off along arbat 10, the whole block is dark").

        Asked for the description, a message that tells rather than asks is the description even
        when the NLU read it as something else ("in front of the bakery, right where the buses
        stop"); a question goes to whoever answers it.
        """
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        requested = tracker.get_slot("requested_slot")
        if text.startswith("/") or tracker.get_slot("problem_description") is not None:
            return {}
        if requested is None and describes_problem(
            _without_entities(text, message.get("entities") or [])
        ):
            return {"problem_description": text[:MAX_DESCRIPTION]}
        if (
            requested == "problem_description"
            and latest_intent(tracker) in MISREAD_DESCRIPTIONS
            and not asks_something(text)
            and describes_problem(text)
            and parse_request_id(text) is None
        ):
            return {"problem_description": text}
        return {}

    async def extract_problem_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """The first category named; later, a different one said as a correction.

        "it's not about lights, it's a water leak": the negated category is not the one meant.
        """
        current = tracker.get_slot("problem_category")
        if current is None:
            found = _first_mention(tracker, "problem_category", "problem_category")
            if not found and tracker.get_slot("requested_slot") is None:
                # The first message names a kind the NLU did not tag ("overflowing containers").
                named = await _named_in_text(tracker)
                found = {"problem_category": named[0]} if named else {}
            text = latest_text(tracker).strip()
            if found or tracker.get_slot("requested_slot") != "problem_category" or (
                not text or text.startswith("/")
            ):
                return found
            # Asked "what kind?": a typed name the city's catalogue knows ("other", "none of
            # these") is the answer, whatever the NLU made of it.
            try:
                service = await city().catalogue.match(text, language_of(tracker))
            except CityUnavailable:
                return {}
            return {"problem_category": text} if service else {}
        named = _affirmed_entities(tracker, "problem_category") or await _named_in_text(tracker)
        if not named or not _says_correction(tracker, named[0]):
            return {}
        try:
            service = await city().catalogue.match(named[0], language_of(tracker))
        except CityUnavailable:
            return {}
        if service is None or service.code == tracker.get_slot("problem_service_code"):
            return {}
        return {"problem_category": named[0]}

    async def extract_problem_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if shared_location(tracker) is not None:
            return {"problem_address": "/location"}  # validate_problem_address reads it
        if tracker.get_slot("problem_address") and tracker.get_slot("requested_slot") not in (
            None, "problem_address"
        ):
            return await _corrected_address(tracker)
        found = _first_mention(tracker, "problem_address", "address")
        requested = tracker.get_slot("requested_slot")
        if found or tracker.get_slot("problem_address"):
            return found
        if requested == "problem_address" and (
            asks_something(latest_text(tracker)) or latest_intent(tracker) in LEAVING
        ):
            return {}
        if requested not in (None, "problem_address"):
            return {}
        # The first message named a place the NLU did not tag: ask the city about likely spans.
        text = (tracker.latest_message or {}).get("text") or ""
        for guess in address_candidates(text):
            try:
                resolved = await resolve_address(city().api, guess, language=language_of(tracker))
            except CityUnavailable:
                return {}
            if resolved.address is not None:
                return {"problem_address": resolved.address.label}
        return {}

    async def validate_problem_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if shared_location(tracker) is not None and str(value or "").startswith("/"):
            return {"problem_category": None}  # a location is no answer to "what kind?"
        language = language_of(tracker)  # the service is named in it, for the confirmation
        try:
            # the likeliest tagged kind the city knows ("overflowing bin", not "bags")
            service = None
            for said in dict.fromkeys([*_affirmed_entities(tracker, "problem_category"),
                                       str(value or "")]):
                service = await city().catalogue.match(said, language)
                if service is not None:
                    value = said
                    break
            if service is None:
                # A tagged span the catalogue does not know ("rusty car"): a kind the message names.
                named = await _named_in_text(tracker)
                service = await city().catalogue.match(named[0], language) if named else None
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
            "problem_attributes": await _answers_in_first_message(tracker, service),
            "problem_attribute": None,
        }

    async def validate_problem_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        location = shared_location(tracker)
        if location is not None:
            lat, lon = location
            # Coordinates keep their decimal point in Russian too, as map services write them
            # (not actions.common.quantity): a decimal comma would run into the one between them.
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
        if _corrected_this_turn(tracker):
            return {"problem_attribute": None}  # "ITS A WATER LEAK": the question asked again
        try:
            attribute = await _pending_attribute(tracker)
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"problem_attribute": None}
        if attribute is None:
            return {"problem_attribute": None}
        english = await _in_english(tracker.get_slot("problem_service_code"), attribute,
                                    language_of(tracker))
        chosen = attribute.choose(_best_entity(tracker, "option") or str(value or ""),
                                  also=english)
        if chosen is None:
            dispatcher.utter_message(response="utter_attribute_invalid")
            return {"problem_attribute": None}
        if (attribute.code, chosen) in EMERGENCY_ANSWERS and not _warned_this_form(tracker):
            dispatcher.utter_message(response="utter_emergency")
        answers = dict(tracker.get_slot("problem_attributes") or {})
        answers[attribute.code] = chosen
        # Cleared again so the next required attribute (if any) is asked with the same slot.
        return {"problem_attributes": answers, "problem_attribute": None}

    async def validate_problem_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if _corrected_this_turn(tracker):
            return {"problem_description": None}  # "oh wait, it's Tverskaya 14": asked again
        if len(text) > MAX_DESCRIPTION:
            dispatcher.utter_message(response="utter_description_too_long", max=MAX_DESCRIPTION)
            return {"problem_description": None}
        if yes_or_no(text) is True and len(text.split()) <= MAX_PLAIN_YES_WORDS:
            # "yes, send it to the city": the citizen thinks the first message said it all.
            opening = _opening_message(tracker)
            if opening and describes_problem(opening):
                return {"problem_description": opening[:MAX_DESCRIPTION]}
            dispatcher.utter_message(response="utter_description_too_short")
            return {"problem_description": None}
        if len(text.split()) < MIN_DESCRIPTION_WORDS:
            dispatcher.utter_message(response="utter_description_too_short")
            return {"problem_description": None}
        return {"problem_description": text}

    async def extract_problem_attribute(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Asked a yes/no question ("Is anyone trapped inside?"), a yes or a no in a longer
        message counts ("i called them already. yes please send the report as well")."""
        if tracker.get_slot("requested_slot") != "problem_attribute":
            return {}
        answer = yes_or_no(latest_text(tracker))
        if answer is None:
            return {}
        try:
            attribute = await _pending_attribute(tracker)
        except CityError:
            return {}
        if attribute is None or {v.key for v in attribute.values} != {"yes", "no"}:
            return {}
        return {"problem_attribute": "yes" if answer else "no"}

    async def extract_report_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """At the confirmation, a plain yes or no the NLU was unsure of still counts."""
        return plain_yes_or_no(tracker, "report_confirmed")

    async def validate_report_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """A yes files; a no that corrects a detail changes it and asks again.

        "no, the address is wrong. It's Arbat 10" -> the new address, the confirmation again;
        "the address is wrong" alone -> the address is asked again.
        """
        if _corrected_this_turn(tracker):
            return {"report_confirmed": None}
        if value is False:
            detail = wrong_detail(latest_text(tracker))
            if detail == "address":
                return {"report_confirmed": None, **_cleared_address()}
            if detail == "category":
                return {"report_confirmed": None, "problem_category": None,
                        "problem_service_code": None, "problem_service_name": None,
                        "problem_attributes": {}}
            if detail == "description":
                return {"report_confirmed": None, "problem_description": None}
        return {"report_confirmed": value}


async def _answers_in_first_message(tracker: Tracker, service: Service) -> dict[str, str]:
    """Options the citizen's first message already answers ("only the one lamp" -> one light),
    so they are not asked again. Words naming the problem itself count for no option."""
    if tracker.get_slot("requested_slot") is not None:
        return {}
    text = latest_text(tracker)
    if text.startswith("/") or len(text.split()) < 4:
        return {}
    language = language_of(tracker)
    try:
        definition = await city().catalogue.definition(service.code, language)
        english_service = await city().catalogue.service(service.code) or service
    except CityError:
        return {}
    topic = " ".join(words for named in (service, english_service)
                     for words in (named.name, *named.keywords))
    answers = {}
    for attribute in definition.required_attributes:
        # A yes/no question is never answered in passing ("no way up to the 9th floor").
        if attribute.values and {v.key for v in attribute.values} != {"yes", "no"}:
            # the question's own words, in either language, count for nothing: "a huge
            # pothole" and "огромная яма" both still get "How big is it?" (the city asks how it
            # compares with a car wheel, which "huge" does not say)
            english = await _in_english(service.code, attribute, language)
            asked = " ".join(a.description for a in (attribute, *english))
            chosen = best_option(text, attribute.options(*english), ignore=f"{topic} {asked}")
            if chosen:
                answers[attribute.code] = chosen
    return answers


def _opening_message(tracker: Tracker) -> str:
    """What the citizen wrote when this report started ("" for a button)."""
    said, opening, active = "", "", False
    for event in tracker.events:
        if event.get("event") == "user":
            said = str(event.get("text") or "")
        elif event.get("event") == "active_loop":
            started = event.get("name") == "problem_report_form"
            if started and not active:
                opening = said
            active = started
    opening = opening.strip()
    return "" if opening.startswith("/") else opening


def _cleared_address() -> dict[str, Any]:
    return {"problem_address": None, "problem_address_label": None, "problem_address_id": None,
            "problem_lat": None, "problem_lon": None}


def _corrected_this_turn(tracker: Tracker) -> bool:
    """Whether this message corrected the place or the kind of problem: then it answers no
    other question (the question asked is asked again, the confirmation shown again)."""
    return tracker.get_slot("requested_slot") not in (None, "problem_address", "problem_category") \
        and bool(CORRECTABLE & set(tracker.slots_to_validate()))


def _says_correction(tracker: Tracker, named: str) -> bool:
    """A message that changes a detail: a correction cue ("no wait", "not 12"), or little more
    than the new detail itself ("ITS A WATER LEAK"). A description that mentions a place or a
    thing in passing changes nothing."""
    if is_correction(latest_text(tracker)):
        return True
    extra = len(latest_text(tracker).split()) - len(named.split())
    return latest_intent(tracker) in ANSWER_INTENTS and extra <= BARE_ANSWER_EXTRA_WORDS


async def _names_known_category(tracker: Tracker) -> bool:
    """Whether the message names a kind of problem the city's catalogue knows."""
    try:
        for value in _affirmed_entities(tracker, "problem_category"):
            if await city().catalogue.match(value, language_of(tracker)):
                return True
    except CityUnavailable:
        return False
    return bool(await _named_in_text(tracker))


def _warned_this_form(tracker: Tracker) -> bool:
    """Whether the emergency advice was already given since the report started."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot" and (
            (event.get("metadata") or {}).get("utter_action") == "utter_emergency"
        ):
            return True
        if event.get("event") == "active_loop" and event.get("name") is None:
            return False
    return False


def _affirmed_entities(tracker: Tracker, entity: str) -> list[str]:
    """Values of an entity in the latest message that the citizen does not negate."""
    text = latest_text(tracker)
    found = [
        e for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity") == entity and e.get("value")
        and not negated(text, int(e.get("start") or 0))
    ]
    found.sort(key=lambda e: -(e.get("confidence_entity") or 1.0))
    return [str(e["value"]) for e in found]


async def _named_in_text(tracker: Tracker) -> list[str]:
    """Kinds of problem the city's catalogue names in the message, not negated ("it's a burst
    pipe, not a pothole" -> "burst pipe"): for what the NLU did not tag."""
    text = latest_text(tracker)
    try:
        named = await city().catalogue.mentions(text, language_of(tracker))
    except CityUnavailable:
        return []
    return [words for start, words in named if not negated(text, start)]


async def _corrected_address(tracker: Tracker) -> dict[str, Any]:
    """A new place said after the address was settled, when the message reads as a correction.

    "it's 10 not 12" keeps the street; a place the city resolves to the same address is no change.
    """
    text = without_negated_numbers(latest_text(tracker))
    tagged = [without_negated_numbers(t) for t in _affirmed_entities(tracker, "address")]
    if not _says_correction(tracker, tagged[0] if tagged else ""):
        return {}
    named = [t for t in tagged if any(ch.isalpha() for ch in t)]
    house = swapped_house(latest_text(tracker))
    label = tracker.get_slot("problem_address_label") or ""
    same_street = [f"{label.rsplit(',', 1)[0]} {house}"] if house and "," in label else []
    guesses = [*named, *same_street, *tagged, *address_candidates(text)]
    if not guesses:
        return {}
    try:
        found = await resolve_first(city().api, guesses, language=language_of(tracker))
    except CityUnavailable:
        return {}
    if found.address is None or found.address.label == label:
        return {}
    return {"problem_address": found.address.label}


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
    """The first tagged address the city knows; else the whole text; else spans of the text.
    An address the citizen says it is *not* ("arbat 10 not tverskaya 12") is no guess."""
    # "Arbat 10 not 12" tagged as one span: the number said not to be it is no part of it.
    tagged = [without_negated_numbers(t) for t in _affirmed_entities(tracker, "address")]
    said = without_negated_numbers(latest_text(tracker))
    # A tagged span may hold more than the address ("wall of tverskaya 12 overnight"): the
    # street-and-house guesses in it and in the whole message come after it.
    guesses = [*tagged, text, *[g for t in (*tagged, text, said) for g in address_candidates(t)]]
    return await resolve_first(city().api, list(dict.fromkeys(guesses)),
                               language=language_of(tracker))


def _first_mention(tracker: Tracker, slot: str, entity: str) -> dict[str, Any]:
    """Fill a slot from an entity only while it is empty, whatever is being asked (a detail
    already said is not asked again).

    Later mentions (an answer about the leak that says "street") must not change it: changes
    are corrections (see ``_says_correction``).
    """
    if tracker.get_slot(slot) is not None:
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
        if not tracker.get_slot("problem_service_code"):
            return reset_report_slots()  # nothing was reported (an emergency without a report)
        if tracker.get_slot("report_confirmed") is not True:
            dispatcher.utter_message(response="utter_report_cancelled")
            # Kept for "I pressed no by mistake, send it" (action_affirm), until the next turn.
            draft = {name: tracker.get_slot(name) for name in FORM_SLOTS}
            return [*reset_report_slots(),
                    SlotSet("report_draft", {**draft, DRAFT_TURN: user_turns(tracker)})]
        await file_draft(dispatcher, tracker, {name: tracker.get_slot(name) for name in FORM_SLOTS})
        return reset_report_slots()


# The citizen's turn a cancelled report's draft belongs to: it answers only the next one.
DRAFT_TURN = "turn"
DRAFT_ASKED = "asked"


def user_turns(tracker: Tracker) -> int:
    """How many messages the citizen has sent in this conversation."""
    return sum(1 for event in tracker.events if event.get("event") == "user")


async def sent_after_all(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType] | None:
    """Right after a cancelled report: "I pressed no by mistake, please send it" files it after
    all, whatever the NLU made of the words; a plain yes ("yeah. thanks anyway" may only be
    politeness) is asked back ("Shall I send it after all?") and its button's yes files it.
    The events of the answer given, or None if this is no such message."""
    draft = tracker.get_slot("report_draft") or {}
    if not draft.get("problem_service_code") or draft.get(DRAFT_TURN) != user_turns(tracker) - 1:
        return None
    text = latest_text(tracker)
    yes = yes_or_no(text) is True or (
        latest_intent(tracker) == "affirm" and yes_or_no(text) is not False)
    if asks_to_send(text) or (yes and draft.get(DRAFT_ASKED)):
        await file_draft(dispatcher, tracker, draft)
        return [SlotSet("report_draft", None)]
    if yes:
        dispatcher.utter_message(response="utter_report_send_after_all")
        return [SlotSet("report_draft",
                        {**draft, DRAFT_ASKED: True, DRAFT_TURN: user_turns(tracker)})]
    return None


def kept_unsent(tracker: Tracker) -> bool:
    """A no to "Shall I send it after all?": the cancelled report stays unsent."""
    draft = tracker.get_slot("report_draft") or {}
    return (bool(draft.get(DRAFT_ASKED)) and draft.get(DRAFT_TURN) == user_turns(tracker) - 1
            and yes_or_no(latest_text(tracker)) is not True)


async def file_draft(
    dispatcher: CollectingDispatcher, tracker: Tracker, slots: dict[str, Any]
) -> None:
    """File the report the slots describe, once per confirming message, and tell its number."""
    request = NewRequest(
        service_code=slots.get("problem_service_code"),
        description=slots.get("problem_description") or "",
        lat=slots.get("problem_lat"),
        long=slots.get("problem_lon"),
        address_string=slots.get("problem_address_label"),
        address_id=slots.get("problem_address_id"),
        attributes=slots.get("problem_attributes") or {},
        device_id=tracker.sender_id,
        media_url=slots.get("problem_media_url"),
        language=language_of(tracker),
    )
    outcome = await file_report(
        await store(),
        city().open311,
        key=confirmation_key(tracker, "report"),
        sender_id=tracker.sender_id,
        service_name=slots.get("problem_service_name") or "",
        request=request,
    )
    if outcome.state == "filed" and outcome.request_id:
        dispatcher.utter_message(response="utter_report_filed", request_id=outcome.request_id)
        await _tell_details(dispatcher, outcome.request_id, language_of(tracker))
    elif outcome.state == "filed":
        dispatcher.utter_message(response="utter_report_token", token=outcome.token)
    elif outcome.state == "rejected":
        dispatcher.utter_message(response="utter_report_rejected", reason=outcome.reason)
    else:
        dispatcher.utter_message(response="utter_report_pending")


async def _tell_details(
    dispatcher: CollectingDispatcher, request_id: str, language: str
) -> None:
    """Agency and expected date, when the city gives them (a lookup that may fail quietly)."""
    try:
        request = await city().open311.get_request(request_id, language=language)
    except CityError as exc:
        log.info("no details for request %s yet: %s", request_id, exc)
        return
    if request.agency_responsible or request.expected:
        dispatcher.utter_message(
            response="utter_report_filed_details",
            agency=request.agency_responsible or "-",
            expected=day(request.expected, language),
        )
