"""The conversation's language: read from every message, switched on request."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.common import in_language, is_news, render, slot_before_latest
from bot import language

# What a request to switch names ("in English", "по-русски", "на английском").
_ASKED_FOR = (
    (re.compile(r"english|английск|anglijsk|angliysk|по-?англ", re.IGNORECASE), "en"),
    (re.compile(r"russian|русск|russk|po-?russki", re.IGNORECASE), "ru"),
)


def channel_hint(tracker: Tracker) -> str | None:
    """The channel's language hint in the latest message's metadata: Telegram's user
    language_code or the portal page's <html lang>."""
    metadata = tracker.latest_message.get("metadata") or {}
    return ((metadata.get("telegram") or {}).get("language_code")
            or (metadata.get("webchat") or {}).get("lang"))


def language_before_latest(tracker: Tracker) -> str:
    """The conversation's language before the latest message was read."""
    return slot_before_latest(tracker, "language") or language.DEFAULT


class ValidateSlotMappings(ValidationAction):
    """Runs after every message: keeps the ``language`` slot (a custom slot mapping)."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        text = tracker.latest_message.get("text") or ""
        current = tracker.get_slot("language")
        if current and tracker.get_slot("language_chosen"):
            return {}
        # a button's payload is no one's words, nor is news the notifier sent
        said = "" if text.startswith("/") or is_news(tracker) else text
        chosen = language.choose(current, said, channel_hint(tracker))
        return {} if chosen == current else {"language": chosen}


class ActionChangeLanguage(Action):
    """"in English please", "по-русски", /language: the language asked for, or the other one."""

    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        before = language_before_latest(tracker)
        named = {code for pattern, code in _ASKED_FOR if pattern.search(text)}
        # one language named: that one ("in English please"); none ("/language", "another
        # language please") or both ("can you talk russian? my english is not good"): the one
        # the conversation was not in before this message (the slot may already hold the
        # language the request was written in)
        asked = named.pop() if len(named) == 1 else ("en" if before == "ru" else "ru")
        if asked not in language.OFFERED:
            # said in both languages: the citizen may read only the one asked for
            dispatcher.utter_message(text="\n".join(
                render(in_language(domain, code), "utter_language_unavailable")
                for code in dict.fromkeys((before, asked))))
            return []
        dispatcher.utter_message(text=render(in_language(domain, asked), "utter_language_switched"))
        return [SlotSet("language", asked), SlotSet("language_chosen", True)]
