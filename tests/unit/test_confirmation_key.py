"""One idempotency key per confirmation question (issue 13's fault harness: a "yes" repeated after
Rasa died mid-turn got a new key from its new timestamp, and the city a second request)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.common import confirmation_key


def _tracker(events: list[dict[str, Any]]) -> Tracker:
    return Tracker("citizen", {}, {}, events, False, None, {}, "action_listen")


ASKED = [{"event": "user", "text": "pothole at arbat 12", "timestamp": 1.0},
         {"event": "bot", "text": "Shall I send it?", "timestamp": 2.0},
         {"event": "action", "name": "action_listen", "timestamp": 2.1}]


def test_a_yes_repeated_after_its_turn_was_lost_gets_the_same_key():
    first = _tracker([*ASKED, {"event": "user", "text": "yes", "timestamp": 3.0}])
    again = _tracker([*ASKED, {"event": "user", "text": "yes please", "timestamp": 9.0}])
    assert confirmation_key(first, "report") == confirmation_key(again, "report")


def test_a_question_asked_again_is_a_new_confirmation():
    first = _tracker([*ASKED, {"event": "user", "text": "yes", "timestamp": 3.0}])
    asked_again = _tracker([*ASKED, {"event": "user", "text": "wait, arbat 10", "timestamp": 3.0},
                            {"event": "bot", "text": "Shall I send it?", "timestamp": 4.0},
                            {"event": "user", "text": "yes", "timestamp": 5.0}])
    assert confirmation_key(first, "report") != confirmation_key(asked_again, "report")
    assert confirmation_key(first, "report") != confirmation_key(first, "readings")


def test_nothing_asked_keys_on_the_message_itself():
    alone = _tracker([{"event": "user", "text": "yes", "timestamp": 3.0}])
    later = _tracker([{"event": "user", "text": "yes", "timestamp": 4.0}])
    assert confirmation_key(alone, "report") != confirmation_key(later, "report")
