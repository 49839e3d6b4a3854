"""The test hooks: a failing or hanging city on demand, and the clock on demand."""

from __future__ import annotations

import asyncio
import time

from bot.sandbox.seed import flat_of


async def test_error_mode_fails_matching_paths_with_a_json_500(client):
    response = await client.post("/sandbox/faults", json={"mode": "error",
                                                          "paths": "/open311/v2/requests"})
    assert response.status == 200
    failing = await client.get("/open311/v2/requests.json")
    assert failing.status == 500
    assert (await failing.json())[0]["code"] == 500
    assert (await client.get("/open311/v2/services.json")).status == 200


async def test_error_mode_on_the_city_api_uses_its_error_shape(client):
    await client.post("/sandbox/faults", json={"mode": "error", "paths": ["/api/v1/meters"]})
    response = await client.get("/api/v1/meters/7700000001", params={"flat": flat_of("7700000001")})
    assert response.status == 500
    assert (await response.json())["error"]["code"] == "internal_error"


async def test_hang_mode_delays_the_answer(client):
    await client.post("/sandbox/faults", json={"mode": "hang", "paths": "/api/v1/districts",
                                               "seconds": 0.4})
    started = time.monotonic()
    response = await client.get("/api/v1/districts")
    assert response.status == 200
    assert time.monotonic() - started >= 0.4


async def test_a_hung_request_goes_on_when_the_fault_is_cleared_and_is_counted_meanwhile(client):
    await client.post("/sandbox/faults", json={"mode": "hang", "paths": "/api/v1/districts",
                                               "seconds": 600})
    hung = asyncio.ensure_future(client.get("/api/v1/districts"))
    while (await (await client.get("/sandbox/faults")).json())["hanging"] != 1:
        await asyncio.sleep(0)
    assert not hung.done()
    await client.post("/sandbox/faults", json={"mode": "ok"})
    assert (await hung).status == 200
    assert (await (await client.get("/sandbox/faults")).json())["hanging"] == 0


async def test_ok_mode_clears_the_fault(client):
    await client.post("/sandbox/faults", json={"mode": "error", "paths": "/"})
    assert (await client.get("/api/v1/districts")).status == 500
    cleared = await client.post("/sandbox/faults", json={"mode": "ok"})
    assert cleared.status == 200
    assert (await client.get("/api/v1/districts")).status == 200


async def test_bad_fault_requests_are_400(client):
    for body in ({"mode": "explode"}, {"mode": "hang", "seconds": -1},
                 {"mode": "error", "paths": "no-slash"}, [1]):
        response = await client.post("/sandbox/faults", json=body)
        assert response.status == 400, body


async def test_hooks_are_404_unless_faults_are_enabled(make_client):
    client = await make_client(faults=False)
    assert (await client.post("/sandbox/faults", json={"mode": "ok"})).status == 404
    assert (await client.post("/sandbox/clock/tick")).status == 404


async def test_meter_window_hook_closes_and_reopens_the_window(client):
    from bot.sandbox.dates import moscow_now

    today = moscow_now().day  # the sandbox's day, not UTC's (they differ 21:00-24:00 UTC)
    closed = (today + 2, 31) if today <= 25 else (1, max(1, today - 3))
    resp = await client.post("/sandbox/meter-window", json={"opens": closed[0], "closes": closed[1]})
    assert resp.status == 200
    window = (await (await client.get("/api/v1/meters/7700000001", params={"flat": flat_of("7700000001")})).json())["window"]
    assert window["open_now"] is False
    bad = await client.post("/sandbox/meter-window", json={"opens": 20, "closes": 3})
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_window"
    await client.post("/sandbox/meter-window", json={"opens": 1, "closes": 31})
    window = (await (await client.get("/api/v1/meters/7700000001", params={"flat": flat_of("7700000001")})).json())["window"]
    assert window["open_now"] is True


async def test_a_meter_window_that_is_not_a_json_object_is_a_400(client):
    for body in ([None, None], [1, 31], "1-31", 15, True):
        response = await client.post("/sandbox/meter-window", json=body)
        assert response.status == 400, body
        assert (await response.json())["error"]["code"] == "bad_window"
