"""Filing an Open311 service request: validate the form, locate it, store it, answer."""

from __future__ import annotations

import math
import re
import uuid
from datetime import timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import Integer, cast, func, select

from bot.sandbox.catalogue import service_notice
from bot.sandbox.dates import parse_w3c, utcnow
from bot.sandbox.errors import GeoReportError
from bot.sandbox.geo import Place
from bot.sandbox.models import Service, ServiceRequest
from bot.sandbox.seed import FIRST_REQUEST_ID
from bot.sandbox.state import GAZETTEER, open_session

MAX_DESCRIPTION = 4000
MAX_FIELD = 255
MAX_ATTRIBUTE_TEXT = {"string": 200, "text": 4000}
GEOCODE_MINIMUM = 0.8
REPORTER_FIELDS = ("email", "device_id", "account_id", "first_name", "last_name", "phone")
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def _attribute_values(form: MultiDictProxy) -> dict[str, list[str]]:
    """``attribute[size]=large`` and ``attribute[kinds][]=a&attribute[kinds][]=b``."""
    values: dict[str, list[str]] = {}
    for key, value in form.items():
        match = ATTRIBUTE_KEY.match(key)
        if match and isinstance(value, str) and value.strip():
            values.setdefault(match.group(1), []).append(value.strip())
    return values


def _check_attribute(definition: dict[str, Any], given: list[str]) -> str | None:
    """Why the given values do not fit the attribute's definition, or None."""
    code, datatype = definition["code"], definition["datatype"]
    keys = [v["key"] for v in definition["values"]]
    if datatype == "singlevaluelist":
        if len(given) > 1 or given[0] not in keys:
            return f"attribute[{code}] must be one of: {', '.join(keys)}"
    elif datatype == "multivaluelist":
        wrong = [v for v in given if v not in keys]
        if wrong:
            return f"attribute[{code}] values must be among: {', '.join(keys)}"
    elif datatype == "number":
        try:
            if not math.isfinite(float(given[0])):
                raise ValueError
        except ValueError:
            return f"attribute[{code}] must be a number"
    elif datatype == "datetime":
        try:
            parse_w3c(given[0])
        except ValueError:
            return f"attribute[{code}] must be a W3C datetime"
    elif len(given[0]) > MAX_ATTRIBUTE_TEXT.get(datatype, MAX_FIELD):
        return f"attribute[{code}] is too long"
    return None


def validate_attributes(service: Service, form: MultiDictProxy
                        ) -> tuple[dict[str, Any], list[str]]:
    """The attributes to store and the errors found; unknown attribute codes are ignored."""
    given = _attribute_values(form)
    stored: dict[str, Any] = {}
    errors: list[str] = []
    for definition in sorted(service.attributes, key=lambda a: a["order"]):
        code = definition["code"]
        if code not in given:
            if definition["required"]:
                errors.append(f"attribute[{code}] is required: {definition['description']}")
            continue
        problem = _check_attribute(definition, given[code])
        if problem:
            errors.append(problem)
        elif definition["datatype"] == "multivaluelist":
            stored[code] = given[code]
        else:
            stored[code] = given[code][0]
    return stored, errors


def _coordinate(form: MultiDictProxy, name: str, limit: float, errors: list[str]) -> float | None:
    text = form.get(name, "").strip()
    try:
        value = float(text)
    except ValueError:
        errors.append(f"{name} '{text}' is not a number")
        return None
    if not math.isfinite(value) or abs(value) > limit:
        errors.append(f"{name} must be between -{limit:g} and {limit:g}")
        return None
    return value


def locate(app: web.Application, form: MultiDictProxy, errors: list[str]
           ) -> tuple[Place | None, float | None, float | None, str | None]:
    """The place, coordinates and address text of a request (GeoReport: one of three ways)."""
    gazetteer = app[GAZETTEER]
    address_text = form.get("address_string", "").strip() or None
    has_point = bool(form.get("lat", "").strip() or form.get("long", "").strip())
    raw_id = form.get("address_id", "").strip()
    if not (address_text or has_point or raw_id):
        errors.append("a location is required: lat and long, address_string or address_id")
        return None, None, None, None
    place = None
    if raw_id:
        place = gazetteer.get(int(raw_id)) if raw_id.isdigit() else None
        if place is None:
            errors.append(f"address_id '{raw_id}' is not a known address")
    lat = lon = None
    if has_point:
        lat = _coordinate(form, "lat", 90, errors)
        lon = _coordinate(form, "long", 180, errors)
    if address_text and len(address_text) > MAX_FIELD * 2:
        errors.append("address_string is too long")
    if errors:
        return None, None, None, None
    if place is None and address_text:
        place = gazetteer.best(address_text, minimum=GEOCODE_MINIMUM)
    if place is None and lat is not None and lon is not None:
        place = gazetteer.nearest(lat, lon)
    if lat is None and place is not None:
        lat, lon = place.lat, place.lon
    return place, lat, lon, (place.label if place else address_text)


def _check_fields(form: MultiDictProxy, errors: list[str]) -> None:
    description = form.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        errors.append(f"description must be at most {MAX_DESCRIPTION} characters "
                      f"(it has {len(description)})")
    for name in REPORTER_FIELDS:
        if len(form.get(name, "")) > MAX_FIELD:
            errors.append(f"{name} must be at most {MAX_FIELD} characters")
    email = form.get("email", "").strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors.append(f"email '{email}' is not an e-mail address")
    media = form.get("media_url", "").strip()
    if media and not re.match(r"^https?://\S+$", media):
        errors.append("media_url must be an http(s) URL")


async def file_request(app: web.Application, form: MultiDictProxy) -> list[dict[str, Any]]:
    """Validate and store one request; the caller holds the write lock."""
    code = form.get("service_code", "").strip()
    if not code:
        raise GeoReportError(400, "service_code is required")
    async with open_session(app) as session, session.begin():
        service = await session.get(Service, code)
        if service is None:
            raise GeoReportError(400, f"service_code '{code}' is not a known service")
        attributes, errors = validate_attributes(service, form)
        place, lat, lon, address = locate(app, form, errors)
        _check_fields(form, errors)
        if errors:
            raise GeoReportError(400, errors)
        highest = await session.scalar(select(func.max(cast(ServiceRequest.id, Integer))))
        now = utcnow().replace(microsecond=0)
        notice = service_notice(service.name, service.agency, service.resolution_days)
        row = ServiceRequest(
            id=str(max(highest or 0, FIRST_REQUEST_ID - 1) + 1),
            service_code=service.code, status="open", status_notes="Received",
            description=form.get("description", "").strip() or None,
            agency_responsible=service.agency, service_notice=notice,
            requested_datetime=now, updated_datetime=now,
            expected_datetime=now + timedelta(days=service.resolution_days),
            address=address, address_id=place.id if place else None,
            zipcode=place.zipcode if place else None, lat=lat, lon=lon,
            media_url=form.get("media_url", "").strip() or None, attributes=attributes,
            reporter={name: form[name] for name in REPORTER_FIELDS if form.get(name)},
            token=uuid.uuid4().hex if service.type == "batch" else None,
            moved_by_clock=True, ticks=0,
        )
        session.add(row)
    answer: dict[str, Any] = {"service_notice": notice, "account_id": form.get("account_id")}
    if row.token:
        # GeoReport: a batch service answers with a token that later resolves to the id.
        return [{"token": row.token, **answer}]
    return [{"service_request_id": row.id, **answer}]
