"""Facilities as the city API shows them: opening hours, open now, the current queue."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from bot.sandbox.geo import Gazetteer, haversine_m
from bot.sandbox.models import Facility

TYPES = ("service_centre", "clinic", "police", "post_office", "library", "housing_office")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_CITIZEN = 3
BUSY_HOURS = {10, 11, 12, 17, 18}


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def is_open(hours: dict[str, str | None], now: datetime) -> bool:
    """Whether the facility is open at ``now`` (a Moscow-time datetime)."""
    span = hours.get(DAYS[now.weekday()])
    if not span:
        return False
    opens, closes = span.split("-")
    minute = now.hour * 60 + now.minute
    return _minutes(opens) <= minute < _minutes(closes)


def queue(facility: Facility, open_now: bool, now: datetime) -> dict[str, int] | None:
    """A queue that changes every quarter of an hour and is busier at lunch and after work."""
    if facility.queue_base is None:
        return None
    if not open_now:
        return {"waiting": 0, "wait_minutes": 0}
    slot = now.strftime("%Y%m%d%H") + str(now.minute // 15)
    jitter = random.Random(f"{facility.id}-{slot}").random()
    factor = 1.4 if now.hour in BUSY_HOURS else 0.8
    waiting = round(facility.queue_base * factor * (0.5 + jitter))
    return {"waiting": waiting, "wait_minutes": waiting * MINUTES_PER_CITIZEN}


def facility_json(facility: Facility, gazetteer: Gazetteer, now: datetime,
                  point: tuple[float, float] | None = None, lang: str = "en") -> dict[str, Any]:
    """A facility as the API shows it; its name, address label and district in ``lang``."""
    place = gazetteer.get(facility.address_id)
    open_now = is_open(facility.opening_hours, now)
    distance = None
    if point is not None and place is not None:
        distance = round(haversine_m(point[0], point[1], place.lat, place.lon))
    return {
        "id": facility.id,
        "type": facility.type,
        "name": (facility.name_ru if lang == "ru" else None) or facility.name,
        "address": place.label_in(lang) if place else None,
        "address_id": facility.address_id,
        "district": place.district_in(lang) if place else None,
        "lat": place.lat if place else None,
        "lon": place.lon if place else None,
        "phone": facility.phone,
        "opening_hours": {day: facility.opening_hours.get(day) for day in DAYS},
        "open_now": open_now,
        "queue": queue(facility, open_now, now),
        "distance_m": distance,
    }
