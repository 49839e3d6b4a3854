"""The events feed client: pages read from literal bodies as the contract describes them, and the
call it makes (against a scripted city: the sandbox has no feed yet)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.city.errors import CityProtocolError
from bot.city.events import (
    CityEvent,
    EventPage,
    EventsClient,
    FineIssued,
    MeterWindowOpened,
    OutagePlanned,
)

PAGE = {
    "items": [
        {"id": 41, "kind": "outage_planned", "occurred_at": "2026-12-02T10:00:00+03:00",
         "data": {"outage_id": 7, "kind": "heating", "starts_at": "2026-12-03T09:00:00+03:00",
                  "ends_at": "2026-12-03T18:00:00+03:00", "district": "Arbat",
                  "streets": ["Arbat Street"], "reason": "Repair of a heating main",
                  "reason_ru": "Ремонт тепломагистрали"}},
        {"id": 42, "kind": "fine_issued", "occurred_at": "2026-12-02T11:00:00+03:00",
         "data": {"vehicle_certificate": "77 uv 123456", "fine_id": "18810177261125012345",
                  "article": "12.9.2", "offence": {"en": "Speeding", "ru": "Превышение скорости"},
                  "amount": 500, "ruled_on": "2026-12-02"}},
        {"id": 43, "kind": "meter_window_opened", "occurred_at": "2026-12-15T00:00:00+03:00",
         "data": {"month": "2026-12", "opens_day": 15, "closes_day": 25}},
        {"id": 44, "kind": "poll_opened", "occurred_at": "2026-12-15T00:00:00+03:00",
         "data": {"poll_id": 3}},
    ],
    "next": "44",
}
MSK = timezone(timedelta(hours=3))


def test_a_page_of_every_kind_is_read_into_typed_events():
    page = EventPage.from_json(PAGE, since="40")
    outage, fine, window, unknown = page.items
    assert page.next == "44"
    assert outage.occurred_at == datetime(2026, 12, 2, 10, tzinfo=MSK)
    assert outage.data == OutagePlanned(
        outage_id="7", kind="heating", starts_at=datetime(2026, 12, 3, 9, tzinfo=MSK),
        ends_at=datetime(2026, 12, 3, 18, tzinfo=MSK), district="Arbat",
        streets=("Arbat Street",), reason=outage.data.reason)
    assert (outage.data.reason.in_language("en"), outage.data.reason.in_language("ru")) == (
        "Repair of a heating main", "Ремонт тепломагистрали")
    assert fine.data == FineIssued(
        vehicle_certificate="77УВ123456", fine_id="18810177261125012345", article="12.9.2",
        offence=fine.data.offence, amount=500, ruled_on=date(2026, 12, 2))
    assert fine.data.offence.in_language("ru") == "Превышение скорости"
    assert window.data == MeterWindowOpened(month="2026-12", opens_day=15, closes_day=25)
    assert (unknown.kind, unknown.data) == ("poll_opened", None)  # kept, so the cursor passes


def test_text_without_a_russian_version_is_english_in_both():
    item = {**PAGE["items"][0], "data": {**PAGE["items"][0]["data"], "reason_ru": None}}
    reason = CityEvent.from_json(item).data.reason
    assert reason.in_language("ru") == reason.in_language("en") == "Repair of a heating main"


def test_a_page_without_next_continues_from_its_last_item_or_where_it_was():
    assert EventPage.from_json({"items": PAGE["items"][:2]}, since="40").next == "42"
    assert EventPage.from_json({"items": []}, since="40").next == "40"
    assert EventPage.from_json({"items": [], "next": None}, since=None).next == ""


@pytest.mark.parametrize("body", [
    None, [], "events", {"items": None}, {"items": [None]},
    {"items": [{"kind": "fine_issued", "occurred_at": "2026-12-02T11:00:00+03:00", "data": {}}]},
    {"items": [{**PAGE["items"][0], "occurred_at": "2026-12-02T10:00:00"}]},  # no offset
    {"items": [{**PAGE["items"][0], "data": "outage"}]},
    {"items": [{**PAGE["items"][1], "data": {**PAGE["items"][1]["data"], "amount": "500"}}]},
    {"items": [{**PAGE["items"][1], "data": {**PAGE["items"][1]["data"],
                                             "vehicle_certificate": "77 123456"}}]},
    {"items": [{**PAGE["items"][0], "data": {**PAGE["items"][0]["data"],
                                             "ends_at": "2026-12-01T00:00:00+03:00"}}]},
    {"items": [{**PAGE["items"][2], "data": {"month": "2026-12", "opens_day": 25,
                                             "closes_day": 15}}]},
    {"items": [], "next": {"id": 3}},
], ids=lambda body: json.dumps(body, ensure_ascii=False)[:60])
def test_an_unreadable_page_is_a_protocol_error(body):
    with pytest.raises(CityProtocolError):
        EventPage.from_json(body, since="40")


async def test_the_client_asks_after_the_cursor_with_limit_and_kind(scripted_city, city_http):
    scripted_city.answer(200, json.dumps(PAGE))
    client = EventsClient(city_http, scripted_city.url("/api/v1"))
    page = await client.feed("40", limit=4, kind="fine_issued")
    assert [e.id for e in page.items] == ["41", "42", "43", "44"]
    assert scripted_city.hits["GET"] == 1


async def test_a_2xx_that_is_not_json_is_a_protocol_error(scripted_city, city_http):
    scripted_city.answer(200, b"<html>maintenance</html>", content_type="text/html")
    with pytest.raises(CityProtocolError):
        await EventsClient(city_http, scripted_city.url("/api/v1")).feed()


def test_an_outage_may_list_the_houses_it_reaches():
    data = {**PAGE["items"][0]["data"], "address_ids": [12, 45]}
    outage = CityEvent.from_json({**PAGE["items"][0], "data": data}).data
    assert outage.address_ids == frozenset({"12", "45"})
    assert CityEvent.from_json(PAGE["items"][0]).data.address_ids is None  # not listed


async def test_the_sandbox_feed_reads_as_typed_events(sandbox, city_http, sandbox_api):
    """The client against the sandbox city's own feed (bot/sandbox/events_api.py)."""
    client = EventsClient(city_http, str(sandbox.server.make_url("/api/v1")))
    start = (await client.feed()).next  # the month's meter window may already be in it
    fine = await sandbox.fine("77 УВ 123456")
    house = (await sandbox_api.search_addresses("tverskaya 12"))[0]
    starts = datetime.now(MSK).replace(microsecond=0) + timedelta(days=2)
    announced = await sandbox.outage(house.id, starts=starts, ends=starts + timedelta(hours=8))

    page = await client.feed(start)
    fined, outage = page.items
    assert page.next == outage.id == str(announced["id"])
    assert fined.data.fine_id == fine["id"] and fined.data.vehicle_certificate == "77УВ123456"
    assert fined.data.offence.en == fine["offence"] and fined.data.offence.ru
    assert outage.data.starts_at == starts and house.id in outage.data.address_ids
    assert outage.data.reason.in_language("ru") == "Ремонт тепломагистрали"
    assert (await client.feed(page.next)).items == ()
    assert [e.kind for e in (await client.feed(None, kind="fine_issued")).items] == [
        "fine_issued"]
