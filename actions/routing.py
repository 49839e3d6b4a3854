"""A bare answer outside a form ("arbat", "100234") goes to the lookup that asked for it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import shared_location
from actions.places import ActionCheckOutages, ActionFindOffice
from actions.status import ActionCheckRequestStatus

WAITING: dict[str, type[Action]] = {
    "find_office": ActionFindOffice,
    "check_outages": ActionCheckOutages,
    "check_request_status": ActionCheckRequestStatus,
}


class ActionAnswerPending(Action):
    def name(self) -> str:
        return "action_answer_pending"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        waiting = WAITING.get(tracker.get_slot("pending_service") or "")
        if waiting is None and shared_location(tracker) is not None:
            waiting = ActionFindOffice  # a location out of the blue: the nearest office
        if waiting is None:
            dispatcher.utter_message(response="utter_help")
            return []
        return await waiting().run(dispatcher, tracker, domain)
