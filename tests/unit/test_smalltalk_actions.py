"""Small talk and context in the actions: a farewell in greeting words, thanks right after an FAQ
answer, a call for help, and what a message the NLU could not place says right after the offices."""

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


def test_a_call_for_help_with_no_cancelled_report_gets_what_the_assistant_does():
    # (right after a cancelled report, "I pressed no by mistake, send it" read as help files it:
    # suite/russian.yml, ru-cor-pressed-no-by-mistake, against the sandbox city)
    from actions.routing import ActionHelp

    assert _run(ActionHelp(), _tracker("what can you do")) == ["utter_help"]


def _after_offices(text: str, entities: list[dict[str, Any]], ranking: list[str]) -> Tracker:
    """A message the NLU could not place, right after the nearest offices were listed."""
    parse = {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.55},
             "intent_ranking": [{"name": name, "confidence": 0.3} for name in ranking],
             "entities": entities}
    events = [{"event": "user", "text": "я в мещанском районе"},  # the answer to "where are you?"
              {"event": "action", "name": "action_answer_pending"},
              {"event": "slot", "name": "last_service", "value": "find_office"},
              {"event": "action", "name": "action_listen"},
              {"event": "user", "text": text, "parse_data": parse}]
    return Tracker("citizen", {"last_service": "find_office"}, parse, events, False, None, {},
                   "action_listen")


def test_a_problem_with_a_place_right_after_the_offices_is_a_report_not_the_next_office():
    from rasa_sdk.events import FollowupAction

    from actions.conversation import read_in_context

    tracker = _after_offices(
        "на тверской 12 яма",
        [{"entity": "address", "value": "тверской 12"},
         {"entity": "problem_category", "value": "pothole"}],
        ["nlu_fallback", "find_office", "report_problem"])
    events = asyncio.run(read_in_context(CollectingDispatcher(), tracker, DOMAIN, any_lookup=True))
    assert events == [FollowupAction("problem_report_form")]


def test_a_farewell_right_after_the_offices_is_no_follow_up():
    from actions.conversation import read_in_context

    dispatcher = CollectingDispatcher()
    tracker = _after_offices("it was great to talk to you", [], ["nlu_fallback", "goodbye"])
    assert asyncio.run(read_in_context(dispatcher, tracker, DOMAIN, any_lookup=True)) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_goodbye"]


@pytest.mark.parametrize(("text", "looked_up"), [
    ("а очередь там большая сейчас?", True),  # leans on the answer just given
    ("apple service centre near tverskaya", False),  # a place in a general question
])
def test_out_of_scope_right_after_the_offices_asks_about_them_only_when_it_leans_on_them(
    monkeypatch, text, looked_up
):
    from actions.common import latest_text
    from actions.conversation import read_in_context
    from actions.places import ActionFindOffice

    runs: list[str] = []

    async def run(self, dispatcher, tracker, domain):  # noqa: ANN001, ANN202
        runs.append(latest_text(tracker))  # the office lookup itself asks the city
        return []

    monkeypatch.setattr(ActionFindOffice, "run", run)
    entities = [] if looked_up else [{"entity": "address", "value": "tverskaya"}]
    tracker = _after_offices(text, entities, ["out_of_scope", "find_office"])
    read = asyncio.run(read_in_context(CollectingDispatcher(), tracker, DOMAIN, any_lookup=False))
    assert (runs == [text]) is looked_up
    assert (read == []) is looked_up


def test_an_answer_to_nothing_that_names_nothing_is_not_understood():
    from rasa_sdk.events import FollowupAction

    from actions.routing import ActionAnswerPending

    tracker = _tracker("blorf zibble quux")
    events = asyncio.run(ActionAnswerPending().run(CollectingDispatcher(), tracker, DOMAIN))
    assert events == [FollowupAction("action_clarify")]
    tracker.latest_message["entities"] = [{"entity": "address", "value": "tverskaya 12"}]
    assert _run(ActionAnswerPending(), tracker) == ["utter_help"]  # a place out of the blue


@pytest.mark.parametrize(("text", "entities"), [
    ("100014", [{"entity": "request_id", "value": "100014"}]),
    ("5b82c2c6c345a15a9d803b8d75494ee5", []),  # a pasted reference token
])
def test_a_request_number_out_of_the_blue_gets_its_status(monkeypatch, text, entities):
    from actions.routing import ActionAnswerPending
    from actions.status import ActionCheckRequestStatus

    asked: list[str] = []

    async def status(self, dispatcher, tracker, domain):
        asked.append(tracker.latest_message["text"])
        return []

    monkeypatch.setattr(ActionCheckRequestStatus, "run", status)
    tracker = _tracker(text)
    tracker.latest_message["entities"] = entities
    asyncio.run(ActionAnswerPending().run(CollectingDispatcher(), tracker, DOMAIN))
    assert asked == [text]


def test_a_problem_named_out_of_the_blue_starts_a_report():
    from rasa_sdk.events import FollowupAction

    from actions.routing import ActionAnswerPending, unasked_answer_starts

    street_light = [{"entity": "problem_category", "value": "street light"}]
    tracker = _tracker("не горит фонарь")
    tracker.latest_message["entities"] = street_light
    events = asyncio.run(ActionAnswerPending().run(CollectingDispatcher(), tracker, DOMAIN))
    assert events == [FollowupAction("problem_report_form")]
    assert unasked_answer_starts(street_light, "не горит фонарь") == "report_problem"
    assert unasked_answer_starts([{"entity": "request_id", "value": "12"}], "12") is None
    assert unasked_answer_starts([{"entity": "address", "value": "arbat"}], "arbat") is None


def test_a_doctor_named_out_of_the_blue_starts_a_booking():
    """"i need a dentist" reads as a bare answer to the NLU: an appointment is meant; a child
    alone is not a doctor ("my son needs a school place")."""
    from rasa_sdk.events import FollowupAction

    from actions.routing import ActionAnswerPending, unasked_answer_starts

    events = asyncio.run(ActionAnswerPending().run(
        CollectingDispatcher(), _tracker("i need a dentist"), DOMAIN))
    assert events == [FollowupAction("doctor_appointment_form")]
    assert unasked_answer_starts([], "мне нужен окулист") == "book_doctor"
    assert unasked_answer_starts([], "my son needs a school place") is None


def _unsure(text: str, ranking: list[str]) -> Tracker:
    """A first message the NLU could not place."""
    parse = {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.55},
             "intent_ranking": [{"name": n, "confidence": 0.4} for n in ranking], "entities": []}
    return Tracker("citizen", {}, parse, [{"event": "user", "text": text, "parse_data": parse}],
                   False, None, {}, "action_listen")


def _clarified(text: str, ranking: list[str]) -> list[dict[str, Any]]:
    import yaml

    from actions.conversation import ActionClarify
    from bot.config import ROOT

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionClarify().run(dispatcher, _unsure(text, ranking), domain))
    return dispatcher.messages


def test_an_unclear_message_that_greets_is_greeted_before_the_options():
    said = _clarified("hi, can you check this one for me",
                      ["nlu_fallback", "check_request_status", "greet"])
    assert [m.get("response") for m in said] == ["utter_hello", "utter_clarify"]
    assert [b["payload"] for b in said[1]["buttons"]][0] == "/check_request_status"
    said = _clarified("can you check this one for me", ["nlu_fallback", "check_request_status"])
    assert [m.get("response") for m in said] == ["utter_clarify"]


@pytest.mark.parametrize("text", ["are you an actual human?", "ты бот?"])
def test_an_unclear_question_whether_it_is_a_bot_is_answered(text):
    said = _clarified(text, ["nlu_fallback", "bot_challenge", "human_handoff"])
    assert [m.get("response") for m in said] == ["utter_iamabot"]


def _said(text: str, intent: str) -> Tracker:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.6}, "entities": [],
             "intent_ranking": [{"name": intent, "confidence": 0.6}]}
    return Tracker("citizen", {}, parse, [{"event": "user", "text": text, "parse_data": parse}],
                   False, None, {}, "action_listen")


def test_asking_whether_the_assistant_is_human_hands_nothing_over() -> None:
    from actions.conversation import ActionHandoff

    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionHandoff().run(dispatcher, _said("are you an actual human?",
                                                                  "human_handoff"), {}))
    assert events == [] and [m["response"] for m in dispatcher.messages] == ["utter_iamabot"]


def test_danger_not_understood_starts_a_report_and_a_certificate_its_fines() -> None:
    from actions.conversation import read_in_context

    smoke = "smoke is coming out of the basement window of arbat 12, something is burning!"
    events = asyncio.run(read_in_context(CollectingDispatcher(), _said(smoke, "nlu_fallback"), {},
                                         any_lookup=False))
    assert events == [{"event": "followup", "timestamp": None, "name": "problem_report_form"}]
    events = asyncio.run(read_in_context(CollectingDispatcher(), _said("77 ув 123456", "out_of_scope"),
                                         {}, any_lookup=False))
    assert events[0]["name"] == "fines_form"
