"""The city's events feed: the cursor, each kind told of once by what makes it happen, restarts.

Every test gets a city of its own (a fresh database), so it can count the events it made; the
meter window is closed today and tomorrow unless a test opens it, so that the only events are
the ones a test asks for.
"""

from __future__ import annotations

import asyncio
import calendar
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox.database import seed_if_empty
from bot.sandbox.dates import moscow_now
from bot.sandbox.events import (
    FINE_ISSUED,
    announce_meter_window,
    append,
    meter_window_opened,
)
from bot.sandbox.fines_seed import FINED
from bot.sandbox.state import GAZETTEER, open_session

W3C_MOSCOW = "+03:00"


@pytest.fixture
def sandbox_dir(tmp_path: Path) -> Path:
    """A database of the test's own (the conftest shares one per module)."""
    return tmp_path


def closed_window() -> tuple[int, int]:
    """A one-day window that is neither today nor tomorrow (a test may cross midnight)."""
    day = 20 if moscow_now().day < 15 else 10
    return day, day


@pytest.fixture
async def client(make_client):
    return await make_client(meter_window=closed_window())


async def _feed(client, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/events", params={k: str(v) for k, v in params.items()})
    assert response.status == 200, await response.text()
    return await response.json()


async def _fine(client, certificate: str = FINED, **body: Any) -> dict[str, Any]:
    response = await client.post("/sandbox/fines", json={"vehicle_certificate": certificate,
                                                          **body})
    assert response.status == 201, await response.text()
    return await response.json()


async def _outage(client, **body: Any) -> dict[str, Any]:
    response = await client.post("/sandbox/outages", json=body)
    assert response.status == 201, await response.text()
    return await response.json()


async def _address_id(client, words: str) -> int:
    response = await client.get("/api/v1/addresses", params={"q": words, "limit": "1"})
    return (await response.json())["items"][0]["id"]


async def _outages_at(client, address_id: int) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/outages", params={"address_id": str(address_id)})
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


def _moscow(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


async def test_a_fresh_city_starts_with_an_empty_feed(client):
    assert await _feed(client) == {"items": [], "next": 0}
    assert await _feed(client, since=7) == {"items": [], "next": 7}


async def test_a_fine_from_the_hook_is_told_of_once_with_what_a_notice_needs(client):
    fine = await _fine(client, FINED.lower().replace("ув", "uv"), article="12.12.1")
    events = (await _feed(client))["items"]
    assert [event["kind"] for event in events] == ["fine_issued"]
    event = events[0]
    assert event["id"] >= 1 and event["occurred_at"].endswith(W3C_MOSCOW)
    assert abs(datetime.fromisoformat(event["occurred_at"]) - moscow_now()) < timedelta(
        minutes=5)
    data = event["data"]
    assert data["vehicle_certificate"] == FINED == fine["vehicle_certificate"]
    assert {key: data[key] for key in ("article", "offence", "amount", "ruled_on")} == {
        "article": "12.12.1", "offence": fine["offence"], "amount": fine["amount"],
        "ruled_on": fine["ruled_on"]}
    assert data["fine_id"] == fine["id"]
    assert data["offence_ru"] and data["offence_ru"] != data["offence"]


async def test_a_fine_the_hook_refuses_is_not_told_of(client):
    response = await client.post("/sandbox/fines", json={"vehicle_certificate": "77ХХ000000"})
    assert response.status == 404
    assert (await _feed(client))["items"] == []


async def test_an_outage_from_the_hook_is_listed_and_told_of_once(client):
    house = await _address_id(client, "tverskaya 12")
    other_street = await _address_id(client, "tverskoy boulevard 3")
    starts = moscow_now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    ends = starts + timedelta(hours=6)
    before_elsewhere = await _outages_at(client, other_street)
    answer = await _outage(client, address_id=house, kind="electricity",
                           starts_at=_moscow(starts), ends_at=_moscow(ends),
                           reason="Cable replacement", reason_ru="Замена кабеля")
    events = (await _feed(client))["items"]
    assert events == [answer]
    data = answer["data"]
    assert answer["kind"] == "outage_planned"
    assert data["kind"] == "electricity" and data["streets"] == ["Tverskaya Street"]
    assert data["streets_ru"] == ["Тверская улица"] and data["district"] == "Tverskoy"
    assert (data["reason"], data["reason_ru"]) == ("Cable replacement", "Замена кабеля")
    assert datetime.fromisoformat(data["starts_at"]) == starts
    assert datetime.fromisoformat(data["ends_at"]) == ends
    assert house in data["address_ids"] and other_street not in data["address_ids"]
    listed = [item for item in await _outages_at(client, house)
              if item["id"] == data["outage_id"]]
    assert len(listed) == 1
    assert (listed[0]["kind"], listed[0]["starts_at"], listed[0]["ends_at"]) == (
        "electricity", data["starts_at"], data["ends_at"])
    assert listed[0]["status"] == "planned"
    assert await _outages_at(client, other_street) == before_elsewhere


async def test_every_house_an_outage_event_names_is_one_outages_lists_it_for(client):
    answer = await _outage(client, district="Tverskoy", street="Тверская улица",
                           kind="hot_water")
    data = answer["data"]
    assert data["streets"] == ["Tverskaya Street"]
    gazetteer = client.app[GAZETTEER]
    on_street = sorted(place.id for place in gazetteer.places.values()
                       if place.street == "Tverskaya Street")
    assert data["address_ids"] == on_street
    for address_id in (on_street[0], on_street[-1]):
        assert data["outage_id"] in {item["id"] for item in await _outages_at(client,
                                                                                address_id)}


async def test_an_outage_for_a_district_reaches_all_its_houses_in_the_citys_words(client):
    answer = await _outage(client, district="Басманный", kind="heating")
    data = answer["data"]
    gazetteer = client.app[GAZETTEER]
    assert data["streets"] == [] and data["district"] == "Basmanny"
    assert data["district_ru"] == "Басманный"
    assert data["address_ids"] == sorted(place.id for place in gazetteer.places.values()
                                         if place.district_id == data["district_id"])
    assert (data["reason"], data["reason_ru"]) == ("Repair of the heating main",
                                                   "Ремонт тепломагистрали")
    starts = datetime.fromisoformat(data["starts_at"])
    assert timedelta(hours=23) <= starts - moscow_now() <= timedelta(hours=24)
    assert datetime.fromisoformat(data["ends_at"]) - starts == timedelta(hours=8)


async def test_the_outage_hook_refuses_what_it_cannot_place_or_date(client):
    now = moscow_now()
    ahead = _moscow(now + timedelta(days=1))
    refused = [
        ([{"kind": "heating"}], "bad_outage"),
        ({"district": "Tverskoy"}, "bad_outage"),
        ({"district": "Tverskoy", "kind": "gas"}, "bad_outage"),
        ({"kind": "heating"}, "bad_outage"),
        ({"kind": "heating", "address_id": 99999999}, "bad_address"),
        ({"kind": "heating", "address_id": True}, "bad_address"),
        ({"kind": "heating", "address_id": "12"}, "bad_address"),
        ({"kind": "heating", "district": "Atlantis"}, "bad_district"),
        ({"kind": "heating", "district": "Tverskoy", "street": "Nevsky Prospekt"}, "bad_street"),
        ({"kind": "heating", "district": "Arbat", "street": "Tverskaya Street"}, "bad_street"),
        ({"kind": "heating", "district": "Tverskoy", "starts_at": "tomorrow"}, "bad_outage"),
        ({"kind": "heating", "district": "Tverskoy", "starts_at": 1}, "bad_outage"),
        ({"kind": "heating", "district": "Tverskoy", "starts_at": ahead,
          "ends_at": ahead}, "bad_outage"),
        ({"kind": "heating", "district": "Tverskoy", "starts_at": _moscow(now - timedelta(
            days=2)), "ends_at": _moscow(now - timedelta(days=1))}, "bad_outage"),
        ({"kind": "heating", "district": "Tverskoy", "starts": ahead,
          "ends": _moscow(now + timedelta(days=40))}, "bad_outage"),
        ({"kind": "heating", "district": "Tverskoy",
          "starts_at": _moscow(now + timedelta(days=400))}, "bad_outage"),
        ({"kind": "heating", "district": "Tverskoy", "starts_at": "0001-01-01T00:00:00+14:00",
          "ends_at": "9999-12-31T23:59:59-14:00"}, "bad_outage"),
        ({"kind": "heating", "district": "Tverskoy", "reason": ""}, "bad_outage"),
        ({"kind": "heating", "district": "Tverskoy", "reason": "x" * 501}, "bad_outage"),
    ]
    before = await client.get("/api/v1/outages")
    for body, code in refused:
        response = await client.post("/sandbox/outages", json=body)
        assert response.status == 400, body
        assert (await response.json())["error"]["code"] == code, body
    assert await (await client.get("/api/v1/outages")).json() == await before.json()
    assert (await _feed(client))["items"] == []


async def test_the_cursor_pages_through_the_events_oldest_first(client):
    made = [(await _fine(client))["id"] for _ in range(4)]
    await _outage(client, district="Arbat", kind="cold_water")
    everything = (await _feed(client))["items"]
    ids = [event["id"] for event in everything]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert [event["data"].get("fine_id") for event in everything[:4]] == made
    pages, since = [], 0
    while True:
        page = await _feed(client, since=since, limit=2)
        if not page["items"]:
            assert page["next"] == since
            break
        assert len(page["items"]) <= 2 and page["next"] == page["items"][-1]["id"]
        pages.append(page["items"])
        since = page["next"]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [event for page in pages for event in page] == everything


async def test_kind_keeps_only_the_kinds_asked_for(client):
    await _fine(client)
    outage = await _outage(client, district="Arbat", kind="heating")
    await _fine(client)
    only = await _feed(client, kind="outage_planned")
    assert only == {"items": [outage], "next": outage["id"]}
    both = (await _feed(client, kind="outage_planned,fine_issued"))["items"]
    assert len(both) == 3
    repeated = await client.get("/api/v1/events?kind=fine_issued&kind=outage_planned")
    assert (await repeated.json())["items"] == both
    assert (await _feed(client, kind="meter_window_opened")) == {"items": [], "next": 0}


async def test_limit_is_100_unless_asked_and_at_most_500(client):
    async with open_session(client.app) as session, session.begin():
        for n in range(501):
            append(session, FINE_ISSUED, {"fine_id": f"{n:020d}"})
    assert len((await _feed(client))["items"]) == 100
    page = await _feed(client, limit=500)
    assert len(page["items"]) == 500 and page["next"] == page["items"][-1]["id"]
    assert len((await _feed(client, since=page["next"], limit=500))["items"]) == 1


@pytest.mark.parametrize("params, code", [
    ({"since": "-1"}, "bad_since"),
    ({"since": "abc"}, "bad_since"),
    ({"since": "1.5"}, "bad_since"),
    ({"since": "³"}, "bad_since"),
    ({"since": "9" * 30}, "bad_since"),
    ({"limit": "0"}, "bad_limit"),
    ({"limit": "501"}, "bad_limit"),
    ({"limit": "ten"}, "bad_limit"),
    ({"kind": "parking"}, "bad_kind"),
    ({"kind": "fine_issued,request_updated"}, "bad_kind"),
])
async def test_bad_parameters_are_a_400_with_a_code(client, params, code):
    response = await client.get("/api/v1/events", params=params)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == code and error["message"]


async def test_opening_the_meter_window_is_told_of_once_a_month(client):
    assert (await _feed(client))["items"] == []
    opened = await client.post("/sandbox/meter-window", json={"opens": 1, "closes": 31})
    answer = await opened.json()
    assert answer["open_now"] is True and answer["event"]["kind"] == "meter_window_opened"
    opens, closes = closed_window()
    closed = await (await client.post("/sandbox/meter-window",
                                      json={"opens": opens, "closes": closes})).json()
    assert closed["open_now"] is False and closed["event"] is None
    again = await (await client.post("/sandbox/meter-window",
                                     json={"opens": 1, "closes": 31})).json()
    assert again["event"] == answer["event"]
    events = (await _feed(client))["items"]
    assert events == [answer["event"]]
    today = moscow_now().date()
    last = calendar.monthrange(today.year, today.month)[1]
    assert events[0]["data"] == {"month": today.strftime("%Y-%m"), "opens_day": 1,
                                 "closes_day": 31, "opens_on": today.replace(day=1).isoformat(),
                                 "closes_on": today.replace(day=last).isoformat()}


async def test_reading_the_feed_inside_the_window_tells_of_it_once(make_client):
    client = await make_client(meter_window=(1, 31))
    first = await _feed(client)
    second = await _feed(client)
    assert [event["kind"] for event in first["items"]] == ["meter_window_opened"]
    assert second == first


async def test_readers_arriving_together_tell_of_the_window_once(make_client):
    client = await make_client(meter_window=(1, 31))
    pages = await asyncio.gather(*(_feed(client) for _ in range(5)))
    assert len({event["id"] for page in pages for event in page["items"]}) == 1


async def test_each_month_gets_one_meter_window_event_of_its_own(make_client):
    client = await make_client(meter_window=(15, 25))
    assert await announce_meter_window(client.app, date(2020, 1, 14)) is None
    january = await announce_meter_window(client.app, date(2020, 1, 15))
    assert (await announce_meter_window(client.app, date(2020, 1, 25))).id == january.id
    assert await announce_meter_window(client.app, date(2020, 1, 26)) is None
    february = await announce_meter_window(client.app, date(2020, 2, 20))
    assert february.id > january.id
    told = [event["data"]["month"] for event in
            (await _feed(client, kind="meter_window_opened"))["items"]
            if event["data"]["month"].startswith("2020")]
    assert told == ["2020-01", "2020-02"]


def test_a_window_to_the_31st_closes_with_a_shorter_month():
    assert meter_window_opened(date(2026, 2, 20), 15, 31) == {
        "month": "2026-02", "opens_day": 15, "closes_day": 31,
        "opens_on": "2026-02-15", "closes_on": "2026-02-28"}


async def test_a_restarted_city_keeps_its_events_and_tells_nothing_again(make_client):
    first = await make_client(meter_window=(1, 31))
    await _feed(first)  # inside the window: the month's window is told of now
    await _fine(first)
    await _outage(first, district="Arbat", kind="heating")
    before = await _feed(first)
    assert [event["kind"] for event in before["items"]] == [
        "meter_window_opened", "fine_issued", "outage_planned"]
    await first.close()
    restarted = await make_client(meter_window=(1, 31))
    assert await _feed(restarted) == before
    later = await _fine(restarted)
    after = (await _feed(restarted, since=before["next"]))["items"]
    assert [event["data"]["fine_id"] for event in after] == [later["id"]]
    assert after[0]["id"] > before["next"]


async def test_an_id_is_never_handed_out_again_even_after_the_newest_is_gone(client):
    gone = (await _outage(client, district="Arbat", kind="heating"))["id"]
    async with open_session(client.app) as session, session.begin():
        await session.execute(text("DELETE FROM city_events WHERE id = :id"), {"id": gone})
    assert (await _outage(client, district="Arbat", kind="heating"))["id"] > gone


async def test_a_city_seeded_before_the_feed_gets_an_empty_one(make_client, sandbox_dir):
    engine = create_async_engine(f"sqlite+aiosqlite:///{sandbox_dir / 'sandbox.db'}",
                                 future=True)
    await seed_if_empty(engine)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE city_events"))
    await engine.dispose()
    client = await make_client(meter_window=closed_window())
    assert await _feed(client) == {"items": [], "next": 0}
    fine = await _fine(client)
    assert [event["data"]["fine_id"] for event in (await _feed(client))["items"]] == [
        fine["id"]]


async def test_the_outage_hook_is_404_unless_the_hooks_are_on(make_client):
    client = await make_client(faults=False, meter_window=closed_window())
    response = await client.post("/sandbox/outages", json={"district": "Arbat",
                                                           "kind": "heating"})
    assert response.status == 404
    assert await _feed(client) == {"items": [], "next": 0}
