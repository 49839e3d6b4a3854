"""Matching a citizen's words to the city's services, and the catalogue cache."""

from __future__ import annotations

import pytest

from bot.city.catalogue import Catalogue, match_service
from bot.city.errors import CityUnavailable
from bot.city.models import Service
from bot.city.open311 import Open311Client


@pytest.fixture
async def services(open311: Open311Client) -> list[Service]:
    """The sandbox city's real catalogue."""
    return await open311.services()


@pytest.mark.parametrize(
    ("words", "code"),
    [
        ("pothole", "pothole"),
        ("Hole in the road!", "pothole"),
        ("potholes", "pothole"),
        ("street light", "streetlight"),
        ("the street lights are out", "streetlight"),
        ("elevator", "lift"),
        ("garbage", "waste_bin"),
        ("a tree fell on the pavement", "fallen_tree"),
    ],
)
async def test_what_a_citizen_calls_a_problem_maps_to_the_citys_service(services, words, code):
    matched = match_service(words, services)
    assert matched is not None and matched.code == code


@pytest.mark.parametrize("words", ["banking", "", "   ", "!!!"])
async def test_words_that_name_no_service_match_nothing(services, words):
    assert match_service(words, services) is None


@pytest.mark.parametrize("words", ["police station", "noisy street", "tax office"])
async def test_a_service_word_hidden_inside_another_word_does_not_match(services, words):
    # "street" contains "tree" and "police" contains "ice": not a fallen tree, not snow.
    assert match_service(words, services) is None


async def test_the_catalogue_asks_the_city_for_services_once(open311, city_fault):
    catalogue = Catalogue(open311)
    first = await catalogue.services()
    await city_fault(mode="error", paths="/open311/v2/services")
    assert await catalogue.services() == first
    assert (await catalogue.match("pothole")).code == "pothole"
    assert (await catalogue.service("lift")).name == "Broken lift"


async def test_the_catalogue_asks_again_once_its_copy_is_stale(open311, city_fault):
    catalogue = Catalogue(open311, ttl=0)
    await catalogue.services()
    await city_fault(mode="error", paths="/open311/v2/services")
    with pytest.raises(CityUnavailable):
        await catalogue.services()


async def test_a_definition_is_asked_for_once(open311, city_fault):
    catalogue = Catalogue(open311)
    first = await catalogue.definition("pothole")
    assert [a.code for a in first.required_attributes] == ["size"]
    await city_fault(mode="error", paths="/open311/v2/services")
    assert await catalogue.definition("pothole") == first


async def test_a_service_without_attributes_needs_no_definition_call(open311, city_fault):
    catalogue = Catalogue(open311)
    await catalogue.services()
    await city_fault(mode="error", paths="/open311/v2/services/")
    definition = await catalogue.definition("graffiti")
    assert definition.code == "graffiti" and definition.attributes == ()


async def test_the_services_a_sentence_names_are_found_in_order(open311):
    said = "hmm actually it's a burst pipe, not a pothole"
    named = await Catalogue(open311).mentions(said)
    assert [words.lower() for _, words in named] == ["burst pipe", "pothole"]  # once each
    assert said[named[0][0]:].startswith("burst pipe")
    # The catch-all is never named in passing ("the other lamp"), only chosen.
    assert await Catalogue(open311).mentions("the other lamp") == [(10, "lamp")]
