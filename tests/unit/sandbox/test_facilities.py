"""Facilities: nearest first, by district, open now and the queue."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.sandbox.facilities import is_open

TVERSKAYA = {"lat": "55.7626", "lon": "37.6046"}


async def _facilities(client, **params) -> list[dict]:
    response = await client.get("/api/v1/facilities", params=params)
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


async def test_nearest_service_centres_come_sorted_by_distance(client):
    items = await _facilities(client, type="service_centre", limit="5", **TVERSKAYA)
    assert len(items) == 5
    distances = [item["distance_m"] for item in items]
    assert distances == sorted(distances)
    first = items[0]
    assert first["type"] == "service_centre"
    assert first["opening_hours"]["mon"] == "08:00-20:00"
    assert first["opening_hours"]["sun"] == "08:00-20:00"
    assert set(first["queue"]) == {"waiting", "wait_minutes"}
    assert isinstance(first["open_now"], bool)
    assert first["phone"].startswith("+7 495")


async def test_default_limit_is_three(client):
    assert len(await _facilities(client, type="clinic", **TVERSKAYA)) == 3


async def test_every_district_has_a_service_centre(client):
    districts = (await (await client.get("/api/v1/districts")).json())["items"]
    for district in districts:
        items = await _facilities(client, type="service_centre", district=district["name"])
        assert items and all(item["district"] == district["name"] for item in items)
        assert items[0]["distance_m"] is None


async def test_district_name_is_forgiving_about_case_and_typos(client):
    items = await _facilities(client, type="service_centre", district="tverskoi")
    assert items[0]["district"] == "Tverskoy"


async def test_facilities_in_a_district_come_by_name(client):
    items = await _facilities(client, district="Tverskoy", limit="50")
    names = [item["name"] for item in items]
    assert names == sorted(names)


@pytest.mark.parametrize("params, code", [
    ({"type": "spaceport"}, "bad_type"),
    ({"lat": "north", "lon": "37.6"}, "bad_location"),
    ({"lat": "95", "lon": "37.6"}, "bad_location"),
    ({"lat": "55.7"}, "bad_location"),
    ({"district": "Atlantis"}, "bad_district"),
    ({"limit": "-1"}, "bad_limit"),
])
async def test_bad_facility_queries_are_400_with_a_code(client, params, code):
    response = await client.get("/api/v1/facilities", params=params)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == code


async def test_facility_by_id_and_unknown_id(client):
    first = (await _facilities(client, type="police", **TVERSKAYA))[0]
    one = await (await client.get(f"/api/v1/facilities/{first['id']}")).json()
    assert one["name"] == first["name"] and one["distance_m"] is None
    response = await client.get("/api/v1/facilities/9999")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "facility_not_found"


def test_open_now_follows_the_opening_hours():
    hours = {"mon": "08:00-20:00", "sun": None, "tue": "00:00-24:00"}
    monday = datetime(2026, 11, 23, 8, 0)
    assert is_open(hours, monday)
    assert not is_open(hours, monday.replace(hour=20))
    assert not is_open(hours, datetime(2026, 11, 29, 12, 0))
    assert is_open(hours, datetime(2026, 11, 24, 23, 59))


async def test_lang_ru_gives_russian_address_labels_and_districts(client):
    english = await _facilities(client, type="service_centre", district="Tverskoy")
    russian = await _facilities(client, type="service_centre", district="Tverskoy", lang="ru")
    assert [item["id"] for item in russian] == [item["id"] for item in english]
    for ru, en in zip(russian, english, strict=True):
        assert ru["district"] == "Тверской" and en["district"] == "Tverskoy"
        place = (await (await client.get(f"/api/v1/addresses/{en['address_id']}",
                                         params={"lang": "ru"})).json())
        assert ru["address"] == place["label"] != en["address"]
        assert ru["address"].endswith(en["address"].rsplit(",", 1)[1])


async def test_one_facility_answers_in_the_accepted_language(client):
    first = (await _facilities(client, type="clinic", **TVERSKAYA))[0]
    response = await client.get(f"/api/v1/facilities/{first['id']}",
                                headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert response.status == 200 and response.headers["Content-Language"] == "ru"
    russian = await response.json()
    assert russian["address_id"] == first["address_id"]
    assert any("а" <= ch <= "я" for ch in russian["address"].lower())
    english = await (await client.get(f"/api/v1/facilities/{first['id']}")).json()
    assert english["address"] == first["address"]


@pytest.mark.parametrize("district", ["Тверской", "тверской район", "в Тверском районе"])
async def test_a_district_may_be_named_in_russian(client, district):
    items = await _facilities(client, type="service_centre", district=district)
    assert items and {item["district"] for item in items} == {"Tverskoy"}


LATIN = re.compile(r"[A-Za-z]")


@pytest.mark.parametrize(("type_", "district", "english", "russian"), [
    ("service_centre", "Tverskoy", '"My Documents" Public Service Centre of Tverskoy',
     "МФЦ «Мои документы» района Тверской"),
    ("police", "Arbat", "Police Department of Arbat", "ОМВД России по району Арбат"),
    ("housing_office", "Khamovniki", "Housing Office of Khamovniki",
     "ГБУ «Жилищник района Хамовники»"),
])
async def test_a_facility_is_named_in_russian_the_way_moscow_names_it(
    client, type_, district, english, russian
):
    assert [f["name"] for f in await _facilities(client, type=type_, district=district)] == [
        english]
    named = await _facilities(client, type=type_, district=district, lang="ru")
    assert [f["name"] for f in named] == [russian]


@pytest.mark.parametrize(("type_", "english", "russian"), [
    ("clinic", r"City Polyclinic No\. (\d+)", r"Городская поликлиника № (\d+)"),
    ("library", r"City Library No\. (\d+)", r"Библиотека № (\d+)"),
    ("post_office", r"Post Office (\d{6})", r"Почтовое отделение (\d{6})"),
])
async def test_numbered_facilities_keep_their_number_in_russian(client, type_, english, russian):
    in_english = await _facilities(client, type=type_, limit=50)
    in_russian = await _facilities(client, type=type_, limit=50, lang="ru")
    assert [f["id"] for f in in_russian] == [f["id"] for f in in_english]
    for en, ru in zip(in_english, in_russian, strict=True):
        number = re.fullmatch(english, en["name"]).group(1)
        assert re.fullmatch(russian, ru["name"]).group(1) == number


async def test_no_facility_keeps_an_english_name_in_russian(client):
    for type_ in ("service_centre", "clinic", "police", "post_office", "library",
                  "housing_office"):
        response = await client.get("/api/v1/facilities",
                                    params={"type": type_, "limit": "50", **TVERSKAYA},
                                    headers={"Accept-Language": "ru"})
        assert response.headers["Content-Language"] == "ru"
        assert response.headers["Vary"] == "Accept-Language"
        for facility in (await response.json())["items"]:
            assert facility["name"] and not LATIN.search(facility["name"]), facility["name"]


async def test_one_facility_is_named_in_the_language_asked_for(client):
    first = (await _facilities(client, type="police", **TVERSKAYA))[0]
    english = await (await client.get(f"/api/v1/facilities/{first['id']}")).json()
    russian = await (await client.get(f"/api/v1/facilities/{first['id']}?lang=ru")).json()
    assert english["name"].startswith("Police Department of ")
    assert russian["name"].startswith("ОМВД России по району ")
    assert {k: v for k, v in russian.items() if k not in ("name", "address", "district")} == {
        k: v for k, v in english.items() if k not in ("name", "address", "district")}


async def test_the_same_facilities_come_by_name_in_either_language(client):
    # by name (no point given), a limit must not pick other facilities in Russian
    english = await _facilities(client, type="clinic", limit=4)
    russian = await _facilities(client, type="clinic", limit=4, lang="ru")
    assert [f["id"] for f in russian] == [f["id"] for f in english]


async def test_digits_that_are_no_number_are_a_client_mistake(client):
    """"³" and "٣" are digits to str.isdigit and no number to int: a 404 and a 400, never a 500."""
    for text in ("³", "٣"):
        assert (await client.get(f"/api/v1/facilities/{text}")).status == 404
        response = await client.get("/api/v1/facilities", params={"type": "clinic",
                                                                  "district": "Arbat",
                                                                  "limit": text})
        assert response.status == 400
