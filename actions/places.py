"""Services 6 and 7: the nearest office, and planned outages, for a place the citizen names."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    latest_intent,
    CITY_TZ,
    city,
    day,
    language_in,
    language_of,
    latest_entity,
    latest_text,
    localized,
    moment,
    render,
    shared_location,
    weekday,
)
from actions.faq import answered_as_faq_follow_up
from bot.city import CityRejected, CityUnavailable
from bot.city.cityapi import FACILITY_TYPES
from bot.city.models import Address, Facility
from bot.faq import asks_where
from bot.notify.words import asks_to_be_told
from bot.places import address_candidates, resolve_first
from bot.when import parse_period, relative_day, since_period, weekday_in

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Place:
    """Where a citizen asked about: an address (or a street), a district, or a shared point."""

    label: str
    address: Address | None = None
    district: str | None = None

    def remembered(self) -> dict[str, Any]:
        """The place as a slot value, for follow-ups ("and is it open on saturday?")."""
        return {"label": self.label, "district": self.district,
                "address": asdict(self.address) if self.address else None}

    @classmethod
    def recalled(cls, value: Any) -> Place | None:
        if not isinstance(value, dict) or not value.get("label"):
            return None
        address = value.get("address")
        return cls(str(value["label"]), Address(**address) if address else None,
                   value.get("district"))


async def _place(tracker: Tracker) -> Place | None:
    """The place named in the latest message: an address wins over a district.

    A house the city does not know is not swapped for another: the street is meant then (the
    label says the street). A "district" the city does not know is read as a street.
    """
    location = shared_location(tracker)
    if location is not None:
        lat, lon = location
        return Place("", Address(id="", street="", house="", district="", label="", lat=lat,
                                 lon=lon))
    text = latest_text(tracker)
    address = latest_entity(tracker, "address")
    district = latest_entity(tracker, "district")
    # The district's name in the conversation's language; None: a "district" the city does not know
    named = district and await city().api.district_name(district, language=language_of(tracker))
    if district and not named:
        address, district = address or district, None
    guesses = [g for g in (address, *address_candidates(text)) if g]
    if guesses:
        found = await resolve_first(city().api, guesses, language=language_of(tracker))
        if found.address is not None:
            return Place(found.address.label, found.address)
        if found.suggestions:
            street = found.suggestions[0]
            return Place(street.street or street.label, street)
    if not (address or district):
        # a district the NLU did not tag ("я на арбате": Russian names decline)
        district = await city().api.district_in(text, language=language_of(tracker))
        named = district and await city().api.district_name(district, language=language_of(tracker))
    return Place(named, district=district) if district and named else None


def _followed_up(tracker: Tracker) -> Place | None:
    """The place of the previous answer, for a follow-up that names none."""
    return Place.recalled(tracker.get_slot("last_place"))


def _hours_on(facility: Facility, day: str, domain: dict[str, Any]) -> str:
    return facility.opening_hours.get(day) or render(domain, "utter_office_closed_today")


def _asked_day(text: str, today: date) -> str | None:
    """The weekday a follow-up asks about ("is it open on saturday?", "tomorrow", "в субботу",
    "завтра", "послезавтра"), if any."""
    number = weekday_in(text)
    if number is None:
        day = relative_day(text, today)
        number = None if day is None else day.weekday()
    return None if number is None else WEEKDAYS[number]


def _remember(service: str, place: Place, **more: Any) -> list[EventType]:
    return [SlotSet("pending_service", None), SlotSet("last_service", service),
            SlotSet("last_place", place.remembered()),
            *(SlotSet(name, value) for name, value in more.items())]


class ActionFindOffice(Action):
    def name(self) -> str:
        return "action_find_office"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        if (
            not (latest_entity(tracker, "address") or latest_entity(tracker, "district"))
            and not asks_where(latest_text(tracker))
            and answered_as_faq_follow_up(dispatcher, tracker, domain)
        ):
            return []  # "can I pay at the post office?" right after the utility bill answer
        kind = latest_entity(tracker, "facility_type") or tracker.get_slot("last_facility_type")
        if kind not in FACILITY_TYPES:
            kind = "service_centre"
        text = latest_text(tracker)
        try:
            place = await _place(tracker) or _followed_up(tracker)
            if place is None:
                dispatcher.utter_message(response="utter_ask_office_place")
                return [SlotSet("pending_service", "find_office")]
            label = place.label or render(domain, "utter_your_location")
            address = place.address
            facilities = await city().api.facilities(
                type=kind,
                lat=address.lat if address else None,
                lon=address.lon if address else None,
                district=place.district,
                language=language_in(domain),
            )
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return [SlotSet("pending_service", None)]
        facility_name = render(domain, f"utter_facility_{kind}")
        if not facilities:
            dispatcher.utter_message(response="utter_no_offices", facility=facility_name, place=label)
            return [SlotSet("pending_service", None)]
        now = datetime.now(CITY_TZ)
        asked = _asked_day(text, now.date())
        today = WEEKDAYS[now.weekday()]
        when = (weekday(WEEKDAYS.index(asked), language_in(domain))
                if asked and asked != today else None)
        lines = [render(domain, "utter_offices_header", facility=facility_name, place=label)]
        for f in facilities:
            lines.append(
                render(
                    domain, "utter_office_line_on" if when else "utter_office_line",
                    name=f.name, address=f.address, day=when,
                    hours=_hours_on(f, asked or today, domain), phone=f.phone or "-",
                )
            )
            if f.queue_waiting is not None and not when:
                lines.append(
                    render(
                        domain, "utter_office_queue",
                        waiting=f.queue_waiting, minutes=f.queue_minutes or 0,
                    )
                )
        dispatcher.utter_message(text="\n".join(lines))
        return _remember("find_office", place, last_facility_type=kind)


class ActionCheckOutages(Action):
    def name(self) -> str:
        return "action_check_outages"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if (latest_intent(tracker) == "check_outages" and not tracker.active_loop_name
                and asks_to_be_told(latest_text(tracker))):
            return [FollowupAction("subscription_form")]  # "let me know about outages at ..."
        domain = localized(domain, tracker)
        try:
            place = await _place(tracker)
            if place is None and tracker.get_slot("last_service") == "check_outages":
                place = _followed_up(tracker)
            if place is None or not place.label:  # a shared point has no address to look up
                dispatcher.utter_message(response="utter_ask_outage_place")
                return [SlotSet("pending_service", "check_outages")]
            said = latest_text(tracker)
            today = datetime.now(CITY_TZ).date()
            # "since saturday" is read from the whole sentence: the tagged day alone is ahead.
            period = since_period(said, today) or parse_period(
                latest_entity(tracker, "date") or said, today
            )
            outages = await city().api.outages(
                address_id=place.address.id if place.address else None,
                district=place.district,
                start=period[0] if period else None,
                end=period[1] if period else None,
                language=language_in(domain),
            )
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return [SlotSet("pending_service", None)]
        except CityRejected:
            dispatcher.utter_message(response="utter_ask_outage_place")
            return [SlotSet("pending_service", "check_outages")]
        label = place.label
        dated = {"start": day(period[0], language_in(domain)), "end": day(period[1], language_in(domain))} if period else {}
        suffix = "_dated" if period else ""
        if not outages:
            dispatcher.utter_message(response=f"utter_no_outages{suffix}", place=label, **dated)
            return _remember("check_outages", place)
        lines = [render(domain, f"utter_outages_header{suffix}", place=label, **dated)]
        for o in outages:
            lines.append(
                render(
                    domain, "utter_outage_line",
                    kind=render(domain, f"utter_outage_{o.kind}") or o.kind,
                    status=render(domain, f"utter_outage_status_{o.status}") or o.status,
                    start=moment(o.starts_at, language_in(domain)),
                    end=moment(o.ends_at, language_in(domain)), reason=o.reason,
                )
            )
        dispatcher.utter_message(text="\n".join(lines))
        return _remember("check_outages", place)
