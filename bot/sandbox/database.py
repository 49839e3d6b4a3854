"""The sandbox's database: seeded when empty, brought up to date when an older sandbox seeded it.

A database under ``var/`` outlives the code that seeded it. Each time the city learned to say
something in Russian, its table got a column for it; :func:`upgrade` adds such a column where it
is missing and fills it from the seed data by the English text, keeping every id (and so every
address id a citizen or a test knows) as it was.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.sandbox import models
from bot.sandbox.catalogue import SERVICES
from bot.sandbox.clinics import ClinicSite, build_doctors, build_patients
from bot.sandbox.dates import MOSCOW, moscow_date, utcnow
from bot.sandbox.fines_seed import build_fines
from bot.sandbox.polls import build_polls
from bot.sandbox.seed import (
    OUTAGE_REASONS,
    SEED,
    build_facilities,
    build_geography,
    build_meters,
    build_outages,
    build_requests,
    flat_of,
    read_lookups,
    russian_facility_name,
)


async def _insert(conn: AsyncConnection, model: type, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(model.__table__), rows)


def _lacks(conn: Connection, table: str, column: str) -> bool:
    return column not in {c["name"] for c in inspect(conn).get_columns(table)}


async def _add_column(conn: AsyncConnection, table: str, column: str, ddl_type: str) -> None:
    """Add the column unless the table has it (a database seeded before it existed)."""
    if await conn.run_sync(_lacks, table, column):
        await conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl_type}"))


async def add_russian_names(conn: AsyncConnection) -> None:
    """Streets and districts: fill the empty ``name_ru`` from the lookup files by English name."""
    await _add_column(conn, "districts", "name_ru", "VARCHAR(80)")
    await _add_column(conn, "streets", "name_ru", "VARCHAR(120)")
    empty = (await conn.execute(
        select(func.count()).select_from(models.Street).where(models.Street.name_ru.is_(None))
    )).scalar() + (await conn.execute(
        select(func.count()).select_from(models.District)
        .where(models.District.name_ru.is_(None))
    )).scalar()
    if not empty:
        return
    district_rows, street_rows = read_lookups()
    for model, pairs in ((models.District, district_rows),
                         (models.Street, [(name, name_ru) for name, name_ru, _ in street_rows])):
        for name, name_ru in pairs:
            await conn.execute(update(model).where(model.name == name, model.name_ru.is_(None))
                               .values(name_ru=name_ru))


async def add_facility_names(conn: AsyncConnection) -> None:
    """Facilities: fill the empty ``name_ru`` from the English name by the city's naming patterns
    (run after :func:`add_russian_names`: the Russian name says the district in Russian). A name
    that fits no pattern stays English only."""
    await _add_column(conn, "facilities", "name_ru", "VARCHAR(160)")
    rows = (await conn.execute(select(models.Facility.id, models.Facility.type,
                                      models.Facility.name)
                               .where(models.Facility.name_ru.is_(None)))).all()
    if not rows:
        return
    districts_ru = {name: name_ru for name, name_ru in (await conn.execute(
        select(models.District.name, models.District.name_ru))).all() if name_ru}
    for facility_id, type_, name in rows:
        russian = russian_facility_name(type_, name, districts_ru)
        if russian:
            await conn.execute(update(models.Facility).where(models.Facility.id == facility_id)
                               .values(name_ru=russian))


async def add_outage_reasons(conn: AsyncConnection) -> None:
    """Outages: fill the empty ``reason_ru`` of the city's own reasons by the English reason."""
    await _add_column(conn, "outages", "reason_ru", "TEXT")
    for (reason, reason_ru), _, _ in OUTAGE_REASONS.values():
        await conn.execute(update(models.Outage)
                           .where(models.Outage.reason == reason,
                                  models.Outage.reason_ru.is_(None))
                           .values(reason_ru=reason_ru))


def _completed(stored: dict[str, Any] | None, catalogue: dict[str, Any]) -> dict[str, Any]:
    """The stored translations with what only the catalogue has added (the stored texts win)."""
    stored = stored or {}
    merged = {language: {**texts, **(stored.get(language) or {})}
              for language, texts in catalogue.items()}
    return {**stored, **merged}


async def add_service_translations(conn: AsyncConnection) -> None:
    """The catalogue: fill the empty ``translations`` by service code, and give a translation
    the texts it lacks (the agency's Russian name came later); a service the catalogue does not
    know stays as it is."""
    await _add_column(conn, "services", "translations", "JSON")
    stored = dict((await conn.execute(select(models.Service.code,
                                             models.Service.translations))).all())
    for service in SERVICES:
        if service["code"] not in stored:
            continue
        completed = _completed(stored[service["code"]], service["translations"])
        if completed != stored[service["code"]]:
            await conn.execute(update(models.Service)
                               .where(models.Service.code == service["code"])
                               .values(translations=completed))


async def add_meter_flats(conn: AsyncConnection) -> None:
    """Meter accounts: the flat each belongs to (a database seeded before flats were asked)."""
    await _add_column(conn, "meter_accounts", "flat", "VARCHAR(8)")
    missing = (await conn.execute(
        select(models.MeterAccount.account).where(models.MeterAccount.flat.is_(None))
    )).scalars().all()
    for account in missing:
        await conn.execute(update(models.MeterAccount)
                           .where(models.MeterAccount.account == account)
                           .values(flat=flat_of(account)))


async def add_fines(conn: AsyncConnection, now: datetime | None = None) -> None:
    """Vehicles and their fines, unless the city has vehicles already. A city seeded before
    fines came gets them too, dated from now; its houses are read back in id order, so they are
    the fines a fresh city gets. An unseeded city (no houses) stays empty."""
    if (await conn.execute(select(func.count()).select_from(models.Vehicle))).scalar():
        return
    address_ids = list((await conn.execute(
        select(models.Address.id).order_by(models.Address.id))).scalars())
    if not address_ids:
        return
    vehicles, fines = build_fines(address_ids, moscow_date(now or utcnow()))
    await _insert(conn, models.Vehicle, vehicles)
    await _insert(conn, models.Fine, fines)


async def add_clinic_records(conn: AsyncConnection) -> None:
    """Polyclinics' doctors and patients, for a city seeded before appointments were booked
    (and for a fresh one, after its houses and facilities): read back in id order, they are the
    ones a fresh city gets. A city without polyclinics stays without."""
    if (await conn.execute(select(func.count()).select_from(models.Doctor))).scalar():
        return
    on_street = models.Street.id == models.Address.street_id
    sites = [ClinicSite(*row) for row in (await conn.execute(
        select(models.Facility.id, models.Street.district_id, models.Address.lat,
               models.Address.lon)
        .join(models.Address, models.Address.id == models.Facility.address_id)
        .join(models.Street, on_street)
        .where(models.Facility.type == "clinic").order_by(models.Facility.id))).all()]
    if not sites:
        return
    places = [tuple(row) for row in (await conn.execute(
        select(models.Address.id, models.Street.district_id, models.Address.lat,
               models.Address.lon).join(models.Street, on_street)
        .order_by(models.Address.id))).all()]
    await _insert(conn, models.Doctor, build_doctors([site.id for site in sites]))
    await _insert(conn, models.Patient, build_patients(places, sites))


async def add_polls(conn: AsyncConnection, now: datetime | None = None) -> None:
    """The city's polls, dated from ``now`` (naive UTC), for a seeded city that has none yet
    (an unseeded one stays empty)."""
    if (await conn.execute(select(func.count()).select_from(models.Poll))).scalar() or not (
            await conn.execute(select(func.count()).select_from(models.District))).scalar():
        return
    polls, options = build_polls(moscow_date(now or utcnow()))
    await _insert(conn, models.Poll, polls)
    await _insert(conn, models.PollOption, options)


async def upgrade(conn: AsyncConnection) -> None:
    """Bring a database an older sandbox seeded up to date (nothing to do for a current one)."""
    await add_meter_flats(conn)
    await add_russian_names(conn)
    await add_facility_names(conn)
    await add_outage_reasons(conn)
    await add_service_translations(conn)
    await add_fines(conn)
    await add_clinic_records(conn)
    await add_polls(conn)


async def seed_if_empty(engine: AsyncEngine, now: datetime | None = None) -> bool:
    """Create the tables and fill them unless the city already has districts (then bring it up
    to date); True if it was seeded now."""
    async with engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
        count = (await conn.execute(select(func.count()).select_from(models.District))).scalar()
        if count:
            await upgrade(conn)
            return False
        now = now or utcnow()
        rng = random.Random(SEED)
        geo = build_geography(rng)
        facilities = build_facilities(rng, geo)
        accounts, meters, readings = build_meters(rng, geo, now.replace(
            tzinfo=timezone.utc).astimezone(MOSCOW))
        outages = build_outages(rng, geo, now)
        requests = build_requests(rng, geo, now)
        await _insert(conn, models.District, geo["districts"])
        await _insert(conn, models.Street, geo["streets"])
        await _insert(conn, models.Address, geo["addresses"])
        await _insert(conn, models.Facility, facilities)
        await _insert(conn, models.Service, SERVICES)
        await _insert(conn, models.MeterAccount, accounts)
        await _insert(conn, models.Meter, meters)
        await _insert(conn, models.Reading, readings)
        await _insert(conn, models.Outage, outages)
        await _insert(conn, models.ServiceRequest, requests)
        await add_fines(conn, now)
        await add_clinic_records(conn)
        await add_polls(conn, now)
    return True


async def open_existing(engine: AsyncEngine) -> None:
    """Create any missing tables and bring the rest up to date, never seeding."""
    async with engine.begin() as conn:
        await conn.run_sync(models.Base.metadata.create_all)
        await upgrade(conn)
