"""The city's events feed: what happened in the city that a citizen may want to be told of.

Each event is appended in the transaction that made it happen, so the feed never tells of
something the city does not have, nor leaves out something it has:

- ``outage_planned``: a planned outage was announced (``bot.sandbox.planned_outages``);
- ``fine_issued``: a vehicle was fined (``bot.sandbox.fines_api.fine_now``);
- ``meter_window_opened``: this month's meter-reading window is open; told at most once a month
  (:func:`announce_meter_window`, called when the feed is read and when the test hook sets the
  window), so the city needs no clock running to tell of it.

Every writer holds the app's write lock, so ids commit in the order they were given: a reader
that has seen id n has seen every event below it. The seeded history is not in the feed: a
fresh city starts with an empty one.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.meters import window_state
from bot.sandbox.dates import moscow_now, to_w3c, utcnow
from bot.sandbox.geo import Gazetteer
from bot.sandbox.models import CityEvent, Fine, Outage
from bot.sandbox.state import CONFIG, RUNTIME, open_session

OUTAGE_PLANNED = "outage_planned"
FINE_ISSUED = "fine_issued"
METER_WINDOW_OPENED = "meter_window_opened"
KINDS = (OUTAGE_PLANNED, FINE_ISSUED, METER_WINDOW_OPENED)


def append(session: AsyncSession, kind: str, data: dict[str, Any],
           once_key: str | None = None, now: datetime | None = None) -> CityEvent:
    """Add an event to the session's transaction: it is in the feed when (and only if) what it
    tells of is committed with it. Its id is known after the flush."""
    event = CityEvent(kind=kind, occurred_at=(now or utcnow()).replace(microsecond=0),
                      data=data, once_key=once_key)
    session.add(event)
    return event


def event_json(event: CityEvent) -> dict[str, Any]:
    """An event as the feed shows it."""
    return {"id": event.id, "kind": event.kind, "occurred_at": to_w3c(event.occurred_at),
            "data": event.data}


def fine_issued(fine: Fine) -> dict[str, Any]:
    """What a notification of a new fine needs, in both languages (a feed has no reader's
    language: the notifier chooses per citizen)."""
    return {"fine_id": fine.id, "vehicle_certificate": fine.certificate,
            "article": fine.article, "offence": fine.offence, "offence_ru": fine.offence_ru,
            "amount": fine.amount, "ruled_on": fine.ruled_on.isoformat()}


def affected_addresses(gazetteer: Gazetteer, district_id: int, streets: list[str]) -> list[int]:
    """The houses an outage reaches, by the rule ``GET /outages?address_id=`` applies: the
    district's houses on the listed streets (no streets: the whole district)."""
    return sorted(place.id for place in gazetteer.places.values()
                  if place.district_id == district_id
                  and (not streets or place.street in streets))


def outage_planned(outage: Outage, gazetteer: Gazetteer) -> dict[str, Any]:
    """A planned outage with the houses it reaches, so a notifier matches a subscriber's
    address id without asking the city again."""
    return {
        "outage_id": outage.id,
        "kind": outage.kind,
        "starts_at": to_w3c(outage.starts_at),
        "ends_at": to_w3c(outage.ends_at),
        "district_id": outage.district_id,
        "district": gazetteer.district_name(outage.district_id),
        "district_ru": gazetteer.district_name(outage.district_id, "ru"),
        "streets": list(outage.streets),
        "streets_ru": [gazetteer.street_name(name, "ru") for name in outage.streets],
        "address_ids": affected_addresses(gazetteer, outage.district_id, outage.streets),
        "reason": outage.reason,
        # The English where the city has no Russian, as GET /outages?lang=ru shows it.
        "reason_ru": outage.reason_ru or outage.reason,
    }


def meter_window_days(app: web.Application) -> tuple[int, int]:
    """The days of the month readings are accepted: the test hook's, else the configured."""
    return app[RUNTIME].meter_window or app[CONFIG].meter_window


def meter_window_opened(today: date, opens: int, closes: int) -> dict[str, Any]:
    """This month's window, with its first and last day as dates (a window "to the 31st" ends
    with a shorter month)."""
    last = calendar.monthrange(today.year, today.month)[1]
    return {"month": today.strftime("%Y-%m"), "opens_day": opens, "closes_day": closes,
            "opens_on": today.replace(day=min(opens, last)).isoformat(),
            "closes_on": today.replace(day=min(closes, last)).isoformat()}


def meter_window_key(today: date) -> str:
    """The key that lets a month's window be told of once."""
    return f"{METER_WINDOW_OPENED}:{today:%Y-%m}"


async def _told(session: AsyncSession, key: str) -> CityEvent | None:
    return await session.scalar(select(CityEvent).where(CityEvent.once_key == key))


async def announce_meter_window(app: web.Application, today: date | None = None
                                ) -> CityEvent | None:
    """Tell of the month's meter window once, if it is open on ``today`` (default: the city's
    Moscow date); the month's event (told now or before), or None while the window is closed.

    A cheap read first, since every read of the feed asks; the write under the lock re-checks,
    and the unique key settles a race with another process on the same database.
    """
    today = today or moscow_now().date()
    opens, closes = meter_window_days(app)
    if not window_state(today, opens, closes)[0]:
        return None
    key = meter_window_key(today)
    async with open_session(app) as session:
        told = await _told(session, key)
    if told is not None:
        return told
    async with app[RUNTIME].write_lock:
        try:
            async with open_session(app) as session, session.begin():
                told = await _told(session, key)
                if told is None:
                    told = append(session, METER_WINDOW_OPENED,
                                  meter_window_opened(today, opens, closes), once_key=key)
        except IntegrityError:
            async with open_session(app) as session:
                told = await _told(session, key)
    return told
