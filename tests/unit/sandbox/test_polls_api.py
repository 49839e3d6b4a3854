"""Citizens' polls on the city API: open and closed polls, results, one vote per citizen."""

from __future__ import annotations

import asyncio
import re
from datetime import date

import pytest
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox import models
from bot.sandbox.database import seed_if_empty
from bot.sandbox.dates import moscow_now
from bot.sandbox.polls import SEEDED_POLLS
from bot.sandbox.state import ENGINE

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


async def _json(response, status: int = 200):
    assert response.status == status, await response.text()
    return await response.json()


async def _polls(client, **params) -> list[dict]:
    return (await _json(await client.get("/api/v1/polls", params=params)))["items"]


async def _poll(client, poll_id: int, **params) -> dict:
    return await _json(await client.get(f"/api/v1/polls/{poll_id}", params=params))


async def _vote(client, poll_id: int, option_id, citizen, **params):
    return await client.post(f"/api/v1/polls/{poll_id}/votes", params=params,
                             json={"option_id": option_id, "citizen": citizen})


async def _open_poll(client, n: int = 0) -> dict:
    return (await _polls(client))[n]


async def test_open_polls_are_listed_with_their_options_and_participation(client):
    polls = await _polls(client)
    today = moscow_now().date()
    assert len(polls) == 4
    closing = [poll["closes_on"] for poll in polls]
    assert closing == sorted(closing)
    for poll in polls:
        assert poll["status"] == "open" and poll["title"] and poll["question"]
        assert date.fromisoformat(poll["opens_on"]) <= today <= date.fromisoformat(
            poll["closes_on"])
        assert 2 <= len(poll["options"]) <= 5
        assert all(option["id"] and option["text"] for option in poll["options"])
        assert poll["votes_total"] > 0 and "results" not in poll


async def test_closed_and_all_polls_and_a_bad_status(client):
    closed = await _polls(client, status="closed")
    assert [poll["status"] for poll in closed] == ["closed"]
    assert date.fromisoformat(closed[0]["closes_on"]) < moscow_now().date()
    assert len(await _polls(client, status="all")) == len(SEEDED_POLLS)
    response = await client.get("/api/v1/polls", params={"status": "secret"})
    assert (await _json(response, 400))["error"]["code"] == "bad_status"


async def test_polls_speak_russian_when_asked(client):
    english = await _polls(client, status="all")
    russian = await _polls(client, status="all", lang="ru")
    assert [poll["id"] for poll in russian] == [poll["id"] for poll in english]
    for poll in russian:
        assert CYRILLIC.search(poll["title"]) and CYRILLIC.search(poll["question"])
        assert all(CYRILLIC.search(option["text"]) for option in poll["options"])
    for poll in english:
        assert not CYRILLIC.search(poll["title"] + poll["question"])


async def test_one_poll_shows_its_results(client):
    listed = await _open_poll(client)
    poll = await _poll(client, listed["id"])
    results = poll["results"]
    assert [r["option_id"] for r in results] == [o["id"] for o in listed["options"]]
    assert sum(r["votes"] for r in results) == poll["votes_total"] == listed["votes_total"]
    assert sum(r["percent"] for r in results) == pytest.approx(100, abs=0.5)
    biggest = max(results, key=lambda r: r["votes"])
    assert biggest["percent"] == round(100 * biggest["votes"] / poll["votes_total"], 1)


async def test_a_vote_counts_once_and_a_second_is_refused_with_the_first(client):
    poll = await _open_poll(client)
    before = await _poll(client, poll["id"])
    chosen, other = poll["options"][0]["id"], poll["options"][1]["id"]
    answer = await _json(await _vote(client, poll["id"], chosen, "telegram:1001"), 201)
    assert answer["poll_id"] == poll["id"] and answer["option_id"] == chosen
    votes = {r["option_id"]: r["votes"] for r in answer["results"]}
    assert votes[chosen] == before["results"][0]["votes"] + 1
    assert answer["votes_total"] == before["votes_total"] + 1
    again = await _json(await _vote(client, poll["id"], other, "telegram:1001"), 409)
    assert again["error"]["code"] == "already_voted"
    assert again["error"]["details"]["option_id"] == chosen
    assert again["error"]["details"]["results"] == answer["results"]
    assert (await _poll(client, poll["id"]))["votes_total"] == before["votes_total"] + 1


async def test_another_citizen_and_another_poll_take_their_own_votes(client):
    first, second = (await _polls(client))[:2]
    assert (await _vote(client, first["id"], first["options"][0]["id"], "web:a")).status == 201
    assert (await _vote(client, first["id"], first["options"][0]["id"], "web:b")).status == 201
    assert (await _vote(client, second["id"], second["options"][0]["id"], "web:a")).status == 201


async def test_votes_in_russian_give_russian_results(client):
    poll = await _open_poll(client, 2)
    answer = await _json(await _vote(client, poll["id"], poll["options"][0]["id"], "web:ru",
                                     lang="ru"), 201)
    assert all(CYRILLIC.search(r["text"]) for r in answer["results"])


async def test_a_closed_poll_takes_no_votes(client):
    (closed,) = await _polls(client, status="closed")
    before = await _poll(client, closed["id"])
    response = await _vote(client, closed["id"], closed["options"][0]["id"], "web:late")
    error = (await _json(response, 422))["error"]
    assert error["code"] == "poll_closed" and error["details"]["closes_on"] == closed["closes_on"]
    assert (await _poll(client, closed["id"]))["votes_total"] == before["votes_total"]


async def test_bad_votes_are_refused_with_a_code(client):
    first, second = (await _polls(client))[:2]
    before = await _poll(client, first["id"])
    option = first["options"][0]["id"]
    for option_id, citizen, code in [
        (second["options"][0]["id"], "web:x", "bad_option"),  # another poll's option
        (99999, "web:x", "bad_option"),
        (str(option), "web:x", "bad_option"),
        (True, "web:x", "bad_option"),
        (option, "", "bad_citizen"),
        (option, "   ", "bad_citizen"),
        (option, "x" * 129, "bad_citizen"),
        (option, 42, "bad_citizen"),
    ]:
        response = await _vote(client, first["id"], option_id, citizen)
        assert (await _json(response, 400))["error"]["code"] == code, (option_id, citizen)
    raw = await client.post(f"/api/v1/polls/{first['id']}/votes", data=b"[not json")
    assert (await _json(raw, 400))["error"]["code"] == "bad_vote"
    assert (await _poll(client, first["id"]))["votes_total"] == before["votes_total"]
    assert (await _vote(client, first["id"], option, "x" * 128)).status == 201


async def test_an_unknown_poll_is_404(client):
    for poll_id in ("99999", "abc", "³"):
        response = await client.get(f"/api/v1/polls/{poll_id}")
        assert (await _json(response, 404))["error"]["code"] == "poll_not_found", poll_id
    response = await _vote(client, 99999, 1, "web:x")
    assert (await _json(response, 404))["error"]["code"] == "poll_not_found"


async def test_one_citizens_votes_arriving_together_count_once(client):
    poll = await _open_poll(client, 1)
    before = await _poll(client, poll["id"])
    options = [option["id"] for option in poll["options"]]
    answers = await asyncio.gather(*(_vote(client, poll["id"], options[n % len(options)],
                                           "telegram:burst") for n in range(8)))
    assert sorted(answer.status for answer in answers) == [201] + [409] * 7
    assert (await _poll(client, poll["id"]))["votes_total"] == before["votes_total"] + 1


async def test_the_database_itself_refuses_a_second_vote(client):
    """The one-vote rule holds without the write lock too (another process, another day)."""
    poll = await _open_poll(client, 3)
    option = poll["options"][0]["id"]
    assert (await _vote(client, poll["id"], option, "web:twice")).status == 201
    with pytest.raises(IntegrityError):
        async with client.app[ENGINE].begin() as conn:
            await conn.execute(insert(models.PollVote).values(
                poll_id=poll["id"], option_id=option, citizen="web:twice",
                created_at=moscow_now().replace(tzinfo=None)))


async def test_a_city_seeded_before_polls_gets_them(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", future=True)
    await seed_if_empty(engine)
    async with engine.begin() as conn:
        await conn.execute(delete(models.PollOption))
        await conn.execute(delete(models.Poll))
    assert await seed_if_empty(engine) is False
    async with engine.connect() as conn:
        polls = (await conn.execute(select(func.count()).select_from(models.Poll))).scalar()
        options = (await conn.execute(select(func.count())
                                      .select_from(models.PollOption))).scalar()
    await engine.dispose()
    assert polls == len(SEEDED_POLLS)
    assert options == sum(len(poll["options"]) for poll in SEEDED_POLLS)
