"""Service requests in Russian: what the city wrote is said in the language asked for.

The service's name, the agency, the filing notice, the city's own status notes and its address
labels come in Russian when asked (``Accept-Language: ru`` or ``locale=ru``), in English
otherwise; a note staff typed and the citizen's description pass through as written.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from bot.sandbox import clock
from bot.sandbox.catalogue import SERVICES, service_notice
from bot.sandbox.models import ServiceRequest
from bot.sandbox.phrasebook import RECEIVED, STATUS_NOTES_RU
from bot.sandbox.state import ENGINE

from .helpers import as_xml_text, post_request, xml_items

RUSSIAN = {"Accept-Language": "ru"}
LATIN = re.compile(r"[A-Za-z]")
POTHOLE_NOTICE_RU = ("Яма на дороге: заявку выполняет ГБУ «Автомобильные дороги», "
                     "обычно в течение 10 дней.")
POTHOLE_NOTICE_EN = "Pothole: handled by the Roads Department, usually within 10 days."


async def _file(client, headers: dict[str, str] | None = None, query: str = "",
                **fields: str):
    form = {"service_code": "pothole", "attribute[size]": "large",
            "address_string": "Tverskaya 12", "description": "Яма у остановки", **fields}
    return await client.post(f"/open311/v2/requests.json{query}",
                             data={"api_key": "test-key", **form}, headers=headers)


async def _filed_id(client, **fields: str) -> str:
    response = await _file(client, **fields)
    assert response.status == 200, await response.text()
    return (await response.json())[0]["service_request_id"]


async def _request(client, request_id: str, headers: dict[str, str] | None = None,
                   query: str = "") -> tuple[dict, str]:
    response = await client.get(f"/open311/v2/requests/{request_id}.json{query}",
                                headers=headers)
    assert response.status == 200, await response.text()
    return (await response.json())[0], response.headers["Content-Language"]


async def test_a_filed_request_reads_back_in_russian_when_asked(client):
    request_id = await _filed_id(client)
    russian, language = await _request(client, request_id, RUSSIAN)
    assert language == "ru"
    assert russian["service_name"] == "Яма на дороге"
    assert russian["agency_responsible"] == "ГБУ «Автомобильные дороги»"
    assert russian["service_notice"] == POTHOLE_NOTICE_RU
    assert russian["status_notes"] == "Заявка принята"
    assert russian["address"] == "Тверская улица, 12"
    assert russian["description"] == "Яма у остановки"  # the citizen's words, as given


@pytest.mark.parametrize("headers", [None, {"Accept-Language": "de"},
                                     {"Accept-Language": "en-GB,en;q=0.9"}])
async def test_a_request_reads_back_in_english_unless_russian_is_asked_for(client, headers):
    request_id = await _filed_id(client)
    english, language = await _request(client, request_id, headers)
    assert language == "en"
    assert english["service_name"] == "Pothole"
    assert english["agency_responsible"] == "Roads Department"
    assert english["service_notice"] == POTHOLE_NOTICE_EN
    assert english["status_notes"] == "Received"
    assert english["address"] == "Tverskaya Street, 12"


async def test_a_locale_parameter_chooses_the_language_of_a_request_too(client):
    request_id = await _filed_id(client)
    assert (await _request(client, request_id, query="?locale=ru_RU"))[0]["service_name"] \
        == "Яма на дороге"
    assert (await _request(client, request_id, RUSSIAN, "?locale=en"))[0]["service_name"] \
        == "Pothole"


async def test_only_the_words_change_between_the_languages(client):
    request_id = await _filed_id(client)
    english, _ = await _request(client, request_id)
    russian, _ = await _request(client, request_id, RUSSIAN)
    words = {"service_name", "agency_responsible", "service_notice", "status_notes", "address"}
    assert {k: v for k, v in russian.items() if k not in words} == {
        k: v for k, v in english.items() if k not in words}


async def test_the_clocks_notes_are_said_in_russian(client):
    request_id = await _filed_id(client)
    assert request_id in await clock.tick(client.app)
    assigned, _ = await _request(client, request_id, RUSSIAN)
    assert assigned["status_notes"] == "Назначена бригада"
    for _ in range(2):
        await clock.tick(client.app)
    closed, _ = await _request(client, request_id, RUSSIAN)
    assert (closed["status"], closed["status_notes"]) == ("closed", "Отремонтировано")
    assert (await _request(client, request_id))[0]["status_notes"] == clock.REPAIRED


@pytest.mark.parametrize("note", ["Waiting for a part from the supplier",
                                  "Бригада приедет в четверг"])
async def test_a_note_written_by_staff_passes_through_as_written(client, note):
    request_id = await _filed_id(client)
    async with client.app[ENGINE].begin() as conn:
        await conn.execute(update(ServiceRequest).where(ServiceRequest.id == request_id)
                           .values(status_notes=note))
    assert (await _request(client, request_id, RUSSIAN))[0]["status_notes"] == note
    assert (await _request(client, request_id))[0]["status_notes"] == note


async def test_no_english_is_left_in_the_seeded_requests_in_russian(client):
    response = await client.get("/open311/v2/requests.json?status=open,closed", headers=RUSSIAN)
    assert response.status == 200
    assert response.headers["Content-Language"] == "ru"
    assert response.headers["Vary"] == "Accept-Language"
    requests = [r for r in await response.json() if int(r["service_request_id"]) < 100041]
    assert len(requests) >= 30
    for request in requests:
        for field in ("service_name", "agency_responsible", "service_notice", "status_notes",
                      "address"):
            assert request[field] and not LATIN.search(request[field]), (field, request[field])


async def test_a_list_of_requests_by_id_is_in_the_language_asked_for(client):
    first, second = await _filed_id(client), await _filed_id(client, **{
        "service_code": "lift", "attribute[people_trapped]": "no"})
    response = await client.get(
        f"/open311/v2/requests.json?service_request_id={first},{second}&locale=ru")
    names = {r["service_request_id"]: (r["service_name"], r["agency_responsible"])
             for r in await response.json()}
    assert names == {first: ("Яма на дороге", "ГБУ «Автомобильные дороги»"),
                     second: ("Неисправный лифт", "ГБУ «Жилищник»")}


async def test_russian_xml_carries_the_same_request_as_russian_json(client):
    request_id = await _filed_id(client)
    russian, _ = await _request(client, request_id, RUSSIAN)
    response = await client.get(f"/open311/v2/requests/{request_id}.xml", headers=RUSSIAN)
    assert response.headers["Content-Language"] == "ru"
    assert xml_items(await response.text()) == as_xml_text([russian])


async def test_the_filing_answer_gives_its_notice_in_russian_when_asked(client):
    response = await _file(client, RUSSIAN)
    assert response.status == 200
    assert response.headers["Content-Language"] == "ru"
    [answer] = await response.json()
    assert answer["service_request_id"].isdigit()
    assert answer["service_notice"] == POTHOLE_NOTICE_RU
    english = await (await _file(client)).json()
    assert english[0]["service_notice"] == POTHOLE_NOTICE_EN


async def test_a_batch_service_answers_its_token_with_a_russian_notice(client):
    response = await _file(client, query="?locale=ru", service_code="graffiti")
    [answer] = await response.json()
    assert answer["token"] and "service_request_id" not in answer
    assert answer["service_notice"] == ("Граффити: заявку выполняет ГБУ «Жилищник», "
                                        "обычно в течение 14 дней.")


async def test_a_repeated_filing_is_answered_in_the_language_it_is_asked_in(client):
    key = {"Idempotency-Key": "same-report-twice"}
    first = await (await _file(client, key)).json()
    again = await _file(client, {**key, **RUSSIAN})
    assert again.headers["Content-Language"] == "ru"
    repeated = await again.json()
    assert repeated[0]["service_request_id"] == first[0]["service_request_id"]
    assert (first[0]["service_notice"], repeated[0]["service_notice"]) == (
        POTHOLE_NOTICE_EN, POTHOLE_NOTICE_RU)


@pytest.mark.parametrize(("fields", "english", "russian"), [
    ({"attribute[size]": ""}, "attribute[size] is required: How big is the pothole?",
     "нет ответа на обязательный вопрос «Какого размера яма?»"),
    ({"attribute[size]": "enormous"}, "attribute[size] must be one of: small, medium, large",
     "ответ на вопрос «Какого размера яма?» должен быть одним из вариантов: «Меньше обувной "
     "коробки», «Примерно с колесо автомобиля», «Больше колеса автомобиля»"),
    ({"address_string": ""}, "a location is required: lat and long, address_string or "
                             "address_id", "не указано место: нужны координаты или адрес"),
    ({"service_code": "unicorns"}, "service_code 'unicorns' is not a known service",
     "вид проблемы «unicorns» городу неизвестен"),
    ({"description": "я" * 4001}, "description must be at most 4000 characters (it has 4001)",
     "описание должно быть не длиннее 4000 символов (в нём 4001)"),
    ({"lat": "north", "long": "37.6"}, "lat 'north' is not a number", "широта «north» — не число"),
])
async def test_a_refused_filing_says_why_in_the_language_asked_for(client, fields, english,
                                                                  russian):
    response = await _file(client, RUSSIAN, **fields)
    assert response.status == 400
    assert response.headers["Content-Language"] == "ru"
    assert (await response.json())[0]["description"] == russian
    response = await _file(client, **fields)
    assert response.status == 400
    assert (await response.json())[0]["description"] == english


async def test_a_refusal_in_xml_is_in_russian_too(client):
    response = await post_request(client, "xml", RUSSIAN, service_code="pothole",
                                  address_string="Tverskaya 12")
    assert response.status == 400 and response.headers["Content-Language"] == "ru"
    assert "Какого размера яма?" in await response.text()


async def test_a_wrong_api_key_is_refused_in_russian_when_asked(client):
    response = await client.post("/open311/v2/requests.json?locale=ru",
                                 data={"api_key": "wrong", "service_code": "pothole"})
    assert response.status == 403
    assert (await response.json())[0]["description"] == "api_key недействителен"


async def test_an_unknown_request_is_not_found_in_either_language(client):
    response = await client.get("/open311/v2/requests/999999.json", headers=RUSSIAN)
    assert response.status == 404
    assert (await response.json())[0]["description"] == "заявка «999999» не найдена"


def test_every_note_the_city_writes_itself_has_its_russian():
    written = {RECEIVED, clock.CREW_ASSIGNED, clock.SCHEDULED, clock.REPAIRED,
               "Repaired", "Resolved", "Work completed",  # the seeded history's
               "Under review", "Crew assigned", "Scheduled for repair"}
    assert written <= set(STATUS_NOTES_RU)
    assert not any(LATIN.search(note) for note in STATUS_NOTES_RU.values())


@pytest.mark.parametrize(("days", "said"), [(1, "1 дня"), (2, "2 дней"), (5, "5 дней"),
                                            (11, "11 дней"), (14, "14 дней"), (21, "21 дня")])
def test_the_russian_notice_counts_days_in_the_genitive(days, said):
    notice = service_notice("Яма на дороге", "ГБУ «Автомобильные дороги»", days, "ru")
    assert notice.endswith(f"обычно в течение {said}.")


def test_every_agency_has_a_russian_name():
    for service in SERVICES:
        agency = service["translations"]["ru"]["agency"]
        assert agency and not LATIN.search(agency), service["code"]
