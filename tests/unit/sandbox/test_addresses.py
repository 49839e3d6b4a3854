"""Districts and the fuzzy address search of the city API."""

from __future__ import annotations

import csv

import pytest

from bot.sandbox.seed import LOOKUPS
from bot.sandbox.state import GAZETTEER


async def _search(client, text: str, **params) -> list[dict]:
    response = await client.get("/api/v1/addresses", params={"q": text, **params})
    assert response.status == 200
    return (await response.json())["items"]


async def test_districts_are_listed_with_ids(client):
    items = (await (await client.get("/api/v1/districts")).json())["items"]
    assert len(items) == 16
    assert {"id", "name"} <= set(items[0])
    assert "Tverskoy" in {d["name"] for d in items}


@pytest.mark.parametrize(("query", "headers"), [("?lang=ru", {}), ("", {"Accept-Language": "ru"})])
async def test_districts_are_named_in_russian_when_asked(client, query, headers):
    response = await client.get(f"/api/v1/districts{query}", headers=headers)
    english = (await (await client.get("/api/v1/districts")).json())["items"]

    assert response.headers["Content-Language"] == "ru"
    russian = {d["id"]: d["name"] for d in (await response.json())["items"]}
    assert russian.keys() == {d["id"] for d in english}
    tverskoy = next(d["id"] for d in english if d["name"] == "Tverskoy")
    assert russian[tverskoy] == "Тверской"


@pytest.mark.parametrize("text", ["tverskaya 12", "12 Tverskaya Street", "tverskaya ul 12",
                                  "Tverskaya St., 12", "Тверская улица, д. 12"])
async def test_exact_street_and_house_scores_one_in_any_word_order(client, text):
    best = (await _search(client, text))[0]
    assert best["label"] == "Tverskaya Street, 12"
    assert best["score"] == 1.0
    assert best["district"] == "Tverskoy" and best["house"] == "12"
    assert {"id", "street", "lat", "lon"} <= set(best)


async def test_typo_in_the_street_name_still_finds_it_first(client):
    items = await _search(client, "tverskya st 12")
    assert items[0]["label"] == "Tverskaya Street, 12"
    assert 0.8 < items[0]["score"] < 1.0
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)


async def test_house_missing_on_the_street_offers_its_nearest_houses_lower(client):
    items = await _search(client, "tverskaya 999")
    assert items
    assert items[0]["street"] == "Tverskaya Street"
    assert items[0]["score"] < 0.8


async def test_unknown_address_gives_no_items(client):
    assert await _search(client, "Baker Street 221b") == []
    assert await _search(client, "qwertyuiop 5") == []


async def test_limit_caps_the_candidates(client):
    assert len(await _search(client, "arbat", limit="2")) == 2


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "arbat 1", "limit": "0"},
                                    {"q": "arbat 1", "limit": "many"}])
async def test_missing_query_or_bad_limit_is_400(client, params):
    response = await client.get("/api/v1/addresses", params=params)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] in ("bad_query", "bad_limit") and error["message"]


async def test_address_by_id_and_unknown_id(client):
    best = (await _search(client, "arbat 5"))[0]
    one = await (await client.get(f"/api/v1/addresses/{best['id']}")).json()
    assert one["label"] == best["label"] and "score" not in one
    for bad in ("999999", "abc"):
        response = await client.get(f"/api/v1/addresses/{bad}")
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "address_not_found"


# ---------------------------------------------------------------- Russian

RU_TVERSKAYA_12 = [
    "на Тверской 12", "ул. Тверская, д. 12", "Тверская улица 12к2", "Тверская улица, д. 12",
    "Тверская ул., д. 12, корп. 2", "Тверская 12 стр 1", "Тверская д12 к2 кв 7",
    "по Тверской улице 12", "Тверской улицы, 12", "дом 12 на улице Тверской",
    "Москва, Тверская ул., 12, кв. 5", "тверская 12/1", "Тверская, 12А", "ТВЕРСКАЯ 12",
]


@pytest.mark.parametrize("text", RU_TVERSKAYA_12)
async def test_russian_forms_of_tverskaya_12_find_the_same_house_as_english(client, text):
    english = (await _search(client, "Tverskaya Street 12"))[0]
    best = (await _search(client, text))[0]
    assert best["id"] == english["id"]
    assert best["label"] == "Tverskaya Street, 12"  # English unless asked otherwise
    assert best["score"] == 1.0


@pytest.mark.parametrize("text, street, house", [
    ("Ленинский проспект 5 стр 1", "Leninsky Avenue", "5"),
    ("на Ленинском 5", "Leninsky Avenue", "5"),
    ("у дома 5 на Арбате", "Arbat Street", "5"),
    ("на Новом Арбате 5", "Novy Arbat Avenue", "5"),
    ("Покровке 5", "Pokrovka Street", "5"),
    ("д. 3 по Пречистенке", "Prechistenka Street", "3"),
    ("у Пречистенки 3", "Prechistenka Street", "3"),
    ("на Маросейке 2с1", "Maroseyka Street", "2"),
    ("Мясницкой 7 строение 2", "Myasnitskaya Street", "7"),
    ("пр-т Мира 12", "Prospekt Mira", "12"),
    ("на проспекте Мира, д. 12", "Prospekt Mira", "12"),
    ("Кутузовский пр-т 12", "Kutuzovsky Avenue", "12"),
    ("Кутузовский 12", "Kutuzovsky Avenue", "12"),
    ("Тверской б-р 12", "Tverskoy Boulevard", "12"),
    ("на Тверском бульваре 12", "Tverskoy Boulevard", "12"),
    ("Камергерский пер. 3", "Kamergersky Lane", "3"),
    ("в Камергерском переулке 3", "Kamergersky Lane", "3"),
    ("переулок Сивцев Вражек 5", "Sivtsev Vrazhek Lane", "5"),
    ("на Большой Дмитровке 7", "Bolshaya Dmitrovka Street", "7"),
    ("Б. Дмитровка 7", "Bolshaya Dmitrovka Street", "7"),
    ("на 2-й Брестской 5", "Vtoraya Brestskaya Street", "5"),
    ("Вторая Брестская 5", "Vtoraya Brestskaya Street", "5"),
    ("Гиляровского 10", "Gilyarovskogo Street", "10"),
    ("на улице Гиляровского 10", "Gilyarovskogo Street", "10"),
    ("академика королева 12", "Akademika Koroleva Street", "12"),
    ("на Садовой-Каретной 5", "Sadovaya-Karetnaya Street", "5"),
    ("в Каретном Ряду 5", "Karetny Ryad Street", "5"),
    ("на Земляном Валу 5", "Zemlyanoy Val Street", "5"),
    ("на Красной Пресне 5", "Krasnaya Presnya Street", "5"),
    ("на Фрунзенской набережной 3", "Frunzenskaya Embankment", "3"),
    ("набережная Тараса Шевченко 3", "Tarasa Shevchenko Embankment", "3"),
    ("Смоленская пл. 3", "Smolenskaya Square", "3"),
    ("Дмитровское ш. 5", "Dmitrovskoye Highway", "5"),
    ("на Дмитровском шоссе 5", "Dmitrovskoye Highway", "5"),
    ("Русаковская 5", "Rusakovskaya Street", "5"),  # no kind word: the улица, not the
])                                                     # набережная of the same name
async def test_russian_streets_in_any_case_kind_word_and_house_format(client, text, street,
                                                                      house):
    best = (await _search(client, text))[0]
    assert (best["street"], best["house"]) == (street, house)
    assert best["score"] == 1.0


async def test_case_after_a_preposition_tells_tverskaya_from_tverskoy_boulevard(client):
    # "на Тверской" is the prepositional of Тверская (улица); the boulevard's name only
    # shares the lemma тверской.
    street, boulevard = await _search(client, "на Тверской 12", limit="2")
    assert street["label"] == "Tverskaya Street, 12" and street["score"] == 1.0
    assert boulevard["label"] == "Tverskoy Boulevard, 12" and boulevard["score"] < 1.0
    first, second = await _search(client, "на Тверском бульваре 12", limit="2")
    assert first["label"] == "Tverskoy Boulevard, 12" and first["score"] == 1.0
    assert second["score"] < 0.9


async def test_a_bare_russian_adjective_offers_both_streets_the_ulitsa_first(client):
    # "тверской 12" is Тверской (бульвар) 12 or (на) Тверской (улице) 12: both, the street first.
    first, second = await _search(client, "тверской 12", limit="2")
    assert [first["label"], second["label"]] == ["Tverskaya Street, 12", "Tverskoy Boulevard, 12"]


async def test_a_russian_typo_falls_back_to_fuzzy_matching(client):
    best = (await _search(client, "Тверкая 12"))[0]
    assert best["label"] == "Tverskaya Street, 12"
    assert 0.8 < best["score"] < 1.0


async def test_a_russian_house_missing_on_the_street_offers_its_nearest_houses(client):
    items = await _search(client, "пр-т Мира 999")
    assert [item["street"] for item in items[:3]] == ["Prospekt Mira"] * 3
    assert items[0]["score"] < 0.8


@pytest.mark.parametrize("text", ["Бейкер-стрит 221б", "йцукен 5", "на улице 5", "дом 12"])
async def test_unknown_russian_addresses_give_no_items(client, text):
    assert await _search(client, text) == []


@pytest.mark.parametrize("russian, english", [
    ("на Тверской 12", "tverskaya 12"),
    ("Ленинский проспект 5 стр 1", "leninsky avenue 5"),
    ("у дома 5 на Арбате", "Arbat Street 5"),
    ("пр-т Мира 12", "prospekt mira 12"),
    ("Покровке 5", "Pokrovka St 5"),
    ("на 2-й Брестской 5", "Vtoraya Brestskaya 5"),
])
async def test_russian_and_english_name_one_address_id(client, russian, english):
    by_russian = (await _search(client, russian, lang="ru"))[0]
    by_english = (await _search(client, english))[0]
    assert by_russian["id"] == by_english["id"]
    assert (by_russian["house"], by_russian["lat"], by_russian["lon"]) == (
        by_english["house"], by_english["lat"], by_english["lon"])
    assert by_russian["label"] != by_english["label"]


def _street_names() -> list[tuple[str, str]]:
    with (LOOKUPS / "streets.csv").open(newline="", encoding="utf-8") as handle:
        return [(row["street"], row["street_ru"]) for row in csv.DictReader(handle)]


async def test_every_street_has_one_id_per_house_in_both_languages(client):
    gazetteer = client.app[GAZETTEER]
    names = _street_names()
    streets = {place.street_id for place in gazetteer.places.values()}
    assert len(names) == len({russian for _, russian in names}) == len(streets)
    for english, russian in names:
        (by_english, score_en), = gazetteer.search(f"{english} 3", limit=1)
        (by_russian, score_ru), = gazetteer.search(f"{russian}, д. 3", limit=1)
        assert by_russian.id == by_english.id, (english, russian)
        assert score_en == score_ru == 1.0, (english, russian)
        assert by_russian.label == f"{english}, 3"
        assert by_russian.label_in("ru") == f"{russian}, 3"


async def test_lang_ru_gives_russian_street_district_and_label(client):
    best = (await _search(client, "tverskaya 12", lang="ru"))[0]
    assert best["label"] == "Тверская улица, 12"
    assert (best["street"], best["district"], best["house"]) == ("Тверская улица", "Тверской", "12")
    english = (await _search(client, "tverskaya 12"))[0]
    assert best["id"] == english["id"] and english["label"] == "Tverskaya Street, 12"


@pytest.mark.parametrize("text, label", [
    ("Prospekt Mira 12", "проспект Мира, 12"),
    ("Leninsky Avenue 5", "Ленинский проспект, 5"),
    ("Arbat Street 5", "улица Арбат, 5"),
    ("Kamergersky Lane 3", "Камергерский переулок, 3"),
    ("Tverskoy Boulevard 12", "Тверской бульвар, 12"),
    ("Vtoraya Brestskaya Street 5", "2-я Брестская улица, 5"),
])
async def test_russian_labels_are_the_real_moscow_names(client, text, label):
    assert (await _search(client, text, lang="ru"))[0]["label"] == label


async def test_one_address_by_id_in_russian_and_english(client):
    best = (await _search(client, "на Тверской 12"))[0]
    response = await client.get(f"/api/v1/addresses/{best['id']}", params={"lang": "ru"})
    assert response.headers["Content-Language"] == "ru"
    russian = await response.json()
    assert russian["label"] == "Тверская улица, 12" and russian["id"] == best["id"]
    english = await (await client.get(f"/api/v1/addresses/{best['id']}")).json()
    assert english["label"] == "Tverskaya Street, 12"


@pytest.mark.parametrize("params, headers, label", [
    ({}, {"Accept-Language": "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"}, "Тверская улица, 12"),
    ({}, {"Accept-Language": "ru"}, "Тверская улица, 12"),
    ({}, {"Accept-Language": "en-GB,en;q=0.9,ru;q=0.5"}, "Tverskaya Street, 12"),
    ({}, {"Accept-Language": "de-DE,de;q=0.9"}, "Tverskaya Street, 12"),
    ({}, {"Accept-Language": "de, ru;q=0.4"}, "Тверская улица, 12"),
    ({"lang": "en"}, {"Accept-Language": "ru"}, "Tverskaya Street, 12"),
    ({"lang": "ru-RU"}, {}, "Тверская улица, 12"),
    ({"lang": "RU"}, {"Accept-Language": "en"}, "Тверская улица, 12"),
])
async def test_language_comes_from_lang_else_accept_language(client, params, headers, label):
    response = await client.get("/api/v1/addresses", params={"q": "tverskaya 12", **params},
                                headers=headers)
    assert response.status == 200
    assert (await response.json())["items"][0]["label"] == label
    assert response.headers["Content-Language"] == ("ru" if "Тверская" in label else "en")


@pytest.mark.parametrize("path", ["/api/v1/addresses?q=arbat+5", "/api/v1/addresses/1"])
async def test_an_unknown_lang_is_400(client, path):
    response = await client.get(path, params={"lang": "fr"})
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_lang"
