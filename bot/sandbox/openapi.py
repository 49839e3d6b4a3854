"""The OpenAPI 3 document of everything the sandbox city serves, at ``/api/v1/openapi.json``.

The city JSON API is the main subject; Open311 GeoReport v2, the portal and the test hooks
are described too so that one document lists every route (a test compares it with the
router).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox.facilities import TYPES
from bot.sandbox.media import ALLOWED as IMAGE_TYPES

routes = web.RouteTableDef()

JSON = "application/json"
XML = "text/xml"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def items_of(schema: dict[str, Any]) -> dict[str, Any]:
    return obj({"items": {"type": "array", "items": schema}}, ["items"])


def nullable(type_: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "nullable": True, **extra}


STR, NUM, INT, BOOL = ({"type": t} for t in ("string", "number", "integer", "boolean"))
DATETIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}


def param(name: str, where: str, schema: dict[str, Any], description: str,
          required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path",
            "description": description, "schema": schema}


def query(name: str, schema: dict[str, Any], description: str, required: bool = False):
    return param(name, "query", schema, description, required)


FORMAT = param("format", "path", {"type": "string", "enum": ["json", "xml"]},
               "Answer format: the same data as JSON or GeoReport XML.")
JURISDICTION = query("jurisdiction_id", STR, 'Optional; this endpoint serves "citybot.sandbox".')


def answer(description: str, schema: dict[str, Any] | None = None, *, xml: bool = False,
           media: str = JSON) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {media: {"schema": schema}}
        if xml:
            response["content"][XML] = {"schema": {"type": "string"}}
    return response


def api_errors(*statuses: int) -> dict[str, Any]:
    text = {400: "A client mistake (machine code in error.code)", 404: "Not found",
            413: "The body is too large (error.details says the limit)",
            415: "Not a media type accepted here (error.details.allowed lists them)",
            422: "Refused by a business rule", 405: "Method not allowed",
            429: "Too many wrong attempts: try again later"}
    return {str(s): answer(text[s], ref("Error")) for s in statuses}


def georeport_errors(*statuses: int) -> dict[str, Any]:
    text = {400: "Invalid request", 403: "Missing or wrong api_key",
            404: "Unknown resource or jurisdiction, or a format other than json and xml",
            413: "The form is larger than 1 MiB"}
    return {str(s): answer(text[s], ref("GeoReportErrors"), xml=True) for s in statuses}


def operation(summary: str, tag: str, responses: dict[str, Any],
              parameters: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "tags": [tag], "parameters": parameters or [],
            "responses": responses, **extra}


ADDRESS = obj({"id": INT,
               "street": {"type": "string", "description": "in the language asked for"},
               "house": STR,
               "district": {"type": "string", "description": "in the language asked for"},
               "label": {"type": "string", "example": "Tverskaya Street, 12",
                         "description": 'street and house in the language asked for '
                                        '("Тверская улица, 12" with lang=ru)'},
               "zipcode": STR, "lat": NUM, "lon": NUM,
               "score": {"type": "number", "minimum": 0, "maximum": 1,
                         "description": "1.0 for an exact street and house (search only)"}},
              ["id", "street", "house", "district", "label", "lat", "lon"])
HOURS = obj({day: nullable("string", example="08:00-20:00")
             for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
FACILITY = obj({
    "id": INT, "type": {"type": "string", "enum": list(TYPES)},
    "name": {"type": "string", "example": "City Polyclinic No. 12",
             "description": 'in the language asked for ("Городская поликлиника № 12" with '
                            'lang=ru)'},
    "address": {"type": "string", "description": "address label in the language asked for"},
    "address_id": INT, "district": {"type": "string",
                                    "description": "in the language asked for"}, "lat": NUM, "lon": NUM, "phone": STR,
    "opening_hours": ref("OpeningHours"), "open_now": BOOL,
    "queue": {**obj({"waiting": INT, "wait_minutes": INT}), "nullable": True},
    "distance_m": nullable("integer", description="metres, when lat/lon were given"),
})
METERS = obj({
    "account": STR, "address": STR, "address_id": INT,
    "meters": {"type": "array", "items": obj({
        "kind": {"type": "string", "enum": ["hot", "cold"]}, "serial": STR,
        "last_reading": {**obj({"value": NUM, "date": DATE}), "nullable": True},
        "this_month": {**obj({"value": NUM, "date": DATE}), "nullable": True}})},
    "history": {"type": "array", "items": obj({"month": {"type": "string",
                                                         "example": "2026-10"},
                                               "hot": nullable("number"),
                                               "cold": nullable("number")})},
    "window": obj({"opens_day": INT, "closes_day": INT, "open_now": BOOL, "next_opens": DATE}),
    "max_monthly_m3": NUM,
})
FLAT_SCHEMA = {"type": "string", "pattern": "^[0-9]{1,4}[a-zа-я]?$"}
READINGS_IN = {**obj({"flat": {**FLAT_SCHEMA, "description": "The flat the account belongs to."},
                      "hot": {"type": "number", "minimum": 0},
                      "cold": {"type": "number", "minimum": 0}}, ["flat"]),
               "minProperties": 2, "additionalProperties": False}
READINGS_OUT = obj({"account": STR, "submitted_at": DATETIME, "readings": {
    "type": "array", "items": obj({"kind": STR, "value": NUM, "previous": nullable("number"),
                                   "consumption": nullable("number")})}})
OUTAGE = obj({
    "id": INT, "kind": {"type": "string",
                        "enum": ["hot_water", "cold_water", "heating", "electricity"]},
    "district": {"type": "string", "description": "in the language asked for"},
    "streets": {"type": "array", "items": STR,
                "description": "street names in the language asked for; empty: the whole district"},
    "starts_at": DATETIME,
    "ends_at": DATETIME,
    "reason": {"type": "string", "description": "in the language asked for"},
    "status": {"type": "string",
                                                   "enum": ["planned", "current"]},
})
OUTAGES = obj({"items": {"type": "array", "items": ref("Outage")},
               "address": ref("Address")}, ["items"])
ATTRIBUTE = obj({
    "variable": BOOL, "code": STR,
    "datatype": {"type": "string", "enum": ["string", "number", "datetime", "text",
                                            "singlevaluelist", "multivaluelist"]},
    "required": BOOL, "datatype_description": STR, "order": INT, "description": STR,
    "values": {"type": "array", "items": obj({"key": STR, "name": STR})},
})
SERVICE = obj({"service_code": STR, "service_name": STR, "description": STR, "metadata": BOOL,
               "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
               "keywords": {"type": "string", "description": "comma-separated"},
               "group": STR})
ASKED = "in the language asked for"
REQUEST = obj({
    "service_request_id": STR, "status": {"type": "string", "enum": ["open", "closed"]},
    "status_notes": nullable("string", description=(
        "the city's own notes (\"Received\", \"Crew assigned\", \"Repaired\", …) " + ASKED +
        "; a note written by staff as it was written")),
    "service_name": {"type": "string", "description": ASKED}, "service_code": STR,
    "description": nullable("string", description="the citizen's words, as given"),
    "agency_responsible": {"type": "string", "description": ASKED},
    "service_notice": nullable("string", description=ASKED),
    "requested_datetime": DATETIME,
    "updated_datetime": DATETIME, "expected_datetime": {**DATETIME, "nullable": True},
    "address": nullable("string", description=(
        "the city's label of the house " + ASKED + "; an address it could not place as given")),
    "address_id": nullable("string"),
    "zipcode": nullable("string"), "lat": nullable("number"), "long": nullable("number"),
    "media_url": nullable("string"),
})
SCHEMAS = {
    "Error": obj({"error": obj({"code": STR, "message": STR, "details": {"type": "object"}},
                               ["code", "message"])}, ["error"]),
    "GeoReportErrors": {"type": "array", "items": obj({
        "code": INT,
        "description": {"type": "string",
                        "description": "in the language asked for where the city has the "
                                       "words (Content-Language says so)"}})},
    "District": obj({"id": INT, "name": STR}),
    "Address": ADDRESS, "OpeningHours": HOURS, "Facility": FACILITY, "Meters": METERS,
    "ReadingsIn": READINGS_IN, "ReadingsOut": READINGS_OUT, "Outage": OUTAGE,
    "Attribute": ATTRIBUTE, "Service": SERVICE,
    "ServiceDefinition": obj({"service_code": STR, "attributes": {"type": "array",
                                                                 "items": ref("Attribute")}}),
    "ServiceRequest": REQUEST,
    "RequestCreated": obj({"service_request_id": STR, "token": STR,
                           "service_notice": {"type": "string", "description": ASKED},
                           "account_id": nullable("string")}),
    "Token": obj({"service_request_id": STR, "token": STR}),
    "Discovery": obj({"changeset": DATETIME, "contact": STR, "key_service": STR,
                      "endpoints": {"type": "array", "items": obj({
                          "specification": STR, "url": STR, "changeset": DATETIME,
                          "type": STR, "formats": {"type": "array", "items": STR}})}}),
    "Faults": obj({"mode": {"type": "string", "enum": ["ok", "error", "hang"]},
                   "paths": {"oneOf": [STR, {"type": "array", "items": STR}]},
                   "seconds": NUM}, ["mode"]),
}

IDEMPOTENCY = param("Idempotency-Key", "header", STR,
                    "Repeat a POST safely: the same key returns the first answer.")
ID = param("id", "path", INT, "Numeric id.")
ACCOUNT = param("account", "path", {"type": "string", "pattern": "^[0-9]{10}$"},
                "Ten-digit meter account number.")
FLAT = query("flat", FLAT_SCHEMA, "The flat the account belongs to (printed beside it on the "
             "bill): an account is shown only with it.", required=True)
LIMIT = "How many items at most (1-50)."
LANGUAGE = [
    query("lang", {"type": "string", "enum": ["en", "ru"], "default": "en"},
          'Language of street and district names, address labels, facility names and outage '
          'reasons: "ru" gives "Тверская улица, 12" for "Tverskaya Street, 12" and '
          '"Городская поликлиника № 12" for "City Polyclinic No. 12". A region ("ru-RU") is '
          "ignored; another language is a 400 bad_lang. Overrides Accept-Language."),
    param("Accept-Language", "header", STR,
          'Used when lang is not given: the best-rated of "en" and "ru" (e.g. "ru-RU,ru;q=0.9"),'
          " else English. The answer's Content-Language says which was used."),
]
OPEN311_LANGUAGE = [
    param("Accept-Language", "header", STR,
          "Language of the answer's words: the catalogue's service names, descriptions, "
          "keywords, groups, questions and option titles; a request's service name, agency, "
          "notice, address label and the city's own status notes; the filing notice and why a "
          'filing was refused. The best-rated of "en" and "ru" (e.g. "ru-RU,ru;q=0.9"), else '
          "English. Codes and option keys are the same in every language. The answer's "
          "Content-Language says which was used."),
    query("locale", STR, 'Extension (as some Open311 servers have): "ru" or "ru_RU" overrides '
                         "Accept-Language; a language the city does not speak is ignored."),
]
WHERE = [
    query("address_id", INT, "Outages at this address (its street and district)."),
    query("address", STR, "Outages at the best match of a free-text address."),
    query("district", STR, "Outages in this district (English or Russian name)."),
    query("from", STR, "Only outages still running at or after this date/datetime."),
    query("to", STR, "Only outages starting before the end of this date/datetime."),
]
REQUEST_FORM = obj({
    "api_key": STR, "jurisdiction_id": STR, "service_code": STR, "lat": NUM, "long": NUM,
    "address_string": STR, "address_id": STR, "email": STR, "device_id": STR,
    "account_id": STR, "first_name": STR, "last_name": STR, "phone": STR,
    "description": {"type": "string", "maxLength": 4000}, "media_url": STR,
}, ["api_key", "service_code"])
REQUEST_FORM["additionalProperties"] = {"type": "string",
                                        "description": "attribute[code]=value for the "
                                                       "service definition's attributes"}


def _api_paths() -> dict[str, Any]:
    api = "City API"
    return {
        "/api/v1/districts": {"get": operation("Every district", api, {
            "200": answer("Districts", items_of(ref("District"))), **api_errors(400)},
            [*LANGUAGE])},
        "/api/v1/addresses": {"get": operation("Fuzzy address search, best first", api, {
            "200": answer("Candidates", items_of(ref("Address"))), **api_errors(400)}, [
            query("q", STR, 'Free text like "tverskaya 12", "12 Tverskaya St", or in Russian in '
                            'any case, "на Тверской 12", "ул. Тверская, д. 12к2" (корпус and '
                            'строение are not modelled: the main house is found).', True),
            query("limit", INT, LIMIT + " Default 5."), *LANGUAGE])},
        "/api/v1/addresses/{id}": {"get": operation("One address", api, {
            "200": answer("The address", ref("Address")), **api_errors(400, 404)},
            [ID, *LANGUAGE])},
        "/api/v1/facilities": {"get": operation(
            "Facilities by distance from a point, else by name (in a district)", api, {
                "200": answer("Facilities", items_of(ref("Facility"))), **api_errors(400)}, [
                query("type", {"type": "string", "enum": list(TYPES)}, "Facility type."),
                query("lat", NUM, "Latitude of the citizen (with lon)."),
                query("lon", NUM, "Longitude of the citizen (with lat)."),
                query("district", STR, "District name (English or Russian)."),
                query("limit", INT, LIMIT + " Default 3."), *LANGUAGE])},
        "/api/v1/facilities/{id}": {"get": operation("One facility", api, {
            "200": answer("The facility", ref("Facility")), **api_errors(400, 404)},
            [ID, *LANGUAGE])},
        "/api/v1/meters/{account}": {"get": operation(
            "Meters, last readings, history and the submission window", api, {
                "200": answer("The account", ref("Meters")), **api_errors(400, 404, 429)},
            [ACCOUNT, FLAT])},
        "/api/v1/meters/{account}/readings": {"post": operation(
            "Submit this month's readings", api, {
                "201": answer("Accepted", ref("ReadingsOut")),
                **api_errors(400, 404, 422, 429)},
            [ACCOUNT, IDEMPOTENCY],
            requestBody={"required": True, "content": {JSON: {"schema": ref("ReadingsIn")}}})},
        "/api/v1/outages": {"get": operation("Current and planned outages", api, {
            "200": answer("Outages (with the address asked about, if any)", OUTAGES),
            **api_errors(400, 404)}, [*WHERE, *LANGUAGE])},
        "/api/v1/openapi.json": {"get": operation("This document", api, {
            "200": answer("OpenAPI 3 document", {"type": "object"})})},
    }


def _open311_paths() -> dict[str, Any]:
    tag, base = "Open311 GeoReport v2", "/open311/v2"
    lists = {"type": "array"}
    return {
        f"{base}/discovery.{{format}}": {"get": operation("Discovery", tag, {
            "200": answer("Endpoints", ref("Discovery"), xml=True), **georeport_errors(404)},
            [FORMAT])},
        f"{base}/services.{{format}}": {"get": operation("Service catalogue", tag, {
            "200": answer("Services", {**lists, "items": ref("Service")}, xml=True),
            **georeport_errors(404)}, [FORMAT, JURISDICTION, *OPEN311_LANGUAGE])},
        f"{base}/services/{{code}}.{{format}}": {"get": operation("Service definition", tag, {
            "200": answer("Attributes", ref("ServiceDefinition"), xml=True),
            **georeport_errors(404)},
            [param("code", "path", STR, "service_code"), FORMAT, JURISDICTION,
             *OPEN311_LANGUAGE])},
        f"{base}/requests.{{format}}": {
            "get": operation("Service requests", tag, {
                "200": answer("Requests, newest first (at most 1000)",
                              {**lists, "items": ref("ServiceRequest")}, xml=True),
                **georeport_errors(400, 404)}, [
                FORMAT, JURISDICTION,
                query("service_request_id", STR, "Comma list; other filters are then ignored."),
                query("service_code", STR, "Comma list of service codes."),
                query("start_date", DATETIME, "Requested at or after (default: 90 days ago)."),
                query("end_date", DATETIME, "Requested at or before."),
                query("status", STR, "open, closed or both (comma list)."),
                query("updated_after", DATETIME, "Extension: updated strictly after."),
                *OPEN311_LANGUAGE]),
            "post": operation("File a service request", tag, {
                "200": answer("The new request's id (or token for batch services)",
                              {**lists, "items": ref("RequestCreated")}, xml=True),
                **georeport_errors(400, 403, 404, 413)}, [FORMAT, IDEMPOTENCY, *OPEN311_LANGUAGE],
                requestBody={"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": REQUEST_FORM}}}),
        },
        f"{base}/requests/{{id}}.{{format}}": {"get": operation("One request", tag, {
            "200": answer("A one-element list", {**lists, "items": ref("ServiceRequest")},
                          xml=True), **georeport_errors(404)},
            [param("id", "path", STR, "service_request_id"), FORMAT, JURISDICTION,
             *OPEN311_LANGUAGE])},
        f"{base}/tokens/{{token}}.{{format}}": {"get": operation("Request id of a token", tag, {
            "200": answer("A one-element list", {**lists, "items": ref("Token")}, xml=True),
            **georeport_errors(404)},
            [param("token", "path", STR, "token"), FORMAT, JURISDICTION])},
    }


def _other_paths() -> dict[str, Any]:
    portal, hooks = "Demo portal", "Test hooks (faults=True only)"
    media = "Media store"
    html = {"type": "string"}
    binary = {"type": "string", "format": "binary"}
    return {
        "/portal/faq": {"get": operation("FAQ topics", portal, {
            "200": answer("HTML list", html, media="text/html")})},
        "/portal/faq/{topic}": {"get": operation("Official text of one FAQ topic", portal, {
            "200": answer("HTML page", html, media="text/html"),
            "404": answer("HTML page: no such topic", html, media="text/html")},
            [param("topic", "path", {"type": "string", "pattern": "^[a-z0-9_]+$"}, "Topic")])},
        "/portal/search": {"get": operation("Search the portal's FAQ topics", portal, {
            "200": answer("HTML page with the topics that mention every word", html,
                          media="text/html")},
            [param("q", "query", STR, "The words to look for")])},
        "/portal/ru/faq": {"get": operation("FAQ topics in Russian", portal, {
            "200": answer("HTML list", html, media="text/html")})},
        "/portal/ru/faq/{topic}": {"get": operation(
            "Official Russian text of one FAQ topic", portal, {
                "200": answer("HTML page", html, media="text/html"),
                "404": answer("HTML page: no such topic", html, media="text/html")},
            [param("topic", "path", {"type": "string", "pattern": "^[a-z0-9_]+$"}, "Topic")])},
        "/portal/ru/search": {"get": operation("Search the portal's Russian FAQ texts", portal, {
            "200": answer("HTML page with the topics that mention every word", html,
                          media="text/html")},
            [param("q", "query", STR, "The words to look for")])},
        "/media": {"post": operation(
            "Keep a photo for a request's media_url; the same bytes get the same URL", media, {
                "201": answer("Where the photo is served", obj({"url": STR}, ["url"])),
                **api_errors(400, 413, 415)},
            description="The body is the image, at most 10 MiB (10485760 bytes). Its bytes "
                        "decide what it is: JPEG, PNG and WebP are kept, with the type the "
                        "bytes show (a PNG declared as image/jpeg is kept as image/png); "
                        "anything else (SVG, HTML, GIF, ...) is a 415.",
            requestBody={"required": True, "content": {
                kind: {"schema": binary} for kind in IMAGE_TYPES}})},
        "/media/{id}": {"get": operation("A kept photo", media, {
            "200": {**answer("The image, inline, with X-Content-Type-Options: nosniff and "
                             "Content-Security-Policy: default-src 'none'; sandbox "
                             "(application/octet-stream, as an attachment: a non-image an "
                             "older sandbox kept)"),
                    "content": {kind: {"schema": binary}
                                for kind in [*IMAGE_TYPES, "application/octet-stream"]}},
            **api_errors(404)},
            [param("id", "path", STR, "The id in the URL POST /media answered")])},
        "/sandbox/faults": {"post": operation(
            "Make matching paths answer 500 (error) or hang; a new fault (mode ok clears) lets "
            "the requests the old one held go on", hooks, {
                "200": answer("The fault now in force", ref("Faults")), **api_errors(400)},
            requestBody={"required": True, "content": {JSON: {"schema": ref("Faults")}}}),
            "get": operation("The fault in force and how many requests it holds", hooks, {
                "200": answer("The fault, with hanging: requests held right now",
                              ref("Faults"))})},
        "/sandbox/meter-window": {"post": operation(
            "Open or close the meter submission window (days of the month)", hooks, {
                "200": answer("The window now in force", obj(
                    {"opens": {"type": "integer"}, "closes": {"type": "integer"}})),
                **api_errors(400)},
            requestBody={"required": True, "content": {JSON: {"schema": obj(
                {"opens": {"type": "integer"}, "closes": {"type": "integer"}})}}})},
        "/sandbox/requests": {"get": operation(
            "Requests filed with a device_id (the reporter is private in Open311)", hooks, {
                "200": answer("Open311 requests, oldest first", {"type": "array", "items": {
                    "type": "object"}}),
                **api_errors(400)},
            [param("device_id", "query", STR, "The device_id given when filing"),
             *OPEN311_LANGUAGE])},
        "/sandbox/clock/tick": {"post": operation("Advance the request clock by one tick",
                                                  hooks, {"200": answer("Changed request ids", obj(
                                                      {"changed": {"type": "array",
                                                                   "items": STR}}))})},
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.0 document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Sandbox city API",
            "version": "1.0.0",
            "description": "The city JSON API (/api/v1), Open311 GeoReport v2 (/open311/v2), "
                           "the demo portal and the sandbox's test hooks. City API errors are "
                           "{error: {code, message, details}}; Open311 errors are a list of "
                           "{code, description}.",
        },
        "servers": [{"url": "/"}],
        "paths": {**_api_paths(), **_open311_paths(), **_other_paths()},
        "components": {"schemas": SCHEMAS},
    }


@routes.get("/api/v1/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    """The OpenAPI document."""
    return web.json_response(document())
