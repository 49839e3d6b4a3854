"""Webhook mode: set once (after Telegram's 429), forged updates refused, each update once."""

from __future__ import annotations

import itertools
import time

from tests.e2e.telegram.conftest import (
    SECRET,
    WEBHOOK_TOKEN,
    WEBHOOK_URL,
    Citizen,
    TelegramStack,
    calls,
    post_update,
    text_of,
)

# Update ids of our own, far from the emulator's counter.
_update_ids = itertools.count(900_000_001)


def update_from(citizen: Citizen, text: str) -> dict:
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": int(time.time()),
            "chat": {"id": citizen.chat_id, "type": "private", "first_name": "Anna"},
            "from": citizen.user,
            "text": text,
        },
    }


def test_the_webhook_is_set_once_with_the_secret_after_waiting_out_a_429(
    webhook_citizen: Citizen, telegram: TelegramStack
):
    webhook_citizen.say("hello")
    assert "What can I do for you?" in text_of(webhook_citizen.replies())
    seen = calls(WEBHOOK_TOKEN)
    set_calls = [c for c in seen["calls"] if c["method"] == "setWebhook"]
    assert len(set_calls) == 2  # refused once with retry_after, then set; never per message
    assert seen["webhook"] == {"url": WEBHOOK_URL, "secret_token": SECRET}


def test_a_forged_update_is_refused_and_not_processed(
    webhook_citizen: Citizen, telegram: TelegramStack
):
    for secret in (None, "guessed-wrong"):
        resp = post_update(update_from(webhook_citizen, "I want to report a problem"), secret)
        assert resp.status_code == 403
    assert webhook_citizen.silence() == []
    tracker = telegram.stack.tracker(str(webhook_citizen.chat_id))
    assert not [e for e in tracker["events"] if e["event"] == "user"]


def test_the_same_update_delivered_twice_is_answered_once(
    webhook_citizen: Citizen, telegram: TelegramStack
):
    update = update_from(webhook_citizen, "hello")
    first = post_update(update, SECRET)
    again = post_update(update, SECRET)
    assert (first.status_code, again.status_code) == (200, 200)
    webhook_citizen.sent += 1  # one update, delivered twice
    replies = webhook_citizen.replies()
    assert len(replies) == 1 and "What can I do for you?" in replies[0]["text"]
    assert webhook_citizen.silence() == []
    tracker = telegram.stack.tracker(str(webhook_citizen.chat_id))
    assert len([e for e in tracker["events"] if e["event"] == "user"]) == 1


def test_two_chats_interleaved_keep_their_conversations_apart(telegram: TelegramStack):
    ledger = telegram.stack.var / "citybot.db"
    anna, boris = Citizen(WEBHOOK_TOKEN, ledger), Citizen(WEBHOOK_TOKEN, ledger)
    anna.say("I want to report a problem")
    boris.say("where is the nearest service centre")
    assert "What kind of problem" in text_of(anna.replies())
    assert "Where are you?" in text_of(boris.replies())

    boris.say("Pokrovka 5")
    anna.press("Pothole")
    assert "The nearest public service centre to Pokrovka" in text_of(boris.replies())
    assert "Where is it?" in text_of(anna.replies())
    assert telegram.stack.tracker(str(anna.chat_id))["slots"]["problem_category"] == "pothole"
    assert telegram.stack.tracker(str(boris.chat_id))["slots"]["problem_category"] is None
