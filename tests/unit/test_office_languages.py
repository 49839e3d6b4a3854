"""The nearest offices in a district: the district, and a day asked about, are named in the
conversation's language (the sandbox city on loopback plays the city)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import places
from actions.places import ActionFindOffice
from bot.city.cityapi import CityApiClient
from bot.config import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


class _City:
    def __init__(self, api: CityApiClient) -> None:
        self.api = api


@pytest.fixture
def city(city_api: CityApiClient, monkeypatch: pytest.MonkeyPatch) -> _City:
    city = _City(city_api)
    monkeypatch.setattr(places, "city", lambda: city)
    return city


def _tracker(text: str, language: str, district: str | None) -> Tracker:
    entities = [{"entity": "district", "value": district, "start": 0, "end": 1}] if district else []
    message: dict[str, Any] = {"text": text, "entities": entities,
                               "intent": {"name": "find_office", "confidence": 0.9}}
    return Tracker("citizen", {"language": language}, message,
                   [{"event": "user", "text": text, "parse_data": message}],
                   False, None, None, "action_listen")


@pytest.mark.parametrize(("language", "text", "header", "office"), [
    ("ru", "подскажите мфц в тверском районе", "(Тверской):", "района Тверской"),
    ("en", "service centres in tverskoy district", " to Tverskoy:", "of Tverskoy"),
])
async def test_the_district_and_its_offices_are_named_in_the_conversations_language(
    city, language, text, header, office,
):
    dispatcher = CollectingDispatcher()
    await ActionFindOffice().run(dispatcher, _tracker(text, language, "Tverskoy"), DOMAIN)

    [message] = dispatcher.messages
    first_line, *offices = message["text"].splitlines()
    assert first_line.endswith(header)
    assert office in offices[0]


@pytest.mark.parametrize(("text", "district"), [
    ("я на арбате", "Arbat"),  # a Russian name declined, which the NLU did not tag
    ("живу в мещанском районе", "Meshchansky"),
    ("i'm in arbat", "Arbat"),
    ("где-нибудь поближе", None),
])
async def test_a_district_named_in_any_form_is_the_place(city, text, district):
    assert await city.api.district_in(text, language="ru") == district


async def test_an_untagged_declined_district_finds_its_offices(city):
    dispatcher = CollectingDispatcher()
    await ActionFindOffice().run(dispatcher, _tracker("я на арбате", "ru", None), DOMAIN)

    [message] = dispatcher.messages
    first_line, *offices = message["text"].splitlines()
    assert first_line.endswith("(Арбат):")
    assert "района Арбат" in offices[0]



def _not_today() -> str:
    """Saturday, or Sunday on a Saturday: a day asked about is named only when not today."""
    return "sun" if datetime.now(places.CITY_TZ).weekday() == 5 else "sat"


@pytest.mark.parametrize(("language", "asked"), [
    ("ru", {"sat": ("работает ли мфц в тверском районе в субботу", ". Суббота: "),
            "sun": ("работает ли мфц в тверском районе в воскресенье", ". Воскресенье: ")}),
    ("en", {"sat": ("is the service centre in tverskoy open on saturday", ". Saturday: "),
            "sun": ("is the service centre in tverskoy open on sunday", ". Sunday: ")}),
])
async def test_the_day_asked_about_is_named_in_the_conversations_language(city, language, asked):
    text, named = asked[_not_today()]
    dispatcher = CollectingDispatcher()
    await ActionFindOffice().run(dispatcher, _tracker(text, language, "Tverskoy"), DOMAIN)

    [message] = dispatcher.messages
    _, *offices = message["text"].splitlines()
    assert offices and all(named in line for line in offices)
