"""The city's words about requests, facilities and outages in the conversation's language.

The client asks for Russian with ``Accept-Language`` on request lookups, request lists and
filing, as it does for the catalogue; a city that speaks only English still answers and parses.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from bot.city.cityapi import CityApiClient
from bot.city.errors import CityRejected
from bot.city.http import CityHTTP
from bot.city.open311 import NewRequest, Open311Client

POTHOLE_NOTICE_RU = ("Яма на дороге: заявку выполняет ГБУ «Автомобильные дороги», "
                     "обычно в течение 10 дней.")
ENGLISH_ONLY_REQUEST = [{
    "service_request_id": "42", "status": "open", "status_notes": "Received",
    "service_name": "Pothole", "service_code": "pothole",
    "agency_responsible": "Roads Department", "service_notice": "Within 10 days.",
    "requested_datetime": "2026-10-01T10:00:00+03:00",
}]


def pothole(language: str | None = None) -> NewRequest:
    return NewRequest(service_code="pothole", description="Яма у подъезда",
                      address_string="Тверская 12", attributes={"size": "large"},
                      language=language)


def _asked_language(headers: dict[str, str]) -> str | None:
    return next((value for name, value in headers.items() if name.lower() == "accept-language"),
                None)


async def test_a_request_filed_in_russian_is_answered_in_russian(open311: Open311Client):
    filed = await open311.create_request(pothole("ru"))
    assert filed.id and filed.service_notice == POTHOLE_NOTICE_RU
    english = await open311.create_request(pothole())
    assert english.service_notice == (
        "Pothole: handled by the Roads Department, usually within 10 days.")


async def test_a_request_reads_back_in_the_language_asked_for(open311: Open311Client):
    filed = await open311.create_request(pothole())
    russian = await open311.get_request(filed.id or "", language="ru")
    assert russian.service_name == "Яма на дороге"
    assert russian.agency_responsible == "ГБУ «Автомобильные дороги»"
    assert russian.status_notes == "Заявка принята"
    assert russian.service_notice == POTHOLE_NOTICE_RU
    assert russian.address == "Тверская улица, 12"
    english = await open311.get_request(filed.id or "", language="en")
    assert (english.service_name, english.agency_responsible, english.status_notes) == (
        "Pothole", "Roads Department", "Received")
    assert english.address == "Tverskaya Street, 12"


async def test_a_list_of_requests_comes_in_the_language_asked_for(open311: Open311Client):
    filed = await open311.create_request(pothole())
    [russian] = await open311.requests(language="ru", service_request_id=filed.id)
    assert (russian.id, russian.service_name) == (filed.id, "Яма на дороге")
    [english] = await open311.requests(service_request_id=filed.id)
    assert english.service_name == "Pothole"


async def test_a_refusal_gives_the_citys_reason_in_russian(open311: Open311Client):
    refused = NewRequest(service_code="pothole", description="x", address_string="Тверская 12",
                         attributes={"size": "огромная"}, language="ru")
    with pytest.raises(CityRejected) as caught:
        await open311.create_request(refused)
    assert caught.value.status == 400
    assert caught.value.message.startswith("ответ на вопрос «Какого размера яма?» должен быть")


@pytest.mark.parametrize(("language", "header"), [("ru", "ru"), ("en", None), (None, None)])
async def test_request_calls_ask_in_another_language_than_english_with_accept_language(
    city_http: CityHTTP, scripted_city, language, header
):
    scripted_city.answer(200, json.dumps(ENGLISH_ONLY_REQUEST))
    client = Open311Client(city_http, scripted_city.url("/open311/v2"), api_key="k")
    await client.get_request("42", language=language)
    await client.requests(language=language, status="open")
    scripted_city.answer(200, json.dumps([{"service_request_id": "43"}]))
    await client.create_request(pothole(language), idempotency_key="key-1")
    assert [_asked_language(headers) for headers in scripted_city.headers] == [header] * 3
    assert scripted_city.headers[-1]["Idempotency-Key"] == "key-1"


async def test_a_city_that_speaks_only_english_answers_a_russian_ask_in_english(
    city_http: CityHTTP, scripted_city
):
    scripted_city.answer(200, json.dumps(ENGLISH_ONLY_REQUEST))
    client = Open311Client(city_http, scripted_city.url("/open311/v2"))
    request = await client.get_request("42", language="ru")
    assert (request.service_name, request.status_notes) == ("Pothole", "Received")


def test_the_language_is_no_part_of_the_filed_form_but_is_kept_for_a_retry():
    request = pothole("ru")
    assert "language" not in request.form() and "ru" not in request.form().values()
    assert NewRequest(**asdict(request)).language == "ru"
    # a report kept before requests had a language is filed as before, in English
    old = {k: v for k, v in asdict(request).items() if k != "language"}
    assert NewRequest(**old).language is None


async def test_facility_names_and_outage_reasons_come_in_russian(city_api: CityApiClient):
    [centre] = await city_api.facilities(type="service_centre", district="Tverskoy",
                                         language="ru")
    assert centre.name == "МФЦ «Мои документы» района Тверской"
    [english] = await city_api.facilities(type="service_centre", district="Tverskoy")
    assert english.name == '"My Documents" Public Service Centre of Tverskoy'
    outages = await city_api.outages(address="Тверская 12", language="ru")
    hot = next(o for o in outages if o.kind == "hot_water")
    assert hot.reason == "Плановые профилактические работы на системе горячего водоснабжения"
