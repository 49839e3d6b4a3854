"""What Rasa's tracker events mean for the console: one conversation's events folded into the
columns of its ``conversation_index`` row, and its day-by-day activity for analytics.

The conversation's language is the latest value of the ``language`` slot, which the assistant
keeps (``action_validate_slot_mappings``, ``action_change_language``; :mod:`bot.language`):
None until it is first set. What the citizen wrote is kept for search masked
(:func:`bot.console.privacy.mask_pii`, as every transcript shows it to reviewers) and folded
(:func:`search_key`): a search can find only what staff see, never a masked number digit by digit.

Pure functions over events (no database): :func:`fold_event` folds one event into a row (a dict
of ``ConversationIndex`` columns, :func:`new_row`), :class:`DayTally` collects what a batch adds
to the analytics tables. :mod:`bot.console.index` reads the events and writes the rows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot import services
from bot.console.privacy import mask_pii
from connectors.webchat_protocol import is_notification, said_by_citizen

LOW_CONFIDENCE = 0.5  # a citizen message below this is highlighted
FIRST_MESSAGE_CHARS = 300

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({
    "action_default_fallback",
    "action_two_stage_fallback",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_clarify",  # citybot's answer to nlu_fallback (data/rules/basics.yml)
})
HANDOFF_INTENT = "human_handoff"
HANDOFF_ACTION = "action_handoff"
# The service catalogue (../shared/SERVICES.md): intents and forms that count as a service used.
SERVICE_INTENTS = frozenset(services.SERVICE_INTENTS)
FORM_SERVICES = services.FORM_SERVICES
# The funnel of a form: started (the form became active) -> confirmed (its confirmation slot set
# to true; any other "<x>_confirmed" slot counts for the active form) -> filed (its filing
# action ran and answered with anything but one of the refusals below).
CONFIRM_SLOTS = {
    "report_confirmed": "problem_report_form",
    "meter_confirmed": "meter_readings_form",
    "doctor_confirmed": "doctor_appointment_form",
    "subscription_confirmed": "subscription_form",
    "vote_confirmed": "vote_form",
}
# A form whose last step is the city's answer, not a filing action: this slot set to one of
# these values (a lookup shown, a booking or cancellation made, a vote counted). A lookup
# confirms nothing.
ANSWER_SLOTS = {
    "fines_outcome": ("fines_form", ("shown",)),
    "doctor_outcome": ("doctor_appointment_form", ("booked", "cancelled")),
    "vote_outcome": ("vote_form", ("voted",)),
}
# A vote counted in a poll (actions/polls.py sets this slot to the poll's id): kept per poll as a
# ``form_days`` stage of the vote form, "poll:<id>" (the analytics page's votes per poll).
POLL_VOTED_SLOT = "poll_voted"
VOTE_FORM = "vote_form"
POLL_STAGE = "poll:"
STAGE_CHARS = 16  # FormDay.stage
FILING_ACTIONS = {
    "action_file_report": "problem_report_form",
    "action_submit_meter_readings": "meter_readings_form",
    "action_subscription_done": "subscription_form",
}
NOT_FILED_RESPONSES = frozenset({
    "utter_report_cancelled", "utter_report_rejected",
    "utter_meter_cancelled", "utter_meter_rejected",
    "utter_subscription_not_made",
    "utter_city_unavailable",
})
LANGUAGE_SLOT = "language"  # domain.yml: "en" or "ru"
LANGUAGE_CHARS = 8  # ConversationIndex.language


def poll_stage(value: Any) -> str | None:
    """The ``form_days`` stage of a vote in the poll ``value`` (a ``poll_voted`` slot's value):
    "poll:3"; None when no poll is named (the slot cleared). A city's poll id longer than the
    column allows is cut short."""
    if value is None or not str(value).strip():
        return None
    return f"{POLL_STAGE}{str(value).strip()}"[:STAGE_CHARS]


def search_key(text: str) -> str:
    """Text as the search keeps and compares it: case-folded in Python (SQLite's lower() and
    LIKE fold ASCII only), ё as е (Russian is often typed without it)."""
    return text.casefold().replace("ё", "е")


def language_value(value: Any) -> str | None:
    """A ``language`` slot's value as the index keeps it ("en", "ru"), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()[:LANGUAGE_CHARS]


def event_time(ts: float | None) -> datetime | None:
    """A tracker timestamp (seconds since the epoch) as naive UTC."""
    if ts is None:
        return None
    return datetime.fromtimestamp(float(ts), tz=timezone.utc).replace(tzinfo=None)


def _add_token(column: str, token: str) -> str:
    if f" {token} " in column:
        return column
    return f"{column or ' '}{token} "


def message_confidence(parse_data: Mapping[str, Any]) -> tuple[str | None, float | None]:
    """The predicted intent of a message and the classifier's confidence in its best guess.

    Rasa's FallbackClassifier replaces a weak prediction by ``nlu_fallback`` with the threshold
    as its confidence; the informative figure is then the best real intent's confidence.
    """
    intent = parse_data.get("intent") or {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    if name == FALLBACK_INTENT:
        others = [
            r for r in parse_data.get("intent_ranking") or []
            if r.get("name") != FALLBACK_INTENT and r.get("confidence") is not None
        ]
        if others:
            confidence = max(float(r["confidence"]) for r in others)
    return name, (float(confidence) if confidence is not None else None)


def new_row(sender_id: str) -> dict[str, Any]:
    return {
        "id": None, "sender_id": sender_id, "channel": "", "started_at": None, "last_at": None,
        "first_message": "", "turns": 0, "events": 0, "services": "", "intents": "",
        "had_fallback": False, "min_confidence": None, "handed_off": False,
        "forms_started": "", "forms_confirmed": "", "forms_filed": "", "active_form": None,
        "language": None, "fold_state": {}, "last_event_id": 0,
    }


def _add_service(row: dict[str, Any], service: str | None) -> None:
    if service and service not in row["services"].split(","):
        row["services"] = f"{row['services']},{service}" if row["services"] else service


@dataclass
class DayTally:
    """What a batch of events adds to the analytics tables, by day of the city's calendar.

    ``days``: (sender, day) -> {"channel", "messages", "fallback", "handoff", "language"};
    ``intents``: (sender, day, intent) -> messages; ``forms``: (sender, day, form, stage). A
    turn's actions (and the language it left) count on the day of the citizen's message that
    started it.
    """

    zone: ZoneInfo
    days: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    intents: Counter[tuple[str, date, str]] = field(default_factory=Counter)
    forms: set[tuple[str, date, str, str]] = field(default_factory=set)

    def _day(self, row: dict[str, Any], day: date) -> dict[str, Any]:
        key = (row["sender_id"], day)
        if key not in self.days:
            self.days[key] = {"channel": row["channel"], "messages": 0, "fallback": False,
                              "handoff": False, "language": row["language"]}
        return self.days[key]

    def message(self, row: dict[str, Any], when: datetime, intent: str | None) -> None:
        day = when.replace(tzinfo=timezone.utc).astimezone(self.zone).date()
        row["fold_state"]["day"] = day.isoformat()
        self._day(row, day)["messages"] += 1
        if intent:
            self.intents[(row["sender_id"], day, intent[:100])] += 1

    def flag(self, row: dict[str, Any], name: str) -> None:
        day = row["fold_state"].get("day")
        if day:  # no citizen message yet: nothing to count it on
            self._day(row, date.fromisoformat(day))[name] = True

    def notification(self, row: dict[str, Any], when: datetime, intent: str) -> None:
        """A notification sent on that day: counted under its intent (``EXTERNAL_*``), not as
        a citizen message (the conversation's day is not touched: a citizen who only received
        notifications did not use the assistant that day)."""
        day = when.replace(tzinfo=timezone.utc).astimezone(self.zone).date()
        self.intents[(row["sender_id"], day, intent[:100])] += 1

    def language(self, row: dict[str, Any]) -> None:
        """The conversation's language changed: the day of its latest message ends in it."""
        day = row["fold_state"].get("day")
        if day:
            self._day(row, date.fromisoformat(day))["language"] = row["language"]

    def form(self, row: dict[str, Any], form: str, stage: str) -> None:
        day = row["fold_state"].get("day")
        if day:
            self.forms.add((row["sender_id"], date.fromisoformat(day), form[:64], stage))


def fold_event(row: dict[str, Any], event_id: int, type_name: str, timestamp: float | None,
               action_name: str | None, data: str | None, texts: list[str],
               tally: DayTally | None = None) -> None:
    """Fold one tracker event into a conversation row (a dict of ConversationIndex columns).

    ``texts`` collects what the citizen wrote (for the search table), ``tally`` the day's
    activity (for analytics). Only user, bot and slot events need their JSON; the rest is read
    from the table's columns.
    """
    row["events"] += 1
    row["last_event_id"] = event_id
    when = event_time(timestamp)
    if when is not None:
        if row["started_at"] is None or when < row["started_at"]:
            row["started_at"] = when
        if row["last_at"] is None or when > row["last_at"]:
            row["last_at"] = when
    state = row["fold_state"]

    def flag(name: str) -> None:
        row["had_fallback" if name == "fallback" else "handed_off"] = True
        if tally is not None:
            tally.flag(row, name)

    def reach(stage: str, form: str) -> None:
        column = f"forms_{stage}"
        row[column] = _add_token(row[column], form)
        if tally is not None:
            tally.form(row, form, stage)

    if type_name == "user":
        state.pop("filing", None)
        event = json.loads(data or "{}")
        if not row["channel"] and event.get("input_channel"):
            row["channel"] = str(event["input_channel"])[:64]
        if is_notification(event):
            # sent unasked (bot/notify): not the citizen's message, counted as a notification
            intent, _ = message_confidence(event.get("parse_data") or {})
            if tally is not None and when is not None and intent:
                tally.notification(row, when, intent)
            return
        text, by_citizen = said_by_citizen(event)
        if not by_citizen:
            return  # the widget's hidden start: not a turn, not a message
        row["turns"] += 1
        if text:
            texts.append(search_key(mask_pii(text)))
        if row["turns"] == 1:
            row["first_message"] = text[:FIRST_MESSAGE_CHARS]
        intent, confidence = message_confidence(event.get("parse_data") or {})
        if tally is not None and when is not None:
            tally.message(row, when, intent)
        if intent:
            row["intents"] = _add_token(row["intents"], intent)
            if intent in SERVICE_INTENTS:
                _add_service(row, intent)
            if intent == FALLBACK_INTENT:
                flag("fallback")
            if intent == HANDOFF_INTENT:
                flag("handoff")
        if confidence is not None and (
            row["min_confidence"] is None or confidence < row["min_confidence"]
        ):
            row["min_confidence"] = confidence
    elif type_name == "action":
        state.pop("filing", None)
        if action_name in FALLBACK_ACTIONS:
            flag("fallback")
        if action_name == HANDOFF_ACTION:
            flag("handoff")
        form = FILING_ACTIONS.get(action_name or "")
        if form and f" {form} " in row["forms_confirmed"]:
            state["filing"] = form  # filed unless its answer is a refusal
    elif type_name == "bot":
        form = state.pop("filing", None)
        if form:
            event = json.loads(data or "{}")
            if (event.get("metadata") or {}).get("utter_action") not in NOT_FILED_RESPONSES:
                reach("filed", form)
    elif type_name == "slot":
        name = action_name or ""
        if name == LANGUAGE_SLOT:
            row["language"] = language_value(json.loads(data or "{}").get("value"))
            if tally is not None:
                tally.language(row)
        elif name == POLL_VOTED_SLOT:
            stage = poll_stage(json.loads(data or "{}").get("value"))
            if stage and tally is not None:
                tally.form(row, VOTE_FORM, stage)
        elif name in ANSWER_SLOTS:
            form, answered = ANSWER_SLOTS[name]
            if json.loads(data or "{}").get("value") in answered:
                reach("filed", form)
        elif name.endswith("_confirmed"):
            event = json.loads(data or "{}")
            form = CONFIRM_SLOTS.get(name) or row["active_form"]
            if event.get("value") is True and form:
                reach("confirmed", form)
    elif type_name == "active_loop":
        row["active_form"] = action_name or None
        if action_name:
            reach("started", action_name)
            _add_service(row, FORM_SERVICES.get(action_name))
    elif type_name == "pause":
        flag("handoff")
    elif type_name == "restart":
        row["active_form"] = None
        state.pop("filing", None)
