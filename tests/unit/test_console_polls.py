"""The staff console counts the votes cast through the assistant in each poll, from the
conversations' own events (the ``poll_voted`` slot actions/polls.py sets when the city counted
a vote), and the vote form's funnel: started, confirmed, counted.

Conversations are saved with Rasa's own SQL tracker store (tests/unit/test_console_conversations).
"""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date

from bot.console import analytics
from bot.console.analytics import Period
from bot.console.folding import poll_stage
from bot.console.index import refresh_index
from tests.unit.test_console_conversations import (  # noqa: F401 - fixtures used by name
    act,
    at,
    rasa_store,
    save,
    start,
    tracker,
    tracker_path,
    user,
)
from tests.unit.test_console_http import console, log_in  # noqa: F401

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.shared.core.events import ActiveLoop, Event, SlotSet

MAY1 = date(2024, 5, 1)
DAY = Period(MAY1, MAY1)


def _vote(minute: float, *, yes: bool, outcome: str | None, poll: str | None,
          language: str = "en") -> list[Event]:
    """A citizen votes in a poll: the form asks the option and the yes, then ``action_vote``
    sets what the city said (and the poll, if it counted the vote) and clears the form."""
    return [
        *start(at(minute)),
        user("i want to vote in the metro poll", "vote", 0.95, at(minute + 1)),
        SlotSet("language", language, timestamp=at(minute + 1)),
        act("vote_form", at(minute + 1.1)),
        ActiveLoop("vote_form", timestamp=at(minute + 1.1)),
        SlotSet("poll_id", poll or "2", timestamp=at(minute + 1.1)),
        SlotSet("requested_slot", "poll_option", timestamp=at(minute + 1.1)),
        act("action_listen", at(minute + 1.2)),
        user("zhivopisnaya", "inform", 0.8, at(minute + 2)),
        act("vote_form", at(minute + 2.1)),
        SlotSet("poll_option", "9", timestamp=at(minute + 2.1)),
        SlotSet("requested_slot", "vote_confirmed", timestamp=at(minute + 2.1)),
        act("action_listen", at(minute + 2.2)),
        user("yes" if yes else "no", "affirm" if yes else "deny", 0.99, at(minute + 3)),
        act("vote_form", at(minute + 3.1)),
        SlotSet("vote_confirmed", yes, timestamp=at(minute + 3.1)),
        ActiveLoop(None, timestamp=at(minute + 3.1)),
        SlotSet("requested_slot", None, timestamp=at(minute + 3.1)),
        act("action_vote", at(minute + 3.2)),
        *([SlotSet("vote_outcome", outcome, timestamp=at(minute + 3.2))] if outcome else []),
        *([SlotSet("poll_voted", poll, timestamp=at(minute + 3.2))] if poll else []),
        SlotSet("vote_outcome", None, timestamp=at(minute + 3.2)),
        SlotSet("poll_voted", None, timestamp=at(minute + 3.2)),
        act("action_listen", at(minute + 3.3)),
    ]


async def _voted(rasa_store, tracker, store) -> None:  # noqa: F811
    await save(rasa_store, "anna", _vote(10, yes=True, outcome="voted", poll="2"))
    await save(rasa_store, "boris", _vote(20, yes=True, outcome="voted", poll="2"))
    await save(rasa_store, "vera", _vote(30, yes=True, outcome="voted", poll="3", language="ru"))
    # voted before: the city refused a second vote, nothing counted
    await save(rasa_store, "gleb", _vote(40, yes=True, outcome="already_voted", poll=None))
    await save(rasa_store, "dima", _vote(50, yes=False, outcome=None, poll=None))
    await refresh_index(tracker, store, tz="Europe/Moscow")


async def test_votes_are_counted_per_poll_from_the_conversations(rasa_store, tracker, store  # noqa: F811
                                                                 ) -> None:
    await _voted(rasa_store, tracker, store)
    assert await analytics.poll_votes(store, DAY) == [("2", 2), ("3", 1)]
    funnel = next(f for f in await analytics.funnels(store, DAY) if f.form == "vote_form")
    assert (funnel.service, funnel.started, funnel.confirmed, funnel.filed) == ("vote", 5, 4, 3)
    assert await analytics.poll_votes(store, Period(date(2024, 5, 2), date(2024, 5, 3))) == []


async def test_votes_per_poll_can_be_asked_for_one_language(rasa_store, tracker, store  # noqa: F811
                                                            ) -> None:
    await _voted(rasa_store, tracker, store)
    assert await analytics.poll_votes(store, DAY, "ru") == [("3", 1)]
    assert await analytics.poll_votes(store, DAY, "en") == [("2", 2)]


async def test_votes_per_poll_have_their_numbers_as_csv(rasa_store, tracker, store  # noqa: F811
                                                        ) -> None:
    await _voted(rasa_store, tracker, store)
    found = await analytics.figures(store, DAY)
    header, rows = analytics.table(found, "polls")
    text = analytics.to_csv(header, rows)
    assert list(csv.reader(io.StringIO(text))) == [["poll", "votes"], ["2", "2"], ["3", "1"]]


async def test_the_page_shows_the_votes_per_poll(console, rasa_store, tracker, store  # noqa: F811
                                                 ) -> None:
    await _voted(rasa_store, tracker, store)
    assert (await log_in(console, "rita")).status == 302
    page = await (await console.get("/analytics?from=2024-05-01&to=2024-05-01")).text()
    assert "Votes through the assistant, per poll" in page
    assert "<title>Poll 2: 2</title>" in page and "<title>Poll 3: 1</title>" in page
    assert 'href="/analytics/polls.csv?from=2024-05-01&amp;to=2024-05-01"' in page
    empty = await (await console.get("/analytics?from=2020-01-01&to=2020-01-07")).text()
    assert "No votes through the assistant in this period." in empty
    resp = await console.get("/analytics/polls.csv?from=2024-05-01&to=2024-05-01")
    assert resp.status == 200 and (await resp.text()).splitlines()[1] == "2,2"


def test_a_poll_is_kept_as_a_stage_of_the_vote_form() -> None:
    assert poll_stage("3") == "poll:3" and poll_stage(17) == "poll:17"
    assert poll_stage(None) is None and poll_stage("  ") is None
    assert len(poll_stage("a-very-long-poll-identifier") or "") == 16
