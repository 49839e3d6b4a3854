"""Districts and the fuzzy address search of the city API."""

from __future__ import annotations

import pytest


async def _search(client, text: str, **params) -> list[dict]:
    response = await client.get("/api/v1/addresses", params={"q": text, **params})
    assert response.status == 200
    return (await response.json())["items"]


async def test_districts_are_listed_with_ids(client):
    items = (await (await client.get("/api/v1/districts")).json())["items"]
    assert len(items) == 16
    assert {"id", "name"} <= set(items[0])
    assert "Tverskoy" in {d["name"] for d in items}


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
