"""Open311 GeoReport v2 under ``/open311/v2/``: every resource as ``.json`` and ``.xml``.

Every answer whose words the city can say in Russian does so when asked (``Accept-Language:
ru``, or ``locale=ru``), in English otherwise: the service list and definitions (the same codes
and option keys, other texts), service requests (the service's name, the agency, the notice,
the city's own status notes and address labels; see ``phrasebook``), the filing answer and the
errors a filing is refused with.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import select

from bot.sandbox import filing
from bot.sandbox.catalogue import localized_attributes, localized_service, translation
from bot.sandbox.dates import shifted, to_w3c, utcnow
from bot.sandbox.errors import GeoReportError, Said
from bot.sandbox.params import date_param, locale_param
from bot.sandbox.idempotency import replay
from bot.sandbox.models import Service, ServiceRequest
from bot.sandbox.phrasebook import Phrasebook
from bot.sandbox.state import CONFIG, ENGINE, GAZETTEER, JURISDICTION, RUNTIME, open_session
from bot.sandbox.xml_format import render

PREFIX = "/open311/v2"
FORMAT = "{format:json|xml}"
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
routes = web.RouteTableDef()


def reply(request: web.Request, root: str, data: Any, status: int = 200,
          language: str | None = None) -> web.Response:
    """The same data as JSON or as GeoReport XML, by the path's extension; an answer whose
    texts depend on the language asked for says which one it is in (and, for caches, that it
    depends on Accept-Language)."""
    headers = {"Content-Language": language, "Vary": "Accept-Language"} if language else None
    if request.match_info["format"] == "xml":
        return web.Response(text=render(root, data), status=status, content_type="text/xml",
                            charset="utf-8", headers=headers)
    return web.json_response(data, status=status, headers=headers)


def check_jurisdiction(params: MultiDictProxy) -> None:
    jurisdiction = params.get("jurisdiction_id")
    if jurisdiction and jurisdiction != JURISDICTION:
        raise GeoReportError(404, Said(
            f"jurisdiction_id '{jurisdiction}' is not served here; "
            f"this endpoint serves '{JURISDICTION}'",
            f"jurisdiction_id «{jurisdiction}» здесь не обслуживается; "
            f"эта точка обслуживает «{JURISDICTION}»"))


def service_json(service: Service, language: str) -> dict[str, Any]:
    texts = localized_service({"name": service.name, "description": service.description,
                               "keywords": service.keywords, "group": service.group},
                              translation(service.translations, language))
    return {
        "service_code": service.code,
        "service_name": texts["name"],
        "description": texts["description"],
        "metadata": bool(service.attributes),
        "type": service.type,
        "keywords": texts["keywords"],
        "group": texts["group"],
    }


def request_json(row: ServiceRequest, words: Phrasebook) -> dict[str, Any]:
    """A request as GeoReport shows it, its city's words in the phrasebook's language."""
    return {
        "service_request_id": row.id,
        "status": row.status,
        "status_notes": words.status_notes(row.status_notes),
        "service_name": words.service_name(row.service_code),
        "service_code": row.service_code,
        "description": row.description,
        "agency_responsible": words.agency(row.agency_responsible),
        "service_notice": words.notice(row.service_notice),
        "requested_datetime": to_w3c(row.requested_datetime),
        "updated_datetime": to_w3c(row.updated_datetime),
        "expected_datetime": to_w3c(row.expected_datetime),
        "address": words.address(row),
        # a string, as GeoReport clients read it (the id is the city's, whatever it looks like)
        "address_id": None if row.address_id is None else str(row.address_id),
        "zipcode": row.zipcode,
        "lat": row.lat,
        "long": row.lon,
        "media_url": row.media_url,
    }


@routes.get(f"{PREFIX}/discovery.{FORMAT}")
async def discovery(request: web.Request) -> web.Response:
    """Where the endpoint is and what it speaks."""
    base = f"{request.scheme}://{request.host}{PREFIX}"
    changeset = "2026-10-01T00:00:00+03:00"
    return reply(request, "discovery", {
        "changeset": changeset,
        "contact": "Sandbox city, citybot project. Test data only.",
        "key_service": "Filing needs an api_key; the sandbox's is set by "
                       "CITYBOT_SANDBOX_API_KEY (default citybot-sandbox).",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": base,
            "changeset": changeset,
            "type": "test",
            "formats": ["text/xml", "application/json"],
        }],
    })


@routes.get(f"{PREFIX}/services.{FORMAT}")
async def services(request: web.Request) -> web.Response:
    """The service catalogue, in the language asked for."""
    check_jurisdiction(request.query)
    language = locale_param(request.query, request.headers)
    async with open_session(request.app) as session:
        rows = (await session.scalars(select(Service).order_by(Service.code))).all()
    return reply(request, "services", [service_json(row, language) for row in rows],
                 language=language)


@routes.get(PREFIX + "/services/{code:[^/]+}." + FORMAT)
async def service_definition(request: web.Request) -> web.Response:
    """The attributes a service asks for, their questions and options in the language asked
    for."""
    check_jurisdiction(request.query)
    language = locale_param(request.query, request.headers)
    code = request.match_info["code"]
    async with open_session(request.app) as session:
        service = await session.get(Service, code)
    if service is None:
        raise GeoReportError(404, Said(f"service_code '{code}' not found",
                                       f"вид проблемы «{code}» не найден"))
    attributes = localized_attributes(sorted(service.attributes, key=lambda a: a["order"]),
                                      translation(service.translations, language))
    return reply(request, "service_definition", {
        "service_code": service.code,
        "attributes": attributes,
    }, language=language)


async def _read_form(request: web.Request) -> MultiDictProxy:
    try:
        return await request.post()
    except (ValueError, UnicodeDecodeError, AssertionError) as error:
        raise GeoReportError(400, Said(f"the request body is not valid form data: {error}",
                                       f"тело запроса — не данные формы: {error}")) from None


@routes.post(f"{PREFIX}/requests.{FORMAT}")
async def create_request(request: web.Request) -> web.Response:
    """File a service request (form-encoded), honouring an ``Idempotency-Key`` header.

    The answer (kept in English for a repeat) and the errors are in the language asked for."""
    form = await _read_form(request)
    check_jurisdiction(form)
    api_key = form.get("api_key", "")
    if not api_key:
        raise GeoReportError(403, Said("api_key is required to file a request",
                                       "для подачи заявки нужен api_key"))
    if api_key != request.app[CONFIG].api_key:
        raise GeoReportError(403, Said("api_key is not valid", "api_key недействителен"))
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 200:
        raise GeoReportError(400, Said("Idempotency-Key must be at most 200 characters",
                                       "Idempotency-Key должен быть не длиннее 200 символов"))
    language = locale_param(request.query, request.headers)
    engine, runtime = request.app[ENGINE], request.app[RUNTIME]
    async with runtime.write_lock:
        stored = await replay(engine, "open311", key) if key else None
        if stored is not None:
            status, answer = stored
        else:
            status, answer = 200, await filing.file_request(request.app, form, key)
    async with open_session(request.app) as session:
        words = await Phrasebook.load(session, language)
    shown = [{**item, "service_notice": words.notice(item.get("service_notice"))}
             if "service_notice" in item else item for item in answer]
    return reply(request, "service_requests", shown, status=status, language=language)


def _dates(query: MultiDictProxy, name: str) -> datetime | None:
    return date_param(query, name, lambda text: GeoReportError(400, Said(
        f"{name} '{text}' is not a W3C datetime (for example 2026-10-01T00:00:00+03:00)",
        f"{name} «{text}» — не дата и время W3C (например, 2026-10-01T00:00:00+03:00)")))


def _comma_list(query: MultiDictProxy, name: str) -> list[str]:
    return [part.strip() for part in query.get(name, "").split(",") if part.strip()]


@routes.get(f"{PREFIX}/requests.{FORMAT}")
async def list_requests(request: web.Request) -> web.Response:
    """Requests by ids, or filtered by service, dates, status and (extension) update time; their
    words in the language asked for."""
    query = request.query
    check_jurisdiction(query)
    language = locale_param(query, request.headers)
    statement = select(ServiceRequest)
    ids = _comma_list(query, "service_request_id")
    if ids:
        statement = statement.where(ServiceRequest.id.in_(ids))
    else:
        start, end = _dates(query, "start_date"), _dates(query, "end_date")
        updated_after = _dates(query, "updated_after")
        statuses = _comma_list(query, "status")
        bad = [s for s in statuses if s not in ("open", "closed")]
        if bad:
            raise GeoReportError(400, Said(
                f"status must be open or closed, not '{bad[0]}'",
                f"status должен быть open или closed, а не «{bad[0]}»"))
        if start is None and updated_after is None:
            start = shifted(end or utcnow(), -timedelta(days=DEFAULT_DAYS))
        if start is not None:
            statement = statement.where(ServiceRequest.requested_datetime >= start)
        if end is not None:
            statement = statement.where(ServiceRequest.requested_datetime <= end)
        if updated_after is not None:
            statement = statement.where(ServiceRequest.updated_datetime > updated_after)
        if statuses:
            statement = statement.where(ServiceRequest.status.in_(statuses))
        codes = _comma_list(query, "service_code")
        if codes:
            statement = statement.where(ServiceRequest.service_code.in_(codes))
    statement = statement.order_by(ServiceRequest.requested_datetime.desc(),
                                   ServiceRequest.id.desc()).limit(MAX_REQUESTS)
    async with open_session(request.app) as session:
        rows = (await session.scalars(statement)).all()
        words = await Phrasebook.load(session, language, request.app[GAZETTEER])
    return reply(request, "service_requests", [request_json(row, words) for row in rows],
                 language=language)


@routes.get(PREFIX + "/requests/{id:[^/]+}." + FORMAT)
async def get_request(request: web.Request) -> web.Response:
    """One request, as a one-element list, its words in the language asked for."""
    check_jurisdiction(request.query)
    language = locale_param(request.query, request.headers)
    request_id = request.match_info["id"]
    async with open_session(request.app) as session:
        row = await session.get(ServiceRequest, request_id)
        words = await Phrasebook.load(session, language, request.app[GAZETTEER])
    if row is None:
        raise GeoReportError(404, Said(f"service_request_id '{request_id}' not found",
                                       f"заявка «{request_id}» не найдена"))
    return reply(request, "service_requests", [request_json(row, words)], language=language)


@routes.get(PREFIX + "/tokens/{token:[^/]+}." + FORMAT)
async def get_token(request: web.Request) -> web.Response:
    """The request id a batch service's token resolved to."""
    check_jurisdiction(request.query)
    token = request.match_info["token"]
    async with open_session(request.app) as session:
        request_id = await session.scalar(select(ServiceRequest.id)
                                          .where(ServiceRequest.token == token))
    if request_id is None:
        raise GeoReportError(404, Said(f"token '{token}' not found",
                                       f"token «{token}» не найден"))
    return reply(request, "service_requests", [{"service_request_id": request_id,
                                                "token": token}])
