"""CityHTTP: which answers count as success, which errors callers see, what is retried."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from bot.city.errors import CityNotFound, CityProtocolError, CityRejected, CityUnavailable
from bot.city.http import CityHTTP



@pytest.fixture
def http(city_session: aiohttp.ClientSession) -> CityHTTP:
    return CityHTTP(city_session, timeout=3.0, connect_timeout=1.0, retry_backoff=0.01)


async def test_get_is_tried_again_once_when_the_city_fails(http, scripted_city):
    with pytest.raises(CityUnavailable):
        await http.request("GET", scripted_city.url("/things"))
    assert scripted_city.hits["GET"] == 2


async def test_post_without_a_key_is_sent_once_even_when_the_city_fails(
    http, scripted_city
):
    with pytest.raises(CityUnavailable):
        await http.request("POST", scripted_city.url("/things"), json_body={"a": 1})
    assert scripted_city.hits["POST"] == 1


async def test_post_declared_idempotent_is_tried_again_once(http, scripted_city):
    with pytest.raises(CityUnavailable):
        await http.request("POST", scripted_city.url("/things"), json_body={}, idempotent=True)
    assert scripted_city.hits["POST"] == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_5xx_with_a_json_body_is_never_treated_as_success(
    http, scripted_city, status
):
    # The classic `status >= 200 < 300` check would return this body as an answer.
    scripted_city.answer(status, b'[{"service_request_id": "1"}]')
    with pytest.raises(CityUnavailable):
        await http.request("GET", scripted_city.url("/requests.json"))


async def test_a_2xx_whose_body_is_not_json_is_a_protocol_error(http, scripted_city):
    scripted_city.answer(200, b"<html>Maintenance</html>", "text/html")
    with pytest.raises(CityProtocolError) as caught:
        await http.request("GET", scripted_city.url("/services.json"))
    assert isinstance(caught.value, CityUnavailable)


async def test_a_2xx_json_body_is_returned_decoded(http, scripted_city):
    scripted_city.answer(201, b'{"ok": true, "items": [1, 2]}')
    assert await http.request("POST", scripted_city.url("/x")) == {"ok": True, "items": [1, 2]}
    assert scripted_city.hits["POST"] == 1


async def test_an_empty_204_answer_is_none(http, scripted_city):
    scripted_city.answer(204, b"")
    assert await http.request("DELETE", scripted_city.url("/x")) is None


async def test_404_is_not_found_with_the_citys_message_and_is_not_retried(http, scripted_city):
    scripted_city.answer(404, b'{"error": {"code": "gone", "message": "No such thing."}}')
    with pytest.raises(CityNotFound, match="No such thing"):
        await http.request("GET", scripted_city.url("/things/7"))
    assert scripted_city.hits["GET"] == 1


async def test_other_4xx_is_rejected_with_status_code_message_and_details(http, scripted_city):
    scripted_city.answer(
        422,
        b'{"error": {"code": "window_closed", "message": "Not now.", "details": {"day": 15}}}',
    )
    with pytest.raises(CityRejected) as caught:
        await http.request("GET", scripted_city.url("/meters"))
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        422, "window_closed", "Not now.")
    assert caught.value.details == {"day": 15}
    assert scripted_city.hits["GET"] == 1


async def test_a_4xx_without_a_readable_body_is_still_rejected_with_its_status(http, scripted_city):
    scripted_city.answer(400, b"Bad Request", "text/plain")
    with pytest.raises(CityRejected) as caught:
        await http.request("GET", scripted_city.url("/x"))
    assert caught.value.status == 400 and caught.value.code == "400"


async def test_connection_refused_is_unavailable(http):
    with pytest.raises(CityUnavailable):
        await http.request("GET", f"http://127.0.0.1:{unused_port()}/services.json")
