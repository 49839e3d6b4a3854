"""Filing and reading Open311 service requests."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote
from xml.etree import ElementTree as ET

from sqlalchemy import func, select

from bot.sandbox.models import ServiceRequest
from bot.sandbox.state import ENGINE

from .helpers import as_xml_text, post_request, xml_items


async def _count_requests(client) -> int:
    async with client.app[ENGINE].connect() as conn:
        return (await conn.execute(select(func.count()).select_from(ServiceRequest))).scalar()


async def _file_pothole(client, **fields) -> str:
    form = {"service_code": "pothole", "attribute[size]": "large",
            "address_string": "Tverskaya 12", **fields}
    response = await post_request(client, **form)
    assert response.status == 200, await response.text()
    return (await response.json())[0]["service_request_id"]


async def test_request_with_an_address_string_is_geocoded_and_filed(client):
    response = await post_request(client, service_code="pothole", **{
        "attribute[size]": "medium", "address_string": "12 Tverskaya St",
        "description": "Deep hole", "email": "anna@example.org"})
    assert response.status == 200
    answer = await response.json()
    assert len(answer) == 1
    request_id = answer[0]["service_request_id"]
    assert request_id.isdigit() and len(request_id) == 6
    assert "Roads Department" in answer[0]["service_notice"]
    filed = (await (await client.get(f"/open311/v2/requests/{request_id}.json")).json())[0]
    assert filed["status"] == "open"
    assert filed["service_code"] == "pothole" and filed["service_name"] == "Pothole"
    assert filed["address"] == "Tverskaya Street, 12"
    assert isinstance(filed["address_id"], str) and filed["address_id"]  # as clients read it
    assert 55.7 <= filed["lat"] <= 55.8 and 37.5 <= filed["long"] <= 37.7
    assert filed["agency_responsible"] == "Roads Department"
    assert filed["expected_datetime"] > filed["requested_datetime"]
    assert filed["description"] == "Deep hole"


async def test_request_with_an_unknown_address_string_keeps_the_text(client):
    request_id = await _file_pothole(client, address_string="Behind the old mill")
    filed = (await (await client.get(f"/open311/v2/requests/{request_id}.json")).json())[0]
    assert filed["address"] == "Behind the old mill"
    assert filed["lat"] is None and filed["address_id"] is None


async def test_request_with_lat_long_is_filed_at_that_point(client):
    request_id = await _file_pothole(client, address_string="", lat="55.7601", long="37.6012")
    filed = (await (await client.get(f"/open311/v2/requests/{request_id}.json")).json())[0]
    assert filed["lat"] == 55.7601 and filed["long"] == 37.6012


async def test_request_answer_is_xml_when_posted_to_requests_xml(client):
    response = await post_request(client, "xml", service_code="lift", **{
        "attribute[people_trapped]": "no", "address_id": "12"})
    assert response.status == 200
    root = ET.fromstring(await response.text())
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text.isdigit()


async def test_missing_api_key_is_403(client):
    response = await client.post("/open311/v2/requests.json", data={
        "service_code": "graffiti", "address_string": "Arbat 5"})
    assert response.status == 403
    assert (await response.json())[0]["code"] == 403


async def test_wrong_api_key_is_403(client):
    response = await post_request(client, api_key="guess", service_code="graffiti",
                                  address_string="Arbat 5")
    assert response.status == 403


async def test_missing_service_code_is_400(client):
    response = await post_request(client, address_string="Arbat 5")
    assert response.status == 400
    assert "service_code" in (await response.json())[0]["description"]


async def test_unknown_service_code_is_400(client):
    response = await post_request(client, service_code="dragons", address_string="Arbat 5")
    assert response.status == 400


async def test_request_without_any_location_is_400(client):
    response = await post_request(client, service_code="graffiti")
    assert response.status == 400
    assert "location" in (await response.json())[0]["description"]


async def test_missing_required_attribute_is_400_naming_it(client):
    response = await post_request(client, service_code="pothole", address_string="Arbat 5")
    assert response.status == 400
    errors = await response.json()
    assert any("attribute[size]" in e["description"] for e in errors)


async def test_attribute_value_outside_the_list_is_400(client):
    response = await post_request(client, service_code="pothole", address_string="Arbat 5",
                                  **{"attribute[size]": "enormous"})
    assert response.status == 400
    assert "small, medium, large" in (await response.json())[0]["description"]


async def test_every_mistake_is_reported_at_once(client):
    response = await post_request(client, "xml", service_code="pothole", lat="north",
                                  long="37.6", description="x" * 4001)
    assert response.status == 400
    errors = ET.fromstring(await response.text()).findall("error")
    assert len(errors) == 3
    assert {e.find("code").text for e in errors} == {"400"}


async def test_description_longer_than_4000_characters_is_400(client):
    response = await post_request(client, service_code="graffiti", address_string="Arbat 5",
                                  description="x" * 4001)
    assert response.status == 400
    ok = await post_request(client, service_code="graffiti", address_string="Arbat 5",
                            description="x" * 4000)
    assert ok.status == 200


async def test_same_idempotency_key_returns_the_first_answer_and_files_once(client):
    before = await _count_requests(client)
    form = {"service_code": "streetlight", "attribute[lights_out]": "one",
            "address_string": "Arbat 7"}
    headers = {"Idempotency-Key": "conv-42-report-1"}
    first = await post_request(client, headers=headers, **form)
    second = await post_request(client, headers=headers, **form)
    assert first.status == second.status == 200
    assert await first.json() == await second.json()
    assert await _count_requests(client) == before + 1
    other = await post_request(client, headers={"Idempotency-Key": "conv-42-report-2"}, **form)
    assert (await other.json())[0]["service_request_id"] != (
        await first.json())[0]["service_request_id"]


async def test_a_request_whose_key_could_not_be_kept_is_not_kept_either(client):
    """The request and the answer for its Idempotency-Key are one transaction: had the city
    died between two commits, it would hold the request without the key, and file the bot's
    retry again (the fault harness's kill -9 found it)."""
    engine = client.app[ENGINE]
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "CREATE TRIGGER keys_lost BEFORE INSERT ON idempotent_answers "
            "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
    before = await _count_requests(client)
    form = {"service_code": "streetlight", "attribute[lights_out]": "one",
            "address_string": "Arbat 7"}
    headers = {"Idempotency-Key": "conv-43-report-1"}
    try:
        failed = await post_request(client, headers=headers, **form)
        assert failed.status == 500
        assert await _count_requests(client) == before
    finally:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("DROP TRIGGER keys_lost")
    retried = await post_request(client, headers=headers, **form)
    again = await post_request(client, headers=headers, **form)
    assert retried.status == again.status == 200
    assert await retried.json() == await again.json()
    assert await _count_requests(client) == before + 1


async def test_request_by_id_in_json_and_xml_carries_the_same_data(client):
    request_id = await _file_pothole(client)
    as_json = await (await client.get(f"/open311/v2/requests/{request_id}.json")).json()
    response = await client.get(f"/open311/v2/requests/{request_id}.xml")
    assert response.content_type == "text/xml"
    assert xml_items(await response.text()) == as_xml_text(as_json)


async def test_unknown_request_id_is_404(client):
    for fmt in ("json", "xml"):
        response = await client.get(f"/open311/v2/requests/999999.{fmt}")
        assert response.status == 404


async def test_request_list_filters_by_status_and_service_code(client):
    await _file_pothole(client)
    closed = await (await client.get("/open311/v2/requests.json?status=closed")).json()
    assert closed and {r["status"] for r in closed} == {"closed"}
    both = await (await client.get("/open311/v2/requests.json?status=open,closed")).json()
    assert len(both) > len(closed)
    potholes = await (await client.get("/open311/v2/requests.json?service_code=pothole")).json()
    assert potholes and {r["service_code"] for r in potholes} == {"pothole"}


async def test_request_list_filters_by_ids_ignoring_other_filters(client):
    first, second = await _file_pothole(client), await _file_pothole(client)
    found = await (await client.get(
        f"/open311/v2/requests.json?service_request_id={first},{second}&status=closed")).json()
    assert {r["service_request_id"] for r in found} == {first, second}


async def test_request_list_filters_by_dates(client):
    everything = await (await client.get("/open311/v2/requests.json")).json()
    times = sorted(datetime.fromisoformat(r["requested_datetime"]) for r in everything)
    middle = times[len(times) // 2]
    start = quote(middle.isoformat())
    later = await (await client.get(f"/open311/v2/requests.json?start_date={start}")).json()
    earlier = await (await client.get(f"/open311/v2/requests.json?end_date={start}")).json()
    assert all(datetime.fromisoformat(r["requested_datetime"]) >= middle for r in later)
    assert all(datetime.fromisoformat(r["requested_datetime"]) <= middle for r in earlier)
    assert len(later) + len(earlier) == len(everything) + 1
    newest_first = [r["requested_datetime"] for r in everything]
    assert newest_first == sorted(newest_first, reverse=True)


async def test_request_list_updated_after_returns_only_later_changes(client):
    request_id = await _file_pothole(client)
    filed = (await (await client.get(f"/open311/v2/requests/{request_id}.json")).json())[0]
    updated = datetime.fromisoformat(filed["updated_datetime"])
    before = quote((updated - timedelta(seconds=1)).isoformat())
    after = quote(updated.isoformat())
    recent = await (await client.get(f"/open311/v2/requests.json?updated_after={before}")).json()
    assert request_id in {r["service_request_id"] for r in recent}
    none = await (await client.get(f"/open311/v2/requests.json?updated_after={after}")).json()
    assert request_id not in {r["service_request_id"] for r in none}


async def test_dates_at_the_ends_of_the_calendar_filter_the_list_rather_than_fail(client):
    for query, found in (("end_date=0001-01-01T00:00:00Z", False), ("end_date=0001-01-01", False),
                         ("start_date=0001-01-01", True),
                         ("start_date=9999-12-31T23:59:59-05:00", False),
                         ("updated_after=9999-12-31T23:59:59-12:00", False),
                         ("start_date=0001-01-01&end_date=9999-12-31T23:59:59-05:00", True)):
        response = await client.get(f"/open311/v2/requests.json?{quote(query, safe='=&')}")
        assert response.status == 200, query
        assert bool(await response.json()) is found, query


async def test_bad_dates_and_statuses_in_the_list_are_400(client):
    for query in ("start_date=yesterday", "updated_after=2026-13-45", "status=pending"):
        response = await client.get(f"/open311/v2/requests.json?{query}")
        assert response.status == 400, query


async def test_batch_service_answers_with_a_token_that_resolves_to_the_request(client):
    response = await post_request(client, service_code="graffiti", address_string="Arbat 3")
    answer = (await response.json())[0]
    token = answer["token"]
    assert "service_request_id" not in answer
    resolved = await (await client.get(f"/open311/v2/tokens/{token}.json")).json()
    assert resolved[0]["token"] == token
    request_id = resolved[0]["service_request_id"]
    filed = await client.get(f"/open311/v2/requests/{request_id}.json")
    assert (await filed.json())[0]["service_code"] == "graffiti"
    xml = await client.get(f"/open311/v2/tokens/{token}.xml")
    assert xml_items(await xml.text()) == as_xml_text(resolved)


async def test_unknown_token_is_404(client):
    response = await client.get("/open311/v2/tokens/nope.json")
    assert response.status == 404


async def test_body_that_is_not_form_data_is_400_not_500(client):
    response = await client.post("/open311/v2/requests.json", data=b"\xff\xfe=\xff",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 400
    broken = await client.post("/open311/v2/requests.json", data=b"--x\r\nnot multipart",
                               headers={"Content-Type": "multipart/form-data; boundary=zz"})
    assert broken.status == 400
    assert "form data" in (await broken.json())[0]["description"]


async def test_a_form_over_a_mebibyte_is_a_documented_413_in_the_open311_shape(client):
    response = await post_request(client, service_code="pothole", address_string="Arbat 3",
                                  description="x" * (1024 * 1024))
    assert response.status == 413
    assert (await response.json())[0]["code"] == 413
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert "413" in document["paths"]["/open311/v2/requests.{format}"]["post"]["responses"]
