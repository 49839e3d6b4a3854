"""Doctor's appointments on the city API: polyclinics, free slots, booking and cancelling."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.health import SPECIALTIES, with_check_digit
from bot.sandbox import models
from bot.sandbox.clinics import HORIZON_DAYS, SLOT_MINUTES, day_starts, policy_of, slot_id
from bot.sandbox.database import seed_if_empty
from bot.sandbox.dates import MOSCOW, moscow_now
from bot.sandbox.state import ENGINE

NOBODY = with_check_digit("990000000000000")  # well formed, no such patient
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


async def _json(response, status: int = 200):
    assert response.status == status, await response.text()
    return await response.json()


async def _clinics(client, **params) -> list[dict]:
    return (await _json(await client.get("/api/v1/clinics", params=params)))["items"]


async def _own_clinic(client, policy: str) -> dict:
    (clinic,) = await _clinics(client, policy_number=policy)
    return clinic


def _tomorrow() -> str:
    """Slots from tomorrow on: none of them can begin while a test runs."""
    return (moscow_now() + timedelta(days=1)).date().isoformat()


async def _slots(client, clinic_id: int, specialty: str, **params) -> list[dict]:
    query = {"specialty": specialty, "from": _tomorrow(), **params}
    response = await client.get(f"/api/v1/clinics/{clinic_id}/slots", params=query)
    return (await _json(response))["items"]


async def _book(client, slot: str, policy: str, headers: dict | None = None):
    return await client.post("/api/v1/appointments", headers=headers,
                             json={"slot_id": slot, "policy_number": policy})


async def _patients_by_clinic(client) -> dict[int, list[str]]:
    async with client.app[ENGINE].connect() as conn:
        rows = (await conn.execute(select(models.Patient.clinic_id, models.Patient.policy)
                                   .order_by(models.Patient.policy))).all()
    found: dict[int, list[str]] = {}
    for clinic_id, policy in rows:
        found.setdefault(clinic_id, []).append(policy)
    return found


async def _neighbours(client, count: int = 2) -> list[str]:
    """Patients attached to one polyclinic (the one with the most)."""
    return max((await _patients_by_clinic(client)).values(), key=len)[:count]


# ---------------------------------------------------------------- polyclinics

async def test_every_polyclinic_offers_every_specialty_named_in_both_languages(client):
    english = await _clinics(client)
    russian = await _clinics(client, lang="ru")
    assert len(english) == 7 and [c["id"] for c in russian] == [c["id"] for c in english]
    assert [c["name"] for c in english] == sorted(c["name"] for c in english)
    for en, ru in zip(english, russian, strict=True):
        assert re.fullmatch(r"City Polyclinic No\. \d+", en["name"])
        assert re.fullmatch(r"Городская поликлиника № \d+", ru["name"])
        assert en["phone"].startswith("+7 495") and en["opening_hours"]["mon"]
        assert [s["code"] for s in en["specialties"]] == list(SPECIALTIES)
        assert all(CYRILLIC.search(s["name"]) for s in ru["specialties"])
        assert CYRILLIC.search(ru["address"]) and not CYRILLIC.search(en["address"])


async def test_a_district_is_served_by_its_own_polyclinics_or_else_the_nearest(client):
    all_clinics = await _clinics(client)
    with_own = {c["district"] for c in all_clinics}
    districts = (await _json(await client.get("/api/v1/districts")))["items"]
    assert len(with_own) < len(districts)  # some districts have none of their own
    for district in districts:
        serving = await _clinics(client, district=district["name"])
        assert serving, district
        if district["name"] in with_own:
            assert {c["district"] for c in serving} == {district["name"]}
        else:
            assert len(serving) == 1 and serving[0]["district"] != district["name"]


async def test_polyclinics_serving_an_address_are_its_districts_with_distances(client):
    address = (await _json(await client.get("/api/v1/addresses",
                                            params={"q": "tverskaya 12"})))["items"][0]
    by_address = await _clinics(client, address_id=str(address["id"]))
    by_district = await _clinics(client, district="Tverskoy")
    assert by_address and [c["id"] for c in by_address] == [c["id"] for c in by_district]
    distances = [c["distance_m"] for c in by_address]
    assert all(d is not None for d in distances) and distances == sorted(distances)
    assert all(c["distance_m"] is None for c in by_district)
    by_point = await _clinics(client, lat=str(address["lat"]), lon=str(address["lon"]))
    assert [c["id"] for c in by_point] == [c["id"] for c in by_address]


async def test_a_point_outside_the_city_has_no_polyclinic(client):
    assert await _clinics(client, lat="59.93", lon="30.31") == []  # Saint Petersburg


async def test_a_patients_own_polyclinic_is_the_one_serving_their_district(client):
    async with client.app[ENGINE].connect() as conn:
        patient = (await conn.execute(select(models.Patient)
                                      .where(models.Patient.policy == policy_of(1)))).one()
    own = await _own_clinic(client, policy_of(1))
    assert own["id"] == patient.clinic_id
    home = await _json(await client.get(f"/api/v1/addresses/{patient.address_id}"))
    serving = await _clinics(client, district=home["district"])
    assert own["id"] in {c["id"] for c in serving}


async def test_sixty_seeded_patients_each_attached_to_a_polyclinic(client):
    patients = await _patients_by_clinic(client)
    policies = [policy for group in patients.values() for policy in group]
    assert len(policies) == 60 and policy_of(60) in policies
    assert set(patients) <= {c["id"] for c in await _clinics(client)}


async def test_unknown_and_malformed_patients_are_told_apart(client):
    unknown = await client.get("/api/v1/clinics", params={"policy_number": NOBODY})
    assert (await _json(unknown, 404))["error"]["code"] == "patient_not_found"
    wrong_digit = policy_of(1)[:-1] + str((int(policy_of(1)[-1]) + 1) % 10)
    for bad in (wrong_digit, policy_of(1)[:-1], "abcdefghijklmnop"):
        response = await client.get("/api/v1/clinics", params={"policy_number": bad})
        assert (await _json(response, 400))["error"]["code"] == "bad_policy_number", bad


async def test_one_polyclinic_by_id_and_an_unknown_one(client):
    first = (await _clinics(client))[0]
    one = await _json(await client.get(f"/api/v1/clinics/{first['id']}", params={"lang": "ru"}))
    assert one["id"] == first["id"] and CYRILLIC.search(one["name"])
    police = (await _json(await client.get("/api/v1/facilities",
                                           params={"type": "police"})))["items"][0]
    for wrong in (str(police["id"]), "99999", "abc", "³"):
        response = await client.get(f"/api/v1/clinics/{wrong}")
        assert (await _json(response, 404))["error"]["code"] == "clinic_not_found", wrong


# ---------------------------------------------------------------- slots

async def test_slots_are_free_working_day_slots_of_the_next_two_weeks(client):
    clinic = (await _clinics(client))[0]
    now = moscow_now()
    response = await client.get(f"/api/v1/clinics/{clinic['id']}/slots",
                                params={"specialty": "surgeon", "limit": "50"})
    slots = (await _json(response))["items"]
    assert len(slots) == 50
    starts = [datetime.fromisoformat(s["start"]) for s in slots]
    assert starts == sorted(starts)
    for slot, start in zip(slots, starts, strict=True):
        assert slot["start"].endswith("+03:00")
        assert now < start < now + timedelta(days=HORIZON_DAYS)
        assert start.weekday() < 5 and 8 <= start.hour < 20
        assert datetime.fromisoformat(slot["end"]) - start == timedelta(minutes=SLOT_MINUTES)
        assert slot["specialty"] == "surgeon" and slot["clinic_id"] == clinic["id"]
        assert slot["doctor"] and slot["room"]


async def test_some_slots_are_already_taken_by_other_patients(client):
    clinic = (await _clinics(client))[0]
    slots = await _slots(client, clinic["id"], "ophthalmologist", limit="50")
    doctor_id = int(slots[0]["id"].split("-")[0])
    assert {s["id"].split("-")[0] for s in slots} == {str(doctor_id)}  # one ophthalmologist
    async with client.app[ENGINE].connect() as conn:
        doctor = (await conn.execute(select(models.Doctor)
                                     .where(models.Doctor.id == doctor_id))).one()
    first, last = (datetime.fromisoformat(slots[i]["start"]) for i in (0, -1))
    scheduled = {slot_id(doctor.id, start)
                 for n in range((last.date() - first.date()).days + 1)
                 for start in day_starts(doctor.shift, first.date() + timedelta(days=n))
                 if first <= start <= last}
    offered = {s["id"] for s in slots}
    assert offered < scheduled
    assert 0.2 < 1 - len(offered) / len(scheduled) < 0.7


async def test_slots_follow_the_limit_the_from_date_and_the_language(client):
    clinic = (await _clinics(client))[0]
    later = (moscow_now() + timedelta(days=5)).date()
    slots = await _slots(client, clinic["id"], "therapist", limit="3",
                         **{"from": later.isoformat()})
    assert len(slots) == 3
    assert all(datetime.fromisoformat(s["start"]).date() >= later for s in slots)
    russian = await _slots(client, clinic["id"], "therapist", limit="3", lang="ru",
                           **{"from": later.isoformat()})
    assert [s["id"] for s in russian] == [s["id"] for s in slots]
    assert all(CYRILLIC.search(s["doctor"]) and CYRILLIC.search(s["specialty_name"])
               for s in russian)


async def test_an_unknown_specialty_is_400_with_the_known_ones(client):
    clinic = (await _clinics(client))[0]
    for params in ({"specialty": "astrologer"}, {}):
        response = await client.get(f"/api/v1/clinics/{clinic['id']}/slots", params=params)
        error = (await _json(response, 400))["error"]
        assert error["code"] == "bad_specialty"
        assert [s["code"] for s in error["details"]["known"]] == list(SPECIALTIES)
    response = await client.get(f"/api/v1/clinics/{clinic['id']}/slots",
                                params={"specialty": "dentist", "limit": "³"})
    assert (await _json(response, 400))["error"]["code"] == "bad_limit"


# ---------------------------------------------------------------- booking

async def test_a_booked_slot_is_the_patients_and_no_longer_offered(client):
    policy = policy_of(2)
    clinic = await _own_clinic(client, policy)
    slot = (await _slots(client, clinic["id"], "otolaryngologist"))[0]
    booked = await _json(await _book(client, slot["id"], policy), 201)
    assert booked["slot_id"] == slot["id"] and booked["start"] == slot["start"]
    assert booked["doctor"] == slot["doctor"] and booked["room"] == slot["room"]
    assert booked["specialty"] == "otolaryngologist" and booked["clinic"]["id"] == clinic["id"]
    offered = await _slots(client, clinic["id"], "otolaryngologist", limit="50")
    assert slot["id"] not in {s["id"] for s in offered}
    mine = await _json(await client.get("/api/v1/appointments",
                                        params={"policy_number": policy, "lang": "ru"}))
    assert [a["id"] for a in mine["items"]] == [booked["id"]]
    assert CYRILLIC.search(mine["items"][0]["clinic"]["name"])


async def test_one_appointment_per_specialty_at_a_time(client):
    policy = policy_of(3)
    clinic = await _own_clinic(client, policy)
    first, second = (await _slots(client, clinic["id"], "urologist", limit="2"))
    booked = await _json(await _book(client, first["id"], policy), 201)
    refused = await _json(await _book(client, second["id"], policy), 409)
    assert refused["error"]["code"] == "already_booked"
    assert refused["error"]["details"]["appointment"]["id"] == booked["id"]
    other = (await _slots(client, clinic["id"], "dentist"))[0]
    assert (await _book(client, other["id"], policy)).status == 201


async def test_a_patient_books_only_at_their_own_polyclinic(client):
    policy = policy_of(4)
    own = await _own_clinic(client, policy)
    elsewhere = next(c for c in await _clinics(client) if c["id"] != own["id"])
    slot = (await _slots(client, elsewhere["id"], "surgeon"))[0]
    refused = await _json(await _book(client, slot["id"], policy), 422)
    assert refused["error"]["code"] == "not_attached"
    assert refused["error"]["details"]["clinic"]["id"] == own["id"]


async def test_a_slot_goes_to_one_patient_only(client):
    first, second = await _neighbours(client)
    clinic = await _own_clinic(client, first)
    slot = (await _slots(client, clinic["id"], "gynecologist"))[0]
    assert (await _book(client, slot["id"], first)).status == 201
    refused = await _json(await _book(client, slot["id"], second), 409)
    assert refused["error"]["code"] == "slot_taken"


async def test_two_patients_booking_one_slot_at_once_get_it_once(client):
    first, second, third = await _neighbours(client, 3)
    clinic = await _own_clinic(client, first)
    slot = (await _slots(client, clinic["id"], "pediatrician"))[0]
    answers = await asyncio.gather(*(_book(client, slot["id"], policy)
                                     for policy in (first, second, third)))
    assert sorted(answer.status for answer in answers) == [201, 409, 409]


async def test_bad_bookings_are_refused_with_a_code(client):
    policy = policy_of(5)
    clinic = await _own_clinic(client, policy)
    slot = (await _slots(client, clinic["id"], "surgeon"))[0]
    before = await _json(await client.get("/api/v1/appointments",
                                          params={"policy_number": policy}))
    doctor = int(slot["id"].split("-")[0])
    yesterday = datetime.combine((moscow_now() - timedelta(days=1)).date(),
                                 datetime.min.time(), tzinfo=MOSCOW).replace(hour=10)
    for body, status, code in [
        ({"slot_id": slot["id"], "policy_number": policy[:-1] + "x"}, 400, "bad_policy_number"),
        ({"slot_id": slot["id"]}, 400, "bad_policy_number"),
        ({"policy_number": policy}, 400, "bad_booking"),
        ({"slot_id": slot["id"], "policy_number": NOBODY}, 404, "patient_not_found"),
        ({"slot_id": "17-abc", "policy_number": policy}, 404, "slot_not_found"),
        ({"slot_id": slot_id(doctor, yesterday), "policy_number": policy}, 404,
         "slot_not_found"),
        ({"slot_id": slot["id"][:-2] + "07", "policy_number": policy}, 404, "slot_not_found"),
        ({"slot_id": slot_id(doctor, datetime.fromisoformat(slot["start"])
                             + timedelta(days=HORIZON_DAYS + 7)), "policy_number": policy},
         404, "slot_not_found"),
    ]:
        response = await client.post("/api/v1/appointments", json=body)
        assert (await _json(response, status))["error"]["code"] == code, body
    raw = await client.post("/api/v1/appointments", data=b"{not json")
    assert (await _json(raw, 400))["error"]["code"] == "bad_booking"
    assert await _json(await client.get("/api/v1/appointments",
                                        params={"policy_number": policy})) == before


async def test_a_retried_booking_with_its_key_books_once_and_answers_the_same(client):
    policy = policy_of(6)
    clinic = await _own_clinic(client, policy)
    slot = (await _slots(client, clinic["id"], "ophthalmologist"))[0]
    headers = {"Idempotency-Key": f"book-{policy}-1"}
    first = await _json(await _book(client, slot["id"], policy, headers), 201)
    again = await _json(await _book(client, slot["id"], policy, headers), 201)
    assert again == first
    mine = await _json(await client.get("/api/v1/appointments",
                                        params={"policy_number": policy}))
    assert [a["id"] for a in mine["items"]] == [first["id"]]


async def test_a_cancelled_appointment_frees_its_slot(client):
    policy = policy_of(7)
    clinic = await _own_clinic(client, policy)
    slot = (await _slots(client, clinic["id"], "dentist"))[0]
    booked = await _json(await _book(client, slot["id"], policy), 201)
    cancelled = await _json(await client.delete(f"/api/v1/appointments/{booked['id']}",
                                                params={"policy_number": policy}))
    assert cancelled["id"] == booked["id"] and cancelled["slot_id"] == slot["id"]
    assert (await _json(await client.get("/api/v1/appointments",
                                         params={"policy_number": policy})))["items"] == []
    assert slot["id"] in {s["id"] for s in await _slots(client, clinic["id"], "dentist")}
    again = await client.delete(f"/api/v1/appointments/{booked['id']}",
                                params={"policy_number": policy})
    assert (await _json(again, 404))["error"]["code"] == "appointment_not_found"


async def test_someone_elses_appointment_reads_like_none_and_stays(client):
    owner = policy_of(8)
    clinic = await _own_clinic(client, owner)
    slot = (await _slots(client, clinic["id"], "therapist"))[0]
    booked = await _json(await _book(client, slot["id"], owner), 201)
    for policy, appointment in ((policy_of(9), booked["id"]), (owner, 999999)):
        response = await client.delete(f"/api/v1/appointments/{appointment}",
                                       params={"policy_number": policy})
        assert (await _json(response, 404))["error"]["code"] == "appointment_not_found"
    mine = await _json(await client.get("/api/v1/appointments",
                                        params={"policy_number": owner}))
    assert [a["id"] for a in mine["items"]] == [booked["id"]]


async def test_a_slot_taken_by_someone_else_has_just_gone(client):
    policy = policy_of(10)
    clinic = await _own_clinic(client, policy)
    slot = (await _slots(client, clinic["id"], "surgeon"))[0]
    taken = await _json(await client.post(f"/sandbox/slots/{slot['id']}/take"))
    assert taken == {"slot_id": slot["id"], "taken": True}
    assert slot["id"] not in {s["id"] for s in await _slots(client, clinic["id"], "surgeon")}
    refused = await _json(await _book(client, slot["id"], policy), 409)
    assert refused["error"]["code"] == "slot_taken"
    twice = await client.post(f"/sandbox/slots/{slot['id']}/take")
    assert (await _json(twice, 409))["error"]["code"] == "slot_taken"


async def test_the_take_hook_exists_only_with_test_hooks_on(make_client):
    client = await make_client(faults=False)
    clinic = (await _clinics(client))[0]
    slot = (await _slots(client, clinic["id"], "surgeon"))[0]
    assert (await client.post(f"/sandbox/slots/{slot['id']}/take")).status == 404


# ---------------------------------------------------------------- an older database

async def test_a_city_seeded_before_appointments_gets_doctors_and_patients(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)

    async def records() -> tuple[list, list]:
        async with engine.connect() as conn:
            return ((await conn.execute(select(models.Doctor).order_by(models.Doctor.id))).all(),
                    (await conn.execute(select(models.Patient)
                                        .order_by(models.Patient.policy))).all())

    seeded = await records()
    async with engine.begin() as conn:
        await conn.execute(delete(models.Patient))
        await conn.execute(delete(models.Doctor))
    assert await seed_if_empty(engine) is False
    upgraded = await records()
    async with engine.connect() as conn:
        clinics = (await conn.execute(select(func.count()).select_from(models.Facility)
                                      .where(models.Facility.type == "clinic"))).scalar()
    await engine.dispose()
    assert upgraded == seeded
    assert len(seeded[1]) == 60
    assert len(seeded[0]) == clinics * (len(SPECIALTIES) + 3)  # 3 therapists, 2 paediatricians
