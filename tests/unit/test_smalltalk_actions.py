"""Small talk in the actions: a farewell in greeting words, and thanks right after an FAQ answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionGreet, ActionThank
from actions.faq import ActionAnswerFaq

DOMAIN: dict[str, Any] = {"responses": {
    "utter_faq/parking_permit": [{"text": "A resident parking permit lets people park."}],
    "utter_faq/kindergarten": [{"text": "City kindergartens take children from 2 months."}],
}}


def _parse(text: str, topic: str | None) -> dict[str, Any]:
    parse: dict[str, Any] = {"text": text, "intent": {"name": "faq", "confidence": 0.9}}
    if topic:
        parse["response_selector"] = {"faq": {"response": {
            "intent_response_key": topic, "confidence": 0.95}}}
    return parse


def _tracker(text: str, *, topic: str | None = None, after_faq: str | None = None,
             loop: str | None = None) -> Tracker:
    events: list[dict[str, Any]] = []
    if after_faq:
        events += [{"event": "user", "text": "how do i get a parking permit"},
                   {"event": "action", "name": "action_answer_faq"},
                   {"event": "action", "name": "action_listen"}]
    events.append({"event": "user", "text": text, "parse_data": _parse(text, topic)})
    return Tracker("citizen", {"last_faq_topic": after_faq}, _parse(text, topic), events, False,
                   None, {"name": loop} if loop else {}, "action_listen")


def _run(action: Any, tracker: Tracker) -> list[str | None]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize(("text", "loop", "said"), [
    ("have a good evening", None, "utter_goodbye"),
    ("good evening", None, "utter_greet"),
    ("hi, have a nice day", None, "utter_greet"),
    ("have a good evening", "problem_report_form", "utter_greet"),  # the form's question follows
])
def test_greeting_words_that_say_goodbye_get_a_goodbye_outside_a_form(text, loop, said):
    assert _run(ActionGreet(), _tracker(text, loop=loop)) == [said]


@pytest.mark.parametrize(("text", "topic", "after_faq", "said"), [
    # thanks right after the answer, asking nothing new
    ("thanks, will apply online then", "faq/parking_permit", "faq/parking_permit",
     "utter_you_are_welcome"),
    # a new topic with the thanks is answered
    ("thanks, now the kindergarten please", "faq/kindergarten", "faq/parking_permit",
     "utter_faq/kindergarten"),
    # thanks with no answer just given is no shortcut
    ("thanks, will apply online then", "faq/parking_permit", None, "utter_faq/parking_permit"),
])
def test_thanks_right_after_an_faq_answer_is_thanks(text, topic, after_faq, said):
    assert _run(ActionAnswerFaq(), _tracker(text, topic=topic, after_faq=after_faq)) == [said]


@pytest.mark.parametrize(("text", "response"), [
    ("ок, спасибо, пока", "utter_goodbye"),
    ("thanks a lot, bye", "utter_goodbye"),
    ("всё, спасибо, до свидания", "utter_goodbye"),
    ("спасибо большое", "utter_you_are_welcome"),
    ("thank you so much", "utter_you_are_welcome"),
    ("спасибо, пока не надо", "utter_you_are_welcome"),
])
def test_thanks_that_also_say_goodbye_get_a_goodbye(text, response):
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionThank().run(dispatcher, _tracker(text), DOMAIN))
    assert [m["response"] for m in dispatcher.messages] == [response]
