"""FinesClient against the sandbox city; strict parsing of what a fine is."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer, unused_port

from bot.city.errors import CityNotFound, CityProtocolError, CityRejected, CityUnavailable
from bot.city.fines import Fine, FinesClient, VehicleFines
from bot.city.http import CityHTTP
from bot.sandbox.fines_seed import ALL_PAID, FINED, ONE_FINE

FINE = {
    "id": "18810177261125012345", "ruled_on": "2026-11-25", "article": "12.9.2",
    "offence": "Speeding by more than 20 and up to 40 km/h", "place": "Tverskaya Street, 12",
    "amount": 500, "discount_amount": 250, "discount_until": "2026-12-15", "amount_due": 250,
    "payment_url": "http://127.0.0.1:8081/pay/fines/18810177261125012345",
}


@pytest.fixture
def fines(city_http: CityHTTP, city_server: TestServer) -> FinesClient:
    return FinesClient(city_http, str(city_server.make_url("/api/v1")))


async def test_a_vehicles_unpaid_fines_parse_with_dates_and_amounts(fines):
    found = await fines.fines(FINED)
    assert (found.certificate, found.plate, found.vehicle) == (FINED, "А123ВС777", "Lada Vesta")
    assert [fine.article for fine in found.fines] == ["12.8.1", "12.9.2", "12.12.1"]
    speeding = found.fines[1]
    assert isinstance(speeding.ruled_on, date) and isinstance(speeding.amount, int)
    assert (speeding.amount, speeding.discount_amount, speeding.amount_due) == (500, 250, 250)
    assert speeding.discount_until == speeding.ruled_on + timedelta(days=20)
    assert speeding.payment_url.startswith("http://") and speeding.id in speeding.payment_url
    assert found.fines[0].discount_amount is None and found.fines[0].amount_due == 30000
    assert found.total_due == 30000 + 250 + 1000


async def test_the_number_is_sent_as_the_city_stores_it(fines):
    assert (await fines.fines("77 uv 123456")).certificate == FINED
    assert (await fines.fines("97-ор-135790")).certificate == ONE_FINE


async def test_offences_and_places_in_the_conversations_language(fines):
    (english,) = (await fines.fines(ONE_FINE)).fines
    (russian,) = (await fines.fines(ONE_FINE, language="ru")).fines
    assert russian.id == english.id and russian.amount_due == english.amount_due
    assert english.offence.startswith("Stopping or parking")
    assert russian.offence.startswith("Остановка или стоянка")
    assert "/pay/ru/fines/" in russian.payment_url


async def test_a_vehicle_whose_fines_are_paid_has_nothing_to_pay(fines):
    found = await fines.fines(ALL_PAID)
    assert found.fines == () and found.total_due == 0


async def test_an_unknown_vehicle_is_not_found(fines):
    with pytest.raises(CityNotFound):
        await fines.fines("77 ЖЖ 000000")


async def test_a_malformed_number_is_refused_without_asking(city_http):
    nowhere = FinesClient(city_http, f"http://127.0.0.1:{unused_port()}/api/v1")
    with pytest.raises(CityRejected) as caught:
        await nowhere.fines("77 УВ 12345")
    assert (caught.value.status, caught.value.code) == (400, "bad_vehicle_certificate")
    assert "77 УВ 123456" in caught.value.message


async def test_a_failing_city_is_unavailable(fines, city_fault):
    await city_fault(mode="error", paths="/api/v1/fines")
    with pytest.raises(CityUnavailable):
        await fines.fines(FINED)


@pytest.mark.parametrize("body", [
    [], {"vehicle_certificate": FINED}, {"vehicle_certificate": FINED, "items": [{}]},
    {"vehicle_certificate": FINED, "plate": "А123ВС777", "vehicle": "Lada", "items": [
        {**FINE, "amount": "500"}]},
])
async def test_an_answer_that_is_no_vehicle_with_fines_is_a_protocol_error(
        city_http, scripted_city, body):
    scripted_city.answer(200, json.dumps(body))
    client = FinesClient(city_http, scripted_city.url("/api/v1"))
    with pytest.raises(CityProtocolError):
        await client.fines(FINED)


def test_a_fine_parses_its_dates_and_amounts():
    fine = Fine.from_json(FINE)
    assert fine.ruled_on == date(2026, 11, 25) and fine.discount_until == date(2026, 12, 15)
    assert (fine.amount, fine.discount_amount, fine.amount_due) == (500, 250, 250)
    without = Fine.from_json({**FINE, "discount_amount": None, "discount_until": None,
                              "amount_due": 500, "place": None})
    assert without.discount_amount is None and without.discount_until is None
    assert without.place == ""


@pytest.mark.parametrize("change", [
    {"amount": None}, {"amount": True}, {"amount": 500.5}, {"amount": -1},
    {"amount_due": "250"}, {"ruled_on": "25.11.2026"}, {"ruled_on": None},
    {"discount_until": None}, {"discount_amount": None}, {"discount_until": "soon"},
    {"id": 18810177261125012345}, {"payment_url": ""}, {"offence": None},
])
def test_a_fine_that_cannot_be_read_is_a_protocol_error(change: dict[str, Any]):
    with pytest.raises(CityProtocolError):
        Fine.from_json({**FINE, **change})


def test_a_fine_missing_a_field_is_a_protocol_error():
    for name in FINE:
        with pytest.raises(CityProtocolError):
            Fine.from_json({k: v for k, v in FINE.items() if k != name})


def test_a_vehicle_whose_certificate_is_no_certificate_is_a_protocol_error():
    for said in ("", "77УВ12345", "not a number"):
        with pytest.raises(CityProtocolError):
            VehicleFines.from_json({"vehicle_certificate": said, "plate": "", "vehicle": "",
                                    "items": []})
    # a city that writes it spaced or in Latin letters is still read, canonical
    assert VehicleFines.from_json({"vehicle_certificate": "77 UV 123456", "plate": "",
                                   "vehicle": "", "items": []}).certificate == "77УВ123456"


def test_vehicle_fines_parse_every_item():
    found = VehicleFines.from_json({"vehicle_certificate": FINED, "plate": "А123ВС777",
                                    "vehicle": "Lada Vesta", "items": [FINE, FINE]})
    assert len(found.fines) == 2 and found.total_due == 500
