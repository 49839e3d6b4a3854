"""Conversation basics: session start, clarification, explain-why, stop, forget me, a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel import Locale
from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    EventType,
    FollowupAction,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher

from actions import doctor, fines, meters, notifications, polls, report
from actions.common import (
    latest_intent,
    CITY_TZ,
    SETTINGS,
    answered_closing_words,
    latest_entity,
    language_of,
    latest_text,
    localized,
    previous_action,
    render,
    store,
)
from actions.faq import answered_as_faq_follow_up
from actions.routing import follow_up, leans_on_last_answer
from actions.status import ActionCheckRequestStatus
from bot.emergency import is_emergency
from bot.filing import forget_sender
from bot.notify.words import names_notifications
from bot.health import asks_for_a_doctor
from bot.handoff import (
    WITHDRAWN,
    open_handoff,
    operator_hours,
    release_handoff,
    waiting_before,
    within_hours,
)
from bot.services import OFFERED_INTENTS
from bot.vehicles import find_certificate
from bot.smalltalk import asks_if_human, asks_what_i_do, back_to_bot, closing, farewell, greets_first

# Services offered as "did you mean" buttons, in the order of the catalogue.
SERVICE_INTENTS = OFFERED_INTENTS


def _form_resets() -> list[EventType]:
    return [
        *report.reset_report_slots(),
        *[SlotSet(name, None) for name in meters.FORM_SLOTS],
        *[SlotSet(name, None) for name in fines.FORM_SLOTS],
        *[SlotSet(name, None) for name in notifications.FORM_SLOTS],
        *[SlotSet(name, None) for name in doctor.FORM_SLOTS],
        *[SlotSet(name, None) for name in polls.FORM_SLOTS],
        SlotSet("requested_slot", None),
        SlotSet("pending_service", None),
    ]


class ActionSessionStart(Action):
    """A new session: the slots every response may use (the portal's address)."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _typed_session_start(tracker):
            # "/session_start" typed into a channel that passes text as it is (REST, the
            # widget): a fresh start that would otherwise answer nothing.
            dispatcher.utter_message(response="utter_greet")
        return [
            SessionStarted(),
            SlotSet("portal_url", SETTINGS.portal_url),
            ActionExecuted("action_listen"),
        ]


def _typed_session_start(tracker: Tracker) -> bool:
    """Whether this session start is the answer to the citizen's own "/session_start" (not a new
    conversation or an expired session, which start before the message is stored)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return (event.get("parse_data") or {}).get("intent", {}).get("name") == "session_start"
        if event.get("event") == "action" and event.get("name") == "action_listen":
            return False
    return False


class ActionClarify(Action):
    """Low confidence: offer the two likeliest services; a second miss offers a person."""

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        read = await read_in_context(dispatcher, tracker, domain, any_lookup=True)
        if read is not None:
            return read
        if previous_action(tracker) == self.name():
            dispatcher.utter_message(response="utter_clarify_operator")
            return []
        if greets_first(latest_text(tracker)):  # "hello, i have a question about documents"
            dispatcher.utter_message(response="utter_hello")
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        likely = [r["name"] for r in ranking if r.get("name") in SERVICE_INTENTS][:2]
        for name in SERVICE_INTENTS:
            if len(likely) >= 2:
                break
            if name not in likely:
                likely.append(name)
        buttons = [
            {"title": render(domain, f"utter_label_{name}"), "payload": f"/{name}"}
            for name in likely
        ]
        buttons.append(
            {"title": render(domain, "utter_clarify_something_else"), "payload": "/help"}
        )
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return []


class ActionExplain(Action):
    """Why do you need this? Answer for the slot being asked, then the form asks again."""

    def name(self) -> str:
        return "action_explain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        slot = tracker.get_slot("requested_slot")
        if slot is None and answered_as_faq_follow_up(dispatcher, tracker, domain):
            return []
        name = f"utter_explain_{slot}"
        if slot and name in (domain.get("responses") or {}):
            dispatcher.utter_message(response=name)
        else:
            dispatcher.utter_message(response="utter_explain_nothing")
        return []


class ActionStopForm(Action):
    """Leave whatever form is active; nothing is sent to the city."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not (tracker.active_loop or {}).get("name") and not tracker.get_slot("pending_service"):
            if tracker.get_slot("handoff_waiting"):
                # "never mind, I'll use the bot": no operator took it yet, so it is withdrawn.
                await release_handoff(await store(), tracker.sender_id, status=WITHDRAWN)
                dispatcher.utter_message(response="utter_handoff_withdrawn")
                return [SlotSet("handoff_waiting", None)]
            if names_notifications(latest_text(tracker)):
                # "stop notifications" read as a plain stop: what it asks for
                return await notifications.ActionUnsubscribeNotifications().run(
                    dispatcher, tracker, domain)
            dispatcher.utter_message(response="utter_nothing_to_stop")
            return []
        dispatcher.utter_message(response="utter_form_stopped")
        return [ActiveLoop(None), *_form_resets()]


class ActionForgetMe(Action):
    """Forget the citizen: their reports now, the conversation once this turn is stored."""

    def name(self) -> str:
        return "action_forget_me"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        forgotten = await forget_sender(await store(), tracker.sender_id)
        locale = Locale.parse(language_of(tracker))
        dispatcher.utter_message(
            response=f"utter_forget_me_done_{locale.plural_form(forgotten.deleted)}",
            count=forgotten.deleted)
        if forgotten.unfiled:  # promised to the city: still sent, then deleted here
            dispatcher.utter_message(
                response=f"utter_forget_me_unfiled_{locale.plural_form(forgotten.unfiled)}",
                count=forgotten.unfiled)
        # A fresh session: Rasa starts over and never loads what came before it again, which
        # bot.forgetting deletes from the tracker store and the console after this turn. (No
        # action_listen here: the session start makes listening Rasa's next step.)
        return [SessionStarted(), SlotSet("portal_url", SETTINGS.portal_url),
                SlotSet("language", language_of(tracker))]


class ActionHandoff(Action):
    """Hand the conversation to a person: record it and pause the assistant."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        if asks_if_human(text):  # "are you an actual human?" asks what the assistant is
            dispatcher.utter_message(response="utter_iamabot")
            return []
        await open_handoff(
            await store(),
            tracker.sender_id,
            reason=(tracker.latest_message or {}).get("intent", {}).get("name") or "",
            last_message=text[:2000],
        )
        ahead = await waiting_before(await store(), tracker.sender_id)
        hours = SETTINGS.operator_hours
        opens, closes = operator_hours(hours)
        if within_hours(hours, datetime.now(CITY_TZ).time()):
            dispatcher.utter_message(response="utter_handoff", opens=opens, closes=closes,
                                     ahead=ahead)
        else:
            dispatcher.utter_message(response="utter_handoff_after_hours", opens=opens,
                                     closes=closes)
        # The assistant keeps answering until an operator takes the conversation (the console
        # pauses it then), so the citizen can go on or take the request back.
        return [ActiveLoop(None), *_form_resets(), SlotSet("handoff_waiting", True)]


class ActionThank(Action):
    """Thanks outside a form: "you're welcome", or a goodbye when the thanks also say goodbye
    ("ок, спасибо, пока", read as thanks)."""

    def name(self) -> str:
        return "action_thank"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        said = closing(latest_text(tracker))
        dispatcher.utter_message(
            response="utter_goodbye" if said == "goodbye" else "utter_you_are_welcome")
        return []


class ActionGreet(Action):
    """A greeting, unless the greeting words say goodbye ("have a good evening") outside a form
    (inside one the form's question follows: a goodbye would contradict it)."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        leaving = not tracker.active_loop_name and farewell(latest_text(tracker))
        dispatcher.utter_message(response="utter_goodbye" if leaving else "utter_greet")
        return []


class ActionOutOfScope(Action):
    """Out of scope: say so plainly (a follow-up of an FAQ answer is answered instead)."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # Only a status follow-up by number: a place in a general question ("apple service
        # centre near tverskaya") is no office search.
        read = await read_in_context(dispatcher, tracker, domain, any_lookup=False)
        if read is None:
            dispatcher.utter_message(response="utter_out_of_scope")
        return read or []


async def read_in_context(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], *,
    any_lookup: bool,
) -> list[EventType] | None:
    """What a message the NLU could not place (or placed out of scope) still says, read against
    the conversation so far: the events of the answer given, or None when it says nothing here.

    In order: a vehicle certificate (its fines); danger the NLU could not place (a report, 112
    first); a doctor asked for (an appointment); a follow-up of the FAQ answer just given; a yes right after a cancelled report;
    "back to the bot" while waiting for a person; a farewell; whether it is a bot; a kind of problem with a place (a
    report), unless it follows a status answer; what the last lookup needs ("oh sorry, typo, it's
    100029"; a question about its answer right after it; with ``any_lookup`` also a place for the
    offices or outages); a question about what the assistant does; closing thanks.
    """
    if find_certificate(latest_text(tracker)):  # "77 ув 123456" read as nothing we know
        return [FollowupAction("fines_form")]
    if latest_intent(tracker) == "nlu_fallback" and is_emergency(latest_text(tracker)):
        # smoke, someone trapped, a gas smell, not understood as a report: it is one, and the
        # report form says 112 first
        return [FollowupAction("problem_report_form")]
    if asks_for_a_doctor(latest_text(tracker)):
        # symptoms and a doctor, read as a request for medical advice: an appointment is asked
        return [FollowupAction("doctor_appointment_form")]
    if answered_as_faq_follow_up(dispatcher, tracker, domain):
        return []
    after_all = await report.sent_after_all(dispatcher, tracker)
    if after_all is not None:
        return after_all
    if tracker.get_slot("handoff_waiting") and back_to_bot(latest_text(tracker)):
        return await ActionStopForm().run(dispatcher, tracker, domain)
    if closing(latest_text(tracker)) == "goodbye":  # "it was great to talk to you": no follow-up
        answered_closing_words(dispatcher, tracker)
        return []
    if asks_if_human(latest_text(tracker)):  # "are you an actual human?" asks for no person
        dispatcher.utter_message(response="utter_iamabot")
        return []
    answers = follow_up(tracker)
    # "на тверской 12 яма" right after the offices: a kind of problem with a place is a report,
    # not the next place to look up (a request number still goes to its status).
    if answers is not ActionCheckRequestStatus and names_a_report(tracker):
        return [FollowupAction("problem_report_form")]
    # Out of scope, a place is no lookup ("apple service centre near tverskaya"), but a question
    # that leans on the answer just given is ("а очередь там большая сейчас?" after the offices).
    leans = answers is not None and leans_on_last_answer(tracker, answers)
    if answers is not None and (any_lookup or leans or answers is ActionCheckRequestStatus):
        return await answers().run(dispatcher, tracker, domain)
    if asks_what_i_do(latest_text(tracker)):
        dispatcher.utter_message(response="utter_help")
        return []
    if answered_closing_words(dispatcher, tracker):
        return []
    return None


def names_a_report(tracker: Tracker) -> bool:
    """A message the NLU could not place that names a kind of city problem and a place, or a
    kind of problem with a report among its likeliest readings, is a report ("a pack of stray
    dogs keeps chasing children near petrovka 13")."""
    if tracker.get_slot("handoff_waiting") or not latest_entity(tracker, "problem_category"):
        return False
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    likely = [r.get("name") for r in ranking if r.get("name") != "nlu_fallback"][:2]
    return "report_problem" in likely or bool(latest_entity(tracker, "address"))
