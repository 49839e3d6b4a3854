"""The city's polyclinics as the appointment service sees them: specialties, doctors and their
slots, whom a polyclinic serves, and the seeded patients. Pure functions, no I/O.

Every seeded polyclinic (a facility of type ``clinic``) has an adult and a children's
department, so each offers every specialty of :data:`bot.health.SPECIALTIES`; the sandbox does
not model a patient's age.

Slots are not stored: they follow from each doctor's shifts (20-minute slots Monday to Friday, a
morning 08:00-14:00 and an afternoon 14:00-20:00 shift in turn, the 20 minutes in the middle of
a shift kept for paperwork) over the next :data:`HORIZON_DAYS` days of Moscow time, so the
sandbox never runs out of them however long it lives. Some are taken by patients the sandbox
does not model: a fixed share chosen by a hash of the slot, the same in every sandbox. Only the
city's own bookings are stored; a slot is free when neither says it is taken.

Whom a polyclinic serves: the polyclinics of a district serve it; a district without one is
served by the polyclinic nearest its centre (in Moscow a polyclinic with its branches serves
several districts). A patient is attached to the nearest polyclinic serving their district.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol

from bot.health import SPECIALTIES, with_check_digit
from bot.sandbox.dates import MOSCOW
from bot.sandbox.geo import haversine_m
from bot.sandbox.seed import SEED

# code: (English name, Russian name)
SPECIALTY_NAMES: dict[str, tuple[str, str]] = {
    "therapist": ("General practitioner (therapist)", "Терапевт участковый"),
    "pediatrician": ("Paediatrician", "Педиатр"),
    "surgeon": ("Surgeon", "Хирург"),
    "ophthalmologist": ("Ophthalmologist", "Офтальмолог"),
    "otolaryngologist": ("ENT doctor (otolaryngologist)", "Оториноларинголог (ЛОР)"),
    "urologist": ("Urologist", "Уролог"),
    "gynecologist": ("Gynaecologist", "Акушер-гинеколог"),
    "dentist": ("Dentist", "Стоматолог"),
}
# More doctors where more patients come; the rest have one each.
DOCTORS_PER_SPECIALTY = {"therapist": 3, "pediatrician": 2}

SLOT_MINUTES = 20
HORIZON_DAYS = 14
SHIFTS = ((8, 14), (14, 20))  # morning, afternoon (hours, Moscow time)
TAKEN_SHARE = 0.45
PATIENTS = 60
SLOT_ID = re.compile(r"^([0-9]{1,6})-([0-9]{12})$")

# Masculine surnames (English, Russian); the feminine adds "a" / "а".
SURNAMES = [
    ("Ivanov", "Иванов"), ("Smirnov", "Смирнов"), ("Kuznetsov", "Кузнецов"),
    ("Popov", "Попов"), ("Sokolov", "Соколов"), ("Lebedev", "Лебедев"),
    ("Kozlov", "Козлов"), ("Novikov", "Новиков"), ("Morozov", "Морозов"),
    ("Petrov", "Петров"), ("Volkov", "Волков"), ("Solovyov", "Соловьёв"),
    ("Vasilyev", "Васильев"), ("Zaitsev", "Зайцев"), ("Pavlov", "Павлов"),
    ("Semyonov", "Семёнов"), ("Golubev", "Голубев"), ("Vinogradov", "Виноградов"),
    ("Bogdanov", "Богданов"), ("Vorobyov", "Воробьёв"), ("Fyodorov", "Фёдоров"),
    ("Mikhailov", "Михайлов"), ("Belyaev", "Беляев"), ("Tarasov", "Тарасов"),
    ("Belov", "Белов"), ("Komarov", "Комаров"), ("Orlov", "Орлов"),
    ("Kiselyov", "Киселёв"), ("Makarov", "Макаров"), ("Andreev", "Андреев"),
    ("Nikitin", "Никитин"), ("Zakharov", "Захаров"), ("Gusev", "Гусев"),
]
INITIALS = [("A", "А"), ("B", "Б"), ("V", "В"), ("G", "Г"), ("D", "Д"), ("E", "Е"),
            ("I", "И"), ("K", "К"), ("L", "Л"), ("M", "М"), ("N", "Н"), ("O", "О"),
            ("P", "П"), ("R", "Р"), ("S", "С"), ("T", "Т"), ("Yu", "Ю"), ("Ya", "Я")]


class Shifted(Protocol):
    """What slots are made from: a doctor's id and shift pattern."""

    id: int
    shift: int


@dataclass(frozen=True)
class ClinicSite:
    """Where a polyclinic is."""

    id: int
    district_id: int
    lat: float
    lon: float


def specialty_name(code: str, lang: str) -> str:
    english, russian = SPECIALTY_NAMES[code]
    return russian if lang == "ru" else english


def specialties_json(lang: str) -> list[dict[str, str]]:
    return [{"code": code, "name": specialty_name(code, lang)} for code in SPECIALTIES]


# ---------------------------------------------------------------- slots

def shift_hours(shift: int, day: date) -> tuple[int, int] | None:
    """The hours a doctor works on ``day``, None on a weekend."""
    if day.weekday() >= 5:
        return None
    return SHIFTS[(day.toordinal() + shift) % 2]


def day_starts(shift: int, day: date) -> list[datetime]:
    """The starts (Moscow time) of a doctor's slots on ``day``; the middle one is the break."""
    hours = shift_hours(shift, day)
    if hours is None:
        return []
    first = datetime.combine(day, time(hours[0]), tzinfo=MOSCOW)
    count = (hours[1] - hours[0]) * 60 // SLOT_MINUTES
    return [first + timedelta(minutes=SLOT_MINUTES * n) for n in range(count)
            if n != count // 2]


def slot_end(start: datetime) -> datetime:
    return start + timedelta(minutes=SLOT_MINUTES)


def slot_id(doctor_id: int, start: datetime) -> str:
    """``"17-202610151420"``: the doctor and the Moscow start, readable back without storage."""
    return f"{doctor_id}-{start.astimezone(MOSCOW):%Y%m%d%H%M}"


def parse_slot_id(text: str) -> tuple[int, datetime] | None:
    """(doctor id, Moscow start) of a slot id, None for text that cannot be one."""
    found = SLOT_ID.match(text)
    if found is None:
        return None
    try:
        start = datetime.strptime(found.group(2), "%Y%m%d%H%M").replace(tzinfo=MOSCOW)
    except ValueError:
        return None
    return int(found.group(1)), start


def naive_utc(moment: datetime) -> datetime:
    """An aware datetime the way the database stores it."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def horizon(now: datetime) -> tuple[date, date]:
    """The first and the last Moscow day slots are offered on."""
    today = now.astimezone(MOSCOW).date()
    return today, today + timedelta(days=HORIZON_DAYS - 1)


def is_bookable(shift: int, start: datetime, now: datetime) -> bool:
    """Whether ``start`` is one of the doctor's slots, still to come and within the horizon."""
    first, last = horizon(now)
    day = start.astimezone(MOSCOW).date()
    return (first <= day <= last and start > now
            and start in day_starts(shift, day))


def taken_by_others(doctor_id: int, start: datetime) -> bool:
    """Whether patients the sandbox does not model have this slot (fixed per slot)."""
    return random.Random(f"{SEED}-slot-{slot_id(doctor_id, start)}").random() < TAKEN_SHARE


def free_slots(doctors: Sequence[Shifted], booked: set[str], now: datetime,
               after: datetime | None, limit: int) -> list[tuple[Shifted, datetime]]:
    """The first ``limit`` free slots of these doctors after ``now`` and ``after`` (naive UTC
    from a query), earliest first, in Moscow time."""
    first, _ = horizon(now)
    found: list[tuple[Shifted, datetime]] = []
    for offset in range(HORIZON_DAYS):
        day = first + timedelta(days=offset)
        for doctor in doctors:
            for start in day_starts(doctor.shift, day):
                if start <= now or (after is not None and naive_utc(start) < after):
                    continue
                if slot_id(doctor.id, start) in booked or taken_by_others(doctor.id, start):
                    continue
                found.append((doctor, start))
        if len(found) >= limit:
            break
    found.sort(key=lambda item: (item[1], item[0].id))
    return found[:limit]


# ---------------------------------------------------------------- whom a clinic serves

def district_centres(points: Iterable[tuple[int, float, float]]) -> dict[int, tuple[float, float]]:
    """Each district's centre: the mean of its houses' (district id, lat, lon)."""
    sums: dict[int, list[float]] = {}
    for district_id, lat, lon in points:
        total = sums.setdefault(district_id, [0.0, 0.0, 0.0])
        total[0] += lat
        total[1] += lon
        total[2] += 1
    return {i: (lat / n, lon / n) for i, (lat, lon, n) in sums.items()}


def serving(district_id: int, sites: Sequence[ClinicSite],
            centres: dict[int, tuple[float, float]]) -> list[ClinicSite]:
    """The polyclinics serving a district: its own, else the one nearest its centre."""
    own = [site for site in sites if site.district_id == district_id]
    if own or not sites or district_id not in centres:
        return own
    lat, lon = centres[district_id]
    return [min(sites, key=lambda site: (haversine_m(lat, lon, site.lat, site.lon), site.id))]


# ---------------------------------------------------------------- seed data

def _person(rng: random.Random) -> tuple[str, str]:
    """A doctor's name as the polyclinic prints it: "Sokolova M. A." / "Соколова М. А."."""
    surname, surname_ru = rng.choice(SURNAMES)
    if rng.random() < 0.6:  # most Moscow polyclinic doctors are women
        surname, surname_ru = surname + "a", surname_ru + "а"
    first, middle = rng.choice(INITIALS), rng.choice(INITIALS)
    return (f"{surname} {first[0]}. {middle[0]}.", f"{surname_ru} {first[1]}. {middle[1]}.")


def build_doctors(clinic_ids: Sequence[int]) -> list[dict[str, object]]:
    """Every specialty's doctors at every polyclinic, drawn apart from the city's random stream
    (so adding them changed no other seeded value)."""
    rng = random.Random(f"{SEED}-doctors")
    doctors: list[dict[str, object]] = []
    for clinic_id in clinic_ids:
        rooms = rng.sample(range(1, 40), len(SPECIALTIES))
        for specialty, room in zip(SPECIALTIES, rooms, strict=True):
            floor = rng.randint(1, 4)
            for n in range(DOCTORS_PER_SPECIALTY.get(specialty, 1)):
                name, name_ru = _person(rng)
                doctors.append({"id": len(doctors) + 1, "clinic_id": clinic_id,
                                "specialty": specialty, "name": name, "name_ru": name_ru,
                                "room": f"{floor}{room + n:02d}", "shift": n % 2})
    return doctors


def policy_of(n: int) -> str:
    """The policy number of the n-th seeded patient (1-based): tests and demos name patients
    by it, as ``flat_of`` names a meter account's flat."""
    body = random.Random(f"{SEED}-policy-{n}").randrange(10 ** 12)
    return with_check_digit(f"770{body:012d}")


def build_patients(places: Sequence[tuple[int, int, float, float]],
                   sites: Sequence[ClinicSite]) -> list[dict[str, object]]:
    """Patients at random houses ((address id, district id, lat, lon)), each attached to the
    nearest polyclinic serving their district."""
    if not places or not sites:
        return []
    rng = random.Random(f"{SEED}-patients")
    centres = district_centres((district, lat, lon) for _, district, lat, lon in places)
    patients: list[dict[str, object]] = []
    for n in range(1, PATIENTS + 1):
        address_id, district_id, lat, lon = rng.choice(places)
        clinics = serving(district_id, sites, centres)
        clinic = min(clinics, key=lambda site: (haversine_m(lat, lon, site.lat, site.lon),
                                                site.id))
        letters = [rng.choice(INITIALS) for _ in range(3)]
        patients.append({"policy": policy_of(n),
                         "initials": " ".join(f"{en}." for en, _ in letters),
                         "initials_ru": " ".join(f"{ru}." for _, ru in letters),
                         "address_id": address_id, "clinic_id": clinic.id})
    return patients
