"""The city's catalogue in the conversation's language: asking, caching per language, matching."""

from __future__ import annotations

import json

import pytest

from bot.city.catalogue import Catalogue
from bot.city.errors import CityUnavailable
from bot.city.http import CityHTTP
from bot.city.open311 import Open311Client

ENGLISH_ONLY_CITY = [
    {"service_code": "pothole", "service_name": "Pothole", "keywords": "pothole, road damage",
     "metadata": True},
    {"service_code": "other", "service_name": "Other problem", "keywords": "other"},
]


def _asked_language(headers: dict[str, str]) -> str | None:
    return next((value for name, value in headers.items() if name.lower() == "accept-language"),
                None)


async def test_services_and_definitions_come_in_the_language_asked_for(open311: Open311Client):
    english = {s.code: s for s in await open311.services()}
    russian = {s.code: s for s in await open311.services(language="ru")}
    assert set(russian) == set(english)
    assert russian["pothole"].name == "Яма на дороге" and english["pothole"].name == "Pothole"
    assert "выбоина" in russian["pothole"].keywords
    assert russian["pothole"].metadata is True and russian["graffiti"].type == "batch"
    size = (await open311.service_definition("pothole", language="ru")).attributes[0]
    assert size.description == "Какого размера яма?"
    assert [(v.key, v.name) for v in size.values] == [
        ("small", "Меньше обувной коробки"), ("medium", "Примерно с колесо автомобиля"),
        ("large", "Больше колеса автомобиля")]
    assert (await open311.service_definition("pothole", language="en")).attributes[0] \
        .description == "How big is the pothole?"


@pytest.mark.parametrize(("language", "header"), [("ru", "ru"), ("en", None), (None, None)])
async def test_only_another_language_than_english_is_asked_for_with_accept_language(
    city_http: CityHTTP, scripted_city, language, header
):
    scripted_city.answer(200, json.dumps(ENGLISH_ONLY_CITY))
    client = Open311Client(city_http, scripted_city.url("/open311/v2"))
    await client.services(language=language)
    scripted_city.answer(200, json.dumps({"service_code": "pothole", "attributes": []}))
    await client.service_definition("pothole", language=language)
    assert [_asked_language(headers) for headers in scripted_city.headers] == [header, header]


async def test_a_city_that_speaks_only_english_still_matches_and_names_in_english(
    city_http: CityHTTP, scripted_city
):
    scripted_city.answer(200, json.dumps(ENGLISH_ONLY_CITY))
    catalogue = Catalogue(Open311Client(city_http, scripted_city.url("/open311/v2")))
    found = await catalogue.match("pothole", "ru")
    assert found is not None and (found.code, found.name) == ("pothole", "Pothole")
    assert await catalogue.match("яма", "ru") is None  # nothing Russian to match it with
    assert await catalogue.mentions("there is a pothole", "ru") == [(11, "Pothole")]


async def test_the_catalogue_is_kept_per_language(open311, city_fault):
    catalogue = Catalogue(open311)
    assert (await catalogue.service("lift", "ru")).name == "Неисправный лифт"
    assert (await catalogue.service("lift")).name == "Broken lift"
    russian = await catalogue.definition("pothole", "ru")
    english = await catalogue.definition("pothole")
    await city_fault(mode="error", paths="/open311/v2/services")
    # both copies answer without the city, each in its own language
    assert (await catalogue.service("lift", "ru")).name == "Неисправный лифт"
    assert (await catalogue.service("lift", "en")).name == "Broken lift"
    assert await catalogue.definition("pothole", "ru") == russian != english
    assert await catalogue.definition("pothole", "en") == english


async def test_a_language_not_asked_for_yet_is_not_answered_from_another_languages_copy(
    open311, city_fault
):
    catalogue = Catalogue(open311)
    await catalogue.services()
    await catalogue.definition("pothole")
    await city_fault(mode="error", paths="/open311/v2/services")
    with pytest.raises(CityUnavailable):
        await catalogue.services("ru")
    with pytest.raises(CityUnavailable):
        await catalogue.definition("pothole", "ru")


@pytest.mark.parametrize(
    ("words", "code", "name"),
    [
        ("pothole", "pothole", "Яма на дороге"),  # the NLU's canonical value
        ("street light", "streetlight", "Не горит уличный фонарь"),
        ("overflowing bin", "waste_bin", "Переполненный мусорный контейнер"),
        ("яма", "pothole", "Яма на дороге"),
        ("ямы", "pothole", "Яма на дороге"),  # any grammatical form
        ("выбоину", "pothole", "Яма на дороге"),
        ("Яма на дороге", "pothole", "Яма на дороге"),
        ("наледь", "snow", "Неубранный снег или наледь"),
        ("сосульки", "snow", "Неубранный снег или наледь"),
        ("светофора", "traffic_signal", "Неисправный светофор"),
        ("брошенная машина", "abandoned_vehicle", "Брошенный автомобиль"),
        ("другое", "other", "Другая проблема"),
    ],
)
async def test_in_russian_english_values_and_russian_words_match_and_the_name_is_russian(
    open311, words, code, name
):
    found = await Catalogue(open311).match(words, "ru")
    assert found is not None and (found.code, found.name) == (code, name)


async def test_in_english_the_service_is_named_in_english(open311):
    found = await Catalogue(open311).match("pothole")
    assert found is not None and found.name == "Pothole"
    assert await Catalogue(open311).match("яма") is None  # Russian words count in Russian only


@pytest.mark.parametrize("words", ["на", "банк", "полиция", "улица", "контейнерная площадка"])
async def test_russian_words_that_name_no_service_match_nothing(open311, words):
    assert await Catalogue(open311).match(words, "ru") is None


async def test_the_services_a_russian_sentence_names_are_found_in_any_form(open311):
    said = "прорвало трубу, а не ямы"
    named = await Catalogue(open311).mentions(said, "ru")
    assert named == [(0, "прорвало трубу"), (said.index("ямы"), "яма")]
    # English words still count in a Russian conversation; the catch-all is never named
    assert await Catalogue(open311).mentions("pothole, другое", "ru") == [(0, "Pothole")]
    assert await Catalogue(open311).mentions("во дворе яма", "en") == []
