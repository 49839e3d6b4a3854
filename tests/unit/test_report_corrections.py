"""A place corrected in the middle of a report, read by the report form against the sandbox city
on loopback: the corrected address is the one filed, however the NLU tagged it."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.report import ValidateProblemReportForm


def _tracker(text: str, slots: dict[str, Any], entities: list[dict[str, Any]]) -> Tracker:
    message = {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.55},
               "entities": entities}
    events = [{"event": "user", "text": text, "parse_data": message}]
    return Tracker("citizen", slots, message, events, False, None,
                   {"name": "problem_report_form"}, "action_listen")


def _address(text: str, value: str) -> dict[str, Any]:
    start = text.index(value)
    return {"entity": "address", "value": value, "start": start, "end": start + len(value)}


ASKED_DESCRIPTION = {"language": "en", "problem_category": "overflowing bin",
                     "problem_service_code": "waste_bin", "problem_address": "Arbat Street, 12",
                     "problem_address_label": "Arbat Street, 12",
                     "requested_slot": "problem_description"}


@pytest.mark.parametrize(("text", "tagged"), [
    ("no wait, it's Arbat 10 not 12", "Arbat 10 not 12"),  # the NLU's one span (seen)
    ("no wait, it's Arbat 10 not 12", "Arbat 10"),
    ("sorry, arbat 10, not 12", "arbat 10"),
])
async def test_a_corrected_house_is_the_one_filed(city, text, tagged):
    form = ValidateProblemReportForm()
    tracker = _tracker(text, ASKED_DESCRIPTION, [_address(text, tagged)])
    dispatcher = CollectingDispatcher()
    extracted = await form.extract_problem_address(dispatcher, tracker, {})
    assert extracted  # read as a correction
    validated = await form.validate_problem_address(
        extracted["problem_address"], dispatcher, tracker, {})
    assert validated["problem_address_label"] == "Arbat Street, 10"


async def test_a_description_naming_the_same_place_changes_nothing(city):
    text = "bin by the bus stop at arbat 12, rubbish everywhere"
    tracker = _tracker(text, ASKED_DESCRIPTION, [_address(text, "arbat 12")])
    assert await ValidateProblemReportForm().extract_problem_address(
        CollectingDispatcher(), tracker, {}) == {}
