"""The Open311 catalogue and service definitions in Russian: Accept-Language, locale, XML."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from .helpers import as_xml_text, element_data, xml_items

RUSSIAN = {"Accept-Language": "ru"}
LATIN = re.compile(r"[A-Za-z]")


async def _services(client, headers: dict[str, str] | None = None, query: str = ""
                    ) -> tuple[list[dict[str, Any]], str]:
    response = await client.get(f"/open311/v2/services.json{query}", headers=headers)
    assert response.status == 200
    return await response.json(), response.headers["Content-Language"]


async def _definitions(client, codes: list[str], headers: dict[str, str] | None = None
                       ) -> dict[str, dict[str, Any]]:
    return {code: await (await client.get(f"/open311/v2/services/{code}.json",
                                          headers=headers)).json() for code in codes}


def _by_code(services: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {service["service_code"]: service for service in services}


async def test_the_catalogue_answers_in_russian_when_accept_language_asks(client):
    services, language = await _services(client, RUSSIAN)
    assert language == "ru"
    named = _by_code(services)
    assert named["pothole"]["service_name"] == "Яма на дороге"
    assert named["streetlight"]["service_name"] == "Не горит уличный фонарь"
    assert named["waste_bin"]["service_name"] == "Переполненный мусорный контейнер"
    assert named["snow"]["service_name"] == "Неубранный снег или наледь"
    assert "выбоина" in named["pothole"]["keywords"]
    assert named["pothole"]["group"] == "Дороги"


async def test_the_definition_asks_its_questions_in_russian_with_the_same_keys(client):
    response = await client.get("/open311/v2/services/pothole.json", headers=RUSSIAN)
    assert response.headers["Content-Language"] == "ru"
    size = (await response.json())["attributes"][0]
    assert size["code"] == "size" and size["description"] == "Какого размера яма?"
    assert size["values"] == [{"key": "small", "name": "Меньше обувной коробки"},
                              {"key": "medium", "name": "Примерно с колесо автомобиля"},
                              {"key": "large", "name": "Больше колеса автомобиля"}]


@pytest.mark.parametrize("headers", [None, {"Accept-Language": "de"},
                                     {"Accept-Language": "en-GB,en;q=0.9"},
                                     {"Accept-Language": "ru;q=0"}])
async def test_english_unless_russian_is_asked_for(client, headers):
    services, language = await _services(client, headers)
    assert language == "en"
    assert _by_code(services)["pothole"]["service_name"] == "Pothole"
    response = await client.get("/open311/v2/services/pothole.json", headers=headers)
    assert response.headers["Content-Language"] == "en"
    assert (await response.json())["attributes"][0]["description"] == "How big is the pothole?"


@pytest.mark.parametrize("accept", ["ru-RU,ru;q=0.9,en;q=0.8", "de-DE, ru;q=0.5", "RU"])
async def test_the_best_rated_language_the_city_speaks_is_chosen(client, accept):
    services, language = await _services(client, {"Accept-Language": accept})
    assert language == "ru" and _by_code(services)["lift"]["service_name"] == "Неисправный лифт"


@pytest.mark.parametrize(("query", "headers", "expected"), [
    ("?locale=ru", None, "ru"),
    ("?locale=ru_RU", None, "ru"),
    ("?locale=ru-RU&jurisdiction_id=citybot.sandbox", None, "ru"),
    ("?locale=en", RUSSIAN, "en"),          # the parameter is the more specific ask
    ("?locale=de", None, "en"),             # a locale the city does not speak is ignored
    ("?locale=de", RUSSIAN, "ru"),
])
async def test_a_locale_parameter_chooses_too(client, query, headers, expected):
    services, language = await _services(client, headers, query)
    assert language == expected
    name = _by_code(services)["fallen_tree"]["service_name"]
    assert name == ("Упавшее дерево" if expected == "ru" else "Fallen tree")
    response = await client.get(f"/open311/v2/services/fallen_tree.json{query}", headers=headers)
    assert response.headers["Content-Language"] == expected


async def test_answers_that_depend_on_the_language_say_so_to_caches(client):
    response = await client.get("/open311/v2/services.xml", headers=RUSSIAN)
    assert response.headers["Vary"] == "Accept-Language"
    assert response.headers["Content-Language"] == "ru"


async def test_russian_xml_carries_the_same_data_as_russian_json(client):
    services, _ = await _services(client, RUSSIAN)
    response = await client.get("/open311/v2/services.xml", headers=RUSSIAN)
    assert response.content_type == "text/xml" and response.charset == "utf-8"
    assert xml_items(await response.text()) == as_xml_text(services)
    definition = await (await client.get("/open311/v2/services/water_leak.json?locale=ru")).json()
    response = await client.get("/open311/v2/services/water_leak.xml?locale=ru")
    assert response.headers["Content-Language"] == "ru"
    root = ET.fromstring(await response.text())
    assert root.tag == "service_definition"
    assert element_data(root) == as_xml_text(definition)
    assert root.find("attributes/attribute/values/value/name").text == "На улице"


async def test_codes_keys_and_everything_but_the_words_are_the_same_in_both_languages(client):
    english, _ = await _services(client)
    russian, _ = await _services(client, RUSSIAN)
    words = ("service_name", "description", "keywords", "group")
    strip = [{k: v for k, v in s.items() if k not in words} for s in english]
    assert [{k: v for k, v in s.items() if k not in words} for s in russian] == strip
    codes = [service["service_code"] for service in english]
    english_definitions = await _definitions(client, codes)
    russian_definitions = await _definitions(client, codes, RUSSIAN)
    for code in codes:
        ours, theirs = english_definitions[code], russian_definitions[code]
        assert ours["service_code"] == theirs["service_code"] == code
        assert len(ours["attributes"]) == len(theirs["attributes"])
        for en, ru in zip(ours["attributes"], theirs["attributes"]):
            same = ("variable", "code", "datatype", "required", "order")
            assert {k: en[k] for k in same} == {k: ru[k] for k in same}, code
            assert [v["key"] for v in en["values"]] == [v["key"] for v in ru["values"]], code


async def test_no_english_is_left_in_the_russian_catalogue(client):
    russian, _ = await _services(client, RUSSIAN)
    english = _by_code((await _services(client))[0])
    for service in russian:
        code = service["service_code"]
        for field in ("service_name", "description", "keywords", "group"):
            assert service[field] and not LATIN.search(service[field]), (code, field)
            assert service[field] != english[code][field], (code, field)
    definitions = await _definitions(client, list(english), RUSSIAN)
    for code, definition in definitions.items():
        for attribute in definition["attributes"]:
            where = (code, attribute["code"])
            assert attribute["description"] and not LATIN.search(attribute["description"]), where
            keys = {value["key"] for value in attribute["values"]}
            # the datatype's description names the keys, which are the same in every language
            described = attribute["datatype_description"]
            assert described and not LATIN.search(re.sub("|".join(keys) or "^$", "", described)), \
                where
            for value in attribute["values"]:
                assert value["name"] and not LATIN.search(value["name"]), (*where, value["key"])


async def test_an_unknown_service_is_a_georeport_404_in_any_language(client):
    response = await client.get("/open311/v2/services/unicorns.json", headers=RUSSIAN)
    assert response.status == 404
    assert (await response.json())[0]["code"] == 404
    response = await client.get("/open311/v2/services/unicorns.xml?locale=ru")
    assert response.status == 404
    assert ET.fromstring(await response.text()).tag == "errors"


async def test_openapi_documents_accept_language_and_locale_on_the_catalogue(client):
    document = await (await client.get("/api/v1/openapi.json")).json()
    for path in ("/open311/v2/services.{format}", "/open311/v2/services/{code}.{format}"):
        parameters = {(p["in"], p["name"]) for p in document["paths"][path]["get"]["parameters"]}
        assert {("header", "Accept-Language"), ("query", "locale")} <= parameters, path
