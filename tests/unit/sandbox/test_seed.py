"""Seeding: deterministic, quick, once."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox import models
from bot.sandbox.database import open_existing, seed_if_empty
from bot.sandbox.seed import russian_facility_name


async def _seed(path: Path) -> tuple[list, list, float]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", future=True)
    started = time.perf_counter()
    assert await seed_if_empty(engine) is True
    elapsed = time.perf_counter() - started
    async with engine.connect() as conn:
        addresses = (await conn.execute(select(models.Address).order_by(models.Address.id)
                                        .limit(50))).all()
        facilities = (await conn.execute(select(models.Facility)
                                         .order_by(models.Facility.id))).all()
    await engine.dispose()
    return addresses, facilities, elapsed


async def test_two_fresh_databases_get_the_same_city(tmp_path):
    first = await _seed(tmp_path / "one.db")
    second = await _seed(tmp_path / "two.db")
    assert first[0] == second[0]
    assert first[1] == second[1]
    assert 35 <= len(first[1]) <= 45


async def test_seeding_takes_well_under_three_seconds(tmp_path):
    *_, elapsed = await _seed(tmp_path / "city.db")
    assert elapsed < 3


async def test_a_seeded_database_is_not_seeded_again(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'city.db'}"
    engine = create_async_engine(url, future=True)
    assert await seed_if_empty(engine) is True
    assert await seed_if_empty(engine) is False
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(models.District))).scalar()
    await engine.dispose()
    assert count == 16


async def test_every_house_lies_in_the_sandbox_box(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)
    async with engine.connect() as conn:
        bounds = (await conn.execute(select(
            func.min(models.Address.lat), func.max(models.Address.lat),
            func.min(models.Address.lon), func.max(models.Address.lon)))).one()
        per_street = (await conn.execute(select(func.count()).select_from(models.Address)
                                         .group_by(models.Address.street_id))).scalars().all()
    await engine.dispose()
    assert bounds[0] >= 55.70 and bounds[1] <= 55.80
    assert bounds[2] >= 37.50 and bounds[3] <= 37.70
    assert min(per_street) >= 20 and max(per_street) <= 60


async def test_every_street_and_district_has_a_russian_name(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)
    async with engine.connect() as conn:
        streets = (await conn.execute(select(models.Street.name, models.Street.name_ru))).all()
        districts = dict((await conn.execute(select(models.District.name,
                                                    models.District.name_ru))).all())
    await engine.dispose()
    assert all(re.fullmatch(r"[0-9А-Яа-яЁё ().-]+", ru) for _, ru in streets)
    assert len({ru for _, ru in streets}) == len(streets)
    assert dict(streets)["Tverskaya Street"] == "Тверская улица"
    assert dict(streets)["Prospekt Mira"] == "проспект Мира"
    assert districts["Basmanny"] == "Басманный"
    assert districts["Khoroshevo-Mnevniki"] == "Хорошёво-Мнёвники"


async def test_a_city_seeded_before_russian_names_gets_them_keeping_its_ids(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'city.db'}"
    engine = create_async_engine(url, future=True)
    await seed_if_empty(engine)
    async with engine.begin() as conn:
        before = (await conn.execute(select(models.Address.id, models.Street.name)
                                     .join(models.Street))).all()
        # The tables as they were before streets and districts had Russian names.
        await conn.execute(text("ALTER TABLE streets DROP COLUMN name_ru"))
        await conn.execute(text("ALTER TABLE districts DROP COLUMN name_ru"))
    assert await seed_if_empty(engine) is False
    async with engine.connect() as conn:
        after = (await conn.execute(select(models.Address.id, models.Street.name)
                                    .join(models.Street))).all()
        names = dict((await conn.execute(select(models.Street.name,
                                                models.Street.name_ru))).all())
        missing = (await conn.execute(select(func.count()).select_from(models.District)
                                      .where(models.District.name_ru.is_(None)))).scalar()
    await engine.dispose()
    assert after == before
    assert names["Tverskaya Street"] == "Тверская улица" and None not in names.values()
    assert missing == 0


async def test_a_catalogue_seeded_before_it_spoke_russian_gets_its_russian_texts(tmp_path):
    from bot.sandbox.catalogue import SERVICES

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)
    async with engine.begin() as conn:
        # The table as it was before the catalogue was given in Russian.
        await conn.execute(text("ALTER TABLE services DROP COLUMN translations"))
    assert await seed_if_empty(engine) is False
    async with engine.connect() as conn:
        stored = dict((await conn.execute(select(models.Service.code,
                                                 models.Service.translations))).all())
    await engine.dispose()
    assert stored == {service["code"]: service["translations"] for service in SERVICES}
    assert stored["pothole"]["ru"]["name"] == "Яма на дороге"


async def _facility_names(engine) -> list[tuple[int, str, str | None]]:
    async with engine.connect() as conn:
        return (await conn.execute(select(models.Facility.id, models.Facility.name,
                                          models.Facility.name_ru)
                                   .order_by(models.Facility.id))).all()


async def test_every_facility_and_outage_is_seeded_with_its_russian_words(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)
    facilities = await _facility_names(engine)
    async with engine.connect() as conn:
        reasons = (await conn.execute(select(models.Outage.reason,
                                             models.Outage.reason_ru))).all()
    await engine.dispose()
    assert all(ru and re.fullmatch(r"[0-9А-Яа-яЁё «»№.-]+", ru) for _, _, ru in facilities)
    names = {name: ru for _, name, ru in facilities}
    assert names['"My Documents" Public Service Centre of Tverskoy'] == (
        "МФЦ «Мои документы» района Тверской")
    assert reasons and all(ru and re.fullmatch(r"[А-Яа-яЁё ]+", ru) for _, ru in reasons)


async def test_a_city_seeded_before_facilities_had_russian_names_gets_them(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)
    seeded = await _facility_names(engine)
    async with engine.begin() as conn:
        # The tables as they were before facilities and outages were given in Russian.
        await conn.execute(text("ALTER TABLE facilities DROP COLUMN name_ru"))
        await conn.execute(text("ALTER TABLE outages DROP COLUMN reason_ru"))
    assert await seed_if_empty(engine) is False
    upgraded = await _facility_names(engine)
    async with engine.connect() as conn:
        missing = (await conn.execute(select(func.count()).select_from(models.Outage)
                                      .where(models.Outage.reason_ru.is_(None)))).scalar()
    await engine.dispose()
    assert upgraded == seeded  # the same ids, English names and Russian names
    assert missing == 0


async def test_a_facility_name_the_city_did_not_make_stays_english_only(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)
    async with engine.begin() as conn:
        await conn.execute(update(models.Facility).where(models.Facility.id == 1)
                           .values(name="Central Children's Library", name_ru=None))
        await conn.execute(update(models.Facility).where(models.Facility.id == 2)
                           .values(name_ru=None))
    await open_existing(engine)
    names = {id_: (name, ru) for id_, name, ru in await _facility_names(engine)}
    await engine.dispose()
    assert names[1] == ("Central Children's Library", None)
    assert names[2][1] and names[2][1].startswith("МФЦ «Мои документы» района ")


async def test_a_catalogue_translated_before_agencies_were_gets_their_russian_names(tmp_path):
    from bot.sandbox.catalogue import SERVICES

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)
    async with engine.begin() as conn:
        # As it was: Russian texts without the agency; one of them since edited by the city.
        for service in SERVICES:
            russian = {k: v for k, v in service["translations"]["ru"].items() if k != "agency"}
            if service["code"] == "lift":
                russian["name"] = "Лифт не работает"
            await conn.execute(update(models.Service)
                               .where(models.Service.code == service["code"])
                               .values(translations={"ru": russian}))
    assert await seed_if_empty(engine) is False
    async with engine.connect() as conn:
        stored = dict((await conn.execute(select(models.Service.code,
                                                 models.Service.translations))).all())
    await engine.dispose()
    assert stored["pothole"] == SERVICES[0]["translations"]
    assert stored["pothole"]["ru"]["agency"] == "ГБУ «Автомобильные дороги»"
    assert stored["lift"]["ru"]["name"] == "Лифт не работает"  # the city's own edit stays
    assert stored["lift"]["ru"]["agency"] == "ГБУ «Жилищник»"


@pytest.mark.parametrize(("type_", "name", "russian"), [
    ("clinic", "City Polyclinic No. 12", "Городская поликлиника № 12"),
    ("police", "Police Department of Arbat", "ОМВД России по району Арбат"),
    ("post_office", "Post Office 101000", "Почтовое отделение 101000"),
    ("library", "City Library No. 5", "Библиотека № 5"),
    ("housing_office", "Housing Office of Basmanny", "ГБУ «Жилищник района Басманный»"),
    ("police", "Police Department of Atlantis", None),  # a district the city does not know
    ("clinic", "Polyclinic of the Academy of Sciences", None),
    ("zoo", "Moscow Zoo", None),
])
def test_a_facilitys_russian_name_follows_its_english_one(type_, name, russian):
    districts = {"Arbat": "Арбат", "Basmanny": "Басманный"}
    assert russian_facility_name(type_, name, districts) == russian
