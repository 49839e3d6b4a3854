"""Traffic fines on the city JSON API: a vehicle's unpaid fines, by its registration certificate.

``GET /api/v1/fines?vehicle_certificate=77 УВ 123456`` takes the number in any form the
assistant reads (``bot.vehicles``: spaces, hyphens, Latin letters) and answers the unpaid fines,
newest first, each with the half price while the discount lasts (counted on today's Moscow date,
at the time of asking) and the link to the city's payment page (``bot.sandbox.fines_pay``).
Offences and places come in English, or in Russian with ``lang=ru``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.sandbox.dates import moscow_now, utcnow
from bot.sandbox.errors import ApiError
from bot.sandbox.events import FINE_ISSUED, append, fine_issued
from bot.sandbox.fines_catalogue import ARTICLES, DEFAULT_ARTICLE
from bot.sandbox.fines_seed import fine_row, ruling_number
from bot.sandbox.geo import Gazetteer
from bot.sandbox.models import Fine, Vehicle
from bot.sandbox.params import lang_param
from bot.sandbox.state import GAZETTEER, RUNTIME, open_session
from bot.vehicles import CERTIFICATE_FORMAT, Discount, discount, normalise_certificate

PREFIX = "/api/v1"
# The payment page of a fine in each language, as the portal keeps its languages apart.
PAY_PATHS = {"en": "/pay/fines/{id}", "ru": "/pay/ru/fines/{id}"}
# What an error echoes back of a number that is not one.
ECHO_CHARS = 100
routes = web.RouteTableDef()


def moscow_today() -> date:
    """The city's calendar day now: the discount is counted in Moscow days."""
    return moscow_now().date()


def certificate_param(text: Any) -> str:
    """The canonical certificate number, or a 400 that says what one looks like."""
    canonical = normalise_certificate(text) if isinstance(text, str) else None
    if canonical is None:
        raise ApiError(400, "bad_vehicle_certificate",
                       "A vehicle registration certificate (СТС) number is 2 digits, 2 letters "
                       f"and 6 digits, like {CERTIFICATE_FORMAT}.",
                       {"vehicle_certificate": str(text or "")[:ECHO_CHARS],
                        "format": CERTIFICATE_FORMAT})
    return canonical


async def find_vehicle(session: AsyncSession, certificate: str) -> Vehicle:
    """The vehicle with this canonical certificate number, or a 404."""
    vehicle = await session.get(Vehicle, certificate)
    if vehicle is None:
        raise ApiError(404, "vehicle_not_found",
                       f"There is no vehicle with registration certificate {certificate}.",
                       {"vehicle_certificate": certificate})
    return vehicle


def place_in(fine: Fine, gazetteer: Gazetteer, lang: str) -> str:
    """Where the offence was, in ``lang``: the house's label, else the road in words."""
    house = gazetteer.get(fine.address_id) if fine.address_id is not None else None
    if house is not None:
        return house.label_in(lang)
    return (fine.place_ru if lang == "ru" else None) or fine.place or ""


def terms(fine: Fine, today: date) -> tuple[Discount | None, int]:
    """The discount a fine has today, and so what is due today."""
    offer = discount(fine.article, fine.amount, fine.ruled_on, today)
    return offer, offer.amount if offer else fine.amount


def payment_url(request: web.Request, fine_id: str, lang: str) -> str:
    """The payment page of a fine, absolute (a chat shows it as a link), in ``lang``: at the
    host the citizen's client reached the city by, as the media store's URLs are."""
    return f"{request.scheme}://{request.host}{PAY_PATHS[lang].format(id=fine_id)}"


def fine_json(request: web.Request, fine: Fine, today: date, lang: str) -> dict[str, Any]:
    """One unpaid fine as the API shows it, its words in ``lang``."""
    offer, due = terms(fine, today)
    return {
        "id": fine.id,
        "ruled_on": fine.ruled_on.isoformat(),
        "article": fine.article,
        "offence": fine.offence_ru if lang == "ru" else fine.offence,
        "place": place_in(fine, request.app[GAZETTEER], lang),
        "amount": fine.amount,
        "discount_amount": offer.amount if offer else None,
        "discount_until": offer.until.isoformat() if offer else None,
        "amount_due": due,
        "payment_url": payment_url(request, fine.id, lang),
    }


async def unpaid_fines(session: AsyncSession, certificate: str) -> list[Fine]:
    """A vehicle's unpaid fines, newest first."""
    return list((await session.scalars(
        select(Fine).where(Fine.certificate == certificate, Fine.paid_at.is_(None))
        .order_by(Fine.ruled_on.desc(), Fine.created_at.desc(), Fine.id.desc()))).all())


@routes.get(PREFIX + "/fines")
async def vehicle_fines(request: web.Request) -> web.Response:
    """A vehicle's unpaid fines with what is due today and where to pay each."""
    certificate = certificate_param(request.query.get("vehicle_certificate", ""))
    lang = lang_param(request.query, request.headers)
    async with open_session(request.app) as session:
        vehicle = await find_vehicle(session, certificate)
        fines = await unpaid_fines(session, certificate)
    today = moscow_today()
    return web.json_response({
        "vehicle_certificate": vehicle.certificate,
        "plate": vehicle.plate,
        "vehicle": vehicle.make_model,
        "items": [fine_json(request, fine, today, lang) for fine in fines],
    }, headers={"Content-Language": lang, "Vary": "Accept-Language"})


def _new_fine_body(request: web.Request, body: Any) -> tuple[str, str, int | None]:
    """(certificate, article, address id) of a new fine the test hook is asked for."""
    if not isinstance(body, dict):
        raise ApiError(400, "bad_fine", 'The body must be a JSON object like '
                                        '{"vehicle_certificate": "77УВ123456"}.')
    certificate = certificate_param(body.get("vehicle_certificate"))
    article = body.get("article", DEFAULT_ARTICLE)
    if not isinstance(article, str) or article not in ARTICLES:
        raise ApiError(400, "bad_article", "article must be one the city fines.",
                       {"article": str(article)[:ECHO_CHARS], "allowed": list(ARTICLES)})
    address_id = body.get("address_id")
    if address_id is not None and (isinstance(address_id, bool)
                                   or not isinstance(address_id, int)
                                   or request.app[GAZETTEER].get(address_id) is None):
        raise ApiError(400, "bad_address", "address_id must be the id of a house the city "
                                           "knows.", {"address_id": str(address_id)[:ECHO_CHARS]})
    return certificate, article, address_id


async def fine_now(request: web.Request, body: Any) -> dict[str, Any]:
    """Fine a vehicle now (test hook): an unpaid fine ruled today, as the API shows it, told of
    in the events feed (``fine_issued``)."""
    certificate, article, address_id = _new_fine_body(request, body)
    today = moscow_today()
    async with request.app[RUNTIME].write_lock, open_session(request.app) as session, \
            session.begin():
        await find_vehicle(session, certificate)
        serial = 1
        while await session.get(Fine, ruling_number(today, serial)) is not None:
            serial += 1
        place = {"address_id": address_id, "place": None, "place_ru": None}
        if address_id is None:
            place = {"address_id": None, "place": "Tverskaya Street, at the Central Telegraph",
                     "place_ru": "Тверская улица, у Центрального телеграфа"}
        row = fine_row(ruling_number(today, serial), certificate, article, today, place)
        fine = Fine(**{**row, "created_at": utcnow().replace(microsecond=0)})
        session.add(fine)
        # In the same transaction: the feed tells of exactly the fines the city has.
        append(session, FINE_ISSUED, fine_issued(fine))
    return {"vehicle_certificate": certificate, **fine_json(request, fine, today, "en")}
