"""Open311 GeoReport v2 under ``/open311/v2/``: every resource as ``.json`` and ``.xml``.

The service list and service definitions answer in Russian when asked (``Accept-Language:
ru``, or ``locale=ru``), in English otherwise: the same codes and option keys, other texts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import select

from bot.sandbox import filing
from bot.sandbox.catalogue import localized_attributes, localized_service, translation
from bot.sandbox.dates import to_w3c, utcnow
from bot.sandbox.errors import GeoReportError
from bot.sandbox.params import date_param, locale_param
from bot.sandbox.idempotency import remember, replay
from bot.sandbox.models import Service, ServiceRequest
from bot.sandbox.state import CONFIG, ENGINE, JURISDICTION, RUNTIME, open_session
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
        raise GeoReportError(404, f"jurisdiction_id '{jurisdiction}' is not served here; "
                                  f"this endpoint serves '{JURISDICTION}'")


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


def request_json(row: ServiceRequest, service_name: str) -> dict[str, Any]:
    return {
        "service_request_id": row.id,
        "status": row.status,
        "status_notes": row.status_notes,
        "service_name": service_name,
        "service_code": row.service_code,
        "description": row.description,
        "agency_responsible": row.agency_responsible,
        "service_notice": row.service_notice,
        "requested_datetime": to_w3c(row.requested_datetime),
        "updated_datetime": to_w3c(row.updated_datetime),
        "expected_datetime": to_w3c(row.expected_datetime),
        "address": row.address,
        "address_id": row.address_id,
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
        raise GeoReportError(404, f"service_code '{code}' not found")
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
        raise GeoReportError(400, f"the request body is not valid form data: {error}") from None


@routes.post(f"{PREFIX}/requests.{FORMAT}")
async def create_request(request: web.Request) -> web.Response:
    """File a service request (form-encoded), honouring an ``Idempotency-Key`` header."""
    form = await _read_form(request)
    check_jurisdiction(form)
    api_key = form.get("api_key", "")
    if not api_key:
        raise GeoReportError(403, "api_key is required to file a request")
    if api_key != request.app[CONFIG].api_key:
        raise GeoReportError(403, "api_key is not valid")
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 200:
        raise GeoReportError(400, "Idempotency-Key must be at most 200 characters")
    engine, runtime = request.app[ENGINE], request.app[RUNTIME]
    async with runtime.write_lock:
        if key:
            stored = await replay(engine, "open311", key)
            if stored is not None:
                return reply(request, "service_requests", stored[1], status=stored[0])
        answer = await filing.file_request(request.app, form)
        if key:
            await remember(engine, "open311", key, 200, answer)
    return reply(request, "service_requests", answer)


def _dates(query: MultiDictProxy, name: str) -> datetime | None:
    return date_param(query, name, lambda text: GeoReportError(
        400, f"{name} '{text}' is not a W3C datetime (for example 2026-10-01T00:00:00+03:00)"))


def _comma_list(query: MultiDictProxy, name: str) -> list[str]:
    return [part.strip() for part in query.get(name, "").split(",") if part.strip()]


@routes.get(f"{PREFIX}/requests.{FORMAT}")
async def list_requests(request: web.Request) -> web.Response:
    """Requests by ids, or filtered by service, dates, status and (extension) update time."""
    query = request.query
    check_jurisdiction(query)
    statement = select(ServiceRequest, Service.name).join(Service)
    ids = _comma_list(query, "service_request_id")
    if ids:
        statement = statement.where(ServiceRequest.id.in_(ids))
    else:
        start, end = _dates(query, "start_date"), _dates(query, "end_date")
        updated_after = _dates(query, "updated_after")
        statuses = _comma_list(query, "status")
        bad = [s for s in statuses if s not in ("open", "closed")]
        if bad:
            raise GeoReportError(400, f"status must be open or closed, not '{bad[0]}'")
        if start is None and updated_after is None:
            start = (end or utcnow()) - timedelta(days=DEFAULT_DAYS)
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
        rows = (await session.execute(statement)).all()
    return reply(request, "service_requests", [request_json(row, name) for row, name in rows])


@routes.get(PREFIX + "/requests/{id:[^/]+}." + FORMAT)
async def get_request(request: web.Request) -> web.Response:
    """One request, as a one-element list."""
    check_jurisdiction(request.query)
    request_id = request.match_info["id"]
    async with open_session(request.app) as session:
        row = (await session.execute(select(ServiceRequest, Service.name).join(Service)
                                     .where(ServiceRequest.id == request_id))).first()
    if row is None:
        raise GeoReportError(404, f"service_request_id '{request_id}' not found")
    return reply(request, "service_requests", [request_json(row[0], row[1])])


@routes.get(PREFIX + "/tokens/{token:[^/]+}." + FORMAT)
async def get_token(request: web.Request) -> web.Response:
    """The request id a batch service's token resolved to."""
    check_jurisdiction(request.query)
    token = request.match_info["token"]
    async with open_session(request.app) as session:
        request_id = await session.scalar(select(ServiceRequest.id)
                                          .where(ServiceRequest.token == token))
    if request_id is None:
        raise GeoReportError(404, f"token '{token}' not found")
    return reply(request, "service_requests", [{"service_request_id": request_id,
                                                "token": token}])
