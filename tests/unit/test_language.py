"""The conversation's language: read from the citizen's words, a channel's hint, or a request."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import day, localized, moment, render
from actions.language import ActionChangeLanguage, ValidateSlotMappings
from bot import language

RU = [{"type": "slot", "name": "language", "value": "ru"}]
DOMAIN: dict[str, Any] = {"responses": {
    "utter_language_switched": [{"text": "OK, let's continue in English."},
                                {"text": "Хорошо, продолжим по-русски.", "condition": RU}],
    "utter_kind_hot": [{"text": "hot water"}, {"text": "горячая вода", "condition": RU}],
    "utter_only_english": [{"text": "English only"}],
    "utter_language_unavailable": [{"text": "For now I speak English only."},
                                   {"text": "Пока я говорю только по-английски.", "condition": RU}],
}}


@pytest.mark.parametrize(("text", "reading"), [
    ("какой статус у заявки 100001", ("ru", True)),
    ("на Tverskaya 12 огромная яма", ("ru", True)),       # a Latin street in a Russian sentence
    ("there is a pothole at Тверская 12", ("en", True)),  # a Cyrillic street in an English one
    ("yama na tverskoy 12", ("ru", True)),                # Russian typed in Latin letters
    ("kogda dadut goryachuyu vodu", ("ru", True)),
    ("spasibo bolshoe", ("ru", True)),
    ("status moey zayavki 100245", ("ru", True)),         # words outside the chat lexicon
    ("is it better to rent or buy a flat", ("en", True)),  # English spelled back is no Russian
    ("report a problem", ("en", True)),
    ("no hot water at arbat 10", ("en", True)),
    ("is the hot water going to be switched off on arbat street", ("en", True)),
    ("здравствуйте", ("ru", False)),                      # one word suggests, does not decide
    ("ok", (None, False)),                                # short words say nothing
    ("12", (None, False)),
    ("👍", (None, False)),
])
def test_a_message_reads_as_its_language(text, reading):
    assert (language.read(text).language, language.read(text).decided) == reading


@pytest.mark.parametrize(("current", "text", "hint", "chosen"), [
    (None, "здравствуйте", "en", "ru"),       # the first words beat the channel's hint
    (None, "12", "ru", "ru"),                 # no words: the hint
    (None, "12", "de", "en"),                 # a hint we do not speak: English
    ("en", "да", None, "en"),                 # a one-word reply never flips
    ("ru", "ok", None, "ru"),
    ("ru", "12", None, "ru"),
    ("en", "на тверской 12 яма", None, "ru"),  # a Russian sentence does
    ("ru", "there is a pothole on arbat 10", None, "en"),
])
def test_the_conversation_language_changes_only_on_enough_words(current, text, hint, chosen):
    assert language.choose(current, text, hint, offered=("en", "ru")) == chosen


def test_a_language_the_model_does_not_understand_is_never_chosen():
    assert language.choose(None, "на тверской 12 яма", "ru", offered=("en",)) == "en"
    assert language.choose("en", "какой статус у заявки", None, offered=("en",)) == "en"


@pytest.fixture
def russian_offered(monkeypatch):
    monkeypatch.setattr(language, "OFFERED", ("en", "ru"))


@pytest.mark.parametrize(("hint", "code"), [
    ("ru", "ru"), ("ru-RU", "ru"), ("en_GB", "en"), ("uk", None), (None, None), ("", None)])
def test_channel_hints_are_read_as_language_codes(hint, code):
    assert language.from_hint(hint) == code


def _tracker(text: str, slots: dict[str, Any], metadata: dict[str, Any] | None = None,
             before: list[dict[str, Any]] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": "change_language"}, "metadata": metadata or {}}
    events = [*(before or []), {"event": "user", "text": text, "parse_data": message}]
    return Tracker("citizen", slots, message, events, False, None, {}, "action_listen")


def _extract(tracker: Tracker) -> dict[str, Any]:
    return asyncio.run(ValidateSlotMappings().extract_language(
        CollectingDispatcher(), tracker, DOMAIN))


def test_every_message_keeps_the_language_slot(russian_offered):
    assert _extract(_tracker("здравствуйте, яма на тверской", {})) == {"language": "ru"}
    assert _extract(_tracker("hello", {}, {"telegram": {"language_code": "ru"}})) == {
        "language": "en"}  # the citizen's words beat Telegram's language_code
    assert _extract(_tracker("/greet", {}, {"webchat": {"lang": "ru"}})) == {"language": "ru"}
    assert _extract(_tracker("да", {"language": "en"})) == {}
    # asked for: stays, whatever they write
    assert _extract(_tracker("is it open today", {"language": "ru", "language_chosen": True})) == {}


def _switch(text: str, slots: dict[str, Any], before: list[dict[str, Any]] | None = None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionChangeLanguage().run(dispatcher, _tracker(text, slots, before=before),
                                                    DOMAIN))
    return [m.get("text") for m in dispatcher.messages], {e["name"]: e["value"] for e in events}


def test_asking_for_a_language_switches_to_it_and_says_so_in_it(russian_offered):
    said, slots = _switch("can you talk russian? my english is not good", {"language": "en"})
    assert said == ["Хорошо, продолжим по-русски."]
    assert slots == {"language": "ru", "language_chosen": True}
    said, slots = _switch("а можно на английском", {"language": "ru"})
    assert said == ["OK, let's continue in English."] and slots["language"] == "en"


def test_language_command_switches_to_the_other_language_than_before_the_request(
    russian_offered,
):
    # "другой язык" was read as Russian before the action ran; the switch goes from English
    before = [{"event": "slot", "name": "language", "value": "en"}]
    _, slots = _switch("другой язык пожалуйста", {"language": "ru"}, before)
    assert slots["language"] == "ru"
    _, slots = _switch("/change_language", {"language": "ru"},
                       [{"event": "slot", "name": "language", "value": "ru"}])
    assert slots["language"] == "en"


def test_a_language_not_offered_yet_is_declined_in_both_languages(monkeypatch):
    monkeypatch.setattr(language, "OFFERED", ("en",))
    said, slots = _switch("можно по-русски?", {"language": "en"})
    assert said == ["For now I speak English only.\nПока я говорю только по-английски."]
    assert slots == {}


def test_joined_texts_and_dates_are_in_the_conversation_language():
    russian = localized(DOMAIN, _tracker("x", {"language": "ru"}))
    english = localized(DOMAIN, _tracker("x", {}))
    assert render(russian, "utter_kind_hot") == "горячая вода"
    assert render(english, "utter_kind_hot") == "hot water"
    assert render(russian, "utter_only_english") == "English only"  # not yet translated
    assert day(date(2026, 12, 17), "ru") == "17 декабря 2026"
    assert moment(datetime(2026, 12, 17, 20, 0), "ru") == "17 декабря 2026, 20:00"
    assert day(date(2026, 12, 17)) == "17 December 2026"


def test_a_vehicle_certificate_says_nothing_about_the_language():
    """Its two letters ("97 ОР 135790") are no Russian word; the words around it still count."""
    from bot.language import read

    assert read("97 ОР 135790").language is None
    assert read("my sts is 77 УВ 123456 any fines").language == "en"
    assert read("проверь штрафы по стс 77 ув 123456").language == "ru"
