"""Meter readings and volumes are written the conversation's way ("154,8 м³" in Russian, "154.8
m³" in English, as before), while the slots keep them one way for the city ("154.8")."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import meters
from actions.common import in_language, render
from actions.meters import (
    ActionAskMeterCold,
    ActionAskMeterConfirmed,
    ActionAskMeterHot,
    ActionSubmitMeterReadings,
    ValidateMeterReadingsForm,
    _refused,
)
from bot.city.models import Meter, MeterAccount, MeterReading, SubmissionWindow, SubmittedReading
from bot.config import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
ACCOUNT = "7700000004"


def _tracker(language: str, text: str = "", **slots: Any) -> Tracker:
    message = {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []}
    events = [{"event": "user", "text": text, "parse_data": message, "timestamp": 1.0}]
    return Tracker("citizen", {"language": language, **slots}, message, events, False, None,
                   {"name": "meter_readings_form"}, "action_listen")


def _account(hot: float, cold: float) -> MeterAccount:
    return MeterAccount(
        account=ACCOUNT, address="",
        meters=(Meter("hot", "h1", MeterReading(hot, None)),
                Meter("cold", "c1", MeterReading(cold, None))),
        window=SubmissionWindow(1, 31, True, date(2026, 12, 1)), max_monthly_m3=50.0,
    )


def _said(dispatcher: CollectingDispatcher, language: str, **slots: Any) -> str:
    """The text Rasa makes of the action's one response: slots first, the action's values
    over them."""
    [message] = dispatcher.messages
    values = {k: v for k, v in message.items() if k not in ("response", "text")}
    return render(in_language(DOMAIN, language), message["response"], **{**slots, **values})


@pytest.mark.parametrize(("language", "shown"), [
    ("ru", "горячая вода — 154,8 м³, холодная вода — 1259,3 м³"),
    ("en", "hot water 154.8 m³, cold water 1259.3 m³"),
])
async def test_the_confirmation_shows_the_readings_the_conversations_way(language, shown):
    slots = {"meter_account": ACCOUNT, "meter_hot": "154.8", "meter_cold": "1259.3"}
    dispatcher = CollectingDispatcher()
    await ActionAskMeterConfirmed().run(dispatcher, _tracker(language, **slots), DOMAIN)

    assert dispatcher.messages[0]["response"] == "utter_ask_meter_confirmed"
    assert shown in _said(dispatcher, language, **slots)


@pytest.mark.parametrize(("action", "slot", "language", "shown"), [
    (ActionAskMeterHot, "meter_hot_last", "ru", "(В прошлом месяце: 152,1)"),
    (ActionAskMeterHot, "meter_hot_last", "en", "(Last month: 152.1)"),
    (ActionAskMeterCold, "meter_cold_last", "ru", "(В прошлом месяце: 255)"),
    (ActionAskMeterCold, "meter_cold_last", "en", "(Last month: 255)"),
])
async def test_the_reading_questions_show_last_month_the_conversations_way(
    action, slot, language, shown,
):
    dispatcher = CollectingDispatcher()
    value = "152.1" if slot == "meter_hot_last" else "255"
    await action().run(dispatcher, _tracker(language, **{slot: value}), DOMAIN)

    assert shown in _said(dispatcher, language, **{slot: value})


async def test_a_meter_without_last_months_reading_shows_a_dash():
    dispatcher = CollectingDispatcher()
    await ActionAskMeterHot().run(dispatcher, _tracker("ru", meter_hot_last="-"), DOMAIN)

    assert dispatcher.messages[0]["meter_hot_last"] == "-"


@pytest.mark.parametrize(("language", "lower", "too_high"), [
    ("ru", ("98,25", "100,5"), ("200,5", "100", "50")),
    ("en", ("98.25", "100.5"), ("200.5", "100", "50")),
])
def test_a_refused_reading_is_explained_the_conversations_way(language, lower, too_high):
    domain = in_language(DOMAIN, language)
    dispatcher = CollectingDispatcher()
    assert _refused("hot", 98.25, _account(100.5, 100.5), dispatcher, domain)
    assert _refused("cold", 200.5, _account(100.5, 100.5), dispatcher, domain)

    below, above = dispatcher.messages
    assert (below["value"], below["previous"]) == lower
    assert (above["value"], above["consumption"], above["max"]) == too_high


async def test_a_russian_reading_with_a_comma_is_kept_with_a_point_for_the_city():
    tracker = _tracker("ru", "154,8", meter_account=ACCOUNT, requested_slot="meter_hot")
    validated = await ValidateMeterReadingsForm().validate_meter_hot(
        "154,8", CollectingDispatcher(), tracker, in_language(DOMAIN, "ru"))

    assert validated == {"meter_hot": "154.8"}


class _Api:
    async def submit_readings(self, account: str, flat: str, readings: dict[str, float],
                              idempotency_key: str) -> list[SubmittedReading]:
        return [SubmittedReading(kind, value, value - 2.7, 2.7)
                for kind, value in readings.items()]


class _City:
    api = _Api()


@pytest.mark.parametrize(("language", "line"), [
    ("ru", "- Счётчик горячей воды: 154,8 м³, расход с прошлого показания — 2,7 м³"),
    ("en", "- hot water: 154.8 m³, used 2.7 m³ since the last reading"),
])
async def test_the_accepted_readings_are_written_the_conversations_way(
    monkeypatch, language, line,
):
    monkeypatch.setattr(meters, "city", lambda: _City())
    tracker = _tracker(language, "да", meter_account=ACCOUNT, meter_flat="12",
                       meter_hot="154.8", meter_confirmed=True)
    dispatcher = CollectingDispatcher()
    await ActionSubmitMeterReadings().run(dispatcher, tracker, DOMAIN)

    [message] = dispatcher.messages
    assert message["text"].splitlines()[1] == line
