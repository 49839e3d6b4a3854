"""What every action needs: settings, the city, the app store, and response templates."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
import hashlib
import json
import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names
from babel.numbers import format_decimal
from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.city import City
from bot.config import Settings, load_settings
from bot.corrections import yes_or_no
from bot.smalltalk import closing
from bot.language import DEFAULT as DEFAULT_LANGUAGE
from bot.language import LANGUAGES
from bot.store import Store

log = logging.getLogger(__name__)

SETTINGS: Settings = load_settings()
CITY_TZ = ZoneInfo(SETTINGS.city_timezone)

# Where a localized domain says its language (not a key Rasa's domain has).
LANGUAGE_KEY = "citybot_language"

@dataclass
class Resources:
    """What the actions of one action server share: the city's clients on one HTTP session and
    the app database. Opened by the server's start hook and closed by its stop hook
    (bot.actionserver); an action asks for them by :func:`city` and :func:`store`."""

    city: City
    store: Store

    async def close(self) -> None:
        await self.city.close()
        await self.store.close()


_open: Resources | None = None


async def open_resources(settings: Settings) -> None:
    """Open this process's resources (the action server's start)."""
    global _open  # noqa: PLW0603 - one set per process, owned by the server's hooks
    _open = Resources(City.open(settings), await Store(settings.app_database_url).ready())


async def close_resources() -> None:
    """Close them (the action server's stop)."""
    global _open  # noqa: PLW0603
    if _open is not None:
        await _open.close()
        _open = None


def _resources() -> Resources:
    if _open is None:
        raise RuntimeError("the action server has not opened its resources "
                           "(bot.actionserver does at start)")
    return _open


def city() -> City:
    return _resources().city


async def store() -> Store:
    """The process's app database."""
    return _resources().store


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def language_of(tracker: Tracker) -> str:
    """The conversation's language (the ``language`` slot, kept by actions/language.py)."""
    value = tracker.get_slot("language")
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def _speaks(variant: dict[str, Any], language: str) -> bool:
    """Whether a response variation is the language's: Russian ones carry the condition
    ``language: ru``; those without a language condition are English."""
    said = [c.get("value") for c in variant.get("condition") or [] if c.get("name") == "language"]
    return (said[0] if said else DEFAULT_LANGUAGE) == language


def localized(domain: dict[str, Any], tracker: Tracker) -> dict[str, Any]:
    """The domain in the conversation's language, for actions that join response texts into
    one message with :func:`render` (Rasa picks the variation itself for the responses an
    action names)."""
    return in_language(domain, language_of(tracker))


def in_language(domain: dict[str, Any], language: str) -> dict[str, Any]:
    """The domain whose :func:`render` speaks the language."""
    return {**domain, LANGUAGE_KEY: language}


def language_in(domain: dict[str, Any]) -> str:
    """The language of a :func:`localized` domain (English for any other)."""
    return str(domain.get(LANGUAGE_KEY, DEFAULT_LANGUAGE))


def render(domain: dict[str, Any], response: str, /, **values: Any) -> str:
    """Fill a response template of the domain (for lines the action joins into one message),
    in the language of a :func:`localized` domain (English for any other)."""
    language = language_in(domain)
    variants = [v for v in (domain.get("responses") or {}).get(response) or []
                if v.get("text") and not v.get("channel")]
    # a text not yet translated is better said in English than not at all (a unit test keeps
    # every response translated)
    for variant in [*filter(lambda v: _speaks(v, language), variants),
                    *filter(lambda v: _speaks(v, DEFAULT_LANGUAGE), variants)]:
        return str(variant["text"]).format_map(_Blank(values))
    log.error("response %s is missing from the domain", response)
    return ""


def confirmation_key(tracker: Tracker, purpose: str) -> str:
    """One idempotency key per confirmation question: every "yes" to the same question gives
    the same key.

    The question is the assistant's last message before the citizen's latest one. Rasa re-sends
    an action call when the action server is slow (the same tracker); a client repeats a "yes"
    whose turn died with Rasa, or Telegram hands the update on again after a restart (nothing
    of that turn was stored, so the question is still the last thing said): the key is the
    same, and the city files once. A question asked again (after a correction) is a new one.
    """
    last_user_at = next(
        (i for i in range(len(tracker.events) - 1, -1, -1)
         if tracker.events[i].get("event") == "user"), None)
    asked = next(
        (e for e in reversed(tracker.events[:last_user_at or 0]) if e.get("event") == "bot"),
        None,
    )
    if asked is not None:
        stamp = f"{tracker.sender_id}|{purpose}|asked|{asked.get('timestamp')}"
    else:  # nothing was asked (a confirmation out of the blue): the message itself
        said = tracker.events[last_user_at] if last_user_at is not None else {}
        stamp = f"{tracker.sender_id}|{purpose}|{said.get('timestamp')}|{said.get('text')}"
    return f"{purpose}-{hashlib.sha256(stamp.encode()).hexdigest()[:32]}"


def day(value: date | datetime | None, language: str = DEFAULT_LANGUAGE) -> str:
    """A date as the language writes it ("17 December 2026", "17 декабря 2026")."""
    if value is None:
        return "-"
    return format_date(value, "d MMMM y", locale=language)


def moment(value: datetime | None, language: str = DEFAULT_LANGUAGE) -> str:
    """A date and time in the city's time zone ("17 December 2026, 20:00")."""
    if value is None:
        return "-"
    if value.tzinfo is not None:
        value = value.astimezone(CITY_TZ)
    return format_datetime(value, "d MMMM y, HH:mm", locale=language)


def weekday(number: int, language: str = DEFAULT_LANGUAGE) -> str:
    """A weekday (Monday 0) named as the language names it, capitalised ("Saturday",
    "Суббота"): it opens a line of opening hours ("Суббота: 10:00-16:00"), and Russian writes
    its day names in lower case."""
    name = get_day_names("wide", "stand-alone", locale=language)[number]
    return name[:1].upper() + name[1:]


def quantity(value: float, language: str = DEFAULT_LANGUAGE) -> str:
    """A measured number as the language writes it ("154.8", "154,8"; "50", not "50.0").

    Up to three decimals, as Python rounds the float (what English texts always showed), and
    never grouped: a meter reading is copied off the meter ("1234.5", not "1,234.5"), and in a
    Russian text the only comma in a number is its decimal one.
    """
    return format_decimal(Decimal(f"{value:.3f}"), "0.###", locale=language)


def option_payload(value: str, intent: str = "inform") -> str:
    """A button's payload choosing one option of a question (``/inform{"option": "..."}``); with
    another ``intent``, a button that also says what it is for (``/vote{"option": "poll:3"}``)."""
    return f"/{intent}" + json.dumps({"option": value}, ensure_ascii=False)


def latest_text(tracker: Tracker) -> str:
    """What the citizen wrote last ("" for none)."""
    return str((tracker.latest_message or {}).get("text") or "")


def is_news(tracker: Tracker) -> bool:
    """Whether the latest "message" is news the notifier sent (an external event Rasa stores as
    a user turn "EXTERNAL: <intent>", marked ``is_external``), not the citizen's words."""
    return bool(((tracker.latest_message or {}).get("metadata") or {}).get("is_external"))


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def answer_events(tracker: Tracker) -> list[dict[str, Any]]:
    """The events of the assistant's answer to the citizen's previous message (between that
    message and the latest one), newest first."""
    found: list[dict[str, Any]] = []
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                break
            seen_user = True
        elif seen_user:
            found.append(event)
    return found


def events_since_message(tracker: Tracker) -> list[dict[str, Any]]:
    """The events after the citizen's latest message (what this turn did so far), newest
    first."""
    found: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        found.append(event)
    return found


def slot_before_latest(tracker: Tracker, name: str) -> Any:
    """The value the slot was last set to before the citizen's latest message (None if never)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == name:
            return event.get("value")
    return None


def previous_action(tracker: Tracker) -> str | None:
    """The assistant's last action before the latest user message (listening skipped)."""
    return next((e["name"] for e in answer_events(tracker) if e.get("event") == "action"
                 and e.get("name") not in ("action_listen", None)), None)


def latest_entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return None if value is None else str(value)


def shared_location(tracker: Tracker) -> tuple[float, float] | None:
    """(lat, lon) when the latest message is a location the citizen shared (channel metadata)."""
    found = ((tracker.latest_message or {}).get("metadata") or {}).get("location") or {}
    try:
        return float(found["lat"]), float(found["lon"])
    except (KeyError, TypeError, ValueError):
        return None


def shared_photo(tracker: Tracker) -> str | None:
    """The URL of a photo the citizen sent with the latest message (channel metadata)."""
    url = ((tracker.latest_message or {}).get("metadata") or {}).get("photo_url")
    return str(url) if url else None


# Intents that carry an answer to the form's question, or the words of one.
ANSWERS = ("inform", "nlu_fallback", "report_problem")


def never_reject(
    dispatcher: CollectingDispatcher, tracker: Tracker, events: list[EventType]
) -> list[EventType]:
    """An answer that fills nothing gets the question again, with a word why.

    (Rasa would reject the form and end in "I didn't understand" with the form still open.)
    Other intents are let through: a rejection lets the policies answer a misread interruption
    ("actually, stop", a question about something else).
    """
    requested = tracker.get_slot("requested_slot")
    filled = any(
        e.get("event") == "slot" and e.get("name") != "requested_slot" for e in events
    )
    if requested and not filled and latest_intent(tracker) in ANSWERS:
        dispatcher.utter_message(response="utter_answer_the_question")
        return [*events, SlotSet(requested, None)]
    return events


# Below this an affirm or a deny is a lean, not a reading (the fallback threshold was 0.55 before
# issue 12 lowered it to 0.45: docs/nlu.md).
SURE_YES_OR_NO = 0.55


def plain_yes_or_no(tracker: Tracker, slot: str) -> dict[str, Any]:
    """``{slot: True/False}`` read from the words when the confirmation ``slot`` is asked and the
    NLU heard neither affirm nor deny ("no don't submit yet, I want to double check"), or leaned
    the other way than plain words say ("alright, send it" read as a deny at 0.52)."""
    if tracker.get_slot("requested_slot") != slot:
        return {}
    answer = yes_or_no(latest_text(tracker))
    intent = ((tracker.latest_message or {}).get("intent") or {})
    if answer is None:
        return {}
    if intent.get("name") in ("affirm", "deny") and (
            float(intent.get("confidence") or 0.0) >= SURE_YES_OR_NO
            or answer == (intent.get("name") == "affirm")):
        return {}
    return {slot: answer}


def answered_closing_words(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Thanks or goodbye said with something else ("they're out now, the firemen opened the
    doors. thanks"): answered as such; False if the message has no such words."""
    said = closing(latest_text(tracker))
    if said is None:
        return False
    dispatcher.utter_message(
        response="utter_goodbye" if said == "goodbye" else "utter_you_are_welcome"
    )
    return True


# Answers in a row a form could not use before it stops.
ATTEMPTS = 3


@dataclass(frozen=True)
class Retries:
    """Answers in a row a form could not use, counted in the slot ``counter``: each gets its
    reason and the question again; the :data:`ATTEMPTS`-th ends the form with ``too_many``,
    its ``outcome`` slot set to ``gave_up`` and the asked slot to ``stop_value`` (what the
    form's ``required_slots`` reads as nothing more to ask)."""

    counter: str
    outcome: str
    gave_up: str
    too_many: str
    stop_value: str | None = "-"

    def wrong(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str,
              response: str, **values: Any) -> dict[str, Any]:
        """The slot values for an answer to ``slot`` that cannot be used (``response`` says
        why, with ``values``)."""
        tries = int(tracker.get_slot(self.counter) or 0) + 1
        if tries >= ATTEMPTS:
            dispatcher.utter_message(response=self.too_many)
            return {slot: self.stop_value, self.counter: None, self.outcome: self.gave_up}
        dispatcher.utter_message(response=response, **values)
        return {slot: None, self.counter: float(tries)}


class LocalizedFormValidation(FormValidationAction, metaclass=ABCMeta):
    """A form's validation whose texts speak the conversation's language, where an answer
    that fills nothing gets the question again (:func:`never_reject`) and news is left alone. Abstract, so the action
    server does not register it itself."""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if is_news(tracker):
            # News told in the middle of a form is no answer (the forms ignore its intents): the
            # form is rejected, the rules say the news, and the form asks its question again.
            return []
        domain = localized(domain, tracker)
        return never_reject(dispatcher, tracker, await super().run(dispatcher, tracker, domain))
