"""The report form and the status answer name the city's services in the conversation's
language, and read typed answers to a service's questions in either language (the sandbox city
on loopback plays the city)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import report, status
from actions.report import ActionAskProblemAttribute, ValidateProblemReportForm


def _tracker(text: str, slots: dict[str, Any], *, intent: str = "inform",
             before: list[dict[str, Any]] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events = [*(before or []), {"event": "user", "text": text, "parse_data": message}]
    return Tracker("citizen", slots, message, events, False, None,
                   {"name": "problem_report_form"}, "action_listen")


def _asked(language: str, answered: dict[str, str] | None = None, code: str = "pothole"
           ) -> dict[str, Any]:
    return {"language": language, "problem_service_code": code,
            "problem_attributes": answered or {}, "requested_slot": "problem_attribute"}


async def _answer(text: str, slots: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    dispatcher = CollectingDispatcher()
    result = await ValidateProblemReportForm().validate_problem_attribute(
        text, dispatcher, _tracker(text, slots), {})
    return result, [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize(("language", "question", "titles"), [
    ("ru", "Какого размера яма?",
     ["Меньше обувной коробки", "Примерно с колесо автомобиля", "Больше колеса автомобиля"]),
    ("en", "How big is the pothole?",
     ["Smaller than a shoe box", "Up to a car wheel", "Larger than a car wheel"]),
])
async def test_a_question_and_its_buttons_are_in_the_conversations_language(
    city, language, question, titles
):
    dispatcher = CollectingDispatcher()
    await ActionAskProblemAttribute().run(dispatcher, _tracker("", _asked(language)), {})
    [message] = dispatcher.messages
    assert message["text"] == question
    assert [b["title"] for b in message["buttons"]] == titles
    assert [b["payload"] for b in message["buttons"]] == [
        f'/inform{{"option": "{key}"}}' for key in ("small", "medium", "large")]


@pytest.mark.parametrize(("text", "code", "answered", "key"), [
    ("больше колеса", "pothole", {"size": "large"}, "large"),
    ("Примерно с колесо автомобиля", "pothole", {"size": "medium"}, "medium"),
    ("Up to a car wheel", "pothole", {"size": "medium"}, "medium"),  # an English button's title
    ("в подъезде", "water_leak", {"leak_location": "stairwell"}, "stairwell"),
    ("мигает желтым", "traffic_signal", {"signal_state": "flashing"}, "flashing"),
])
async def test_a_typed_answer_in_a_russian_conversation_is_matched_in_both_languages(
    city, text, code, answered, key
):
    result, said = await _answer(text, _asked("ru", code=code))
    assert result == {"problem_attributes": answered, "problem_attribute": None}
    assert said == []


async def test_a_russian_answer_that_means_no_option_is_asked_again(city):
    result, said = await _answer("не знаю", _asked("ru"))
    assert result == {"problem_attribute": None}
    assert said == ["utter_attribute_invalid"]


@pytest.mark.parametrize(("value", "name"), [("pothole", "Яма на дороге"),
                                             ("яма", "Яма на дороге"),
                                             ("snow", "Неубранный снег или наледь")])
async def test_the_service_chosen_in_a_russian_conversation_is_named_in_russian(
    city, value, name
):
    tracker = _tracker(value, {"language": "ru", "requested_slot": "problem_category"})
    result = await ValidateProblemReportForm().validate_problem_category(
        value, CollectingDispatcher(), tracker, {})
    assert result["problem_service_name"] == name
    assert result["problem_service_code"] in ("pothole", "snow")


@pytest.mark.parametrize(("text", "category", "answered"), [
    ("на Тверской 12 не горит один фонарь прямо у подъезда", "streetlight", {"lights_out": "one"}),
    # "huge" says nothing about a car wheel, in either language: the city's question is asked
    ("огромная яма на Тверской 12 прямо у подъезда", "pothole", {}),
    ("a huge pothole on Tverskaya 12 right by the entrance", "pothole", {}),
])
async def test_a_first_message_answers_only_the_questions_it_really_answers(
    city, text, category, answered
):
    language = "en" if text.isascii() else "ru"
    tracker = _tracker(text, {"language": language}, intent="report_problem")
    result = await ValidateProblemReportForm().validate_problem_category(
        category, CollectingDispatcher(), tracker, {})
    assert result["problem_attributes"] == answered


async def test_switching_language_mid_report_renames_the_service_and_the_address_once(city):
    found = (await city.api.search_addresses("Тверская 12", language="ru"))[0]
    english = await city.api.get_address(found.id, language="en")
    assert english.label != found.label  # "Tverskaya Street, 12" / "Тверская улица, 12"
    slots = {"language": "en", "problem_service_code": "pothole",
             "problem_service_name": "Яма на дороге", "problem_address": found.label,
             "problem_address_label": found.label, "problem_address_id": found.id}
    switched = _tracker("can we continue in english", slots,
                        before=[{"event": "slot", "name": "language", "value": "ru"}])
    renamed = {e["name"]: e["value"] for e in await report._relabelled(switched, [])}
    assert renamed == {"problem_service_name": "Pothole", "problem_address": english.label,
                       "problem_address_label": english.label}
    # this turn chose the service and the address itself: left as it chose them
    chosen = [{"event": "slot", "name": "problem_service_code", "value": "pothole"},
              {"event": "slot", "name": "problem_address", "value": found.label}]
    assert await report._relabelled(switched, chosen) == []
    # the language did not change with this message: the city is not asked
    same = _tracker("yes", {**slots, "problem_service_name": "Pothole"},
                    before=[{"event": "slot", "name": "language", "value": "en"}])
    assert await report._relabelled(same, []) == []


async def test_a_requests_status_names_its_service_in_the_conversations_language(city):
    request = (await city.open311.requests())[0]
    russian = await city.catalogue.service(request.service_code or "", "ru")
    dispatcher = CollectingDispatcher()
    await status.ActionCheckRequestStatus()._one(
        dispatcher, request.id or "", {"citybot_language": "ru"})
    assert dispatcher.messages[0]["service_name"] == russian.name
    dispatcher = CollectingDispatcher()
    await status.ActionCheckRequestStatus()._one(dispatcher, request.id or "", {})
    assert dispatcher.messages[0]["service_name"] == request.service_name


async def test_a_requests_status_in_russian_has_no_english_left(city):
    """The city's notes, the agency and the address of a seeded request come in Russian."""
    for request in (await city.open311.requests())[:10]:
        dispatcher = CollectingDispatcher()
        await status.ActionCheckRequestStatus()._one(
            dispatcher, request.id or "", {"citybot_language": "ru"})
        said = {**dispatcher.messages[0], **dispatcher.messages[1]}
        for field in ("service_name", "notes", "agency", "address"):
            assert not re.search(r"[A-Za-z]{3,}", said[field]), (field, said[field])
        english = CollectingDispatcher()
        await status.ActionCheckRequestStatus()._one(english, request.id or "", {})
        assert english.messages[1]["agency"] == request.agency_responsible


async def test_asking_for_english_mid_report_is_answered_by_the_language_action_first(city):
    """"can we continue in english" at a question of the form: the form lets it through (no
    renaming yet) to the rule's action_change_language, which says so; the form's run after that
    action renames the service and the address."""
    import yaml

    from bot.config import ROOT

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    found = (await city.api.search_addresses("Тверская 12", language="ru"))[0]
    slots = {"language": "en", "problem_service_code": "pothole",
             "problem_service_name": "Яма на дороге", "problem_address": found.label,
             "problem_address_label": found.label, "problem_address_id": found.id,
             "problem_category": "pothole", "problem_attributes": {},
             "requested_slot": "problem_attribute"}
    before = [{"event": "slot", "name": "language", "value": "ru"}]
    asked = _tracker("can we continue in english please", slots, intent="change_language",
                     before=before)

    first = await ValidateProblemReportForm().run(CollectingDispatcher(), asked, domain)
    assert not [e for e in first if e.get("name", "").startswith("problem_service_name")]

    asked.events.append({"event": "action", "name": "action_change_language"})
    after = await ValidateProblemReportForm().run(CollectingDispatcher(), asked, domain)
    renamed = {e["name"]: e["value"] for e in after if e.get("event") == "slot"}
    assert renamed["problem_service_name"] == "Pothole"
    assert renamed["problem_address_label"] == "Tverskaya Street, 12"
