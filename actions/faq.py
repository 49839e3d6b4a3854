"""Common questions: a curated answer with its official source, or an honest "no answer"; and
follow-up questions about the answer just given."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    answered_closing_words,
    latest_text,
    localized,
    previous_action,
    render,
)
from bot.faq import asks_about_answer, curated_topic, is_follow_up, surely_unanswered


class ActionAnswerFaq(Action):
    """A curated answer when the response selector is sure of the topic; else say there is none.
    Thanks right after an answer, asking nothing new, is thanks ("thanks, will apply online
    then")."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        selected = curated_topic(tracker.latest_message or {})
        follow_up = faq_follow_up(tracker, domain)
        if (follow_up is None and previous_action(tracker) == "action_answer_faq"
                and selected in (None, tracker.get_slot("last_faq_topic"))
                and answered_closing_words(dispatcher, tracker)):
            return []  # the answer is taken; a new topic ("thanks, now the parking permit") is not
        topic = selected or follow_up
        if topic and f"utter_{topic}" in (domain.get("responses") or {}):
            dispatcher.utter_message(response=f"utter_{topic}")
            return [SlotSet("last_faq_topic", topic)]
        dispatcher.utter_message(response="utter_faq_no_answer")
        return [SlotSet("last_faq_topic", None)]


def faq_follow_up(tracker: Tracker, domain: dict[str, Any]) -> str | None:
    """The topic just answered, when the citizen's next question leans on it ("is there a fee
    for that?") or asks about something its answer speaks of ("can I pay at the post office?"):
    its curated answer is the one that holds the fact, with its source."""
    topic = tracker.get_slot("last_faq_topic")
    if previous_action(tracker) != "action_answer_faq" or not topic:
        return None
    text = latest_text(tracker)
    if is_follow_up(text):
        return topic
    if not surely_unanswered(tracker.latest_message or {}) and asks_about_answer(
        text, render(localized(domain, tracker), f"utter_{topic}")
    ):
        return topic
    return None


def answered_as_faq_follow_up(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
) -> bool:
    """Answer with the topic just answered if the message follows it up; False if not."""
    topic = faq_follow_up(tracker, domain)
    if topic is None:
        return False
    dispatcher.utter_message(response=f"utter_{topic}")
    return True

