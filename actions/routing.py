"""A bare answer outside a form ("arbat", "100234") goes to the lookup that asked for it, or
follows up the last one ("and in Sokolniki?"); "send it after all" right after a cancelled report
files it (a plain yes is asked back), and a no to that question keeps it unsent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import answer_events, latest_entity, latest_text, shared_location
from actions.places import ActionCheckOutages, ActionFindOffice
from actions.report import kept_unsent, sent_after_all
from actions.status import ActionCheckRequestStatus
from bot.faq import is_follow_up
from bot.health import find_specialty
from bot.places import address_candidates
from bot.textparse import parse_request_id, parse_token
from bot.vehicles import find_certificate

WAITING: dict[str, type[Action]] = {
    "find_office": ActionFindOffice,
    "check_outages": ActionCheckOutages,
    "check_request_status": ActionCheckRequestStatus,
}


def _waiting(tracker: Tracker) -> type[Action] | None:
    """The lookup that asked a question, else the one answered last (a follow-up)."""
    return WAITING.get(
        tracker.get_slot("pending_service") or tracker.get_slot("last_service") or ""
    )


class ActionAnswerPending(Action):
    def name(self) -> str:
        return "action_answer_pending"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if find_certificate(latest_text(tracker)):
            # a vehicle certificate, whatever was asked last: its six digits are no request
            # number and no house
            return [FollowupAction("fines_form")]
        waiting = _waiting(tracker)
        if waiting is None and shared_location(tracker) is not None:
            waiting = ActionFindOffice  # a location out of the blue: the nearest office
        entities = (tracker.latest_message or {}).get("entities") or []
        if waiting is None:
            started = unasked_answer_starts(entities, latest_text(tracker))
            if started == "report_problem":
                return [FollowupAction("problem_report_form")]
            if started == "check_fines":
                return [FollowupAction("fines_form")]
            if started == "book_doctor":
                return [FollowupAction("doctor_appointment_form")]
            if started == "check_request_status":
                waiting = ActionCheckRequestStatus
        if waiting is None and not entities:
            # an answer to nothing that names nothing ("blorf zibble quux"): not understood
            return [FollowupAction("action_clarify")]
        if waiting is None:
            dispatcher.utter_message(response="utter_help")
            return []
        return await waiting().run(dispatcher, tracker, domain)


def unasked_answer_starts(entities: list[dict[str, Any]], text: str) -> str | None:
    """The service an answer starts when no question asked for it: a problem named is a report
    ("the street light is out" read as a bare answer), a vehicle certificate that vehicle's
    fines, a doctor named an appointment with one, a request number or a pasted reference token that request's status ("100014" out of
    the blue); else none. The held-out test counts
    what a message starts by the same rule (tests/integration/test_nlu_heldout.py)."""
    def first(name: str) -> str | None:
        return next((str(e["value"]) for e in entities
                     if e.get("entity") == name and e.get("value")), None)

    if first("problem_category"):
        return "report_problem"
    # "77 ув 123456" out of the blue: that vehicle's fines (its six digits may also read as
    # a request number, so the certificate is looked for first)
    if find_certificate(text):
        return "check_fines"
    # "i need a dentist": a doctor named (not a child alone: "my son needs a school place")
    if find_specialty(text, for_child=False):
        return "book_doctor"
    request = first("request_id")
    if (request and parse_request_id(request)) or parse_token(text):
        return "check_request_status"
    return None


class ActionAffirm(Action):
    """A yes outside a form: "send it after all" right after a cancelled report files it."""

    def name(self) -> str:
        return "action_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        after_all = await sent_after_all(dispatcher, tracker)
        if after_all is not None:
            return after_all
        dispatcher.utter_message(response="utter_help")
        return [SlotSet("report_draft", None)]


class ActionHelp(ActionAffirm):
    """What the assistant can do; but right after a cancelled report, "I pressed no by mistake,
    please send it" read as a call for help files it, as a yes would."""

    def name(self) -> str:
        return "action_help"


class ActionDeny(Action):
    """A no outside a form: after "Shall I send it after all?" the report stays unsent; right
    after a cancelled report, words that ask to send it file it; otherwise what the assistant
    can do."""

    def name(self) -> str:
        return "action_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if kept_unsent(tracker):
            dispatcher.utter_message(response="utter_report_cancelled")
            return [SlotSet("report_draft", None)]
        # "ой, я случайно нажала нет, отправьте" reads as a no: its words still ask to send
        after_all = await sent_after_all(dispatcher, tracker)
        if after_all is not None:
            return after_all
        dispatcher.utter_message(response="utter_help")
        return [SlotSet("report_draft", None)]


def follow_up(tracker: Tracker) -> type[Action] | None:
    """The lookup a message not understood still answers: the one that asked, or the last one,
    when the message carries what it needs ("oh sorry, typo, it's 100029")."""
    waiting = _waiting(tracker)
    text = latest_text(tracker)
    if waiting is ActionCheckRequestStatus:
        found = parse_request_id(text) or parse_token(text) or latest_entity(tracker, "request_id")
    elif waiting is not None:
        found = (latest_entity(tracker, "address") or latest_entity(tracker, "district")
                 or address_candidates(text)
                 # "when exactly does it start?" right after the outages: the same place again
                 or leans_on_last_answer(tracker, waiting))
    else:
        found = None
    return waiting if found else None


def leans_on_last_answer(tracker: Tracker, lookup: type[Action]) -> bool:
    """Whether the message asks about the answer ``lookup`` gave to the citizen's previous
    message ("а очередь там большая?" right after the offices), however that answer was reached
    (asked directly, or as the answer to its own question "where are you?")."""
    return WAITING.get(_answered_last(tracker) or "") is lookup and is_follow_up(latest_text(tracker))


def _answered_last(tracker: Tracker) -> str | None:
    """The lookup ("find_office", …) that answered the citizen's previous message, if one did
    (each sets ``last_service`` when it answers)."""
    return next((e.get("value") for e in answer_events(tracker)
                 if e.get("event") == "slot" and e.get("name") == "last_service"), None)
