"""The background clock moves filed requests along and finally closes them."""

from __future__ import annotations

import pytest

from bot.sandbox import clock

from .helpers import post_request


async def _file(client) -> str:
    response = await post_request(client, service_code="snow", address_string="Arbat 9")
    return (await response.json())[0]["service_request_id"]


async def _get(client, request_id: str) -> dict:
    return (await (await client.get(f"/open311/v2/requests/{request_id}.json")).json())[0]


@pytest.mark.parametrize("request_id, closes_on", [("100100", 2), ("100101", 3)])
def test_a_request_closes_on_its_second_or_third_tick(request_id, closes_on):
    states = [clock.next_state(request_id, tick) for tick in range(1, 5)]
    assert states[0] == ("open", clock.CREW_ASSIGNED)
    assert states[closes_on - 1] == ("closed", clock.REPAIRED)
    assert all(state is None for state in states[closes_on:])


async def test_ticks_assign_a_crew_then_close_the_request(client):
    request_id = await _file(client)
    filed = await _get(client, request_id)
    assert filed["status_notes"] == "Received"
    assert request_id in await clock.tick(client.app)
    assigned = await _get(client, request_id)
    assert (assigned["status"], assigned["status_notes"]) == ("open", clock.CREW_ASSIGNED)
    for _ in range(2):
        assert (await client.post("/sandbox/clock/tick")).status == 200
    final = await _get(client, request_id)
    assert (final["status"], final["status_notes"]) == ("closed", clock.REPAIRED)
    assert final["updated_datetime"] > filed["updated_datetime"]


async def test_each_change_moves_updated_datetime_forward(client):
    request_id = await _file(client)
    seen = [(await _get(client, request_id))["updated_datetime"]]
    for _ in range(3):
        response = await client.post("/sandbox/clock/tick")
        if request_id in (await response.json())["changed"]:
            seen.append((await _get(client, request_id))["updated_datetime"])
    assert len(seen) >= 3
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert (await _get(client, request_id))["status"] == "closed"


async def test_seeded_history_is_left_alone(client):
    before = await _get(client, "100001")
    for _ in range(3):
        await clock.tick(client.app)
    assert await _get(client, "100001") == before
