"""Doctor's appointments on the city JSON API: polyclinics, their free slots, booking and
cancelling.

The rules of slots and of whom a polyclinic serves live in ``bot.sandbox.clinics``; the policy
number check in ``bot.health``, which the assistant applies too. The city's own rules:

- a patient books only at the polyclinic they are attached to (422 ``not_attached``, naming it):
  in Moscow a citizen is attached to one polyclinic and books there;
- one future appointment per specialty at a time (409 ``already_booked``, naming it), as
  Moscow's appointment system allows;
- a slot goes to one patient (409 ``slot_taken``): the unique slot id, under the write lock;
- an appointment is shown and cancelled only with its patient's policy number; someone else's
  reads like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.health import BAD_POLICY, SPECIALTIES, is_valid_policy
from bot.sandbox.clinics import (
    ClinicSite,
    district_centres,
    free_slots,
    is_bookable,
    naive_utc,
    parse_slot_id,
    serving,
    slot_end,
    slot_id,
    specialties_json,
    specialty_name,
    taken_by_others,
)
from bot.sandbox.dates import MOSCOW, moscow_now, utcnow
from bot.sandbox.errors import ApiError
from bot.sandbox.facilities import facility_json
from bot.sandbox.geo import Gazetteer, haversine_m
from bot.sandbox.idempotency import remember, replay
from bot.sandbox.models import Appointment, Doctor, Facility, Patient
from bot.sandbox.params import (
    date_param,
    id_param,
    json_object,
    lang_param,
    limit_param,
    point_params,
)
from bot.sandbox.state import ENGINE, GAZETTEER, RUNTIME, open_session

PREFIX = "/api/v1"
CLINIC = "clinic"
# A point farther than this from every house is outside the city: no polyclinic serves it.
NEAREST_HOUSE_M = 1000.0
CLINIC_FIELDS = ("id", "name", "address", "address_id", "district", "lat", "lon", "phone",
                 "opening_hours", "open_now", "distance_m")
routes = web.RouteTableDef()


def _lang(request: web.Request) -> str:
    return lang_param(request.query, request.headers)


def _answer(body: Any, lang: str, status: int = 200) -> web.Response:
    """JSON in ``lang``, saying so (and that it depends on Accept-Language, for caches)."""
    return web.json_response(body, status=status, headers={"Content-Language": lang,
                                                           "Vary": "Accept-Language"})


def _policy(value: Any) -> str:
    """A well-formed policy number; the city never looks up one that cannot exist."""
    if not isinstance(value, str) or not is_valid_policy(value.strip()):
        raise ApiError(400, BAD_POLICY, "A policy number has 16 digits, the last a check "
                                        "digit.", {"policy_number": value})
    return value.strip()


async def _patient(session: AsyncSession, policy: str) -> Patient:
    patient = await session.get(Patient, policy)
    if patient is None:
        raise ApiError(404, "patient_not_found",
                       "No patient with this policy number is attached to a city polyclinic.",
                       {"policy_number": policy})
    return patient


async def _clinic(session: AsyncSession, text: str) -> Facility:
    clinic_id = id_param(text, "clinic_not_found", "polyclinic")
    clinic = await session.get(Facility, clinic_id)
    if clinic is None or clinic.type != CLINIC:
        raise ApiError(404, "clinic_not_found", f"There is no polyclinic with id {text}.",
                       {"id": text})
    return clinic


def clinic_json(clinic: Facility, gazetteer: Gazetteer, lang: str,
                point: tuple[float, float] | None = None) -> dict[str, Any]:
    """A polyclinic as the API shows it: the facility's own fields and what it offers."""
    shown = facility_json(clinic, gazetteer, moscow_now(), point, lang)
    return {**{key: shown[key] for key in CLINIC_FIELDS}, "specialties": specialties_json(lang)}


def _specialty(request: web.Request, lang: str) -> str:
    code = request.query.get("specialty", "").strip().lower()
    if code not in SPECIALTIES:
        raise ApiError(400, "bad_specialty", f"specialty must be one of: {', '.join(SPECIALTIES)}.",
                       {"specialty": code, "known": specialties_json(lang)})
    return code


def _moscow(moment: datetime) -> str:
    return moment.astimezone(MOSCOW).isoformat(timespec="seconds")


def slot_json(doctor: Doctor, start: datetime, lang: str) -> dict[str, Any]:
    """A slot (``start`` aware) as the API shows it; the doctor's name in ``lang``."""
    return {"id": slot_id(doctor.id, start), "start": _moscow(start),
            "end": _moscow(slot_end(start)), "clinic_id": doctor.clinic_id,
            "specialty": doctor.specialty,
            "specialty_name": specialty_name(doctor.specialty, lang),
            "doctor": doctor.name_ru if lang == "ru" else doctor.name, "room": doctor.room}


async def appointment_json(session: AsyncSession, row: Appointment, gazetteer: Gazetteer,
                           lang: str) -> dict[str, Any]:
    """An appointment: its slot and the polyclinic it is at."""
    doctor = await session.get(Doctor, row.doctor_id)
    clinic = await session.get(Facility, doctor.clinic_id)
    slot = slot_json(doctor, row.starts_at.replace(tzinfo=timezone.utc), lang)
    return {"id": row.id, "slot_id": slot["id"], "start": slot["start"], "end": slot["end"],
            "specialty": slot["specialty"], "specialty_name": slot["specialty_name"],
            "doctor": slot["doctor"], "room": slot["room"],
            "clinic": clinic_json(clinic, gazetteer, lang)}


# ---------------------------------------------------------------- polyclinics

def _sites(rows: list[Facility], gazetteer: Gazetteer) -> dict[int, ClinicSite]:
    sites = {}
    for row in rows:
        place = gazetteer.get(row.address_id)
        if place is not None:
            sites[row.id] = ClinicSite(row.id, place.district_id, place.lat, place.lon)
    return sites


def _district(request: web.Request) -> int | None:
    name = request.query.get("district", "").strip()
    if not name:
        return None
    gazetteer = request.app[GAZETTEER]
    found = gazetteer.find_district(name[:200])
    if found is None:
        raise ApiError(400, "bad_district", f"There is no district called {name!r}.",
                       {"district": name, "known": sorted(gazetteer.districts.values())})
    return found[0]


def _place(request: web.Request) -> tuple[int | None, tuple[float, float] | None, bool]:
    """(district, point to measure from, whether the distance means something to the citizen)
    of the place asked about; district None with a point: outside the city."""
    gazetteer, query = request.app[GAZETTEER], request.query
    text = query.get("address_id", "").strip()
    if text:
        place = gazetteer.get(id_param(text, "address_not_found", "address"))
        if place is None:
            raise ApiError(404, "address_not_found", f"There is no address with id {text}.",
                           {"id": text})
        return place.district_id, (place.lat, place.lon), True
    point = point_params(query)
    if point is not None:
        house = gazetteer.nearest(*point, within_m=NEAREST_HOUSE_M)
        return (house.district_id if house else None), point, True
    district = _district(request)
    if district is None:
        return None, None, False
    centres = district_centres((p.district_id, p.lat, p.lon) for p in gazetteer.places.values())
    return district, centres.get(district), False


@routes.get(PREFIX + "/clinics")
async def clinics(request: web.Request) -> web.Response:
    """The polyclinics serving a place (or a patient's own), nearest first; else all by name."""
    lang = _lang(request)
    policy = request.query.get("policy_number", "").strip()
    gazetteer = request.app[GAZETTEER]
    async with open_session(request.app) as session:
        rows = (await session.scalars(select(Facility).where(Facility.type == CLINIC)
                                      .order_by(Facility.id))).all()
        patient = await _patient(session, _policy(policy)) if policy else None
    sites = _sites(list(rows), gazetteer)
    if patient is not None:
        home = gazetteer.get(patient.address_id)
        chosen = [row for row in rows if row.id == patient.clinic_id]
        point, shown = ((home.lat, home.lon) if home else None), True
    else:
        district, point, shown = _place(request)
        if point is None and district is None:
            chosen = sorted(rows, key=lambda row: row.name)
        else:
            centres = district_centres((p.district_id, p.lat, p.lon)
                                       for p in gazetteer.places.values())
            ids = ({site.id for site in serving(district, list(sites.values()), centres)}
                   if district is not None else set())
            chosen = [row for row in rows if row.id in ids]
    if point is not None:
        chosen = sorted(chosen, key=lambda row: (
            haversine_m(*point, sites[row.id].lat, sites[row.id].lon)
            if row.id in sites else float("inf"), row.id))
    items = [clinic_json(row, gazetteer, lang, point if shown else None) for row in chosen]
    return _answer({"items": items}, lang)


@routes.get(PREFIX + "/clinics/{id}")
async def get_clinic(request: web.Request) -> web.Response:
    """One polyclinic by id."""
    lang = _lang(request)
    async with open_session(request.app) as session:
        clinic = await _clinic(session, request.match_info["id"])
    return _answer(clinic_json(clinic, request.app[GAZETTEER], lang), lang)


@routes.get(PREFIX + "/clinics/{id}/slots")
async def get_slots(request: web.Request) -> web.Response:
    """The next free slots of a specialty at a polyclinic, earliest first."""
    lang = _lang(request)
    specialty = _specialty(request, lang)
    after = date_param(request.query, "from")
    limit = limit_param(request.query, 10)
    now = moscow_now()
    async with open_session(request.app) as session:
        clinic = await _clinic(session, request.match_info["id"])
        doctors = (await session.scalars(select(Doctor).where(
            Doctor.clinic_id == clinic.id, Doctor.specialty == specialty)
            .order_by(Doctor.id))).all()
        booked = set((await session.scalars(select(Appointment.slot_id).where(
            Appointment.doctor_id.in_([doctor.id for doctor in doctors]),
            Appointment.starts_at > naive_utc(now)))).all())
    found = free_slots(list(doctors), booked, now, after, limit)
    return _answer({"items": [slot_json(doctor, start, lang) for doctor, start in found]}, lang)


# ---------------------------------------------------------------- appointments

async def _slot(session: AsyncSession, text: str, now: datetime) -> tuple[Doctor, datetime]:
    """The doctor and start of a slot still open for booking (taken or not)."""
    parsed = parse_slot_id(text)
    doctor = await session.get(Doctor, parsed[0]) if parsed else None
    if parsed is None or doctor is None or not is_bookable(doctor.shift, parsed[1], now):
        raise ApiError(404, "slot_not_found", "There is no such slot to book (or it has "
                                              "passed).", {"slot_id": text})
    return doctor, parsed[1]


async def _is_taken(session: AsyncSession, doctor: Doctor, start: datetime) -> bool:
    if taken_by_others(doctor.id, start):
        return True
    return await session.scalar(select(Appointment.id).where(
        Appointment.slot_id == slot_id(doctor.id, start))) is not None


async def _store(session: AsyncSession, doctor: Doctor, start: datetime,
                 policy: str | None) -> Appointment:
    """Keep the booking; the unique slot id refuses a second one even past the lock."""
    row = Appointment(slot_id=slot_id(doctor.id, start), doctor_id=doctor.id, policy=policy,
                      starts_at=naive_utc(start), created_at=utcnow())
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise ApiError(409, "slot_taken", "Someone has just taken this slot.",
                       {"slot_id": row.slot_id}) from None
    return row


async def _booking_body(request: web.Request) -> tuple[str, str]:
    """The slot id and policy number of a booking."""
    body = await json_object(request, "bad_booking", 'The body must be JSON like {"slot_id": '
                                                     '"17-202610151420", "policy_number": "…"}.')
    slot = body.get("slot_id")
    if not isinstance(slot, str) or not 1 <= len(slot) <= 40:
        raise ApiError(400, "bad_booking", "slot_id must be the id of a slot.",
                       {"slot_id": slot})
    return slot, _policy(body.get("policy_number"))


async def _already_booked(session: AsyncSession, policy: str, specialty: str,
                          now: datetime) -> Appointment | None:
    return await session.scalar(
        select(Appointment).join(Doctor, Doctor.id == Appointment.doctor_id)
        .where(Appointment.policy == policy, Doctor.specialty == specialty,
               Appointment.starts_at > naive_utc(now)))


async def _book(request: web.Request, slot_text: str, policy: str, key: str,
                lang: str) -> dict[str, Any]:
    """Check the patient, the slot and the rules, then keep the booking and the answer for the
    ``Idempotency-Key`` in one transaction."""
    gazetteer, now = request.app[GAZETTEER], moscow_now()
    async with open_session(request.app) as session, session.begin():
        patient = await _patient(session, policy)
        doctor, start = await _slot(session, slot_text, now)
        if doctor.clinic_id != patient.clinic_id:
            own = await session.get(Facility, patient.clinic_id)
            raise ApiError(422, "not_attached", "The patient is attached to another "
                                                "polyclinic and books there.",
                           {"clinic": clinic_json(own, gazetteer, lang)})
        existing = await _already_booked(session, policy, doctor.specialty, now)
        if existing is not None:
            raise ApiError(409, "already_booked", "The patient already has an appointment with "
                                                  "this specialty; cancel it to book another.",
                           {"appointment": await appointment_json(session, existing, gazetteer,
                                                                  lang)})
        if await _is_taken(session, doctor, start):
            raise ApiError(409, "slot_taken", "Someone has just taken this slot.",
                           {"slot_id": slot_id(doctor.id, start)})
        row = await _store(session, doctor, start, policy)
        answer = await appointment_json(session, row, gazetteer, lang)
        if key:
            remember(session, _scope(policy), key, 201, answer)
    return answer


def _scope(policy: str) -> str:
    """Where the Idempotency-Keys of a patient's bookings are kept."""
    return f"appointments:{policy}"


@routes.post(PREFIX + "/appointments")
async def book(request: web.Request) -> web.Response:
    """Book a slot for a patient, honouring an ``Idempotency-Key`` header."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 200:
        raise ApiError(400, "bad_idempotency_key", "Idempotency-Key is at most 200 characters.")
    lang = _lang(request)
    slot, policy = await _booking_body(request)
    async with request.app[RUNTIME].write_lock:
        if key:
            stored = await replay(request.app[ENGINE], _scope(policy), key)
            if stored is not None:
                return _answer(stored[1], lang, stored[0])
        answer = await _book(request, slot, policy, key, lang)
    return _answer(answer, lang, 201)


@routes.get(PREFIX + "/appointments")
async def appointments(request: web.Request) -> web.Response:
    """A patient's appointments still to come, earliest first."""
    lang = _lang(request)
    policy = _policy(request.query.get("policy_number"))
    async with open_session(request.app) as session:
        await _patient(session, policy)
        rows = (await session.scalars(select(Appointment).where(
            Appointment.policy == policy, Appointment.starts_at > utcnow())
            .order_by(Appointment.starts_at, Appointment.id))).all()
        items = [await appointment_json(session, row, request.app[GAZETTEER], lang)
                 for row in rows]
    return _answer({"items": items}, lang)


@routes.delete(PREFIX + "/appointments/{id}")
async def cancel(request: web.Request) -> web.Response:
    """Cancel a patient's appointment still to come: the slot is free again."""
    lang = _lang(request)
    text = request.match_info["id"]
    policy = _policy(request.query.get("policy_number"))
    appointment_id = id_param(text, "appointment_not_found", "appointment")
    app = request.app
    async with app[RUNTIME].write_lock, open_session(app) as session, session.begin():
        row = await session.get(Appointment, appointment_id)
        if row is None or row.policy != policy or row.starts_at <= utcnow():
            raise ApiError(404, "appointment_not_found",
                           f"This patient has no appointment {text} to come.", {"id": text})
        answer = await appointment_json(session, row, app[GAZETTEER], lang)
        await session.delete(row)
    return _answer(answer, lang)


async def take_for_someone_else(app: web.Application, text: str) -> str:
    """Book a free slot for a patient the sandbox does not model (a test hook: "that slot has
    just gone"); the slot's id."""
    async with app[RUNTIME].write_lock, open_session(app) as session, session.begin():
        doctor, start = await _slot(session, text, moscow_now())
        if await _is_taken(session, doctor, start):
            raise ApiError(409, "slot_taken", "The slot is taken already.",
                           {"slot_id": slot_id(doctor.id, start)})
        row = await _store(session, doctor, start, None)
    return row.slot_id
