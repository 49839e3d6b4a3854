"""A new session is silent, except when the citizen typed "/session_start" themselves: then they
are greeted, so no message goes unanswered (found by the REST fuzz, issue 13)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionSessionStart


def _tracker(events: list[dict[str, Any]]) -> Tracker:
    return Tracker("citizen", {"language": "en"}, {}, events, False, None, {}, "action_listen")


def _user(intent: str) -> dict[str, Any]:
    return {"event": "user", "text": f"/{intent}",
            "parse_data": {"intent": {"name": intent, "confidence": 1.0}}}


async def _said(events: list[dict[str, Any]]) -> list[str]:
    dispatcher = CollectingDispatcher()
    await ActionSessionStart().run(dispatcher, _tracker(events), {})
    return [m["response"] for m in dispatcher.messages]


async def test_a_typed_session_start_is_greeted():
    assert await _said([_user("greet"), {"event": "action", "name": "action_listen"},
                        _user("session_start"),
                        {"event": "action", "name": "action_extract_slots"}]) == ["utter_greet"]


async def test_a_new_conversation_or_an_expired_session_starts_silently():
    assert await _said([]) == []
    assert await _said([_user("session_start"), {"event": "bot", "text": "Hello!"},
                        {"event": "action", "name": "action_listen"}]) == []
