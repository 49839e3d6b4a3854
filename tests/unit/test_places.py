"""Turning what a citizen wrote into a known address, against the sandbox city."""

from __future__ import annotations

import pytest

from bot.places import MAYBE, names_a_place, resolve_address


async def test_an_exact_address_is_taken_without_asking(city_api):
    found = await resolve_address(city_api, "tverskaya 12")
    assert found.address is not None
    assert found.address.label == "Tverskaya Street, 12"
    assert found.suggestions == ()


async def test_a_typo_still_finds_the_address_or_offers_it_first(city_api):
    found = await resolve_address(city_api, "tverskya 12")
    best = found.address or (found.suggestions[0] if found.suggestions else None)
    assert best is not None and best.label == "Tverskaya Street, 12"


async def test_a_missing_house_offers_a_few_houses_on_that_street(city_api):
    found = await resolve_address(city_api, "tverskaya 999", offer=2)
    assert found.address is None
    assert 1 <= len(found.suggestions) <= 2
    assert all(s.street == "Tverskaya Street" and s.score >= MAYBE for s in found.suggestions)


async def test_gibberish_resolves_to_nothing_worth_offering(city_api):
    found = await resolve_address(city_api, "qwxz 999")
    assert found.address is None
    assert len(found.suggestions) <= 1


def test_address_candidates_find_street_and_house_in_free_text():
    from bot.places import address_candidates

    assert address_candidates("my lift is broken again at arbat 10, people stuck")[0] == "arbat 10"
    assert "novy arbat 12a" in address_candidates("pothole outside novy arbat 12a near the shop")
    assert address_candidates("graffiti at 12 tverskaya street") == ["12 tverskaya street"]
    assert address_candidates("no numbers here at all") == []


async def test_resolve_first_skips_payloads_and_takes_the_first_known_address(city_api):
    from bot.places import resolve_first

    found = await resolve_first(
        city_api, ["", '/inform{"address": "x"}', "qwxz 999", "tverskaya 12", "pokrovka 5"]
    )
    assert found.address is not None and found.address.label == "Tverskaya Street, 12"


async def test_resolve_first_offers_suggestions_when_nothing_is_sure(city_api):
    from bot.places import resolve_first

    found = await resolve_first(city_api, ["tverskaya"])
    assert found.address is None
    assert found.suggestions and all(s.street == "Tverskaya Street" for s in found.suggestions)


async def test_a_typo_of_one_street_with_that_house_is_taken(city_api):
    found = await resolve_address(city_api, "pokrovak 5")
    assert found.address is not None and found.address.label == "Pokrovka Street, 5"



@pytest.mark.parametrize(("value", "names"), [
    ("pokrovka", True), ("тверская 12", True), ("ул. Тверская, д. 12", True),
    ("на арбате", True), ("Ленинский проспект 5 стр 1", True),
    ("9", False), ("дома", False), ("в доме 5", False), ("house 5", False),
    ("у подъезда", False), ("во дворе", False), ("кв 5", False),
])
def test_a_tagged_address_names_a_place_only_with_a_name(value, names):
    assert names_a_place(value) is names


def test_address_guesses_in_a_long_message_are_those_of_its_words():
    """A 4,096-character message (Telegram's longest) is split into words once: its guesses are
    the ones its words give, wherever they stand (issue 13: the search was quadratic)."""
    from bot.places import address_candidates

    said = "the lamp is out again at arbat 10, people stuck in the dark"
    assert address_candidates(said) == ["arbat 10", "10 people stuck"]
    padding = "blah " * 800
    assert address_candidates(padding + said) == address_candidates(said)
    assert address_candidates("a 1 " * 1024) == ["a 1"]
    assert address_candidates("на ул. Тверская д.12 яма") == address_candidates(
        "x " * 2000 + "на ул. Тверская д.12 яма")
