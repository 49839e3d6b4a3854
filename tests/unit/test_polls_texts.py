"""Polls are said the conversation's way and the way a screen reader reads them ("Lindens: 4,121
votes, 33.4 per cent", Russian plurals, no bars or signs), and the actions hold to the city:
what it has open, one vote per citizen, a poll that is closed or a city that is down said
plainly. The actions run against the sandbox city on loopback (or a scripted one)."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestServer
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import polls as actions
from actions.common import in_language, render
from actions.polls import (
    ActionAskPollId,
    ActionAskPollOption,
    ActionShowPolls,
    ActionVote,
    ValidateVoteForm,
    kept,
    per_cent,
    results_text,
    votes_said,
)
from bot.city.http import CityHTTP
from bot.city.polls import PollResult, PollsClient
from bot.config import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
EN, RU = in_language(DOMAIN, "en"), in_language(DOMAIN, "ru")
# Signs a screen reader reads out or skips, and bars drawn with block characters.
NOT_FOR_READING = re.compile(r"[%█▓▒░■□▌▐|*#]")


def _results(*votes: int) -> tuple[PollResult, ...]:
    total = sum(votes)
    return tuple(PollResult(n, f"Option {n}", v, round(100 * v / total, 1))
                 for n, v in enumerate(votes, start=1))


# --------------------------------------------------------------------------------- texts


def test_english_results_are_one_plain_line_per_option() -> None:
    text = results_text(_results(4121, 1, 0), EN)
    assert text.splitlines() == [
        "How the votes stand now, 4,122 votes in all:",
        "Option 1: 4,121 votes, 100 per cent.",
        "Option 2: 1 vote, 0 per cent.",
        "Option 3: 0 votes, 0 per cent.",
    ]
    assert not NOT_FOR_READING.search(text)


@pytest.mark.parametrize(("count", "said"), [
    (1, "1 голос"), (21, "21 голос"), (3, "3 голоса"), (22, "22 голоса"), (5, "5 голосов"),
    (11, "11 голосов"), (4121, "4\xa0121 голос"), (12346, "12\xa0346 голосов"),
])
def test_russian_counts_votes_in_the_right_form(count: int, said: str) -> None:
    assert votes_said(count, RU) == said


@pytest.mark.parametrize(("value", "said"), [
    (1.0, "1 процент"), (34.0, "34 процента"), (25.0, "25 процентов"), (33.4, "33,4 процента"),
    (0.0, "0 процентов"), (100.0, "100 процентов"),
])
def test_russian_shares_are_words_in_the_right_form(value: float, said: str) -> None:
    assert per_cent(value, RU) == said


def test_russian_results_say_everything_in_russian() -> None:
    text = results_text(_results(3, 2), RU, final=True)
    assert text.splitlines()[0] == "Итоги голосования, всего 5 голосов:"
    assert text.splitlines()[1] == "Option 1: 3 голоса, 60 процентов."
    assert not re.search(r"\b(votes?|per cent)\b", text) and not NOT_FOR_READING.search(text)


# ------------------------------------------------------------------ against the sandbox


def _tracker(text: str = "", *, intent: str = "vote", language: str = "en",
             entities: list[dict[str, Any]] | None = None, channel: str = "rest",
             sender: str = "citizen", **slots: Any) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9},
               "entities": entities or []}
    events = [{"event": "user", "text": text, "parse_data": message, "timestamp": 1.0,
               "input_channel": channel}]
    return Tracker(sender, {"language": language, **slots}, message, events, False, None,
                   {"name": "vote_form"}, "action_listen")


def _pressed(value: str) -> list[dict[str, Any]]:
    return [{"entity": "option", "value": value}]


def _said(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> str:
    """Everything the action said, as the citizen reads it."""
    lines = []
    for message in dispatcher.messages:
        if message.get("response"):
            values = {k: v for k, v in message.items() if k not in ("response", "text")}
            lines.append(render(domain, message["response"], **values))
        else:
            lines.append(message.get("text") or "")
    return "\n".join(lines)


@pytest.fixture
def polls(city_http: CityHTTP, city_server: TestServer, monkeypatch: pytest.MonkeyPatch
          ) -> PollsClient:
    """The sandbox as the city of the poll actions, and a fixed key for citizens."""
    client = PollsClient(city_http, str(city_server.make_url("/api/v1")))
    monkeypatch.setattr(actions, "city", lambda: SimpleNamespace(polls=client))
    monkeypatch.setattr(actions, "citizen_key", lambda: b"unit-test-key")
    return client


async def test_the_open_polls_are_listed_with_a_vote_button_each(polls: PollsClient) -> None:
    dispatcher = CollectingDispatcher()
    await ActionShowPolls().run(dispatcher, _tracker("what polls are open", intent="show_polls"),
                                DOMAIN)
    [message] = dispatcher.messages
    city = await polls.polls()
    for number, poll in enumerate(city, start=1):
        assert f"{number}. {poll.title}. {poll.question} Open until" in message["text"]
    assert [b["title"] for b in message["buttons"]] == [f"Vote: {p.title}" for p in city]
    assert json.loads(message["buttons"][0]["payload"].removeprefix("/vote")) == {
        "option": f"poll:{city[0].id}"}
    closed = (await polls.polls("closed"))[0]
    assert closed.title not in message["text"]


async def test_no_open_polls_is_said_plainly(scripted_city, city_http, monkeypatch) -> None:
    scripted_city.answer(200, json.dumps({"items": []}))
    client = PollsClient(city_http, scripted_city.url("/api/v1"))
    monkeypatch.setattr(actions, "city", lambda: SimpleNamespace(polls=client))
    dispatcher = CollectingDispatcher()
    await ActionShowPolls().run(dispatcher, _tracker("polls", intent="show_polls"), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_polls_none_open"]

    dispatcher = CollectingDispatcher()
    form = await ValidateVoteForm().validate_poll_id("i want to vote", dispatcher,
                                                     _tracker("i want to vote"), EN)
    assert form == {"poll_id": "-", "vote_outcome": "none_open"}
    assert "no open city polls" in _said(dispatcher, EN)


async def test_a_city_that_fails_is_said_plainly_and_ends_the_form(scripted_city, city_http,
                                                                   monkeypatch) -> None:
    client = PollsClient(city_http, scripted_city.url("/api/v1"))  # 500 to everything
    monkeypatch.setattr(actions, "city", lambda: SimpleNamespace(polls=client))
    dispatcher = CollectingDispatcher()
    await ActionShowPolls().run(dispatcher, _tracker("polls", intent="show_polls"), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_city_unavailable"]
    form = await ValidateVoteForm().validate_poll_id("vote", CollectingDispatcher(),
                                                     _tracker("vote"), EN)
    assert form["vote_outcome"] == "failed"
    assert await ValidateVoteForm().required_slots(
        ["poll_id", "poll_option", "vote_confirmed"], CollectingDispatcher(),
        _tracker(vote_outcome="failed"), EN) == []


async def test_a_poll_named_in_the_first_message_is_chosen_with_its_option(polls) -> None:
    text = "I'd like to vote for the fairy-tale forest in the playground poll"
    dispatcher = CollectingDispatcher()
    form = await ValidateVoteForm().validate_poll_id(text, dispatcher, _tracker(text), EN)
    playground = next(p for p in await polls.polls() if "playground" in p.title)
    forest = next(o for o in playground.options if o.text == "Fairy-tale forest")
    assert form["poll_id"] == playground.id and form["poll_option"] == str(forest.id)
    assert form["vote_poll"]["title"] == playground.title and dispatcher.messages == []


async def test_no_poll_named_asks_which_with_the_open_ones_as_buttons(polls) -> None:
    form = await ValidateVoteForm().validate_poll_id("i want to vote", CollectingDispatcher(),
                                                     _tracker("i want to vote"), EN)
    city = await polls.polls()
    assert form["poll_id"] is None and [p["id"] for p in form["vote_polls"]] == [p.id for p in city]
    dispatcher = CollectingDispatcher()
    await ActionAskPollId().run(dispatcher, _tracker(**form), DOMAIN)
    [message] = dispatcher.messages
    assert message["text"].startswith("Which poll would you like to vote in?\n1. ")
    assert [b["title"] for b in message["buttons"]] == [p.title for p in city]
    # "2" answers with the second poll offered
    answer = _tracker("2", intent="inform", requested_slot="poll_id", **form)
    chosen = await ValidateVoteForm().validate_poll_id("2", CollectingDispatcher(), answer, EN)
    assert chosen["poll_id"] == city[1].id and chosen["poll_option"] is None


async def test_a_closed_poll_is_not_votable_and_its_final_results_are_shown(polls) -> None:
    closed = (await polls.polls("closed"))[0]
    dispatcher = CollectingDispatcher()
    tracker = _tracker("vote", entities=_pressed(f"poll:{closed.id}"))
    form = await ValidateVoteForm().validate_poll_id("vote", dispatcher, tracker, EN)
    said = _said(dispatcher, EN)
    assert f"Voting has ended in this poll: {closed.title}." in said
    ended = await polls.poll(closed.id)
    assert "The final results, " in said
    assert all(f"{r.text}: " in said for r in ended.results)
    assert form["poll_id"] is None and closed.id not in [p["id"] for p in form["vote_polls"]]


async def test_an_answer_that_is_no_option_asks_again_and_three_stop(polls) -> None:
    poll = (await polls.polls())[0]
    slots = {"poll_id": poll.id, "vote_poll": kept(poll), "requested_slot": "poll_option"}
    form = ValidateVoteForm()
    dispatcher = CollectingDispatcher()
    first = await form.validate_poll_option("a fountain", dispatcher,
                                            _tracker("a fountain", intent="inform", **slots), EN)
    assert first == {"poll_option": None, "vote_attempts": 1.0}
    assert "not one of this poll's answers" in _said(dispatcher, EN)
    dispatcher = CollectingDispatcher()
    last = await form.validate_poll_option("a fountain", dispatcher, _tracker(
        "a fountain", intent="inform", vote_attempts=2.0, **slots), EN)
    assert last["vote_outcome"] == "gave_up" and "Three answers in a row" in _said(dispatcher, EN)
    pressed = await form.validate_poll_option("/inform", CollectingDispatcher(), _tracker(
        "/inform", intent="inform", entities=_pressed(str(poll.options[2].id)), **slots), EN)
    assert pressed == {"poll_option": str(poll.options[2].id), "vote_confirmed": None,
                       "vote_attempts": None}


async def test_the_options_are_asked_numbered_with_a_button_each(polls) -> None:
    poll = (await polls.polls(language="ru"))[0]
    dispatcher = CollectingDispatcher()
    await ActionAskPollOption().run(dispatcher, _tracker(language="ru", vote_poll=kept(poll)),
                                    DOMAIN)
    [message] = dispatcher.messages
    lines = message["text"].splitlines()
    assert lines[0] == f"Опрос: {poll.title}. {poll.question}"
    assert lines[1:-1] == [f"{n}. {o.text}" for n, o in enumerate(poll.options, start=1)]
    assert [b["title"] for b in message["buttons"]] == [o.text for o in poll.options]


async def test_one_vote_per_citizen_and_the_second_is_answered_politely(polls) -> None:
    poll = (await polls.polls())[1]
    chosen, other = poll.options[0], poll.options[1]
    before = (await polls.poll(poll.id)).votes_total

    def confirmed(option_id: int, channel: str = "telegram") -> Tracker:
        return _tracker("yes", intent="affirm", channel=channel, sender="5551234",
                        poll_id=poll.id, vote_poll=kept(poll), poll_option=str(option_id),
                        vote_confirmed=True)

    dispatcher = CollectingDispatcher()
    events = await ActionVote().run(dispatcher, confirmed(chosen.id), DOMAIN)
    assert {"event": "slot", "timestamp": None, "name": "poll_voted", "value": poll.id} in events
    now = await polls.poll(poll.id)
    assert now.votes_total == before + 1
    said = _said(dispatcher, EN)
    assert "your vote has been counted" in said
    for result in now.results:
        assert f"{result.text}: {votes_said(result.votes, EN)}, {per_cent(result.percent, EN)}." in said

    dispatcher = CollectingDispatcher()
    events = await ActionVote().run(dispatcher, confirmed(other.id), DOMAIN)
    said = _said(dispatcher, EN)
    assert f"You have already voted in this poll: each person has one vote. Your answer was: {chosen.text}." in said
    assert "How the votes stand now" in said
    assert (await polls.poll(poll.id)).votes_total == before + 1
    assert not any(e.get("name") == "poll_voted" and e.get("value") for e in events)

    # the same sender id in another channel is another person
    await ActionVote().run(CollectingDispatcher(), confirmed(other.id, channel="webchat"), DOMAIN)
    assert (await polls.poll(poll.id)).votes_total == before + 2


async def test_a_no_at_the_confirmation_sends_nothing(polls) -> None:
    poll = (await polls.polls())[0]
    before = (await polls.poll(poll.id)).votes_total
    dispatcher = CollectingDispatcher()
    await ActionVote().run(dispatcher, _tracker(
        "no", intent="deny", poll_id=poll.id, vote_poll=kept(poll),
        poll_option=str(poll.options[0].id), vote_confirmed=False), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_polls_not_sent"]
    assert (await polls.poll(poll.id)).votes_total == before


async def test_a_vote_the_city_did_not_answer_may_have_counted(polls, city_fault) -> None:
    poll = (await polls.polls())[0]
    await city_fault(mode="error", paths=f"/api/v1/polls/{poll.id}/votes")
    dispatcher = CollectingDispatcher()
    await ActionVote().run(dispatcher, _tracker(
        "yes", intent="affirm", poll_id=poll.id, vote_poll=kept(poll),
        poll_option=str(poll.options[0].id), vote_confirmed=True), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_polls_vote_unsure"]
    assert "can't tell whether your vote was counted" in _said(dispatcher, EN)


# -------------------------------------------------------------------- the form as Rasa runs it


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_the_form_started_with_a_poll_named_goes_on_to_its_answers(polls) -> None:
    metro = next(p for p in await polls.polls() if "metro" in p.title)
    dispatcher = CollectingDispatcher()
    events = await ValidateVoteForm().run(
        dispatcher, _tracker("i want to vote in the poll about the new metro station"), DOMAIN)
    slots = _slots(events)
    assert slots["poll_id"] == metro.id and slots["poll_option"] is None
    assert "requested_slot" not in slots  # Rasa asks the next slot: action_ask_poll_option
    assert dispatcher.messages == []


async def test_the_form_started_while_the_city_is_down_closes_at_once(scripted_city, city_http,
                                                                       monkeypatch) -> None:
    client = PollsClient(city_http, scripted_city.url("/api/v1"))
    monkeypatch.setattr(actions, "city", lambda: SimpleNamespace(polls=client))
    dispatcher = CollectingDispatcher()
    events = await ValidateVoteForm().run(dispatcher, _tracker("i want to vote"), DOMAIN)
    assert _slots(events)["vote_outcome"] == "failed"
    assert events[-1] == {"event": "slot", "timestamp": None, "name": "requested_slot",
                          "value": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_city_unavailable"]
    reset = await ActionVote().run(CollectingDispatcher(),
                                   _tracker("i want to vote", vote_outcome="failed"), DOMAIN)
    assert {e["name"] for e in reset} == set(actions.FORM_SLOTS)
    assert all(e["value"] is None for e in reset)


async def test_a_polls_button_pressed_at_the_answer_switches_the_poll(polls) -> None:
    city = await polls.polls()
    first, other = city[0], city[1]
    tracker = _tracker("/vote", intent="vote", entities=_pressed(f"poll:{other.id}"),
                       requested_slot="poll_option", poll_id=first.id, vote_poll=kept(first))
    events = await ValidateVoteForm().run(CollectingDispatcher(), tracker, DOMAIN)
    slots = _slots(events)
    assert slots["poll_id"] == other.id and slots["vote_poll"]["id"] == other.id
    assert slots["poll_option"] is None


async def test_an_answer_typed_at_the_options_is_read_whatever_the_nlu_made_of_it(polls) -> None:
    poll = (await polls.polls())[0]
    option = poll.options[1]
    tracker = _tracker(option.text.lower(), intent="check_outages", requested_slot="poll_option",
                       poll_id=poll.id, vote_poll=kept(poll))
    events = await ValidateVoteForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert _slots(events)["poll_option"] == str(option.id)
    # a question about something else is left to the dialogue (the form rejects it)
    tracker = _tracker("is there a hot water outage at tverskaya 12", intent="check_outages",
                       requested_slot="poll_option", poll_id=poll.id, vote_poll=kept(poll))
    assert _slots(await ValidateVoteForm().run(CollectingDispatcher(), tracker, DOMAIN)) == {}
