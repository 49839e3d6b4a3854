"""Deterministic seed data for an empty sandbox database (``bot.sandbox.database`` stores it).

Geography (districts, streets, houses, facilities, meter accounts) depends only on the fixed
random seed and the lookup files; dates (outages, readings, historic requests) are relative to
the moment of seeding. What the city names or explains is given in English and in Russian side
by side: districts and streets (the lookup files), facilities, outage reasons, the catalogue.
"""

from __future__ import annotations

import csv
import math
import random
import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.config import ROOT
from bot.sandbox.catalogue import SERVICES, service_notice
from bot.sandbox.dates import MOSCOW

SEED = 20261015
LOOKUPS = ROOT / "data" / "lookups"
LAT_RANGE = (55.70, 55.80)
LON_RANGE = (37.50, 37.70)
FIRST_REQUEST_ID = 100001

# Rough real centres, pulled inside the sandbox's box.
DISTRICT_CENTRES = {
    "Tverskoy": (55.768, 37.606), "Arbat": (55.751, 37.590), "Basmanny": (55.764, 37.660),
    "Presnensky": (55.761, 37.562), "Khamovniki": (55.729, 37.574),
    "Zamoskvorechye": (55.738, 37.630), "Yakimanka": (55.733, 37.611),
    "Meshchansky": (55.780, 37.630), "Krasnoselsky": (55.778, 37.660),
    "Tagansky": (55.740, 37.664), "Sokolniki": (55.788, 37.676),
    "Lefortovo": (55.755, 37.684), "Dorogomilovo": (55.742, 37.530),
    "Khoroshevo-Mnevniki": (55.781, 37.522), "Ostankinsky": (55.788, 37.612),
    "Butyrsky": (55.789, 37.588),
}

EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(weekdays: str | None, sat: str | None, sun: str | None) -> dict[str, str | None]:
    return {**{day: weekdays for day in EVERY_DAY[:5]}, "sat": sat, "sun": sun}


# How the city names its facilities, by type: (English, Russian) patterns of {n} (a number),
# {district} (the district's name in that language) and {zipcode}. Russian follows Moscow's own
# naming ("МФЦ «Мои документы» района Тверской", "ОМВД России по району Арбат").
FACILITY_NAMES: dict[str, tuple[str, str]] = {
    "service_centre": ('"My Documents" Public Service Centre of {district}',
                       "МФЦ «Мои документы» района {district}"),
    "clinic": ("City Polyclinic No. {n}", "Городская поликлиника № {n}"),
    "police": ("Police Department of {district}", "ОМВД России по району {district}"),
    "post_office": ("Post Office {zipcode}", "Почтовое отделение {zipcode}"),
    "library": ("City Library No. {n}", "Библиотека № {n}"),
    "housing_office": ("Housing Office of {district}", "ГБУ «Жилищник района {district}»"),
}

_NAME_PARTS = {"n": r"(?P<n>\d+)", "district": r"(?P<district>.+)",
               "zipcode": r"(?P<zipcode>\d{6})"}


def _name_pattern(english: str) -> re.Pattern[str]:
    """The English name pattern as a regular expression that reads its parts back."""
    expression = re.escape(english)
    for part, group in _NAME_PARTS.items():
        expression = expression.replace(re.escape("{" + part + "}"), group)
    return re.compile(expression)


def russian_facility_name(type_: str, name: str, districts_ru: dict[str, str]) -> str | None:
    """The Russian name of a facility the city named in English (by its type's pattern; the
    district by ``districts_ru``, English name -> Russian), or None if it fits no pattern."""
    if type_ not in FACILITY_NAMES:
        return None
    english, russian = FACILITY_NAMES[type_]
    found = _name_pattern(english).fullmatch(name)
    if found is None:
        return None
    parts = {"n": "", "district": "", "zipcode": "", **found.groupdict()}
    if "{district}" in english:
        parts["district"] = districts_ru.get(parts["district"], "")
        if not parts["district"]:
            return None
    return russian.format(**parts)


# type: (how many, opening hours); service centres come one per district.
FACILITY_KINDS: dict[str, tuple[int, dict[str, str | None]]] = {
    "clinic": (7, _hours("08:00-20:00", "09:00-15:00", None)),
    "police": (6, _hours(*["00:00-24:00"] * 3)),
    "post_office": (5, _hours("08:00-20:00", "09:00-18:00", None)),
    "library": (3, {**_hours("11:00-21:00", "11:00-21:00", "11:00-19:00"), "mon": None}),
    "housing_office": (3, {**_hours("09:00-18:00", None, None), "fri": "09:00-16:45"}),
}
SERVICE_CENTRE_HOURS = _hours(*["08:00-20:00"] * 3)

# kind: ((English reason, Russian reason), shortest and longest length in days)
OUTAGE_REASONS: dict[str, tuple[tuple[str, str], int, int]] = {
    "hot_water": (("Scheduled maintenance of the hot water system",
                   "Плановые профилактические работы на системе горячего водоснабжения"), 10, 14),
    "heating": (("Repair of the heating main", "Ремонт тепломагистрали"), 1, 3),
    "electricity": (("Replacement of transformer substation equipment",
                     "Замена оборудования трансформаторной подстанции"), 0, 0),
    "cold_water": (("Repair of a water main", "Ремонт водопроводной магистрали"), 0, 1),
}

REQUEST_DESCRIPTIONS = {
    "pothole": "Deep pothole near the pedestrian crossing.",
    "streetlight": "The street light outside the entrance has been out for a week.",
    "waste_bin": "The bins in the yard have not been emptied for days.",
    "graffiti": "Graffiti on the wall of the underpass.",
    "fallen_tree": "A large branch fell after the storm.",
    "playground": "The swing chain is broken.",
    "snow": "The pavement has not been cleared since the snowfall.",
    "water_leak": "Water is coming out of the ground near the kerb.",
    "abandoned_vehicle": "A car without plates has been parked here for months.",
    "traffic_signal": "The traffic light at the junction is dark.",
    "lift": "The lift in the second entrance does not move.",
}


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return round(min(max(value, bounds[0]), bounds[1]), 6)


def read_lookups() -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """(name, Russian name) of every district; (name, Russian name, district) of every street."""
    with (LOOKUPS / "districts.csv").open(newline="", encoding="utf-8") as handle:
        districts = [(row["district"].strip(), row["district_ru"].strip())
                     for row in csv.DictReader(handle)]
    with (LOOKUPS / "streets.csv").open(newline="", encoding="utf-8") as handle:
        streets = [(row["street"].strip(), row["street_ru"].strip(), row["district"].strip())
                   for row in csv.DictReader(handle)]
    return districts, streets


def build_geography(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Districts, streets and houses: each street a line of houses near its district's centre."""
    district_rows, street_rows = read_lookups()
    districts = [{"id": i, "name": name, "name_ru": name_ru}
                 for i, (name, name_ru) in enumerate(district_rows, start=1)]
    district_ids = {d["name"]: d["id"] for d in districts}
    streets: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    for street_id, (name, name_ru, district) in enumerate(street_rows, start=1):
        centre = DISTRICT_CENTRES.get(district) or (rng.uniform(55.72, 55.78),
                                                    rng.uniform(37.53, 37.67))
        streets.append({"id": street_id, "name": name, "name_ru": name_ru,
                        "district_id": district_ids[district]})
        houses = rng.randint(20, 60)
        lat0 = centre[0] + rng.uniform(-0.010, 0.010)
        lon0 = centre[1] + rng.uniform(-0.016, 0.016)
        bearing = rng.uniform(0, math.pi)
        step = rng.uniform(0.00016, 0.00026)
        zipcode = f"1{rng.randint(1000, 29999):05d}"
        for house in range(1, houses + 1):
            along = (house - houses / 2) * step
            # Odd numbers on one side of the street, even on the other.
            side = 0.00007 if house % 2 else -0.00007
            addresses.append({
                "id": len(addresses) + 1,
                "street_id": street_id,
                "house": str(house),
                "zipcode": zipcode,
                "lat": _clamp(lat0 + along * math.cos(bearing) + side * math.sin(bearing),
                              LAT_RANGE),
                "lon": _clamp(lon0 + along * math.sin(bearing) * 1.8 - side * math.cos(bearing),
                              LON_RANGE),
            })
    return {"districts": districts, "streets": streets, "addresses": addresses}


def _phone(rng: random.Random) -> str:
    return f"+7 495 {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"


def build_facilities(rng: random.Random, geo: dict[str, list[dict[str, Any]]]
                     ) -> list[dict[str, Any]]:
    """One "My Documents" centre per district, then clinics, police, post offices and so on."""
    district_streets: dict[int, list[int]] = {}
    for street in geo["streets"]:
        district_streets.setdefault(street["district_id"], []).append(street["id"])
    street_houses: dict[int, list[dict[str, Any]]] = {}
    for address in geo["addresses"]:
        street_houses.setdefault(address["street_id"], []).append(address)

    def address_in(district_id: int) -> dict[str, Any]:
        street_id = rng.choice(district_streets[district_id])
        return rng.choice(street_houses[street_id])

    facilities: list[dict[str, Any]] = []

    def add(type_: str, district: dict[str, Any], hours: dict[str, Any], queue: int | None,
            address: dict[str, Any], n: int = 0) -> None:
        english, russian = FACILITY_NAMES[type_]
        facilities.append({
            "id": len(facilities) + 1, "type": type_,
            "name": english.format(n=n, district=district["name"], zipcode=address["zipcode"]),
            "name_ru": russian.format(n=n, district=district["name_ru"],
                                      zipcode=address["zipcode"]),
            "address_id": address["id"], "phone": _phone(rng), "opening_hours": hours,
            "queue_base": queue,
        })

    for district in geo["districts"]:
        add("service_centre", district, SERVICE_CENTRE_HOURS, rng.randint(6, 30),
            address_in(district["id"]))
    for type_, (count, hours) in FACILITY_KINDS.items():
        numbered = "{n}" in FACILITY_NAMES[type_][0]
        chosen = rng.sample(geo["districts"], count)
        for n, district in enumerate(chosen, start=1):
            address = address_in(district["id"])
            add(type_, district, hours, None, address, rng.randint(2, 220) if numbered else n)
    return facilities


def flat_of(account: str) -> str:
    """The flat an account belongs to: fixed per account, drawn apart from the city's random
    stream (so adding it changed no other seeded value). Printed beside the account on a bill."""
    return str(random.Random(f"{SEED}-flat-{account}").randint(1, 240))


def build_meters(rng: random.Random, geo: dict[str, list[dict[str, Any]]], now: datetime
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Fifty accounts with a hot and a cold meter and a year of monthly readings."""
    accounts, meters, readings = [], [], []
    local = now.replace(tzinfo=None)
    months = []
    year, month = local.year, local.month
    for _ in range(12):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append((year, month))
    months.reverse()
    for i in range(1, 51):
        account = f"77000000{i:02d}"
        accounts.append({"account": account, "address_id": rng.choice(geo["addresses"])["id"],
                         "flat": flat_of(account)})
        for kind, start, low, high in (("hot", (30, 250), 1, 5), ("cold", (50, 400), 2, 8)):
            meters.append({"account": account, "kind": kind,
                           "serial": f"{kind[0].upper()}W-{rng.randint(100000, 999999)}"})
            steps = [round(rng.uniform(low, high), 1) for _ in months]
            if account == "7700000001":
                # Tests rely on these last readings.
                last = 100.0 if kind == "hot" else 200.0
                value = last - sum(steps[1:])
            else:
                value = float(rng.randint(*start))
            for n, (y, m) in enumerate(months):
                value = round(value + (steps[n] if n else 0), 1)
                taken = datetime(y, m, rng.randint(15, 25), 12, tzinfo=MOSCOW)
                readings.append({"account": account, "kind": kind, "month": f"{y}-{m:02d}",
                                 "value": value, "taken_on": _naive_utc(taken)})
    return accounts, meters, readings


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def build_outages(rng: random.Random, geo: dict[str, list[dict[str, Any]]], now: datetime
                  ) -> list[dict[str, Any]]:
    """Current and planned outages; Tverskaya Street always has one of each."""
    by_district: dict[int, list[str]] = {}
    for street in geo["streets"]:
        by_district.setdefault(street["district_id"], []).append(street["name"])
    hour = now.replace(minute=0, second=0, microsecond=0)
    outages: list[dict[str, Any]] = []

    def add(kind: str, district_id: int, streets: Sequence[str], starts: datetime,
            current: bool) -> None:
        (reason, reason_ru), min_days, max_days = OUTAGE_REASONS[kind]
        length = timedelta(days=rng.randint(min_days, max_days), hours=rng.randint(4, 10))
        if current:
            starts = min(starts, hour - timedelta(hours=1))
            length = max(length, hour - starts + timedelta(hours=3))
        outages.append({"id": len(outages) + 1, "kind": kind, "district_id": district_id,
                        "streets": list(streets), "starts_at": starts,
                        "ends_at": starts + length, "reason": reason, "reason_ru": reason_ru})

    tverskoy = next(d["id"] for d in geo["districts"] if d["name"] == "Tverskoy")
    add("hot_water", tverskoy, ["Tverskaya Street", "Tverskoy Boulevard"],
        hour - timedelta(days=2), current=True)
    add("electricity", tverskoy, ["Tverskaya Street"], hour + timedelta(days=5, hours=3),
        current=False)
    kinds = list(OUTAGE_REASONS)
    for _ in range(28):
        district = rng.choice(geo["districts"])
        names = by_district[district["id"]]
        streets = rng.sample(names, rng.randint(1, min(3, len(names))))
        kind = rng.choice(kinds)
        if rng.random() < 0.35:
            add(kind, district["id"], streets, hour - timedelta(hours=rng.randint(2, 72)), True)
        else:
            add(kind, district["id"], streets, hour + timedelta(hours=rng.randint(6, 24 * 28)),
                False)
    return outages


def build_requests(rng: random.Random, geo: dict[str, list[dict[str, Any]]], now: datetime
                   ) -> list[dict[str, Any]]:
    """Forty historic requests, some closed, spread over the last two months."""
    streets = {s["id"]: s["name"] for s in geo["streets"]}
    moments = sorted(now - timedelta(days=rng.uniform(0.5, 60)) for _ in range(40))
    requests = []
    for n, requested in enumerate(moments):
        service = rng.choice(SERVICES[:11])  # the catch-all 'other' came later: same seed
        address = rng.choice(geo["addresses"])
        requested = requested.replace(microsecond=0)
        expected = requested + timedelta(days=service["resolution_days"])
        closed = rng.random() < 0.55 and expected < now + timedelta(days=3)
        if closed:
            updated = min(now, requested + timedelta(hours=rng.randint(6, 24 * (
                service["resolution_days"] + 1))))
            notes = rng.choice(["Repaired", "Resolved", "Work completed"])
        else:
            updated = min(now, requested + timedelta(hours=rng.randint(1, 30)))
            notes = rng.choice(["Under review", "Crew assigned", "Scheduled for repair"])
        attributes = {a["code"]: rng.choice(a["values"])["key"]
                      for a in service["attributes"] if a["required"]}
        requests.append({
            "id": str(FIRST_REQUEST_ID + n), "service_code": service["code"],
            "status": "closed" if closed else "open", "status_notes": notes,
            "description": REQUEST_DESCRIPTIONS[service["code"]],
            "agency_responsible": service["agency"],
            "service_notice": service_notice(service["name"], service["agency"],
                                             service["resolution_days"]),
            "requested_datetime": requested, "updated_datetime": updated,
            "expected_datetime": expected,
            "address": f'{streets[address["street_id"]]}, {address["house"]}',
            "address_id": address["id"], "zipcode": address["zipcode"],
            "lat": address["lat"], "lon": address["lon"], "media_url": None,
            "attributes": attributes, "reporter": {},
            "token": (uuid.UUID(int=rng.getrandbits(128)).hex
                      if service["type"] == "batch" else None),
            "moved_by_clock": False, "ticks": 0,
        })
    return requests
