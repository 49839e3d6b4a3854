"""Filing an Open311 service request: validate the form, locate it, store it, answer.

Every reason a filing is refused for is given in English and in Russian (a :class:`Said`), so
that the citizen hears it in the language they asked in; the request is stored in English, the
city's own language, and answered in the language asked for by ``open311``.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import Integer, cast, func, select

from bot.sandbox.catalogue import RUSSIAN, localized_attributes, service_notice, translation
from bot.sandbox.dates import parse_w3c, utcnow
from bot.sandbox.errors import GeoReportError, Said
from bot.sandbox.params import is_number
from bot.sandbox.geo import Place
from bot.sandbox.idempotency import remember
from bot.sandbox.models import Service, ServiceRequest
from bot.sandbox.phrasebook import RECEIVED
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


def _check_attribute(definition: dict[str, Any], given: list[str], russian: dict[str, Any]
                     ) -> Said | None:
    """Why the given values do not fit the attribute's definition, or None (``russian`` is the
    same attribute as the city asks it in Russian: its question and option titles)."""
    code, datatype = definition["code"], definition["datatype"]
    keys = [v["key"] for v in definition["values"]]
    listed = ", ".join(keys)
    titles = ", ".join(f"«{v['name']}»" for v in russian["values"])
    asked = f"ответ на вопрос «{russian['description']}»"
    if datatype == "singlevaluelist":
        if len(given) > 1 or given[0] not in keys:
            return Said(f"attribute[{code}] must be one of: {listed}",
                        f"{asked} должен быть одним из вариантов: {titles}")
    elif datatype == "multivaluelist":
        wrong = [v for v in given if v not in keys]
        if wrong:
            return Said(f"attribute[{code}] values must be among: {listed}",
                        f"{asked} может состоять только из вариантов: {titles}")
    elif datatype == "number":
        try:
            if not math.isfinite(float(given[0])):
                raise ValueError
        except ValueError:
            return Said(f"attribute[{code}] must be a number", f"{asked} должен быть числом")
    elif datatype == "datetime":
        try:
            parse_w3c(given[0])
        except ValueError:
            return Said(f"attribute[{code}] must be a W3C datetime",
                        f"{asked} должен быть датой и временем W3C")
    elif len(given[0]) > MAX_ATTRIBUTE_TEXT.get(datatype, MAX_FIELD):
        return Said(f"attribute[{code}] is too long", f"{asked} слишком длинный")
    return None


def validate_attributes(service: Service, form: MultiDictProxy
                        ) -> tuple[dict[str, Any], list[Said]]:
    """The attributes to store and the errors found; unknown attribute codes are ignored."""
    given = _attribute_values(form)
    stored: dict[str, Any] = {}
    errors: list[Said] = []
    definitions = sorted(service.attributes, key=lambda a: a["order"])
    russian = localized_attributes(definitions, translation(service.translations, RUSSIAN))
    for definition, asked_in_russian in zip(definitions, russian):
        code = definition["code"]
        if code not in given:
            if definition["required"]:
                errors.append(Said(
                    f"attribute[{code}] is required: {definition['description']}",
                    f"нет ответа на обязательный вопрос «{asked_in_russian['description']}»"))
            continue
        problem = _check_attribute(definition, given[code], asked_in_russian)
        if problem:
            errors.append(problem)
        elif definition["datatype"] == "multivaluelist":
            stored[code] = given[code]
        else:
            stored[code] = given[code][0]
    return stored, errors


COORDINATES_RU = {"lat": "широта", "long": "долгота"}


def _coordinate(form: MultiDictProxy, name: str, limit: float, errors: list[Said]
                ) -> float | None:
    text = form.get(name, "").strip()
    try:
        value = float(text)
    except ValueError:
        errors.append(Said(f"{name} '{text}' is not a number",
                           f"{COORDINATES_RU[name]} «{text}» — не число"))
        return None
    if not math.isfinite(value) or abs(value) > limit:
        errors.append(Said(f"{name} must be between -{limit:g} and {limit:g}",
                           f"{COORDINATES_RU[name]} должна быть от -{limit:g} до {limit:g}"))
        return None
    return value


def locate(app: web.Application, form: MultiDictProxy, errors: list[Said]
           ) -> tuple[Place | None, float | None, float | None, str | None]:
    """The place, coordinates and address text of a request (GeoReport: one of three ways)."""
    gazetteer = app[GAZETTEER]
    address_text = form.get("address_string", "").strip() or None
    has_point = bool(form.get("lat", "").strip() or form.get("long", "").strip())
    raw_id = form.get("address_id", "").strip()
    if not (address_text or has_point or raw_id):
        errors.append(Said("a location is required: lat and long, address_string or address_id",
                           "не указано место: нужны координаты или адрес"))
        return None, None, None, None
    place = None
    if raw_id:
        place = gazetteer.get(int(raw_id)) if is_number(raw_id) else None
        if place is None:
            errors.append(Said(f"address_id '{raw_id}' is not a known address",
                               f"адрес с номером «{raw_id}» городу неизвестен"))
    lat = lon = None
    if has_point:
        lat = _coordinate(form, "lat", 90, errors)
        lon = _coordinate(form, "long", 180, errors)
    if address_text and len(address_text) > MAX_FIELD * 2:
        errors.append(Said("address_string is too long", "адрес слишком длинный"))
    if errors:
        return None, None, None, None
    if place is None and address_text:
        place = gazetteer.best(address_text, minimum=GEOCODE_MINIMUM)
    if place is None and lat is not None and lon is not None:
        place = gazetteer.nearest(lat, lon)
    if lat is None and place is not None:
        lat, lon = place.lat, place.lon
    return place, lat, lon, (place.label if place else address_text)


def _check_fields(form: MultiDictProxy, errors: list[Said]) -> None:
    description = form.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        errors.append(Said(f"description must be at most {MAX_DESCRIPTION} characters "
                           f"(it has {len(description)})",
                           f"описание должно быть не длиннее {MAX_DESCRIPTION} "
                           f"символов (в нём {len(description)})"))
    for name in REPORTER_FIELDS:
        if len(form.get(name, "")) > MAX_FIELD:
            errors.append(Said(f"{name} must be at most {MAX_FIELD} characters",
                               f"поле {name} должно быть не длиннее {MAX_FIELD} символов"))
    email = form.get("email", "").strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors.append(Said(f"email '{email}' is not an e-mail address",
                           f"«{email}» — не адрес электронной почты"))
    media = form.get("media_url", "").strip()
    if media and not re.match(r"^https?://\S+$", media):
        errors.append(Said("media_url must be an http(s) URL",
                           "ссылка на фото должна начинаться с http:// или https://"))


async def file_request(
    app: web.Application, form: MultiDictProxy, idempotency_key: str = ""
) -> list[dict[str, Any]]:
    """Validate and store one request, and the answer for its ``Idempotency-Key`` in the same
    transaction; the caller holds the write lock."""
    code = form.get("service_code", "").strip()
    if not code:
        raise GeoReportError(400, Said("service_code is required",
                                       "не указан вид проблемы"))
    async with open_session(app) as session, session.begin():
        service = await session.get(Service, code)
        if service is None:
            raise GeoReportError(400, Said(f"service_code '{code}' is not a known service",
                                           f"вид проблемы «{code}» городу неизвестен"))
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
            service_code=service.code, status="open", status_notes=RECEIVED,
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
        answer: dict[str, Any] = {"service_notice": notice,
                                  "account_id": form.get("account_id")}
        # GeoReport: a batch service answers with a token that later resolves to the id.
        filed = [{"token": row.token, **answer} if row.token
                 else {"service_request_id": row.id, **answer}]
        if idempotency_key:
            remember(session, "open311", idempotency_key, 200, filed)
    return filed
