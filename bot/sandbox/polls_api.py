"""Citizens' polls on the city JSON API: the polls, their results, one vote per citizen.

A citizen is an opaque, stable string the assistant derives from its channel (1-128
characters): the city keeps it only to refuse a second vote. One vote per citizen and poll is a
unique constraint, so two votes arriving together cannot both count even from two processes; the
write lock makes the second one a tidy 409 in the usual case. Results are public (the API shows
them to anyone); the assistant shows them after a vote.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.sandbox.dates import moscow_now, utcnow
from bot.sandbox.errors import ApiError
from bot.sandbox.models import Poll, PollOption, PollVote
from bot.sandbox.params import id_param, json_object, lang_param
from bot.sandbox.polls import results, status
from bot.sandbox.state import RUNTIME, open_session

PREFIX = "/api/v1"
STATUSES = ("open", "closed", "all")
MAX_CITIZEN = 128
routes = web.RouteTableDef()


def _lang(request: web.Request) -> str:
    return lang_param(request.query, request.headers)


def _answer(body: Any, lang: str, status_code: int = 200) -> web.Response:
    """JSON in ``lang``, saying so (and that it depends on Accept-Language, for caches)."""
    return web.json_response(body, status=status_code,
                             headers={"Content-Language": lang, "Vary": "Accept-Language"})


def _today() -> date:
    return moscow_now().date()


async def _poll(session: AsyncSession, text: str) -> Poll:
    poll = await session.get(Poll, id_param(text, "poll_not_found", "poll"))
    if poll is None:
        raise ApiError(404, "poll_not_found", f"There is no poll with id {text}.", {"id": text})
    return poll


async def _options(session: AsyncSession, poll_ids: list[int]
                   ) -> dict[int, list[tuple[PollOption, int]]]:
    """Each poll's options in order, with all their votes (seeded and cast here)."""
    cast = dict((await session.execute(
        select(PollVote.option_id, func.count()).where(PollVote.poll_id.in_(poll_ids))
        .group_by(PollVote.option_id))).all())
    rows = (await session.scalars(select(PollOption).where(PollOption.poll_id.in_(poll_ids))
                                  .order_by(PollOption.poll_id, PollOption.position))).all()
    found: dict[int, list[tuple[PollOption, int]]] = {poll_id: [] for poll_id in poll_ids}
    for row in rows:
        found[row.poll_id].append((row, row.seeded_votes + cast.get(row.id, 0)))
    return found


def _text(option: PollOption, lang: str) -> str:
    return option.text_ru if lang == "ru" else option.text


def _results(options: list[tuple[PollOption, int]], lang: str) -> list[dict[str, Any]]:
    return results([(option.id, _text(option, lang), votes) for option, votes in options])


def poll_json(poll: Poll, options: list[tuple[PollOption, int]], lang: str, today: date,
              with_results: bool = False) -> dict[str, Any]:
    """A poll in ``lang``: its question and options, dates, status and participation."""
    body = {
        "id": poll.id,
        "title": poll.title_ru if lang == "ru" else poll.title,
        "question": poll.question_ru if lang == "ru" else poll.question,
        "options": [{"id": option.id, "text": _text(option, lang)} for option, _ in options],
        "opens_on": poll.opens_on.isoformat(),
        "closes_on": poll.closes_on.isoformat(),
        "status": status(poll.opens_on, poll.closes_on, today),
        "votes_total": sum(votes for _, votes in options),
    }
    if with_results:
        body["results"] = _results(options, lang)
    return body


@routes.get(PREFIX + "/polls")
async def list_polls(request: web.Request) -> web.Response:
    """Polls by status (open by default), the soonest to close first."""
    lang = _lang(request)
    wanted = request.query.get("status", "").strip().lower() or "open"
    if wanted not in STATUSES:
        raise ApiError(400, "bad_status", f"status must be one of: {', '.join(STATUSES)}.",
                       {"status": wanted, "allowed": list(STATUSES)})
    today = _today()
    async with open_session(request.app) as session:
        polls = (await session.scalars(select(Poll).order_by(Poll.closes_on, Poll.id))).all()
        options = await _options(session, [poll.id for poll in polls])
    items = [poll_json(poll, options[poll.id], lang, today) for poll in polls]
    if wanted != "all":
        items = [item for item in items if item["status"] == wanted]
    return _answer({"items": items}, lang)


@routes.get(PREFIX + "/polls/{id}")
async def get_poll(request: web.Request) -> web.Response:
    """One poll with its results."""
    lang = _lang(request)
    async with open_session(request.app) as session:
        poll = await _poll(session, request.match_info["id"])
        options = (await _options(session, [poll.id]))[poll.id]
    return _answer(poll_json(poll, options, lang, _today(), with_results=True), lang)


async def _vote_body(request: web.Request) -> tuple[int, str]:
    """The option and the citizen of a vote."""
    body = await json_object(request, "bad_vote", 'The body must be JSON like {"option_id": 3, '
                                                  '"citizen": "…"}.')
    citizen = body.get("citizen")
    if not isinstance(citizen, str) or not citizen.strip() or len(citizen) > MAX_CITIZEN:
        raise ApiError(400, "bad_citizen", f"citizen must be 1-{MAX_CITIZEN} characters.")
    option_id = body.get("option_id")
    if isinstance(option_id, bool) or not isinstance(option_id, int):
        raise ApiError(400, "bad_option", "option_id must be the id of one of the poll's "
                                          "options.", {"option_id": option_id})
    return option_id, citizen


async def _already_voted(session: AsyncSession, poll: Poll, citizen: str,
                         lang: str) -> ApiError | None:
    """The refusal of a second vote, naming the first, or None if the citizen has not voted."""
    earlier = await session.scalar(select(PollVote.option_id).where(
        PollVote.poll_id == poll.id, PollVote.citizen == citizen))
    if earlier is None:
        return None
    options = (await _options(session, [poll.id]))[poll.id]
    return ApiError(409, "already_voted", "This citizen has voted in this poll already.",
                    {"option_id": earlier, "results": _results(options, lang)})


async def _cast(request: web.Request, text: str, option_id: int, citizen: str,
                lang: str) -> dict[str, Any]:
    """Check the poll, the option and the citizen, then keep the vote; the new results."""
    async with open_session(request.app) as session, session.begin():
        poll = await _poll(session, text)
        options = (await _options(session, [poll.id]))[poll.id]
        if option_id not in {option.id for option, _ in options}:
            raise ApiError(400, "bad_option", "option_id is not one of this poll's options.",
                           {"option_id": option_id,
                            "options": [option.id for option, _ in options]})
        state = status(poll.opens_on, poll.closes_on, _today())
        if state != "open":
            raise ApiError(422, f"poll_{state}", f"The poll is {state}: it takes votes from "
                           f"{poll.opens_on} to {poll.closes_on}.",
                           {"opens_on": poll.opens_on.isoformat(),
                            "closes_on": poll.closes_on.isoformat()})
        refusal = await _already_voted(session, poll, citizen, lang)
        if refusal is not None:
            raise refusal
        session.add(PollVote(poll_id=poll.id, option_id=option_id, citizen=citizen,
                             created_at=utcnow()))
        await session.flush()
        options = (await _options(session, [poll.id]))[poll.id]
    return {"poll_id": poll.id, "option_id": option_id, "results": _results(options, lang),
            "votes_total": sum(votes for _, votes in options)}


@routes.post(PREFIX + "/polls/{id}/votes")
async def vote(request: web.Request) -> web.Response:
    """Cast a citizen's one vote in an open poll; the results with it."""
    lang = _lang(request)
    text = request.match_info["id"]
    option_id, citizen = await _vote_body(request)
    async with request.app[RUNTIME].write_lock:
        try:
            answer = await _cast(request, text, option_id, citizen, lang)
        except IntegrityError:
            # Another process voted for this citizen between the check and the insert.
            async with open_session(request.app) as session:
                refusal = await _already_voted(session, await _poll(session, text), citizen,
                                               lang)
            if refusal is None:
                raise
            raise refusal from None
    return _answer(answer, lang, 201)
