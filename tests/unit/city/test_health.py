"""HealthClient against the sandbox city: polyclinics, slots, booking, cancelling."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.city.errors import CityNotFound, CityProtocolError, CityRejected, CityUnavailable
from bot.city.health import Appointment, Clinic, HealthClient, Slot
from bot.city.http import CityHTTP
from bot.health import SPECIALTIES, with_check_digit
from bot.sandbox.clinics import policy_of
from bot.sandbox.dates import MOSCOW, moscow_now

NOBODY = with_check_digit("990000000000000")


@pytest.fixture
def health(city_http: CityHTTP, city_server: TestServer) -> HealthClient:
    return HealthClient(city_http, str(city_server.make_url("/api/v1")))


def _tomorrow() -> date:
    """Slots from tomorrow on: none of them can begin while a test runs."""
    return (moscow_now() + timedelta(days=1)).date()


async def _own(health: HealthClient, policy: str) -> Clinic:
    (clinic,) = await health.clinics(policy=policy)
    return clinic


async def _first_slot(health: HealthClient, policy: str, specialty: str) -> Slot:
    clinic = await _own(health, policy)
    return (await health.slots(clinic.id, specialty, start=_tomorrow()))[0]


async def test_a_patients_own_polyclinic_parses_with_what_it_offers(health):
    clinic = await _own(health, policy_of(1))
    assert clinic.id and clinic.name.startswith("City Polyclinic No. ")
    assert clinic.address and clinic.district and clinic.phone
    assert clinic.opening_hours["mon"] == "08:00-20:00" and clinic.opening_hours["sun"] is None
    assert [s.code for s in clinic.specialties] == list(SPECIALTIES)
    assert clinic.distance_m is not None
    again = await health.clinic(clinic.id, language="ru")
    assert again.id == clinic.id and again.name.startswith("Городская поликлиника № ")


async def test_polyclinics_serving_a_district_in_russian(health):
    clinics = await health.clinics(district="Arbat", language="ru")
    assert clinics and {c.district for c in clinics} == {"Арбат"}
    assert all(c.distance_m is None for c in clinics)


async def test_slots_parse_as_moscow_times_five_by_default(health):
    clinic = await _own(health, policy_of(11))
    slots = await health.slots(clinic.id, "therapist")
    assert len(slots) == 5
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    for slot in slots:
        assert slot.start.utcoffset() == timedelta(hours=3) and slot.start > moscow_now()
        assert slot.end - slot.start == timedelta(minutes=20)
        assert slot.specialty == "therapist" and slot.clinic_id == clinic.id
        assert slot.doctor and slot.room and slot.specialty_name
    later = await health.slots(clinic.id, "therapist", start=_tomorrow() + timedelta(days=2),
                               limit=2, language="ru")
    assert len(later) == 2 and later[0].start.date() >= _tomorrow() + timedelta(days=2)
    assert later[0].specialty_name == "Терапевт участковый"


async def test_booked_listed_and_cancelled(health):
    policy = policy_of(12)
    slot = await _first_slot(health, policy, "surgeon")
    booked = await health.book(slot.id, policy, idempotency_key=uuid.uuid4().hex)
    assert isinstance(booked, Appointment)
    assert (booked.slot_id, booked.start, booked.doctor) == (slot.id, slot.start, slot.doctor)
    assert booked.clinic.id == slot.clinic_id and booked.specialty == "surgeon"
    assert [a.id for a in await health.appointments(policy)] == [booked.id]
    cancelled = await health.cancel(booked.id, policy)
    assert cancelled.id == booked.id
    assert await health.appointments(policy) == []
    with pytest.raises(CityNotFound):
        await health.cancel(booked.id, policy)


async def test_a_booking_retried_with_its_key_is_one_booking(health):
    policy = policy_of(13)
    slot = await _first_slot(health, policy, "dentist")
    key = uuid.uuid4().hex
    first = await health.book(slot.id, policy, idempotency_key=key)
    again = await health.book(slot.id, policy, idempotency_key=key)
    assert again == first
    assert len(await health.appointments(policy)) == 1


async def test_a_slot_that_has_just_gone_is_rejected_as_taken(health, city_server,
                                                              city_session: aiohttp.ClientSession):
    policy = policy_of(14)
    slot = await _first_slot(health, policy, "ophthalmologist")
    async with city_session.post(city_server.make_url(f"/sandbox/slots/{slot.id}/take")) as resp:
        assert resp.status == 200
    with pytest.raises(CityRejected) as caught:
        await health.book(slot.id, policy, idempotency_key=uuid.uuid4().hex)
    assert (caught.value.status, caught.value.code) == (409, "slot_taken")


async def test_the_citys_booking_rules_come_as_rejections_with_their_codes(health):
    policy = policy_of(15)
    first, second = await health.slots((await _own(health, policy)).id, "urologist",
                                       start=_tomorrow(), limit=2)
    await health.book(first.id, policy, idempotency_key=uuid.uuid4().hex)
    with pytest.raises(CityRejected) as twice:
        await health.book(second.id, policy, idempotency_key=uuid.uuid4().hex)
    assert (twice.value.status, twice.value.code) == (409, "already_booked")
    own = await _own(health, policy)
    elsewhere = next(c for c in await health.clinics() if c.id != own.id)
    slot = (await health.slots(elsewhere.id, "urologist", start=_tomorrow()))[0]
    with pytest.raises(CityRejected) as foreign:
        await health.book(slot.id, policy, idempotency_key=uuid.uuid4().hex)
    assert (foreign.value.status, foreign.value.code) == (422, "not_attached")
    assert foreign.value.details["clinic"]["id"] == int(own.id)


async def test_bad_and_unknown_patients_and_specialties(health):
    clinic = await _own(health, policy_of(16))
    with pytest.raises(CityRejected) as bad:
        await health.appointments(policy_of(16)[:-1] + "x")
    assert (bad.value.status, bad.value.code) == (400, "bad_policy_number")
    with pytest.raises(CityNotFound):
        await health.appointments(NOBODY)
    with pytest.raises(CityNotFound):
        await health.clinics(policy=NOBODY)
    with pytest.raises(CityRejected) as specialty:
        await health.slots(clinic.id, "astrologer")
    assert specialty.value.code == "bad_specialty"
    assert [s["code"] for s in specialty.value.details["known"]] == list(SPECIALTIES)
    with pytest.raises(CityNotFound):
        await health.slots("99999", "therapist")
    with pytest.raises(CityNotFound):
        await health.book("1-200001010800", policy_of(16), idempotency_key=uuid.uuid4().hex)


async def test_a_failing_city_is_unavailable(health, city_fault):
    await city_fault(mode="error", paths="/api/v1/clinics")
    with pytest.raises(CityUnavailable):
        await health.clinics(district="Arbat")


@pytest.mark.parametrize("body", [
    {"items": [{"id": "1-202610151420", "end": "2026-10-15T14:40:00+03:00",
                "specialty": "therapist", "doctor": "Ivanova A. S."}]},  # no start
    {"items": [{"id": "1-202610151420", "start": "soon", "end": "2026-10-15T14:40:00+03:00",
                "specialty": "therapist", "doctor": "Ivanova A. S."}]},
    {"items": [{"id": "1-202610151420", "start": "2026-10-15T14:20:00",
                "end": "2026-10-15T14:40:00", "specialty": "therapist",
                "doctor": "Ivanova A. S."}]},  # no offset: whose time?
    {"items": ["a slot"]},
    {"slots": []},
    [],
])
async def test_slots_the_client_cannot_read_are_a_protocol_error(scripted_city, city_http, body):
    scripted_city.answer(200, json.dumps(body))
    client = HealthClient(city_http, scripted_city.url("/api/v1"))
    with pytest.raises(CityProtocolError):
        await client.slots("1", "therapist")


async def test_an_appointment_without_its_polyclinic_is_a_protocol_error(scripted_city,
                                                                         city_http):
    scripted_city.answer(201, json.dumps({
        "id": 5, "start": "2026-10-15T14:20:00+03:00", "end": "2026-10-15T14:40:00+03:00",
        "specialty": "therapist", "doctor": "Ivanova A. S.", "clinic": None}))
    client = HealthClient(city_http, scripted_city.url("/api/v1"))
    with pytest.raises(CityProtocolError):
        await client.book("1-202610151420", policy_of(1), idempotency_key="k")


async def test_a_readable_slot_keeps_the_citys_time(scripted_city, city_http):
    scripted_city.answer(200, json.dumps({"items": [{
        "id": "1-202610151420", "start": "2026-10-15T14:20:00+03:00",
        "end": "2026-10-15T14:40:00+03:00", "specialty": "therapist",
        "doctor": "Ivanova A. S.", "clinic_id": 3}]}))
    client = HealthClient(city_http, scripted_city.url("/api/v1"))
    (slot,) = await client.slots("3", "therapist")
    assert slot.start.astimezone(MOSCOW).hour == 14 and slot.clinic_id == "3"
    assert slot.room == "" and slot.specialty_name == "therapist"
