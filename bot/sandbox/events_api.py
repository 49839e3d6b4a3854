"""The city's events feed on the JSON API: ``GET /api/v1/events?since=&limit=&kind=``.

A reader keeps the ``next`` of each answer and asks with it as ``since`` next time: events come
oldest first, ids are never reused and an event never changes, so nothing is told twice or
skipped. What each kind carries is in ``bot.sandbox.events``.
"""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import select

from bot.sandbox.errors import ApiError
from bot.sandbox.events import KINDS, announce_meter_window, event_json
from bot.sandbox.models import CityEvent
from bot.sandbox.params import is_number, limit_param
from bot.sandbox.state import open_session

PREFIX = "/api/v1"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# Ids fit a signed 64-bit integer; a longer number would overflow the database's, not name one.
MAX_SINCE_DIGITS = 18
routes = web.RouteTableDef()


def since_param(query: MultiDictProxy) -> int:
    """The cursor: the last id the reader has (none: from the start)."""
    text = query.get("since", "").strip()
    if not text:
        return 0
    if not is_number(text) or len(text) > MAX_SINCE_DIGITS:
        raise ApiError(400, "bad_since", "since must be a whole number: the next of the last "
                                         "answer, or 0 for the start.", {"since": text[:40]})
    return int(text)


def kinds_param(query: MultiDictProxy) -> list[str]:
    """The kinds asked for (``kind=a,b`` or ``kind=a&kind=b``); none: every kind."""
    asked = [part.strip() for value in query.getall("kind", [])
             for part in value.split(",") if part.strip()]
    unknown = [kind for kind in asked if kind not in KINDS]
    if unknown:
        raise ApiError(400, "bad_kind", f"kind must be one of: {', '.join(KINDS)}.",
                       {"kind": unknown[0][:40], "allowed": list(KINDS)})
    return asked


@routes.get(PREFIX + "/events")
async def events(request: web.Request) -> web.Response:
    """Events after ``since``, oldest first; ``next`` is the cursor for the next call."""
    since = since_param(request.query)
    limit = limit_param(request.query, DEFAULT_LIMIT, MAX_LIMIT)
    kinds = kinds_param(request.query)
    # The month's meter window is told of when the city is first asked inside it.
    await announce_meter_window(request.app)
    statement = select(CityEvent).where(CityEvent.id > since)
    if kinds:
        statement = statement.where(CityEvent.kind.in_(kinds))
    async with open_session(request.app) as session:
        rows = (await session.scalars(statement.order_by(CityEvent.id).limit(limit))).all()
    return web.json_response({"items": [event_json(row) for row in rows],
                              "next": rows[-1].id if rows else since})
