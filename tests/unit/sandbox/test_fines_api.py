"""Traffic fines on the city API, the payment page, the test hook and the seeded vehicles."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox import fines_api, models
from bot.sandbox.database import seed_if_empty
from bot.sandbox.dates import moscow_now
from bot.sandbox.fines_seed import ALL_PAID, FINED, NEVER_FINED, ONE_FINE, VEHICLES, build_fines
from bot.vehicles import is_canonical, shown_certificate

# A seeded vehicle no other test here relies on: the payment tests fine and pay it.
PAYER = build_fines([], date(2026, 1, 1))[0][10]["certificate"]


async def _fines(client, certificate: str, **params: str):
    return await client.get("/api/v1/fines", params={"vehicle_certificate": certificate,
                                                      **params})


async def _items(client, certificate: str, **params: str) -> list[dict]:
    response = await _fines(client, certificate, **params)
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


async def _fine_now(client, certificate: str = PAYER, **body) -> dict:
    response = await client.post("/sandbox/fines", json={"vehicle_certificate": certificate,
                                                          **body})
    assert response.status == 201, await response.text()
    return await response.json()


def _path(url: str) -> str:
    return urlsplit(url).path


async def test_a_vehicle_with_three_unpaid_fines_shows_them_newest_first(client):
    response = await _fines(client, FINED)
    assert response.status == 200
    data = await response.json()
    assert (data["vehicle_certificate"], data["plate"], data["vehicle"]) == (
        FINED, "А123ВС777", "Lada Vesta")
    items = data["items"]
    assert [item["article"] for item in items] == ["12.8.1", "12.9.2", "12.12.1"]
    days = [date.fromisoformat(item["ruled_on"]) for item in items]
    assert days == sorted(days, reverse=True)
    today = moscow_now().date()
    assert [(today - day).days for day in days] == [3, 5, 40]
    assert all(re.fullmatch(r"[0-9]{20}", item["id"]) for item in items)
    assert "12.6" not in {item["article"] for item in items}  # its fine is paid


async def test_the_discount_is_half_price_inside_twenty_days_and_gone_after(client):
    by_article = {item["article"]: item for item in await _items(client, FINED)}
    inside = by_article["12.9.2"]
    ruled = date.fromisoformat(inside["ruled_on"])
    assert (inside["amount"], inside["discount_amount"], inside["amount_due"]) == (500, 250, 250)
    assert inside["discount_until"] == (ruled + timedelta(days=20)).isoformat()
    past = by_article["12.12.1"]
    assert (past["amount"], past["discount_amount"], past["discount_until"],
            past["amount_due"]) == (1000, None, None, 1000)


async def test_an_offence_without_a_discount_is_due_in_full_even_inside_twenty_days(client):
    drunk = next(item for item in await _items(client, FINED) if item["article"] == "12.8.1")
    assert (drunk["amount"], drunk["discount_amount"], drunk["discount_until"],
            drunk["amount_due"]) == (30000, None, None, 30000)


async def test_the_discount_is_counted_on_the_moscow_date_of_asking(client, monkeypatch):
    (fine,) = await _items(client, ONE_FINE)
    last_day = date.fromisoformat(fine["discount_until"])
    monkeypatch.setattr(fines_api, "moscow_today", lambda: last_day)
    (on_last_day,) = await _items(client, ONE_FINE)
    assert (on_last_day["discount_amount"], on_last_day["amount_due"]) == (1500, 1500)
    monkeypatch.setattr(fines_api, "moscow_today", lambda: last_day + timedelta(days=1))
    (day_after,) = await _items(client, ONE_FINE)
    assert (day_after["discount_amount"], day_after["discount_until"],
            day_after["amount_due"]) == (None, None, 3000)


@pytest.mark.parametrize("written", ["77 uv 123456", "77-ув-123456", " 77УВ123456 ",
                                     "77 YB 123456"])
async def test_the_number_is_accepted_as_people_write_it(client, written):
    canonical = await (await _fines(client, FINED)).json()
    response = await _fines(client, written)
    assert response.status == 200
    assert await response.json() == canonical


@pytest.mark.parametrize("bad", ["", "77 УВ 12345", "77УВ1234567", "hello", "77 УВ 123456 x"])
async def test_a_malformed_number_is_400_with_the_expected_format(client, bad):
    response = await _fines(client, bad)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "bad_vehicle_certificate"
    assert "77 УВ 123456" in error["message"]
    missing = await client.get("/api/v1/fines")
    assert missing.status == 400
    assert (await missing.json())["error"]["code"] == "bad_vehicle_certificate"


async def test_an_unknown_vehicle_is_404(client):
    # Ж is on no seeded certificate: they carry plate letters only.
    response = await _fines(client, "77 ЖЖ 000000")
    assert response.status == 404
    error = (await response.json())["error"]
    assert error["code"] == "vehicle_not_found"
    assert error["details"]["vehicle_certificate"] == "77ЖЖ000000"


async def test_vehicles_whose_fines_are_paid_or_who_have_none_have_nothing_to_pay(client):
    assert await _items(client, ALL_PAID) == []
    assert await _items(client, NEVER_FINED) == []


async def test_a_vehicle_with_one_unpaid_fine(client):
    (fine,) = await _items(client, ONE_FINE)
    assert (fine["article"], fine["amount"], fine["discount_amount"]) == ("12.16.5", 3000, 1500)
    assert (moscow_now().date() - date.fromisoformat(fine["ruled_on"])).days == 10


async def test_offences_and_places_come_in_russian_with_lang_ru(client):
    english = {item["id"]: item for item in await _items(client, FINED)}
    response = await _fines(client, FINED, lang="ru")
    assert response.headers["Content-Language"] == "ru"
    russian = {item["id"]: item for item in (await response.json())["items"]}
    assert russian.keys() == english.keys()
    speeding = next(item for item in russian.values() if item["article"] == "12.9.2")
    assert speeding["offence"].startswith("Превышение установленной скорости")
    assert speeding["place"] == "МКАД, 41-й км, внешняя сторона"
    assert english[speeding["id"]]["place"] == "Moscow Ring Road (MKAD), 41st km, outer side"
    assert _path(speeding["payment_url"]) == f"/pay/ru/fines/{speeding['id']}"
    assert _path(english[speeding["id"]]["payment_url"]) == f"/pay/fines/{speeding['id']}"
    for fine_id, item in russian.items():
        assert {k: v for k, v in item.items() if k not in ("offence", "place", "payment_url")} \
            == {k: v for k, v in english[fine_id].items()
                if k not in ("offence", "place", "payment_url")}
    assert (await _fines(client, FINED, lang="de")).status == 400


async def test_a_fine_at_a_house_names_the_house_in_the_language_asked(client):
    fine = await _fine_now(client, address_id=1)
    english = next(i for i in await _items(client, PAYER) if i["id"] == fine["id"])
    russian = next(i for i in await _items(client, PAYER, lang="ru") if i["id"] == fine["id"])
    house = await (await client.get("/api/v1/addresses/1")).json()
    house_ru = await (await client.get("/api/v1/addresses/1", params={"lang": "ru"})).json()
    assert (english["place"], russian["place"]) == (house["label"], house_ru["label"])
    assert english["place"] != russian["place"]


async def test_the_payment_link_is_absolute_at_the_citys_own_address(client):
    (fine,) = await _items(client, ONE_FINE)
    url = urlsplit(fine["payment_url"])
    assert (url.scheme, url.netloc) == ("http", f"{client.host}:{client.port}")


async def test_the_test_hook_fines_a_vehicle_now_with_the_discount(client):
    before = await _items(client, PAYER)
    fine = await _fine_now(client, article="12.12.1")
    today = moscow_now().date()
    assert fine["vehicle_certificate"] == PAYER
    assert (fine["article"], fine["ruled_on"]) == ("12.12.1", today.isoformat())
    assert (fine["amount"], fine["discount_amount"], fine["amount_due"]) == (1000, 500, 500)
    assert fine["discount_until"] == (today + timedelta(days=20)).isoformat()
    after = await _items(client, PAYER)
    assert after[0] == {k: v for k, v in fine.items() if k != "vehicle_certificate"}
    assert after[1:] == before
    again = await _fine_now(client, shown_certificate(PAYER).lower())
    assert again["vehicle_certificate"] == PAYER and again["id"] != fine["id"]
    assert [item["id"] for item in await _items(client, PAYER)][:2] == [again["id"], fine["id"]]


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"vehicle_certificate": "77 ЖЖ 000000"}, 404, "vehicle_not_found"),
    ({"vehicle_certificate": "77 УВ"}, 400, "bad_vehicle_certificate"),
    ({"vehicle_certificate": FINED, "article": "99.9"}, 400, "bad_article"),
    ({"vehicle_certificate": FINED, "article": {}}, 400, "bad_article"),
    ({"vehicle_certificate": 7712345678}, 400, "bad_vehicle_certificate"),
    ({"vehicle_certificate": FINED, "address_id": 99999999}, 400, "bad_address"),
    ({"vehicle_certificate": FINED, "address_id": True}, 400, "bad_address"),
    ([FINED], 400, "bad_fine"),
])
async def test_the_test_hook_refuses_what_it_cannot_fine(client, body, status, code):
    before = await _items(client, FINED)
    response = await client.post("/sandbox/fines", json=body)
    assert response.status == status
    assert (await response.json())["error"]["code"] == code
    assert await _items(client, FINED) == before


async def test_the_payment_page_shows_the_fine_and_what_is_due_now(client):
    fine = await _fine_now(client)
    response = await client.get(_path(fine["payment_url"]))
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    assert '<html lang="en">' in page and "<h1>Pay a traffic fine</h1>" in page
    assert fine["id"] in page and "Speeding by more than 20 and up to 40 km/h" in page
    assert "To pay now: 250\u00a0₽" in page
    assert '<label for="confirm">' in page and 'id="confirm"' in page
    assert f'action="/pay/fines/{fine["id"]}"' in page
    assert f'href="/pay/ru/fines/{fine["id"]}"' in page


async def test_paying_marks_the_fine_paid_and_paying_again_shows_the_same_receipt(client):
    fine = await _fine_now(client)
    path = _path(fine["payment_url"])
    first = await client.post(path, data={"confirm": "yes"})
    assert first.status == 200
    receipt = await first.text()
    assert "<h1>Payment receipt</h1>" in receipt and "The fine is paid." in receipt
    assert "<dt>Paid</dt><dd>250\u00a0₽</dd>" in receipt
    assert fine["id"] not in {item["id"] for item in await _items(client, PAYER)}
    again = await client.post(path, data={"confirm": "yes"})
    shown = await client.get(path)
    assert again.status == shown.status == 200
    assert await again.text() == await shown.text() == receipt


async def test_a_payment_that_was_not_confirmed_pays_nothing(client):
    fine = await _fine_now(client)
    path = _path(fine["payment_url"])
    response = await client.post(path, data={})
    assert response.status == 400
    page = await response.text()
    assert 'role="alert"' in page and 'aria-describedby="pay-error"' in page
    assert fine["id"] in {item["id"] for item in await _items(client, PAYER)}
    await client.post(path, data={"confirm": "yes"})


async def test_a_body_that_is_not_the_pages_form_confirms_nothing(client):
    fine = await _fine_now(client)
    path = _path(fine["payment_url"])
    for headers, data in (({"Content-Type": "multipart/form-data"}, b"confirm=yes"),
                          ({"Content-Type": "application/json"}, b'{"confirm": "yes"}')):
        response = await client.post(path, data=data, headers=headers)
        assert response.status == 400, await response.text()
    assert fine["id"] in {item["id"] for item in await _items(client, PAYER)}
    await client.post(path, data={"confirm": "yes"})


async def test_the_russian_payment_page_and_receipt(client):
    fine = await _fine_now(client, article="12.16.5")
    russian = next(i for i in await _items(client, PAYER, lang="ru") if i["id"] == fine["id"])
    path = _path(russian["payment_url"])
    page = await (await client.get(path)).text()
    assert '<html lang="ru">' in page and "<h1>Оплата штрафа ГИБДД</h1>" in page
    assert "Остановка или стоянка транспортного средства" in page
    assert "К оплате сейчас: 1\u00a0500\u00a0₽" in page
    assert f'href="/pay/fines/{fine["id"]}"' in page
    receipt = await (await client.post(path, data={"confirm": "yes"})).text()
    assert "<h1>Квитанция об оплате</h1>" in receipt and "Штраф оплачен." in receipt


async def test_an_unknown_fine_has_a_404_page(client):
    for path in ("/pay/fines/18810177000000999999", "/pay/ru/fines/nonsense"):
        response = await client.get(path)
        assert response.status == 404 and response.content_type == "text/html"
        assert (await client.post(path, data={"confirm": "yes"})).status == 404
    assert "Штраф не найден" in await (await client.get("/pay/ru/fines/1")).text()


async def _vehicles_and_fines(engine) -> tuple[list, list]:
    async with engine.connect() as conn:
        vehicles = (await conn.execute(select(models.Vehicle)
                                       .order_by(models.Vehicle.certificate))).all()
        fines = (await conn.execute(select(models.Fine).order_by(models.Fine.id))).all()
    return vehicles, fines


async def test_forty_vehicles_are_seeded_the_same_way_every_time(tmp_path):
    now = datetime(2026, 11, 25, 9, 0)
    seeded = []
    for name in ("one.db", "two.db"):
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / name}", future=True)
        await seed_if_empty(engine, now)
        seeded.append(await _vehicles_and_fines(engine))
        await engine.dispose()
    assert seeded[0] == seeded[1]
    vehicles, fines = seeded[0]
    assert len(vehicles) == VEHICLES
    assert all(is_canonical(vehicle.certificate) for vehicle in vehicles)
    assert all(re.fullmatch(r"[АВЕКМНОРСТУХ][0-9]{3}[АВЕКМНОРСТУХ]{2}[0-9]{2,3}", vehicle.plate)
               for vehicle in vehicles)
    assert len({fine.id for fine in fines}) == len(fines) > 40
    assert all(fine.ruled_on <= date(2026, 11, 25) for fine in fines)
    paid = [fine for fine in fines if fine.paid_at is not None]
    assert paid and all(fine.paid_amount and fine.paid_at <= now for fine in paid)


async def test_a_city_seeded_before_fines_gets_them_keeping_everything_else(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)
    expected = await _vehicles_and_fines(engine)
    async with engine.begin() as conn:
        before = (await conn.execute(select(func.count()).select_from(models.Address))).scalar()
        # The database as it was before the city fined anyone.
        await conn.execute(text("DROP TABLE fines"))
        await conn.execute(text("DROP TABLE vehicles"))
    assert await seed_if_empty(engine) is False
    upgraded = await _vehicles_and_fines(engine)
    async with engine.connect() as conn:
        after = (await conn.execute(select(func.count()).select_from(models.Address))).scalar()
    await engine.dispose()
    assert after == before
    assert upgraded[0] == expected[0]
    # The same fines as a fresh city's (their ids and dates move only if the day turned
    # between the two seedings).
    def what(fines: list) -> list[tuple]:
        return sorted(repr((f.certificate, f.article, f.amount, f.address_id, f.place,
                            f.paid_amount)) for f in fines)

    assert what(upgraded[1]) == what(expected[1])
