"""CityApiClient against the sandbox city: addresses, facilities, meters, outages."""

from __future__ import annotations

import uuid

import pytest
from aiohttp.test_utils import unused_port

from bot.city.cityapi import CityApiClient
from bot.city.errors import CityNotFound, CityRejected, CityUnavailable
from bot.sandbox.seed import flat_of

ACCOUNT = "7700000001"


async def test_address_search_finds_tverskaya_12_first_with_a_high_score(city_api):
    found = await city_api.search_addresses("tverskaya 12")
    best = found[0]
    assert best.label == "Tverskaya Street, 12"
    assert best.score >= 0.9
    assert best.street == "Tverskaya Street" and best.house == "12"
    assert best.district == "Tverskoy"
    assert best.lat is not None and best.lon is not None


async def test_address_search_respects_the_limit(city_api):
    assert len(await city_api.search_addresses("arbat", limit=2)) == 2


async def test_a_blank_address_search_asks_nothing(city_http):
    nowhere = CityApiClient(city_http, f"http://127.0.0.1:{unused_port()}/api/v1")
    assert await nowhere.search_addresses("   ") == []


async def test_an_address_reads_back_by_its_id(city_api):
    best = (await city_api.search_addresses("tverskaya 12"))[0]
    again = await city_api.get_address(best.id)
    assert (again.id, again.label) == (best.id, best.label)


async def test_an_unknown_address_id_is_not_found(city_api):
    with pytest.raises(CityNotFound):
        await city_api.get_address("99999999")


async def test_facilities_of_a_type_parse_with_their_hours(city_api):
    clinics = await city_api.facilities(type="clinic", limit=2)
    assert len(clinics) == 2
    assert {f.type for f in clinics} == {"clinic"}
    assert all(f.name and f.address and f.opening_hours for f in clinics)


async def test_an_unknown_facility_type_is_rejected(city_api):
    with pytest.raises(CityRejected) as caught:
        await city_api.facilities(type="casino")
    assert caught.value.status == 400 and caught.value.code == "bad_type"


async def test_meter_account_parses_the_window_and_the_meters(city_api):
    account = await city_api.meter_account(ACCOUNT, flat_of(ACCOUNT))
    assert account.account == ACCOUNT and account.address
    assert (account.window.opens_day, account.window.closes_day) == (1, 31)
    assert account.window.open_now is True
    assert {m.kind for m in account.meters} == {"hot", "cold"}
    hot = account.meter("hot")
    assert hot is not None and hot.serial
    assert hot.last is not None and hot.last.value == 100.0 and hot.last.date is not None
    assert account.max_monthly_m3 == 50


async def test_an_unknown_meter_account_is_not_found(city_api):
    with pytest.raises(CityNotFound):
        await city_api.meter_account("7799999999", "12")


async def test_an_account_with_a_wrong_flat_is_not_found_either(city_api):
    wrong = str(int(flat_of("7700000043")) % 240 + 1)
    with pytest.raises(CityNotFound):
        await city_api.meter_account("7700000043", wrong)
    with pytest.raises(CityNotFound):
        await city_api.meter_account("7700000043", "")


async def test_an_account_that_is_not_digits_is_not_found_without_asking(city_http):
    nowhere = CityApiClient(city_http, f"http://127.0.0.1:{unused_port()}/api/v1")
    with pytest.raises(CityNotFound):
        await nowhere.meter_account("77-00/../1", "1")


async def test_readings_submitted_twice_with_one_key_count_once(city_api):
    account = "7700000042"
    flat = flat_of(account)
    before = (await city_api.meter_account(account, flat)).meter("cold").last.value
    key = uuid.uuid4().hex
    first = await city_api.submit_readings(account, flat, {"cold": before + 1},
                                           idempotency_key=key)
    # A retry under the same key is answered from the first submission, whatever it carries.
    second = await city_api.submit_readings(account, flat, {"cold": before + 3},
                                            idempotency_key=key)
    assert first == second
    assert first[0].kind == "cold" and first[0].value == before + 1
    assert first[0].previous == before and first[0].consumption == pytest.approx(1.0)


async def test_a_reading_lower_than_last_month_is_rejected_with_the_citys_code(city_api):
    with pytest.raises(CityRejected) as caught:
        await city_api.submit_readings(ACCOUNT, flat_of(ACCOUNT), {"hot": 1.0},
                                       idempotency_key=uuid.uuid4().hex)
    assert caught.value.status == 422
    assert caught.value.code == "reading_lower_than_previous"
    assert caught.value.details["previous"] == 100.0


async def test_outages_at_an_address_parse_with_their_times(city_api):
    outages = await city_api.outages(address="tverskaya 12")
    assert outages
    assert all("Tverskaya Street" in o.streets for o in outages)
    assert {o.status for o in outages} <= {"current", "planned"}
    assert all(o.id and o.kind and o.reason for o in outages)
    assert all(o.starts_at and o.ends_at and o.starts_at < o.ends_at for o in outages)


async def test_outages_in_a_district_are_in_that_district(city_api):
    outages = await city_api.outages(district="Tverskoy")
    assert outages and {o.district for o in outages} == {"Tverskoy"}


async def test_a_failing_city_api_is_unavailable(city_api, city_fault):
    await city_fault(mode="error", paths="/api/v1/meters")
    with pytest.raises(CityUnavailable):
        await city_api.meter_account(ACCOUNT, flat_of(ACCOUNT))


async def test_districts_are_asked_for_once_in_a_while(city_api, city_fault):
    first = await city_api.districts()
    assert "Tverskoy" in first.values()
    await city_fault(mode="error", paths="/api/v1/districts")
    assert await city_api.districts() == first  # the kept copy, no second call


async def test_a_district_is_named_in_the_conversations_language(city_api):
    assert await city_api.district_name("Tverskoy", language="ru") == "Тверской"
    assert await city_api.district_name("sokolniki district", language="ru") == "Сокольники"
    assert await city_api.district_name("Sokolniki") == "Sokolniki"
    assert await city_api.district_name("Atlantis") is None
    russian = await city_api.districts(language="ru")
    assert russian.keys() == (await city_api.districts()).keys()
    assert all(any("а" <= c <= "я" for c in name.lower()) for name in russian.values())


async def test_russian_address_search_with_russian_labels(city_api):
    english = (await city_api.search_addresses("tverskaya 12"))[0]
    russian = (await city_api.search_addresses("на Тверской, д. 12", language="ru"))[0]
    assert russian.id == english.id
    assert russian.label == "Тверская улица, 12" and russian.street == "Тверская улица"
    assert russian.district == "Тверской"
    again = await city_api.get_address(english.id, language="ru")
    assert (again.id, again.label) == (english.id, "Тверская улица, 12")
    assert (await city_api.get_address(english.id)).label == "Tverskaya Street, 12"


async def test_facilities_and_outages_in_russian(city_api):
    centres = await city_api.facilities(type="service_centre", district="Тверской",
                                        language="ru")
    assert centres and {f.district for f in centres} == {"Тверской"}
    outages = await city_api.outages(address="Тверская 12", language="ru")
    assert outages and all("Тверская улица" in o.streets for o in outages)
    assert {o.district for o in outages} == {"Тверской"}
