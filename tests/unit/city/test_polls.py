"""PollsClient against the sandbox city: polls, results and one vote per citizen."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestServer

from bot.city.errors import CityNotFound, CityProtocolError, CityRejected, CityUnavailable
from bot.city.http import CityHTTP
from bot.city.polls import Poll, PollResult, PollsClient


@pytest.fixture
def polls(city_http: CityHTTP, city_server: TestServer) -> PollsClient:
    return PollsClient(city_http, str(city_server.make_url("/api/v1")))


async def test_open_polls_parse_without_results(polls):
    found = await polls.polls()
    assert len(found) == 4 and {poll.status for poll in found} == {"open"}
    for poll in found:
        assert isinstance(poll, Poll) and poll.title and poll.question
        assert 2 <= len(poll.options) <= 5 and all(o.text for o in poll.options)
        assert poll.closes_on is not None and poll.opens_on <= poll.closes_on
        assert poll.votes_total > 0 and poll.results == ()


async def test_closed_polls_and_russian_texts(polls):
    (closed,) = await polls.polls("closed")
    assert closed.status == "closed"
    russian = await polls.polls("all", language="ru")
    assert len(russian) == 5
    assert any(poll.title == "Пешеходный Тверской бульвар" for poll in russian)


async def test_one_poll_parses_with_its_results(polls):
    listed = (await polls.polls())[0]
    poll = await polls.poll(listed.id)
    assert poll.id == listed.id and poll.options == listed.options
    assert [r.option_id for r in poll.results] == [o.id for o in poll.options]
    assert sum(r.votes for r in poll.results) == poll.votes_total
    assert sum(r.percent for r in poll.results) == pytest.approx(100, abs=0.5)
    assert poll.option(poll.options[1].id) == poll.options[1] and poll.option(-1) is None


async def test_a_vote_returns_the_results_with_it(polls):
    poll = await polls.poll((await polls.polls())[0].id)
    chosen = poll.options[1]
    results = await polls.vote(poll.id, chosen.id, "telegram:555")
    assert all(isinstance(r, PollResult) for r in results)
    before = {r.option_id: r.votes for r in poll.results}
    assert {r.option_id: r.votes for r in results} == {
        **before, chosen.id: before[chosen.id] + 1}


async def test_a_second_vote_is_rejected_with_the_first_choice_and_results(polls):
    poll = (await polls.polls())[1]
    first = await polls.vote(poll.id, poll.options[0].id, "web:repeat", language="ru")
    with pytest.raises(CityRejected) as caught:
        await polls.vote(poll.id, poll.options[1].id, "web:repeat", language="ru")
    refusal = caught.value
    assert (refusal.status, refusal.code) == (409, "already_voted")
    assert refusal.details["option_id"] == poll.options[0].id
    assert refusal.details["results"] == first
    assert all(isinstance(r, PollResult) for r in refusal.details["results"])


async def test_a_closed_poll_and_a_wrong_option_are_rejected(polls):
    (closed,) = await polls.polls("closed")
    with pytest.raises(CityRejected) as late:
        await polls.vote(closed.id, closed.options[0].id, "web:late")
    assert (late.value.status, late.value.code) == (422, "poll_closed")
    poll = (await polls.polls())[0]
    with pytest.raises(CityRejected) as wrong:
        await polls.vote(poll.id, closed.options[0].id, "web:wrong")
    assert (wrong.value.status, wrong.value.code) == (400, "bad_option")


async def test_an_unknown_poll_is_not_found(polls):
    with pytest.raises(CityNotFound):
        await polls.poll("99999")
    with pytest.raises(CityNotFound):
        await polls.vote("99999", 1, "web:x")


async def test_a_failing_city_is_unavailable(polls, city_fault):
    await city_fault(mode="error", paths="/api/v1/polls")
    with pytest.raises(CityUnavailable):
        await polls.polls()


@pytest.mark.parametrize("body", [
    {"items": [{"id": 1, "title": "Trees", "options": []}]},  # no question
    {"items": [{"id": 1, "question": "Which?", "options": [{"id": "one", "text": "A"}]}]},
    {"items": [{"id": 1, "question": "Which?", "options": None}]},
    {"items": [{"id": 1, "question": "Which?", "options": [], "results": [{"option_id": 1}]}]},
    {"polls": []},
])
async def test_polls_the_client_cannot_read_are_a_protocol_error(scripted_city, city_http,
                                                                 body):
    scripted_city.answer(200, json.dumps(body))
    with pytest.raises(CityProtocolError):
        await PollsClient(city_http, scripted_city.url("/api/v1")).polls()


async def test_already_voted_without_the_choice_is_a_protocol_error(scripted_city, city_http):
    scripted_city.answer(409, json.dumps({"error": {"code": "already_voted", "message": "no",
                                                    "details": {}}}))
    with pytest.raises(CityProtocolError):
        await PollsClient(city_http, scripted_city.url("/api/v1")).vote("1", 1, "web:x")
