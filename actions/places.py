"""Services 6 and 7: the nearest office, and planned outages, for a place the citizen names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import CITY_TZ, city, day, latest_entity, moment, render, shared_location
from bot.city import CityUnavailable
from bot.city.cityapi import FACILITY_TYPES
from bot.city.models import Address, Facility
from bot.places import resolve_address
from bot.when import parse_period

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def _place(tracker: Tracker) -> tuple[str | None, Address | None, str | None]:
    """(label, address, district) from the latest message: an address wins over a district.

    A shared location is an address without a name (labelled from the domain by the caller).
    """
    location = shared_location(tracker)
    if location is not None:
        lat, lon = location
        return "", Address(id="", street="", house="", district="", label="", lat=lat, lon=lon), None
    text = latest_entity(tracker, "address")
    district = latest_entity(tracker, "district")
    if text:
        found = await resolve_address(city().api, text)
        address = found.address or (found.suggestions[0] if found.suggestions else None)
        if address is not None:
            return address.label, address, None
    if district:
        return district, None, district
    return None, None, None


def _hours_today(facility: Facility, domain: dict[str, Any]) -> str:
    today = WEEKDAYS[datetime.now(CITY_TZ).weekday()]
    return facility.opening_hours.get(today) or render(domain, "utter_office_closed_today")


class ActionFindOffice(Action):
    def name(self) -> str:
        return "action_find_office"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kind = latest_entity(tracker, "facility_type")
        if kind not in FACILITY_TYPES:
            kind = "service_centre"
        try:
            label, address, district = await _place(tracker)
            if label == "" and address is not None:
                label = render(domain, "utter_your_location")
            if label is None:
                dispatcher.utter_message(response="utter_ask_office_place")
                return [SlotSet("pending_service", "find_office")]
            facilities = await city().api.facilities(
                type=kind,
                lat=address.lat if address else None,
                lon=address.lon if address else None,
                district=district,
            )
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return [SlotSet("pending_service", None)]
        facility_name = render(domain, f"utter_facility_{kind}")
        if not facilities:
            dispatcher.utter_message(response="utter_no_offices", facility=facility_name, place=label)
            return [SlotSet("pending_service", None)]
        lines = [render(domain, "utter_offices_header", facility=facility_name, place=label)]
        for f in facilities:
            lines.append(
                render(
                    domain, "utter_office_line", name=f.name, address=f.address,
                    hours=_hours_today(f, domain), phone=f.phone or "-",
                )
            )
            if f.queue_waiting is not None:
                lines.append(
                    render(
                        domain, "utter_office_queue",
                        waiting=f.queue_waiting, minutes=f.queue_minutes or 0,
                    )
                )
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("pending_service", None)]


class ActionCheckOutages(Action):
    def name(self) -> str:
        return "action_check_outages"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            label, address, district = await _place(tracker)
            if not label:  # nothing named (a shared location has no address to look up)
                dispatcher.utter_message(response="utter_ask_outage_place")
                return [SlotSet("pending_service", "check_outages")]
            text = latest_entity(tracker, "date") or (tracker.latest_message or {}).get("text")
            period = parse_period(text or "", datetime.now(CITY_TZ).date())
            outages = await city().api.outages(
                address_id=address.id if address else None,
                district=district,
                start=period[0] if period else None,
                end=period[1] if period else None,
            )
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return [SlotSet("pending_service", None)]
        dated = {"start": day(period[0]), "end": day(period[1])} if period else {}
        suffix = "_dated" if period else ""
        if not outages:
            dispatcher.utter_message(response=f"utter_no_outages{suffix}", place=label, **dated)
            return [SlotSet("pending_service", None)]
        lines = [render(domain, f"utter_outages_header{suffix}", place=label, **dated)]
        for o in outages:
            lines.append(
                render(
                    domain, "utter_outage_line",
                    kind=render(domain, f"utter_outage_{o.kind}") or o.kind,
                    status=render(domain, f"utter_outage_status_{o.status}") or o.status,
                    start=moment(o.starts_at), end=moment(o.ends_at), reason=o.reason,
                )
            )
        dispatcher.utter_message(text="\n".join(lines))
        return [SlotSet("pending_service", None)]
