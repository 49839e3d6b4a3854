"""City JSON API under ``/api/v1/``: districts, addresses, facilities and outages.

Addresses, facilities and outages answer in English unless asked for Russian (``lang=ru`` or
``Accept-Language: ru``): then street, district and address label, a facility's name and an
outage's reason are the Russian ones (the English where the city has no Russian).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.sandbox.dates import moscow_now, shifted, to_w3c, utcnow
from bot.sandbox.errors import ApiError
from bot.sandbox.facilities import TYPES, facility_json
from bot.sandbox.geo import Gazetteer, Place
from bot.sandbox.models import Facility, Outage
from bot.sandbox.params import date_param, id_param, lang_param, limit_param, point_params
from bot.sandbox.state import GAZETTEER, open_session

PREFIX = "/api/v1"
routes = web.RouteTableDef()


def _lang(request: web.Request) -> str:
    return lang_param(request.query, request.headers)


def _answer(body: Any, lang: str) -> web.Response:
    """JSON in ``lang``, saying so (and that it depends on Accept-Language, for caches)."""
    return web.json_response(body, headers={"Content-Language": lang,
                                            "Vary": "Accept-Language"})


def _district(request: web.Request) -> tuple[int, str] | None:
    name = request.query.get("district", "").strip()
    if not name:
        return None
    found = request.app[GAZETTEER].find_district(name)
    if found is None:
        raise ApiError(400, "bad_district", f"There is no district called {name!r}.",
                       {"district": name, "known": sorted(request.app[GAZETTEER].districts
                                                          .values())})
    return found


def _address(request: web.Request, text: str) -> Place:
    place = request.app[GAZETTEER].get(id_param(text, "address_not_found", "address"))
    if place is None:
        raise ApiError(404, "address_not_found", f"There is no address with id {text}.",
                       {"id": text})
    return place


@routes.get(f"{PREFIX}/districts")
async def districts(request: web.Request) -> web.Response:
    """Every district of the city, named in the asked language."""
    lang = _lang(request)
    gazetteer = request.app[GAZETTEER]
    items = [{"id": i, "name": gazetteer.district_name(i, lang)} for i in gazetteer.districts]
    return _answer({"items": items}, lang)


@routes.get(f"{PREFIX}/addresses")
async def search_addresses(request: web.Request) -> web.Response:
    """Fuzzy address search, best first."""
    text = request.query.get("q", "").strip()
    if not text:
        raise ApiError(400, "bad_query", "Give the address to look for in q.")
    if len(text) > 200:
        raise ApiError(400, "bad_query", "q must be at most 200 characters.")
    limit = limit_param(request.query, 5)
    lang = _lang(request)
    found = request.app[GAZETTEER].search(text, limit)
    return _answer({"items": [place.as_json(score, lang) for place, score in found]}, lang)


@routes.get(PREFIX + "/addresses/{id}")
async def get_address(request: web.Request) -> web.Response:
    """One address by id."""
    lang = _lang(request)
    return _answer(_address(request, request.match_info["id"]).as_json(lang=lang), lang)


@routes.get(f"{PREFIX}/facilities")
async def search_facilities(request: web.Request) -> web.Response:
    """Facilities of a type, nearest first from a point, else by name (in a district)."""
    query = request.query
    kind = query.get("type", "").strip()
    if kind and kind not in TYPES:
        raise ApiError(400, "bad_type", f"type must be one of: {', '.join(TYPES)}.",
                       {"type": kind, "allowed": list(TYPES)})
    point = point_params(query)
    limit = limit_param(query, 3)
    lang = _lang(request)
    district = _district(request)
    statement = select(Facility).order_by(Facility.id)
    if kind:
        statement = statement.where(Facility.type == kind)
    async with open_session(request.app) as session:
        rows = (await session.scalars(statement)).all()
    gazetteer, now = request.app[GAZETTEER], moscow_now()
    if district is not None:
        rows = [row for row in rows if (place := gazetteer.get(row.address_id)) is not None
                and place.district_id == district[0]]
    if point is None:
        # By the English name, so that a limit keeps the same facilities in every language.
        rows = sorted(rows, key=lambda row: row.name)
    items = [facility_json(row, gazetteer, now, point, lang) for row in rows]
    if point is not None:
        items.sort(key=lambda item: (item["distance_m"] is None, item["distance_m"]))
    return _answer({"items": items[:limit]}, lang)


@routes.get(PREFIX + "/facilities/{id}")
async def get_facility(request: web.Request) -> web.Response:
    """One facility by id."""
    text = request.match_info["id"]
    lang = _lang(request)
    facility_id = id_param(text, "facility_not_found", "facility")
    async with open_session(request.app) as session:
        facility = await session.get(Facility, facility_id)
    if facility is None:
        raise ApiError(404, "facility_not_found", f"There is no facility with id {text}.",
                       {"id": text})
    return _answer(facility_json(facility, request.app[GAZETTEER], moscow_now(), lang=lang),
                   lang)


def _outage_json(outage: Outage, gazetteer: Gazetteer, now: datetime, lang: str
                 ) -> dict[str, Any]:
    return {
        "id": outage.id,
        "kind": outage.kind,
        "district": gazetteer.district_name(outage.district_id, lang),
        "streets": [gazetteer.street_name(name, lang) for name in outage.streets],
        "starts_at": to_w3c(outage.starts_at),
        "ends_at": to_w3c(outage.ends_at),
        "reason": (outage.reason_ru if lang == "ru" else None) or outage.reason,
        "status": "current" if outage.starts_at <= now else "planned",
    }


def _where(request: web.Request) -> tuple[Place | None, tuple[int, str] | None]:
    """The address (by id or by fuzzy text) or the district the citizen asked about."""
    query = request.query
    if query.get("address_id", "").strip():
        return _address(request, query["address_id"].strip()), None
    text = query.get("address", "").strip()
    if text:
        place = request.app[GAZETTEER].best(text[:200])
        if place is None:
            raise ApiError(404, "address_not_found", f"No address matches {text!r}.",
                           {"address": text})
        return place, None
    return None, _district(request)


@routes.get(f"{PREFIX}/outages")
async def outages(request: web.Request) -> web.Response:
    """Current and planned outages at an address, in a district or in the whole city."""
    lang = _lang(request)
    place, district = _where(request)
    start, end = date_param(request.query, "from"), date_param(request.query, "to")
    if end is not None and len(request.query["to"].strip()) == 10:
        end = shifted(end, timedelta(days=1))  # a plain date means the whole day
    if start is not None and end is not None and end < start:
        raise ApiError(400, "bad_date", "to must not be before from.")
    now = utcnow()
    statement = select(Outage).where(Outage.ends_at > max(now, start or now))
    if end is not None:
        statement = statement.where(Outage.starts_at < end)
    district_id = place.district_id if place else district[0] if district else None
    if district_id is not None:
        statement = statement.where(Outage.district_id == district_id)
    async with open_session(request.app) as session:
        rows = (await session.scalars(statement.order_by(Outage.starts_at, Outage.id))).all()
    if place is not None:
        rows = [row for row in rows if not row.streets or place.street in row.streets]
    gazetteer = request.app[GAZETTEER]
    body: dict[str, Any] = {"items": [_outage_json(row, gazetteer, now, lang) for row in rows]}
    if place is not None:
        body["address"] = place.as_json(lang=lang)
    return _answer(body, lang)
