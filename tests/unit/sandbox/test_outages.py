"""Planned and current outages by address, address id and district."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.sandbox.dates import moscow_now


async def _outages(client, **params) -> dict:
    response = await client.get("/api/v1/outages", params=params)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_outages_at_an_address_include_its_street_current_and_planned(client):
    data = await _outages(client, address="tverskaya 12")
    assert data["address"]["label"] == "Tverskaya Street, 12"
    items = data["items"]
    assert {item["status"] for item in items} == {"current", "planned"}
    assert all("Tverskaya Street" in item["streets"] for item in items)
    hot = next(item for item in items if item["kind"] == "hot_water")
    assert hot["status"] == "current" and hot["reason"]
    now = moscow_now()
    assert datetime.fromisoformat(hot["starts_at"]) <= now < datetime.fromisoformat(
        hot["ends_at"])


async def test_outages_by_address_id_match_outages_by_address(client):
    by_text = await _outages(client, address="tverskaya 12")
    by_id = await _outages(client, address_id=str(by_text["address"]["id"]))
    assert by_id["items"] == by_text["items"]


async def test_outages_in_a_district_are_all_in_that_district(client):
    items = (await _outages(client, district="Tverskoy"))["items"]
    assert items and {item["district"] for item in items} == {"Tverskoy"}
    assert all(item["kind"] in ("hot_water", "cold_water", "heating", "electricity")
               for item in items)


async def test_whole_city_has_current_and_planned_outages(client):
    items = (await _outages(client))["items"]
    assert len(items) >= 20
    assert {item["status"] for item in items} == {"current", "planned"}
    starts = [item["starts_at"] for item in items]
    assert starts == sorted(starts)


async def test_date_range_keeps_outages_overlapping_it(client):
    start = (moscow_now() + timedelta(days=3)).date()
    end = start + timedelta(days=2)
    items = (await _outages(client, **{"from": start.isoformat(),
                                       "to": end.isoformat()}))["items"]
    for item in items:
        assert datetime.fromisoformat(item["starts_at"]).date() <= end
        assert datetime.fromisoformat(item["ends_at"]).date() >= start


@pytest.mark.parametrize("params, status, code", [
    ({"district": "Atlantis"}, 400, "bad_district"),
    ({"address": "qwertyuiop 5"}, 404, "address_not_found"),
    ({"address_id": "99999999"}, 404, "address_not_found"),
    ({"from": "soon"}, 400, "bad_date"),
    ({"from": "2026-12-10", "to": "2026-12-01"}, 400, "bad_date"),
    ({"lang": "de"}, 400, "bad_lang"),
])
async def test_bad_outage_queries_are_refused_with_a_code(client, params, status, code):
    response = await client.get("/api/v1/outages", params=params)
    assert response.status == status
    assert (await response.json())["error"]["code"] == code


async def test_outages_at_a_russian_address_match_the_english_one(client):
    english = await _outages(client, address="tverskaya 12")
    russian = await _outages(client, address="на Тверской, д. 12")
    assert russian["address"]["id"] == english["address"]["id"]
    assert russian["items"] == english["items"]


async def test_lang_ru_gives_the_address_streets_and_district_in_russian(client):
    data = await _outages(client, address="на Тверской 12", lang="ru")
    assert data["address"]["label"] == "Тверская улица, 12"
    assert data["items"]
    assert all("Тверская улица" in item["streets"] for item in data["items"])
    assert {item["district"] for item in data["items"]} == {"Тверской"}
    hot = next(item for item in data["items"] if item["kind"] == "hot_water")
    assert set(hot["streets"]) == {"Тверская улица", "Тверской бульвар"}


async def test_outages_in_a_district_named_in_russian(client):
    english = await _outages(client, district="Tverskoy")
    response = await client.get("/api/v1/outages", params={"district": "Тверской район"},
                                headers={"Accept-Language": "ru"})
    assert response.status == 200 and response.headers["Content-Language"] == "ru"
    russian = await response.json()
    assert [item["id"] for item in russian["items"]] == [item["id"] for item in english["items"]]
    assert {item["district"] for item in russian["items"]} == {"Тверской"}


REASONS = {
    "hot_water": ("Scheduled maintenance of the hot water system",
                  "Плановые профилактические работы на системе горячего водоснабжения"),
    "heating": ("Repair of the heating main", "Ремонт тепломагистрали"),
    "electricity": ("Replacement of transformer substation equipment",
                    "Замена оборудования трансформаторной подстанции"),
    "cold_water": ("Repair of a water main", "Ремонт водопроводной магистрали"),
}


async def test_an_outage_is_explained_in_the_language_asked_for(client):
    english = await _outages(client, address="tverskaya 12")
    russian = await _outages(client, address="tverskaya 12", lang="ru")
    hot = next(item for item in english["items"] if item["kind"] == "hot_water")
    assert hot["reason"] == REASONS["hot_water"][0]
    hot_ru = next(item for item in russian["items"] if item["id"] == hot["id"])
    assert hot_ru["reason"] == REASONS["hot_water"][1]


async def test_every_outage_in_the_city_has_its_russian_reason(client):
    english = (await _outages(client))["items"]
    response = await client.get("/api/v1/outages", headers={"Accept-Language": "ru-RU,ru"})
    assert response.headers["Content-Language"] == "ru"
    russian = (await response.json())["items"]
    assert [item["id"] for item in russian] == [item["id"] for item in english]
    assert {item["kind"] for item in english} == set(REASONS)
    for en, ru in zip(english, russian, strict=True):
        assert (en["reason"], ru["reason"]) == REASONS[en["kind"]]


async def test_dates_at_the_ends_of_the_calendar_are_a_range_not_a_failure(client):
    for params, found in (({"from": "0001-01-01"}, True), ({"to": "9999-12-31"}, True),
                          ({"from": "9999-12-31T23:59:59-05:00"}, False),
                          ({"to": "0001-01-01T00:00:00Z"}, False)):
        assert bool((await _outages(client, **params))["items"]) is found, params
