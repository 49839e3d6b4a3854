"""Open311Client against the sandbox city on loopback (and a scripted city for counting)."""

from __future__ import annotations

import time
import uuid

import aiohttp
import pytest

from bot.city.errors import CityNotFound, CityRejected, CityUnavailable
from bot.city.http import CityHTTP
from bot.city.open311 import NewRequest, Open311Client


TVERSKAYA_12 = "Tverskaya Street, 12"


def pothole(description: str | None = None) -> NewRequest:
    return NewRequest(
        service_code="pothole",
        description=description or f"Pothole {uuid.uuid4().hex}",
        address_string="tverskaya 12",
        attributes={"size": "large"},
    )


async def test_services_parse_codes_names_and_keywords(open311: Open311Client):
    services = {s.code: s for s in await open311.services()}
    assert {"pothole", "streetlight", "lift", "waste_bin", "graffiti"} <= set(services)
    assert services["pothole"].name == "Pothole"
    assert "hole in the road" in services["pothole"].keywords
    assert services["pothole"].metadata is True
    assert services["graffiti"].metadata is False
    assert services["graffiti"].type == "batch"


async def test_definition_lists_the_required_attributes_in_the_citys_order(open311):
    definition = await open311.service_definition("pothole")
    assert [a.code for a in definition.attributes] == ["size", "lane"]
    assert [a.code for a in definition.required_attributes] == ["size"]
    size = definition.attributes[0]
    assert size.datatype == "singlevaluelist" and size.required
    assert [v.key for v in size.values] == ["small", "medium", "large"]
    assert definition.attributes[1].required is False


async def test_definition_of_an_unknown_service_is_not_found(open311):
    with pytest.raises(CityNotFound):
        await open311.service_definition("no_such_service")


async def test_a_filed_request_reads_back_with_its_description_and_address(open311):
    filed = await open311.create_request(pothole("Deep pothole by the bus stop"))
    assert filed.id and filed.token is None
    assert filed.service_notice and "Roads Department" in filed.service_notice
    again = await open311.get_request(filed.id)
    assert again.id == filed.id
    assert again.description == "Deep pothole by the bus stop"
    assert again.address == TVERSKAYA_12
    assert again.service_code == "pothole" and again.status == "open"
    assert again.requested is not None and again.lat is not None


async def test_the_same_idempotency_key_twice_files_one_request(open311):
    request, key = pothole(), uuid.uuid4().hex
    first = await open311.create_request(request, idempotency_key=key)
    second = await open311.create_request(request, idempotency_key=key)
    assert first.id == second.id
    found = [r for r in await open311.requests() if r.description == request.description]
    assert [r.id for r in found] == [first.id]


async def test_different_keys_file_different_requests(open311):
    request = pothole()
    first = await open311.create_request(request, idempotency_key=uuid.uuid4().hex)
    second = await open311.create_request(request, idempotency_key=uuid.uuid4().hex)
    assert first.id != second.id


@pytest.mark.parametrize("api_key", ["", "not-the-key"])
async def test_filing_without_the_right_api_key_is_rejected_with_403(
    city_http: CityHTTP, open311_url: str, api_key: str
):
    client = Open311Client(city_http, open311_url, api_key=api_key)
    with pytest.raises(CityRejected) as caught:
        await client.create_request(pothole())
    assert caught.value.status == 403
    assert "api_key" in caught.value.message


async def test_a_request_the_city_refuses_carries_the_citys_reason(open311):
    refused = NewRequest(service_code="pothole", description="x", address_string="tverskaya 12",
                         attributes={"size": "enormous"})
    with pytest.raises(CityRejected) as caught:
        await open311.create_request(refused)
    assert caught.value.status == 400
    assert "size" in caught.value.message


async def test_an_unknown_request_id_is_not_found(open311):
    with pytest.raises(CityNotFound):
        await open311.get_request("999999999")


async def test_an_id_that_cannot_be_a_request_id_is_not_found_without_asking(
    city_http: CityHTTP, scripted_city
):
    client = Open311Client(city_http, scripted_city.url("/open311/v2"), api_key="k")
    with pytest.raises(CityNotFound):
        await client.get_request("../../etc/passwd")
    assert sum(scripted_city.hits.values()) == 0


async def test_a_batch_service_answers_with_a_token_that_resolves_to_an_id(open311):
    filed = await open311.create_request(NewRequest(
        service_code="graffiti", description="Tags on the underpass", address_string="arbat 10"))
    assert filed.id is None and filed.token
    request_id = await open311.request_id_for_token(filed.token)
    assert request_id and (await open311.get_request(request_id)).service_code == "graffiti"


async def test_a_failing_city_is_unavailable(open311, city_fault):
    await city_fault(mode="error", paths="/open311/v2/requests")
    with pytest.raises(CityUnavailable):
        await open311.create_request(pothole())
    with pytest.raises(CityUnavailable):
        await open311.requests()
    assert await open311.services()  # only the faulty paths fail


async def test_a_hanging_city_is_given_up_on_after_the_timeout(
    city_session: aiohttp.ClientSession, open311_url: str, city_fault
):
    await city_fault(mode="hang", paths="/open311/v2/requests", seconds=5)
    http = CityHTTP(city_session, timeout=0.5, connect_timeout=0.5)
    client = Open311Client(http, open311_url, api_key="unit-test-key")
    started = time.monotonic()
    with pytest.raises(CityUnavailable):
        await client.create_request(pothole())
    assert time.monotonic() - started < 2.0  # the city would answer only after 5 s


async def test_filing_without_a_key_is_sent_once_even_when_the_city_fails(
    city_http: CityHTTP, scripted_city
):
    client = Open311Client(city_http, scripted_city.url("/open311/v2"), api_key="k")
    with pytest.raises(CityUnavailable):
        await client.create_request(pothole())
    assert scripted_city.hits["POST"] == 1


async def test_filing_with_an_idempotency_key_is_tried_again_once(
    city_http: CityHTTP, scripted_city
):
    client = Open311Client(city_http, scripted_city.url("/open311/v2"), api_key="k")
    with pytest.raises(CityUnavailable):
        await client.create_request(pothole(), idempotency_key="k-1")
    assert scripted_city.hits["POST"] == 2


async def test_reading_requests_is_tried_again_once_when_the_city_fails(
    city_http: CityHTTP, scripted_city
):
    client = Open311Client(city_http, scripted_city.url("/open311/v2"))
    with pytest.raises(CityUnavailable):
        await client.requests()
    assert scripted_city.hits["GET"] == 2


async def test_a_filing_answer_that_is_not_a_list_is_unavailable(city_http, scripted_city):
    scripted_city.answer(200, b'{"service_request_id": "1"}')
    client = Open311Client(city_http, scripted_city.url("/open311/v2"), api_key="k")
    with pytest.raises(CityUnavailable):
        await client.create_request(pothole())
