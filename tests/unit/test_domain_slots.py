"""The forms' slot mappings in domain.yml: lists that must stay in step."""

from __future__ import annotations

import yaml

from bot.config import ROOT

SLOTS = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["slots"]


def _not_intent(slot: str) -> list[str]:
    [mapping] = [m for m in SLOTS[slot]["mappings"] if m["type"] == "from_text"]
    return mapping["not_intent"]


def test_a_meter_reading_takes_every_interruption_but_the_services_own_words():
    # "sorry, wrong figure. 210,6" reads as submit_meter_readings and is still the reading
    interruptions = _not_intent("problem_description")
    expected = [i for i in interruptions if i != "submit_meter_readings"]
    assert "submit_meter_readings" in interruptions
    assert _not_intent("meter_hot") == expected
    assert _not_intent("meter_cold") == expected
