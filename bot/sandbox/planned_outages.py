"""Announcing a planned outage (test hook ``POST /sandbox/outages``): the outage and its
``outage_planned`` event in one transaction, so ``GET /outages`` and the events feed agree.

The outages table keeps a district and the streets in it (none: the whole district), so an
outage asked for "at a house" is on that house's street: what ``GET /outages?address_id=``
matches for every house of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.sandbox.dates import parse_w3c, shifted, utcnow
from bot.sandbox.errors import ApiError
from bot.sandbox.events import OUTAGE_PLANNED, append, outage_planned
from bot.sandbox.geo import Gazetteer
from bot.sandbox.models import CityEvent, Outage
from bot.sandbox.seed import OUTAGE_REASONS
from bot.sandbox.state import GAZETTEER, RUNTIME, open_session

KINDS = tuple(OUTAGE_REASONS)
# Left out: from this time tomorrow, for a working day.
DEFAULT_LEAD = timedelta(days=1)
DEFAULT_LENGTH = timedelta(hours=8)
# A city announces what it plans for the coming year, for at most a month at a time.
MAX_LEAD = timedelta(days=366)
MAX_LENGTH = timedelta(days=31)
MAX_TEXT = 500
ECHO_CHARS = 100
EXAMPLE = '{"address_id": 1, "kind": "hot_water", "starts_at": "<W3C datetime>"}'


@dataclass(frozen=True)
class NewOutage:
    """An outage as the hook was asked for it, checked, in the table's terms."""

    kind: str
    district_id: int
    streets: list[str]
    starts_at: datetime
    ends_at: datetime
    reason: str
    reason_ru: str | None


def _bad(message: str, **details: Any) -> ApiError:
    return ApiError(400, "bad_outage", message, details)


def _echo(value: Any) -> str:
    return str(value)[:ECHO_CHARS]


def _street_in(gazetteer: Gazetteer, district_id: int, text: Any) -> str:
    """The English name of the district's street called ``text`` in either language."""
    known = gazetteer.street_names(district_id)
    wanted = " ".join(text.split()).casefold() if isinstance(text, str) else None
    for name in known:
        if wanted in (name.casefold(), gazetteer.street_name(name, "ru").casefold()):
            return name
    raise ApiError(400, "bad_street", "street must be a street of that district.",
                   {"street": _echo(text), "known": known})


def _where(gazetteer: Gazetteer, body: dict[str, Any]) -> tuple[int, list[str]]:
    """(district id, streets) from a house's id, or a district and maybe one of its streets."""
    address_id = body.get("address_id")
    if address_id is not None:
        place = (gazetteer.get(address_id) if isinstance(address_id, int)
                 and not isinstance(address_id, bool) else None)
        if place is None:
            raise ApiError(400, "bad_address", "address_id must be the id of a house the city "
                                               "knows.", {"address_id": _echo(address_id)})
        return place.district_id, [place.street]
    district = body.get("district")
    if not isinstance(district, str) or not district.strip():
        raise _bad("Say where: address_id, or district (and street).")
    found = gazetteer.find_district(district[:200])
    if found is None:
        raise ApiError(400, "bad_district", f"There is no district called {_echo(district)!r}.",
                       {"district": _echo(district),
                        "known": sorted(gazetteer.districts.values())})
    street = body.get("street")
    return found[0], [] if street is None else [_street_in(gazetteer, found[0], street)]


def _moment(body: dict[str, Any], name: str, alias: str, default: datetime) -> datetime:
    """A W3C datetime of the body (or its short name), naive UTC to the second."""
    value = body.get(name, body.get(alias))
    if value is None:
        return default
    try:
        if not isinstance(value, str):
            raise ValueError(name)
        return parse_w3c(value).replace(microsecond=0)
    except ValueError:
        raise _bad(f"{name} must be a W3C datetime like 2026-10-20T09:00:00+03:00.",
                   **{name: _echo(value)}) from None


def _when(body: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """When it starts and ends: not over yet, at most a month long, within the coming year."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    starts = _moment(body, "starts_at", "starts", hour + DEFAULT_LEAD)
    ends = _moment(body, "ends_at", "ends", shifted(starts, DEFAULT_LENGTH))
    if not starts < ends:
        raise _bad("ends_at must be after starts_at.")
    if ends <= now:
        raise _bad("ends_at must be in the future: an outage that is over is not announced.")
    if ends - starts > MAX_LENGTH or starts > now + MAX_LEAD:
        raise _bad("An outage lasts at most 31 days and starts within the coming year.")
    return starts, ends


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise _bad(f"{name} must be a text of 1 to {MAX_TEXT} characters.",
                   **{name: _echo(value)})
    return value.strip()


def new_outage(gazetteer: Gazetteer, body: Any, now: datetime) -> NewOutage:
    """The outage a hook body asks for, or a 400 saying what is wrong with it."""
    if not isinstance(body, dict):
        raise _bad("The body must be a JSON object like " + EXAMPLE + ".")
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise _bad(f"kind must be one of: {', '.join(KINDS)}.", kind=_echo(kind),
                   allowed=list(KINDS))
    district_id, streets = _where(gazetteer, body)
    starts, ends = _when(body, now)
    reason, reason_ru = _text(body, "reason"), _text(body, "reason_ru")
    if reason is None:
        # The city's own words for the kind, in both languages.
        (reason, city_ru), _, _ = OUTAGE_REASONS[kind]
        reason_ru = reason_ru or city_ru
    return NewOutage(kind, district_id, streets, starts, ends, reason, reason_ru)


async def announce_outage(app: web.Application, body: Any) -> CityEvent:
    """Add a planned outage and its ``outage_planned`` event together; the event."""
    gazetteer = app[GAZETTEER]
    wanted = new_outage(gazetteer, body, utcnow())
    async with app[RUNTIME].write_lock, open_session(app) as session, session.begin():
        outage = Outage(kind=wanted.kind, district_id=wanted.district_id,
                        streets=wanted.streets, starts_at=wanted.starts_at,
                        ends_at=wanted.ends_at, reason=wanted.reason,
                        reason_ru=wanted.reason_ru)
        session.add(outage)
        await session.flush()  # the outage's id, which the event names
        event = append(session, OUTAGE_PLANNED, outage_planned(outage, gazetteer))
        await session.flush()
    return event
