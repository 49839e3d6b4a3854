"""Service 9: the city's polls ("Active Citizen"): the open ones listed, and one vote in one.

``show_polls`` lists the open polls with a button each; ``vote`` starts ``vote_form``: which
poll (its button, the poll the message names, or the only one open; else asked with the open
ones as buttons), which option (its button, its words or its number), a yes before anything is
sent, then the vote, as a citizen the city knows only by a keyed hash of the channel and sender
(``bot.polls.citizen_id``). The city counts one vote per citizen and poll: a second one is
answered politely, with what the citizen chose and how the poll stands. Results are plain lines
("Lindens: 4,121 votes, 33.4 per cent") that a screen reader reads as they are.

What the form learnt from the city (the polls offered, the poll chosen with its options) is kept
in slots, so its questions are asked without calling the city again.
"""

from __future__ import annotations

import functools
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    option_payload,
    Retries,
    ANSWERS,
    SETTINGS,
    LocalizedFormValidation,
    city,
    day,
    language_in,
    latest_entity,
    latest_intent,
    latest_text,
    localized,
    plain_yes_or_no,
    render,
)
from bot.city import CityNotFound, CityRejected, CityUnavailable
from bot.city.errors import CityProtocolError
from bot.city.polls import ALREADY_VOTED, Poll, PollResult
from bot.config import kept_secret
from bot.polls import (
    option_named,
    chosen_option,
    citizen_id,
    has_own_words,
    named_poll,
    poll_of_option,
    position,
)

log = logging.getLogger(__name__)

# The form's slots, cleared when it ends (``poll_voted`` too: the console counts its events).
FORM_SLOTS = ("poll_id", "poll_option", "vote_confirmed", "vote_poll", "vote_polls",
              "vote_outcome", "poll_voted", "vote_attempts")
# How the form ended before a vote was sent (the ``vote_outcome`` slot), or what the vote got.
VOTED, ALREADY, REFUSED, FAILED, NONE_OPEN, GAVE_UP = (
    "voted", "already_voted", "refused", "failed", "none_open", "gave_up")
# Answers in a row that name no poll or no option, up to actions.common.ATTEMPTS.
RETRIES = Retries("vote_attempts", "vote_outcome", GAVE_UP, "utter_polls_too_many_attempts")
OPEN = "open"
# A poll's button says so in the ``option`` entity ("poll:3"); an option's button is its id.
POLL_BUTTON = "poll:"
# Intents that may carry the answer to "which poll?" or "which option?" (a typed option reads
# as anything; the service's own words too: "the metro one, vote").
ANSWERING = (*ANSWERS, "out_of_scope", "vote", "show_polls")
# Intents the dialogue answers as interruptions (data/rules/forms.yml), whatever words come
# with them.
INTERRUPTIONS = ("stop", "restart", "human_handoff", "explain", "change_language", "forget_me",
                 "help", "bot_challenge", "faq")
# Where the key of citizens' identities is made once and kept (share it between replicas of the
# action server, as the console's secret: another key makes every citizen new to the city).
CITIZEN_KEY_FILE = "polls_citizen_key"


@functools.lru_cache(maxsize=4)
def _key_at(path: Path) -> bytes:
    return kept_secret(path).encode()


def citizen_key() -> bytes:
    """The key of citizens' identities (``var/polls_citizen_key``, made once, owner-only)."""
    return _key_at(SETTINGS.var_dir / CITIZEN_KEY_FILE)


def citizen_of(tracker: Tracker) -> str:
    """The citizen the city counts this conversation's votes for."""
    return citizen_id(tracker.get_latest_input_channel(), tracker.sender_id, citizen_key())


# ------------------------------------------------------------------------------ texts


def votes_said(count: int, domain: dict[str, Any]) -> str:
    """A number of votes as the language says it ("1 vote", "4,121 votes", "22 голоса")."""
    language = language_in(domain)
    form = Locale.parse(language).plural_form(count)
    return render(domain, f"utter_polls_votes_{form}",
                  count=format_decimal(count, "#,##0", locale=language))


def per_cent(value: float, domain: dict[str, Any]) -> str:
    """A share to one decimal, in words a screen reader says ("33.4 per cent", "34 процента"):
    no "%" sign to be read out or skipped."""
    language = language_in(domain)
    rounded = Decimal(format_decimal(value, "0.#", locale="en"))
    form = Locale.parse(language).plural_form(rounded)
    return render(domain, f"utter_polls_percent_{form}",
                  value=format_decimal(rounded, "0.#", locale=language))


def results_text(results: tuple[PollResult, ...], domain: dict[str, Any], *,
                 final: bool = False) -> str:
    """How a poll stands (or ended), one option a line, in the poll's order."""
    total = sum(result.votes for result in results)
    lines = [render(domain, "utter_polls_final_results" if final else "utter_polls_results",
                    total=votes_said(total, domain))]
    lines += [render(domain, "utter_polls_result_line", option=result.text,
                     votes=votes_said(result.votes, domain),
                     percent=per_cent(result.percent, domain))
              for result in results]
    return "\n".join(lines)


def poll_lines(polls: list[Poll], domain: dict[str, Any]) -> list[str]:
    """Each poll, numbered: its title, its question, until when it takes votes."""
    language = language_in(domain)
    return [render(domain, "utter_polls_line", number=number, title=poll.title,
                   question=poll.question, closes=day(poll.closes_on, language))
            for number, poll in enumerate(polls, start=1)]


def poll_payload(intent: str, poll_id: str) -> str:
    """A poll's button: ``/vote{"option": "poll:3"}`` starts a vote in it, ``/inform`` answers
    "which poll?"."""
    return option_payload(f"{POLL_BUTTON}{poll_id}", intent)


# ------------------------------------------------------------------- what the slots keep


def kept(poll: Poll) -> dict[str, Any]:
    """A poll as a slot keeps it (the city's own shape, so :meth:`Poll.from_json` reads it)."""
    return {
        "id": poll.id, "title": poll.title, "question": poll.question, "status": poll.status,
        "options": [{"id": option.id, "text": option.text} for option in poll.options],
        "opens_on": poll.opens_on.isoformat() if poll.opens_on else None,
        "closes_on": poll.closes_on.isoformat() if poll.closes_on else None,
    }


def restored(data: Any) -> Poll | None:
    """A poll a slot kept (None for none, or for a value no poll is made of)."""
    if not data:
        return None
    try:
        return Poll.from_json(data)
    except CityProtocolError:
        return None


def _offered(tracker: Tracker) -> list[Poll]:
    return [poll for poll in map(restored, tracker.get_slot("vote_polls") or []) if poll]


def _pressed_poll(tracker: Tracker) -> str | None:
    """The poll whose button the citizen pressed with this message, if they did."""
    value = latest_entity(tracker, "option")
    return value.removeprefix(POLL_BUTTON) if value and value.startswith(POLL_BUTTON) else None


def _pressed_option(tracker: Tracker) -> int | None:
    """The option whose button the citizen pressed with this message, if they did."""
    value = latest_entity(tracker, "option")
    return int(value) if value and value.isdigit() else None


# ---------------------------------------------------------------------------- the list


class ActionShowPolls(Action):
    """The open polls, each with its question and closing day, and a button to vote in it."""

    def name(self) -> str:
        return "action_show_polls"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        try:
            polls = await city().polls.polls(OPEN, language=language_in(domain))
        except (CityUnavailable, CityNotFound, CityRejected) as failure:
            log.warning("polls for %s: the city failed: %s", tracker.sender_id, failure)
            dispatcher.utter_message(response="utter_city_unavailable")
            return []
        if not polls:
            dispatcher.utter_message(response="utter_polls_none_open")
            return []
        text = "\n".join([render(domain, "utter_polls_header"), *poll_lines(polls, domain),
                          render(domain, "utter_polls_list_hint")])
        buttons = [{"title": render(domain, "utter_polls_vote_button", title=poll.title),
                    "payload": poll_payload("vote", poll.id)} for poll in polls]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


# ---------------------------------------------------------------------------- the form


class ValidateVoteForm(LocalizedFormValidation):
    def name(self) -> str:
        return "validate_vote_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher,
        tracker: Tracker, domain: dict[str, Any],
    ) -> list[str]:
        """Nothing more once the form ended early (the city down, no open poll, too many
        answers that named nothing): the form closes and ``action_vote`` tidies up."""
        if tracker.get_slot("vote_outcome"):
            return []
        return list(domain_slots)

    async def extract_poll_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """The message, for the validation to find the poll in: at the start (always, so the
        city is asked what is open), when "which poll?" is answered, or when a poll's button
        is pressed at any time (a new choice)."""
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker) or "-"
        if _pressed_poll(tracker) is not None or requested is None:
            return {"poll_id": text}
        if requested != "poll_id" or latest_intent(tracker) in INTERRUPTIONS:
            return {}
        offered = _offered(tracker)
        if latest_intent(tracker) in ANSWERING or named_poll(text, offered) or position(
                text, len(offered)):
            return {"poll_id": text}
        return {}

    async def extract_poll_option(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """An option's button once the poll is chosen (a change of mind at the confirmation
        too); typed words only when the option is asked."""
        requested = tracker.get_slot("requested_slot")
        if requested in (None, "poll_id") or _pressed_poll(tracker) is not None:
            return {}
        pressed = _pressed_option(tracker)
        if pressed is not None:
            return {"poll_option": str(pressed)}
        intent = latest_intent(tracker)
        if requested != "poll_option":
            return {}
        text = latest_text(tracker)
        poll = restored(tracker.get_slot("vote_poll"))
        if poll and option_named(text, poll.options):
            return {"poll_option": text}  # an option word for word, whatever the NLU read
        if intent in INTERRUPTIONS:
            return {}
        if intent in ANSWERING or (poll and chosen_option(
                text, poll.options, ignore=f"{poll.title} {poll.question}")):
            return {"poll_option": text}
        return {}

    async def extract_vote_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return plain_yes_or_no(tracker, "vote_confirmed")

    async def validate_poll_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """What the city has open, then the poll the message means: a closed one is said to
        be closed (with how it ended), none named is asked with the open ones as buttons."""
        language = language_in(domain)
        try:
            polls = await city().polls.polls("all", language=language)
        except (CityUnavailable, CityNotFound, CityRejected) as failure:
            log.warning("vote for %s: the city failed: %s", tracker.sender_id, failure)
            dispatcher.utter_message(response="utter_city_unavailable")
            return {"poll_id": "-", "vote_outcome": FAILED}
        open_polls = [poll for poll in polls if poll.status == OPEN]
        if not open_polls:
            dispatcher.utter_message(response="utter_polls_none_open")
            return {"poll_id": "-", "vote_outcome": NONE_OPEN}
        offer = {"poll_id": None, "vote_polls": [kept(poll) for poll in open_polls]}
        chosen, words = self._chosen(tracker, polls, open_polls)
        if chosen is None:
            if tracker.get_slot("requested_slot") != "poll_id" or (
                    latest_intent(tracker) == "show_polls"
                    and not has_own_words(latest_text(tracker))):
                return offer  # asked (again), with the open polls as buttons
            return {**offer, **self._wrong(dispatcher, tracker, "utter_polls_which_unclear",
                                           "poll_id")}
        if chosen.status != OPEN:
            await self._not_open(dispatcher, chosen, domain)
            return offer
        option = chosen_option(words, chosen.options,
                               ignore=f"{chosen.title} {chosen.question}") if words else None
        return {"poll_id": chosen.id, "vote_poll": kept(chosen), "vote_polls": None,
                "poll_option": str(option.id) if option else None, "vote_confirmed": None,
                "vote_attempts": None}

    @staticmethod
    def _chosen(tracker: Tracker, polls: list[Poll], open_polls: list[Poll]
                ) -> tuple[Poll | None, str]:
        """The poll the message means, and the words an option may be read from (none when
        the poll came from a button or a number)."""
        text = latest_text(tracker)
        requested = tracker.get_slot("requested_slot")
        pressed = _pressed_poll(tracker)
        if pressed is not None:
            return next((poll for poll in polls if poll.id == pressed), None), ""
        offered = _offered(tracker) or open_polls
        place = position(text, len(offered)) if requested == "poll_id" else None
        if place is not None:
            wanted = offered[place - 1].id
            return next((poll for poll in polls if poll.id == wanted), None), ""
        named = named_poll(text, polls)
        if named is not None:
            return named, text
        by_option = poll_of_option(text, open_polls)
        if by_option is not None:
            return by_option[0], text
        if len(open_polls) == 1 and requested is None:
            return open_polls[0], text
        return None, ""

    @staticmethod
    async def _not_open(dispatcher: CollectingDispatcher, poll: Poll,
                        domain: dict[str, Any]) -> None:
        """A poll that takes no votes: closed (with its final results, if the city gives
        them) or not open yet."""
        language = language_in(domain)
        if poll.status != "closed":
            dispatcher.utter_message(response="utter_polls_not_open_yet", title=poll.title,
                                     opens=day(poll.opens_on, language))
            return
        dispatcher.utter_message(response="utter_polls_closed", title=poll.title,
                                 closed=day(poll.closes_on, language))
        try:
            ended = await city().polls.poll(poll.id, language=language)
        except (CityUnavailable, CityNotFound, CityRejected):
            return  # said it is closed; its results can wait
        if ended.results:
            dispatcher.utter_message(text=results_text(ended.results, domain, final=True))

    async def validate_poll_option(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """One of the poll's options, or the options again with a word why."""
        poll = restored(tracker.get_slot("vote_poll"))
        if poll is None:
            return {"poll_option": None}
        pressed = _pressed_option(tracker)
        option = poll.option(pressed) if pressed is not None else chosen_option(
            str(value or ""), poll.options, ignore=f"{poll.title} {poll.question}")
        if option is None:
            return self._wrong(dispatcher, tracker, "utter_polls_option_invalid", "poll_option")
        return {"poll_option": str(option.id), "vote_confirmed": None, "vote_attempts": None}

    async def validate_vote_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        return {"vote_confirmed": value if isinstance(value, bool) else None}

    @staticmethod
    def _wrong(dispatcher: CollectingDispatcher, tracker: Tracker, response: str,
               slot: str) -> dict[str, Any]:
        """An answer that names nothing: asked again, up to :data:`ATTEMPTS` in a row."""
        return RETRIES.wrong(dispatcher, tracker, slot, response)


class ActionAskPollId(Action):
    """Which poll: the open ones (as the form found them), numbered, each a button."""

    def name(self) -> str:
        return "action_ask_poll_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        polls = _offered(tracker)
        text = "\n".join([render(domain, "utter_ask_poll_id"), *poll_lines(polls, domain)])
        buttons = [{"title": poll.title, "payload": poll_payload("inform", poll.id)}
                   for poll in polls]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionAskPollOption(Action):
    """The poll's question and its options, numbered, each a button."""

    def name(self) -> str:
        return "action_ask_poll_option"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        poll = restored(tracker.get_slot("vote_poll"))
        if poll is None:  # never asked without a poll; said plainly if it were
            dispatcher.utter_message(response="utter_polls_which_unclear")
            return []
        lines = [render(domain, "utter_ask_poll_option", title=poll.title,
                        question=poll.question)]
        lines += [render(domain, "utter_polls_option_line", number=number, option=option.text)
                  for number, option in enumerate(poll.options, start=1)]
        lines.append(render(domain, "utter_polls_option_hint"))
        buttons = [{"title": option.text, "payload": option_payload(str(option.id))}
                   for option in poll.options]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return []


class ActionAskVoteConfirmed(Action):
    """The poll and the choice, and whether to send the vote (it cannot be changed)."""

    def name(self) -> str:
        return "action_ask_vote_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        poll = restored(tracker.get_slot("vote_poll"))
        chosen = str(tracker.get_slot("poll_option") or "")
        option = poll.option(int(chosen)) if poll and chosen.isdigit() else None
        dispatcher.utter_message(response="utter_ask_vote_confirmed",
                                 title=poll.title if poll else "-",
                                 option=option.text if option else "-")
        return []


# ---------------------------------------------------------------------------- the vote


class ActionVote(Action):
    """After the form: the vote sent with the citizen's yes, and the results; or why not."""

    def name(self) -> str:
        return "action_vote"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in FORM_SLOTS]
        if tracker.get_slot("vote_outcome"):
            return reset  # the form ended early and said why
        domain = localized(domain, tracker)
        poll = restored(tracker.get_slot("vote_poll"))
        chosen = str(tracker.get_slot("poll_option") or "")
        if tracker.get_slot("vote_confirmed") is not True or poll is None or not chosen.isdigit():
            dispatcher.utter_message(response="utter_polls_not_sent")
            return reset
        try:
            results = await city().polls.vote(poll.id, int(chosen), citizen_of(tracker),
                                              language=language_in(domain))
        except CityRejected as refusal:
            if refusal.code != ALREADY_VOTED:
                log.warning("vote of %s refused: %s", tracker.sender_id, refusal)
                dispatcher.utter_message(response="utter_polls_vote_refused")
                return [SlotSet("vote_outcome", REFUSED), *reset]
            earlier: tuple[PollResult, ...] = refusal.details["results"]
            before = next((r.text for r in earlier if r.option_id == refusal.details["option_id"]),
                          "-")
            dispatcher.utter_message(response="utter_polls_already_voted", option=before)
            dispatcher.utter_message(text=results_text(earlier, domain))
            return [SlotSet("vote_outcome", ALREADY), *reset]
        except CityNotFound:
            dispatcher.utter_message(response="utter_polls_vote_refused")
            return [SlotSet("vote_outcome", REFUSED), *reset]
        except CityUnavailable as failure:
            # A vote that timed out may have been counted: the citizen is told so, and a second
            # try says "already voted" if it was.
            log.warning("vote of %s: the city failed: %s", tracker.sender_id, failure)
            dispatcher.utter_message(response="utter_polls_vote_unsure")
            return [SlotSet("vote_outcome", FAILED), *reset]
        dispatcher.utter_message(response="utter_polls_voted", title=poll.title)
        dispatcher.utter_message(text=results_text(results, domain))
        return [SlotSet("vote_outcome", VOTED), SlotSet("poll_voted", poll.id), *reset]
