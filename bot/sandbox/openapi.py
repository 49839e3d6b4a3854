"""The OpenAPI 3 document of everything the sandbox city serves, at ``/api/v1/openapi.json``.

The city JSON API is the main subject; Open311 GeoReport v2, the portal and the test hooks
are described too so that one document lists every route (a test compares it with the
router).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.health import SPECIALTIES
from bot.sandbox.clinics import policy_of
from bot.sandbox.events import KINDS as EVENT_KINDS
from bot.sandbox.facilities import TYPES
from bot.sandbox.fines_catalogue import ARTICLES
from bot.sandbox.fines_seed import FINED
from bot.sandbox.media import ALLOWED as IMAGE_TYPES
from bot.sandbox.planned_outages import KINDS as OUTAGE_KINDS

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
            409: "In conflict with the city's state (error.code says how, error.details what)",
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
CERTIFICATE = {"type": "string", "example": "77УВ123456",
               "description": "vehicle registration certificate (СТС) number, canonical: 2 "
                              "digits, 2 Cyrillic capitals, 6 digits"}
FINE = obj({
    "id": {"type": "string", "pattern": "^[0-9]{20}$",
           "description": "the ruling's 20-digit payment identifier (УИН)"},
    "ruled_on": DATE,
    "article": {"type": "string", "example": "12.9.2",
                "description": "article and part of the Code of Administrative Offences "
                               "(КоАП РФ): 12.9.2 is article 12.9, part 2"},
    "offence": {"type": "string", "description": ASKED},
    "place": {"type": "string", "description": "the house's address label or the stretch of "
                                               "road, " + ASKED},
    "amount": {"type": "integer", "minimum": 1, "description": "the fine in roubles"},
    "discount_amount": nullable("integer", description=(
        "half the fine, due instead while the discount lasts; null past it or for an offence "
        "that allows none")),
    "discount_until": {**DATE, "nullable": True,
                       "description": "the last Moscow day the discount can be paid (20 days "
                                      "after the ruling)"},
    "amount_due": {"type": "integer", "minimum": 1,
                   "description": "what is due today (Moscow date at the time of asking)"},
    "payment_url": {"type": "string", "format": "uri",
                    "description": "the city's payment page of this fine, in the language "
                                   "asked for"},
}, ["id", "ruled_on", "article", "offence", "place", "amount", "discount_amount",
    "discount_until", "amount_due", "payment_url"])
VEHICLE_FINES = obj({
    "vehicle_certificate": CERTIFICATE,
    "plate": {"type": "string", "example": "А123ВС777"},
    "vehicle": {"type": "string", "example": "Lada Vesta", "description": "make and model"},
    "items": {"type": "array", "items": ref("Fine"),
              "description": "unpaid fines only, newest first; empty: nothing to pay"},
}, ["vehicle_certificate", "plate", "vehicle", "items"])
NEW_FINE = {**obj({
    "vehicle_certificate": {"type": "string", "description": "in any form the fines API takes"},
    "article": {"type": "string", "enum": list(ARTICLES), "default": "12.9.2"},
    "address_id": {"type": "integer", "description": "a house the city knows; left out: a "
                                                     "stretch of Tverskaya Street"},
}, ["vehicle_certificate"]), "example": {"vehicle_certificate": FINED, "article": "12.9.2"}}
FINE_ADDED = obj({"vehicle_certificate": CERTIFICATE, **FINE["properties"]},
                 ["vehicle_certificate", *FINE["required"]])
SPECIALTY = {"type": "string", "enum": list(SPECIALTIES)}
POLICY = {"type": "string", "pattern": "^[0-9]{16}$", "example": policy_of(1),
          "description": "The 16-digit compulsory health insurance policy number (полис ОМС); "
                         "the last digit is a Luhn check digit in the sandbox. Malformed: 400 "
                         "bad_policy_number; nobody's: 404 patient_not_found."}
SLOT_ID = {"type": "string", "pattern": "^[0-9]{1,6}-[0-9]{12}$", "example": "17-202610151420",
           "description": "the doctor's id and the Moscow start time"}
CLINIC = obj({
    "id": INT, "name": {"type": "string", "description": ASKED},
    "address": {"type": "string", "description": "address label " + ASKED},
    "address_id": INT, "district": {"type": "string", "description": ASKED},
    "lat": NUM, "lon": NUM, "phone": STR, "opening_hours": ref("OpeningHours"),
    "open_now": BOOL,
    "distance_m": nullable("integer", description="metres from the address, point or patient's "
                                                  "house asked about"),
    "specialties": {"type": "array", "description": "what can be booked here", "items": obj(
        {"code": SPECIALTY, "name": {"type": "string", "description": ASKED}},
        ["code", "name"])},
}, ["id", "name", "address", "phone", "opening_hours", "specialties"])
SLOT_FIELDS = {"start": {**DATETIME, "example": "2026-10-15T14:20:00+03:00",
                         "description": "Moscow time"},
               "end": DATETIME, "specialty": SPECIALTY,
               "specialty_name": {"type": "string", "description": ASKED},
               "doctor": {"type": "string", "description": "the doctor's name " + ASKED},
               "room": STR}
SLOT = obj({"id": SLOT_ID, "clinic_id": INT, **SLOT_FIELDS},
           ["id", "clinic_id", *SLOT_FIELDS])
APPOINTMENT = obj({"id": INT, "slot_id": SLOT_ID, **SLOT_FIELDS, "clinic": ref("Clinic")},
                  ["id", "slot_id", *SLOT_FIELDS, "clinic"])
BOOKING = {**obj({"slot_id": SLOT_ID, "policy_number": POLICY}, ["slot_id", "policy_number"]),
           "example": {"slot_id": "17-202610151420", "policy_number": policy_of(1)}}
POLL_RESULT = obj({"option_id": INT, "text": {"type": "string", "description": ASKED},
                   "votes": INT, "percent": {"type": "number", "minimum": 0, "maximum": 100}},
                  ["option_id", "text", "votes", "percent"])
POLL = obj({
    "id": INT, "title": {"type": "string", "description": ASKED},
    "question": {"type": "string", "description": ASKED},
    "options": {"type": "array", "items": obj(
        {"id": INT, "text": {"type": "string", "description": ASKED}}, ["id", "text"])},
    "opens_on": DATE, "closes_on": {**DATE, "description": "the last day of voting"},
    "status": {"type": "string", "enum": ["open", "closed", "upcoming"]},
    "votes_total": {"type": "integer", "description": "participation so far"},
    "results": {"type": "array", "items": ref("PollResult"),
                "description": "one poll only (GET /polls/{id})"},
}, ["id", "title", "question", "options", "opens_on", "closes_on", "status", "votes_total"])
VOTE = {**obj({"option_id": INT,
               "citizen": {"type": "string", "minLength": 1, "maxLength": 128,
                           "description": "an opaque, stable identity of the citizen (the "
                                          "assistant derives it from the channel)"}},
              ["option_id", "citizen"]),
        "example": {"option_id": 1, "citizen": "telegram:12345"}}
VOTED = obj({"poll_id": INT, "option_id": INT,
             "results": {"type": "array", "items": ref("PollResult")}, "votes_total": INT},
            ["poll_id", "option_id", "results", "votes_total"])
EVENT_KIND = {"type": "string", "enum": list(EVENT_KINDS)}
EVENT_KINDS_PATTERN = "^({0})(,({0}))*$".format("|".join(EVENT_KINDS))
OUTAGE_PLANNED = obj({
    "outage_id": {"type": "integer", "description": "the outage's id in GET /outages"},
    "kind": OUTAGE["properties"]["kind"], "starts_at": DATETIME, "ends_at": DATETIME,
    "district_id": INT, "district": STR, "district_ru": STR,
    "streets": {"type": "array", "items": STR,
                "description": "English street names; empty: the whole district"},
    "streets_ru": {"type": "array", "items": STR, "description": "the same in Russian"},
    "address_ids": {"type": "array", "items": INT,
                    "description": "every house the outage reaches (its district's houses on "
                                   "its streets): a subscriber whose address id is here is "
                                   "affected, as GET /outages?address_id= would say"},
    "reason": STR,
    "reason_ru": {"type": "string", "description": "the English where the city has no Russian"},
}, ["outage_id", "kind", "starts_at", "ends_at", "district_id", "district", "district_ru",
    "streets", "streets_ru", "address_ids", "reason", "reason_ru"])
FINE_ISSUED = obj({
    "fine_id": FINE["properties"]["id"], "vehicle_certificate": CERTIFICATE,
    "article": FINE["properties"]["article"], "offence": STR, "offence_ru": STR,
    "amount": FINE["properties"]["amount"], "ruled_on": DATE,
}, ["fine_id", "vehicle_certificate", "article", "offence", "offence_ru", "amount",
    "ruled_on"])
METER_WINDOW_OPENED = obj({
    "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "example": "2026-10"},
    "opens_day": INT, "closes_day": INT,
    "opens_on": DATE, "closes_on": {**DATE, "description": "the last day readings are taken"},
}, ["month", "opens_day", "closes_day", "opens_on", "closes_on"])
EVENT = obj({
    "id": {"type": "integer", "minimum": 1,
           "description": "the cursor: ascending, never reused; an event never changes"},
    "kind": EVENT_KIND,
    "occurred_at": {**DATETIME, "description": "when the city recorded it (Moscow time)"},
    "data": {"anyOf": [ref("OutagePlanned"), ref("FineIssued"), ref("MeterWindowOpened")],
             "description": "outage_planned: OutagePlanned; fine_issued: FineIssued; "
                            "meter_window_opened: MeterWindowOpened"},
}, ["id", "kind", "occurred_at", "data"])
EVENTS = obj({"items": {"type": "array", "items": ref("Event"), "description": "oldest first"},
              "next": {"type": "integer", "minimum": 0,
                       "description": "the last id answered, or since when there is none: "
                                      "the since of the next call"}}, ["items", "next"])
NEW_OUTAGE = {**obj({
    "address_id": {"type": "integer", "description": "a house the city knows: the outage is on "
                                                     "its street (district and street are then "
                                                     "ignored)"},
    "district": {"type": "string", "description": "without address_id: the district (English "
                                                  "or Russian name)"},
    "street": {"type": "string", "description": "a street of the district (English or Russian "
                                                "name); left out: the whole district"},
    "kind": {"type": "string", "enum": list(OUTAGE_KINDS)},
    "starts_at": {**DATETIME, "description": "default: this hour tomorrow; within the coming "
                                             "year (starts is accepted too)"},
    "ends_at": {**DATETIME, "description": "default: 8 hours after it starts; in the future, "
                                           "at most 31 days after it starts (ends is accepted "
                                           "too)"},
    "reason": {"type": "string", "minLength": 1, "maxLength": 500,
               "description": "default: the city's own reason for the kind, in both languages"},
    "reason_ru": {"type": "string", "minLength": 1, "maxLength": 500},
}, ["kind"]), "example": {"district": "Tverskoy", "street": "Tverskaya Street",
                          "kind": "heating", "reason": "Repair of the heating main",
                          "reason_ru": "Ремонт тепломагистрали"}}

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
    "Clinic": CLINIC, "Slot": SLOT, "Appointment": APPOINTMENT, "Booking": BOOKING,
    "Poll": POLL, "PollResult": POLL_RESULT, "Vote": VOTE, "Voted": VOTED,
    "Fine": FINE, "VehicleFines": VEHICLE_FINES, "NewFine": NEW_FINE,
    "Event": EVENT, "Events": EVENTS, "OutagePlanned": OUTAGE_PLANNED,
    "FineIssued": FINE_ISSUED, "MeterWindowOpened": METER_WINDOW_OPENED,
    "NewOutage": NEW_OUTAGE,
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


def _health_paths(tag: str) -> dict[str, Any]:
    """Doctor's appointments: polyclinics, slots, booking and cancelling."""
    policy = query("policy_number", POLICY, "The patient's policy number.", required=True)
    return {
        "/api/v1/clinics": {"get": operation(
            "The polyclinics serving a place, nearest first (a district without one is served "
            "by the nearest); with policy_number the patient's own; with nothing, all by name",
            tag, {"200": answer("Polyclinics", items_of(ref("Clinic"))),
                  **api_errors(400, 404)}, [
                query("address_id", INT, "The polyclinics serving this house's district."),
                query("lat", NUM, "Latitude of the citizen (with lon)."),
                query("lon", NUM, "Longitude of the citizen (with lat); a point far from every "
                                  "house is outside the city: no polyclinics."),
                query("district", STR, "District name (English or Russian)."),
                query("policy_number", POLICY, "The polyclinic this patient is attached to "
                                               "(the other filters are then ignored)."),
                *LANGUAGE])},
        "/api/v1/clinics/{id}": {"get": operation("One polyclinic", tag, {
            "200": answer("The polyclinic", ref("Clinic")), **api_errors(400, 404)},
            [ID, *LANGUAGE])},
        "/api/v1/clinics/{id}/slots": {"get": operation(
            "The next free slots of a specialty (working days of the next 14 days; never one "
            "that has begun)", tag, {
                "200": answer("Free slots, earliest first", items_of(ref("Slot"))),
                **api_errors(400, 404)}, [
                ID, query("specialty", SPECIALTY, "What kind of doctor; another is a 400 "
                                                  "bad_specialty listing the known ones.",
                          required=True),
                query("from", STR, "Only slots starting at or after this date/datetime."),
                query("limit", INT, LIMIT + " Default 10."), *LANGUAGE])},
        "/api/v1/appointments": {
            "post": operation(
                "Book a slot at the patient's own polyclinic, one appointment per specialty at a "
                "time", tag, {
                    "201": answer("The appointment", ref("Appointment")),
                    **api_errors(400, 404, 409, 422)},
                [IDEMPOTENCY, *LANGUAGE],
                description="404 patient_not_found or slot_not_found (unknown, passed, beyond "
                            "the 14 days); 409 slot_taken (someone has just taken it) or "
                            "already_booked (details.appointment: the patient's appointment "
                            "with this specialty); 422 not_attached (details.clinic: the "
                            "patient's own polyclinic).",
                requestBody={"required": True, "content": {JSON: {"schema": ref("Booking")}}}),
            "get": operation("A patient's appointments still to come, earliest first", tag, {
                "200": answer("Appointments", items_of(ref("Appointment"))),
                **api_errors(400, 404)}, [policy, *LANGUAGE])},
        "/api/v1/appointments/{id}": {"delete": operation(
            "Cancel an appointment still to come: the slot is free again", tag, {
                "200": answer("The cancelled appointment", ref("Appointment")),
                **api_errors(400, 404)},
            [ID, policy, *LANGUAGE],
            description="An unknown id and someone else's appointment are both 404 "
                        "appointment_not_found.")},
    }


def _poll_paths(tag: str) -> dict[str, Any]:
    """Citizens' polls ("Active Citizen")."""
    return {
        "/api/v1/polls": {"get": operation("Polls, the soonest to close first", tag, {
            "200": answer("Polls (without results)", items_of(ref("Poll"))),
            **api_errors(400)}, [
            query("status", {"type": "string", "enum": ["open", "closed", "all"],
                             "default": "open"}, "Which polls."), *LANGUAGE])},
        "/api/v1/polls/{id}": {"get": operation("One poll with its results", tag, {
            "200": answer("The poll", ref("Poll")), **api_errors(400, 404)}, [ID, *LANGUAGE])},
        "/api/v1/polls/{id}/votes": {"post": operation(
            "Vote: one vote per citizen and poll", tag, {
                "201": answer("The vote and the results with it", ref("Voted")),
                **api_errors(400, 404, 409, 422)},
            [ID, *LANGUAGE],
            description="400 bad_option, bad_citizen or bad_vote; 409 already_voted with "
                        "details.option_id (the citizen's vote) and details.results; 422 "
                        "poll_closed (or poll_upcoming).",
            requestBody={"required": True, "content": {JSON: {"schema": ref("Vote")}}})},
    }


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
        "/api/v1/fines": {"get": operation(
            "A vehicle's unpaid traffic fines, with the discount and a payment link", api, {
                "200": answer("The vehicle and its unpaid fines", ref("VehicleFines")),
                **api_errors(400, 404)},
            [{**query("vehicle_certificate", STR,
                      'The vehicle registration certificate (СТС) number: "77УВ123456", '
                      '"77 УВ 123456", "77-ув-123456" or with Latin letters ("77 uv 123456": '
                      "a letter like a Cyrillic one is that one, any other is transliterated). "
                      "Malformed: 400 bad_vehicle_certificate; unknown: 404 vehicle_not_found.",
                      required=True), "example": FINED},
             query("lang", {"type": "string", "enum": ["en", "ru"], "default": "en"},
                   'Language of offences, places and the payment page: "ru" for Russian. A '
                   'region ("ru-RU") is ignored; another language is a 400 bad_lang. Overrides '
                   "Accept-Language."),
             param("Accept-Language", "header", STR,
                   'Used when lang is not given: the best-rated of "en" and "ru", else '
                   "English. The answer's Content-Language says which was used.")])},
        **_health_paths("Doctor's appointments"),
        **_poll_paths("Citizen polls"),
        "/api/v1/events": {"get": operation(
            "The city's events feed: what happened after since, oldest first", api, {
                "200": answer("Events and the cursor for the next call", ref("Events")),
                **api_errors(400)}, [
                query("since", {"type": "integer", "minimum": 0, "default": 0},
                      "The next of the last answer: only events with a larger id. Left out: "
                      "from the start. Not a whole number: 400 bad_since."),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 500,
                                "default": 100},
                      "How many events at most (1-500). Default 100."),
                query("kind", {"type": "string", "pattern": EVENT_KINDS_PATTERN},
                      "Only these kinds, comma-separated (outage_planned, fine_issued, "
                      "meter_window_opened); another is a 400 bad_kind. Left out: every kind.")],
            description="Every event is kept for good and never changes; ids ascend and are "
                        "never reused. A reader keeps next and asks with it as since. The "
                        "month's meter_window_opened is told of once, when the city is first "
                        "asked (or the window set) while the window is open.")},
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
    payments = "Payment pages"
    fine_id = param("id", "path", STR, "The fine's id (its 20-digit ruling number)")
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
            "Open or close the meter submission window (days of the month); open today, the "
            "month's meter_window_opened is in the events feed (once a month)", hooks, {
                "200": answer("The window now in force, and the month's event while it is open",
                              obj({"opens": {"type": "integer"}, "closes": {"type": "integer"},
                                   "open_now": BOOL,
                                   "event": {**EVENT, "nullable": True,
                                             "description": "the month's meter_window_opened "
                                                            "(told now or before); null while "
                                                            "the window is closed"}})),
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
        **{path: {
            "get": operation(f"The payment page of a fine{said} (its receipt once paid)",
                             payments, {
                "200": answer("HTML page: the fine, what is due today, a form to pay it",
                              html, media="text/html"),
                "404": answer("HTML page: no such fine", html, media="text/html")},
                [fine_id]),
            "post": operation(f"Pay a fine: what is due today, once{said}", payments, {
                "200": answer("HTML page: the receipt (a paid fine shows its first payment's)",
                              html, media="text/html"),
                "400": answer("HTML page: the payment was not confirmed", html,
                              media="text/html"),
                "404": answer("HTML page: no such fine", html, media="text/html"),
                **api_errors(413)},
                [fine_id],
                requestBody={"required": False, "content": {
                    "application/x-www-form-urlencoded": {"schema": obj(
                        {"confirm": {"type": "string", "enum": ["yes"]}})}}})}
            for path, said in (("/pay/fines/{id}", ""), ("/pay/ru/fines/{id}", ", in Russian"))},
        "/sandbox/fines": {"post": operation(
            "Fine a vehicle now: an unpaid fine ruled today (for notifications of new fines)",
            hooks, {"201": answer("The new fine, as the fines API shows it (in English)",
                                  FINE_ADDED),
                    **api_errors(400, 404)},
            requestBody={"required": True, "content": {JSON: {"schema": ref("NewFine")}}},
            description="Its fine_issued event is in the events feed, added with the fine.")},
        "/sandbox/outages": {"post": operation(
            "Announce a planned outage now: listed by GET /outages, told of in the events feed",
            hooks, {"201": answer("Its outage_planned event, as the feed shows it", ref("Event")),
                    **api_errors(400)},
            description="400 bad_outage (kind, dates, reason or no place), bad_address, "
                        "bad_district or bad_street (details.known lists the district's).",
            requestBody={"required": True, "content": {JSON: {"schema": ref("NewOutage")}}})},
        "/sandbox/slots/{id}/take": {"post": operation(
            "Book a free slot for someone else (a citizen's booking of it then finds it gone)",
            hooks, {"200": answer("Taken", obj({"slot_id": SLOT_ID, "taken": BOOL},
                                               ["slot_id", "taken"])),
                    **api_errors(404, 409)},
            [param("id", "path", SLOT_ID, "The slot's id")])},
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
