"""The handoff queue for operators: take a waiting citizen, answer, hand back to the assistant
or close the conversation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.console import handoffs
from bot.console.audit import audit
from bot.console.pages import render
from bot.console.privacy import mask_pii
from bot.console.security import read_form, require_role
from bot.console.state import RASA, STORE, TRACKER
from bot.console.transcript import session_at, transcript

routes = web.RouteTableDef()
OPERATORS = ("operator", "admin")


def _id(request: web.Request) -> int:
    try:
        return int(request.match_info["handoff_id"])
    except ValueError:
        raise web.HTTPNotFound() from None


def _refused(exc: handoffs.HandoffError) -> web.HTTPConflict:
    error = web.HTTPConflict()
    error.detail = str(exc)
    return error


@routes.get("/handoffs")
async def queue(request: web.Request) -> web.Response:
    require_role(request, *OPERATORS)
    waiting = await handoffs.queue(request.app[STORE])
    for item in waiting:
        item.last_message = mask_pii(item.last_message)
    return render(request, "handoffs.html", {"waiting": waiting})


@routes.get("/handoffs/{handoff_id}")
async def one(request: web.Request) -> web.Response:
    staff = require_role(request, *OPERATORS)
    store = request.app[STORE]
    waiting = await handoffs.get(store, _id(request))
    if waiting is None:
        raise web.HTTPNotFound()
    # The operator answers the citizen, so sees what they wrote (recorded as a view): in the
    # session they asked for a person and since, not in the citizen's earlier sessions.
    turns = [t for t in session_at(await transcript(request.app[TRACKER], waiting.sender_id),
                                   waiting.since)
             if t.kind in ("user", "bot") and not t.hidden]
    await audit(store, staff, "viewed", waiting.sender_id, {"handoff": waiting.id})
    return render(request, "handoff.html", {
        "item": waiting, "turns": turns, "mine": waiting.taken_by == staff.name,
    })


async def _step(
    request: web.Request, action: str, step: Callable[..., Awaitable[handoffs.Waiting]],
    *args: Any, then: str | None = None,
) -> web.Response:
    """One operator step on a handoff: done and recorded, or refused with the reason (409)."""
    staff = require_role(request, *OPERATORS)
    try:
        item = await step(*args, _id(request), staff.name)
    except handoffs.HandoffError as exc:
        raise _refused(exc) from None
    await audit(request.app[STORE], staff, action, item.sender_id, {"handoff": item.id})
    raise web.HTTPSeeOther(then or f"/handoffs/{item.id}")


@routes.post("/handoffs/{handoff_id}/take")
async def take(request: web.Request) -> web.Response:
    return await _step(request, "took", handoffs.take_over, request.app[RASA],
                       request.app[STORE])


@routes.post("/handoffs/{handoff_id}/reply")
async def reply(request: web.Request) -> web.Response:
    text = str((await read_form(request)).get("text", ""))

    async def send(handoff_id: int, staff_name: str) -> handoffs.Waiting:
        return await handoffs.reply(request.app[RASA], request.app[STORE], handoff_id,
                                    staff_name, text)

    return await _step(request, "replied", send)


@routes.post("/handoffs/{handoff_id}/hand-back")
async def hand_back(request: web.Request) -> web.Response:
    return await _step(request, "handed_back", handoffs.hand_back, request.app[RASA],
                       request.app[STORE], then="/handoffs")


@routes.post("/handoffs/{handoff_id}/close")
async def close(request: web.Request) -> web.Response:
    return await _step(request, "closed", handoffs.close, request.app[RASA],
                       request.app[STORE], then="/handoffs")
