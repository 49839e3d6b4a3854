"""Water meters on the city API: reading history and submitting readings."""

from __future__ import annotations

from itertools import pairwise

from bot.sandbox.dates import moscow_now
from bot.sandbox.meters_api import MISSES_PER_HOUR
from bot.sandbox.seed import flat_of
from bot.sandbox.state import ENGINE

ACCOUNT = "7700000001"


async def _submit(client, body, account: str = ACCOUNT, headers: dict | None = None):
    """A submission for the account's own flat (unless the body says another)."""
    if isinstance(body, dict):
        body = {"flat": flat_of(account), **body}
    return await client.post(f"/api/v1/meters/{account}/readings", json=body, headers=headers)


async def _get(client, account: str = ACCOUNT, flat: str | None = None):
    return await client.get(f"/api/v1/meters/{account}",
                            params={"flat": flat_of(account) if flat is None else flat})


async def test_account_shows_meters_last_readings_history_and_window(client):
    response = await _get(client)
    assert response.status == 200
    data = await response.json()
    assert data["account"] == ACCOUNT and data["address"]
    last = {m["kind"]: m["last_reading"]["value"] for m in data["meters"]}
    assert last == {"hot": 100.0, "cold": 200.0}
    assert all(m["serial"] for m in data["meters"])
    assert len(data["history"]) == 12
    assert data["history"][-1] == {"month": data["history"][-1]["month"], "hot": 100.0,
                                   "cold": 200.0}
    colds = [month["cold"] for month in data["history"]]
    assert colds == sorted(colds)
    assert data["max_monthly_m3"] == 50
    assert data["window"]["opens_day"] == 1 and data["window"]["closes_day"] == 31
    assert data["window"]["open_now"] is True


async def test_other_seeded_accounts_have_plausible_monthly_consumption(client):
    data = await (await _get(client, "7700000042")).json()
    history = data["history"]
    for kind, low, high in (("cold", 2, 8), ("hot", 1, 5)):
        steps = [b[kind] - a[kind] for a, b in pairwise(history)]
        assert all(low - 0.05 <= step <= high + 0.05 for step in steps), (kind, steps)


async def test_unknown_account_is_404_and_malformed_account_is_400(client):
    missing = await _get(client, "7799999999", flat="12")
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "account_not_found"
    for bad in ("12345", "77000000ab", "770000000100"):
        response = await _get(client, bad, flat="12")
        assert response.status == 400, bad
        assert (await response.json())["error"]["code"] == "bad_account"


async def test_readings_are_accepted_with_consumption_since_last_month(client):
    response = await _submit(client, {"hot": 103.5, "cold": 206})
    assert response.status == 201
    data = await response.json()
    assert data["account"] == ACCOUNT and data["submitted_at"]
    readings = {r["kind"]: r for r in data["readings"]}
    assert readings["hot"] == {"kind": "hot", "value": 103.5, "previous": 100.0,
                               "consumption": 3.5}
    assert readings["cold"]["consumption"] == 6.0
    after = await (await _get(client)).json()
    assert after["history"][-1]["month"] == moscow_now().strftime("%Y-%m")
    # The baseline stays last month's reading; this month's submission is shown apart.
    assert {m["kind"]: m["last_reading"]["value"] for m in after["meters"]} == {
        "hot": 100.0, "cold": 200.0}
    assert {m["kind"]: m["this_month"]["value"] for m in after["meters"]} == {
        "hot": 103.5, "cold": 206.0}


async def test_a_second_submission_this_month_replaces_the_first(client):
    assert (await _submit(client, {"cold": 203})).status == 201
    response = await _submit(client, {"cold": 202.5})
    assert response.status == 201
    assert (await response.json())["readings"][0]["previous"] == 200.0
    after = await (await _get(client)).json()
    assert after["history"][-1]["cold"] == 202.5


async def test_reading_lower_than_last_month_is_refused(client):
    response = await _submit(client, {"hot": 99.0})
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "reading_lower_than_previous"
    assert error["details"]["previous"] == 100.0 and error["details"]["kind"] == "hot"


async def test_reading_implausibly_high_is_refused_and_nothing_is_stored(client):
    before = await (await _get(client, "7700000002")).json()
    last_hot = next(m for m in before["meters"] if m["kind"] == "hot")["last_reading"]["value"]
    last_cold = next(m for m in before["meters"] if m["kind"] == "cold")["last_reading"]["value"]
    response = await _submit(client, {"hot": last_hot + 1, "cold": last_cold + 51},
                             account="7700000002")
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "reading_implausibly_high"
    after = await (await _get(client, "7700000002")).json()
    assert after["history"] == before["history"]


async def test_readings_outside_the_window_are_refused_with_the_next_opening(make_client):
    today = moscow_now().day
    day = 1 if today != 1 else 2
    client = await make_client(meter_window=(day, day))
    meters = await (await _get(client)).json()
    assert meters["window"]["open_now"] is False
    response = await _submit(client, {"hot": 101})
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "window_closed"
    assert error["details"]["next_opens"] == meters["window"]["next_opens"]
    assert error["details"]["opens_day"] == day


async def test_malformed_readings_are_400(client):
    for body in ({}, {"hot": "a lot"}, {"hot": -1}, {"warm": 5}, {"hot": True}, [1, 2], "x"):
        response = await _submit(client, body)
        assert response.status == 400, body
        assert (await response.json())["error"]["code"] == "bad_reading"
    raw = await client.post(f"/api/v1/meters/{ACCOUNT}/readings", data=b"{not json")
    assert raw.status == 400


async def test_idempotency_key_returns_the_first_answer(client):
    headers = {"Idempotency-Key": "reading-7700000003-1"}
    meters = await (await _get(client, "7700000003")).json()
    hot = next(m for m in meters["meters"] if m["kind"] == "hot")["last_reading"]["value"]
    first = await _submit(client, {"hot": hot + 2}, account="7700000003", headers=headers)
    again = await _submit(client, {"hot": hot + 4}, account="7700000003", headers=headers)
    assert first.status == again.status == 201
    assert await first.json() == await again.json()
    after = await (await _get(client, "7700000003")).json()
    assert after["history"][-1]["hot"] == round(hot + 2, 3)


async def test_readings_whose_key_could_not_be_kept_are_not_kept_either(client):
    """Readings and the answer for their Idempotency-Key are one transaction."""
    engine = client.app[ENGINE]
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "CREATE TRIGGER keys_lost BEFORE INSERT ON idempotent_answers "
            "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
    headers = {"Idempotency-Key": "reading-7700000005-1"}
    meters = await (await _get(client, "7700000005")).json()
    hot = next(m for m in meters["meters"] if m["kind"] == "hot")["last_reading"]["value"]
    try:
        failed = await _submit(client, {"hot": hot + 3}, account="7700000005", headers=headers)
        assert failed.status == 500
        assert (await (await _get(client, "7700000005")).json())["history"] == meters["history"]
    finally:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("DROP TRIGGER keys_lost")
    retried = await _submit(client, {"hot": hot + 3}, account="7700000005", headers=headers)
    assert retried.status == 201
    after = await (await _get(client, "7700000005")).json()
    assert after["history"][-1]["hot"] == round(hot + 3, 3)


async def test_an_account_is_shown_only_with_its_flat(client):
    """Issue 13: any of a million guessable numbers showed last month's readings."""
    right = flat_of("7700000004")
    wrong = str(int(right) % 240 + 1)
    no_flat = await client.get("/api/v1/meters/7700000004")
    assert no_flat.status == 400 and (await no_flat.json())["error"]["code"] == "bad_flat"
    mismatch = await _get(client, "7700000004", flat=wrong)
    unknown = await _get(client, "7799999999", flat=wrong)
    assert mismatch.status == unknown.status == 404
    # A wrong flat and an unknown account read alike: nothing tells which numbers exist.
    assert (await mismatch.json())["error"]["code"] == (await unknown.json())["error"]["code"]
    assert (await _get(client, "7700000004", flat=right.upper())).status == 200


async def test_readings_for_a_wrong_flat_are_refused_and_nothing_is_stored(client):
    before = await (await _get(client, "7700000006")).json()
    wrong = str(int(flat_of("7700000006")) % 240 + 1)
    hot = before["meters"][0]["last_reading"]["value"]
    refused = await _submit(client, {"flat": wrong, "hot": hot + 1}, account="7700000006")
    assert refused.status == 404
    missing = await client.post("/api/v1/meters/7700000006/readings", json={"hot": hot + 1})
    assert missing.status == 400 and (await missing.json())["error"]["code"] == "bad_flat"
    assert (await (await _get(client, "7700000006")).json())["history"] == before["history"]


async def test_guessing_flats_locks_the_account_for_the_hour(client):
    account, right = "7700000007", flat_of("7700000007")
    wrong = [str(n) for n in range(1, 300) if str(n) != right][:MISSES_PER_HOUR]
    for flat in wrong:
        assert (await _get(client, account, flat=flat)).status == 404
    locked = await _get(client, account)  # even the right flat, now
    assert locked.status == 429
    assert (await locked.json())["error"]["code"] == "too_many_attempts"
    assert (await _get(client, "7700000009")).status == 200  # other accounts unaffected
