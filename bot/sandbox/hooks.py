"""Test hooks (only with ``faults=True``): make the city fail or hang, advance the clock, make
something happen now that the events feed tells of."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web

from sqlalchemy import select

from bot.sandbox import clinics_api, clock, fines_api
from bot.sandbox.events import announce_meter_window, event_json
from bot.sandbox.errors import ApiError, error_for_path
from bot.sandbox.models import ServiceRequest
from bot.sandbox.open311 import request_json
from bot.sandbox.params import locale_param
from bot.sandbox.phrasebook import Phrasebook
from bot.sandbox.planned_outages import announce_outage
from bot.sandbox.state import GAZETTEER, RUNTIME, Faults, open_session

MODES = ("ok", "error", "hang")
MAX_HANG_SECONDS = 600
routes = web.RouteTableDef()


@web.middleware
async def faults_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Answer matching requests with a 500, or only after a long pause, as asked."""
    runtime = request.app[RUNTIME]
    faults = runtime.faults
    if not request.path.startswith("/sandbox/") and faults.matches(request.path):
        if faults.mode == "error":
            return error_for_path(request, 500, "The city is failing (a sandbox test fault).")
        runtime.hanging += 1
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(faults.released.wait(), faults.seconds)
        finally:
            runtime.hanging -= 1
    return await handler(request)


def _parse_faults(body: Any) -> Faults:
    if not isinstance(body, dict) or body.get("mode") not in MODES:
        raise ApiError(400, "bad_fault", f"mode must be one of: {', '.join(MODES)}.")
    if body["mode"] == "ok":
        return Faults()
    paths = body.get("paths", "/")
    paths = [paths] if isinstance(paths, str) else paths
    if not isinstance(paths, list) or not paths or not all(
            isinstance(p, str) and p.startswith("/") for p in paths):
        raise ApiError(400, "bad_fault", "paths must be a path prefix like "
                                         "/open311/v2/requests, or a list of them.")
    seconds = body.get("seconds", 30)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not (
            0 <= seconds <= MAX_HANG_SECONDS):
        raise ApiError(400, "bad_fault", f"seconds must be from 0 to {MAX_HANG_SECONDS}.")
    return Faults(mode=body["mode"], paths=tuple(paths), seconds=float(seconds))


async def _json_body(request: web.Request, error_code: str) -> Any:
    try:
        return json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, error_code, "The body must be JSON.") from None


@routes.post("/sandbox/faults")
async def set_faults(request: web.Request) -> web.Response:
    """Set (or with mode "ok" clear) the fault for a path prefix."""
    faults = _parse_faults(await _json_body(request, "bad_fault"))
    runtime = request.app[RUNTIME]
    runtime.faults.released.set()  # requests held by the fault it replaces go on now
    runtime.faults = faults
    return web.json_response({"mode": faults.mode, "paths": list(faults.paths),
                              "seconds": faults.seconds})


@routes.get("/sandbox/faults")
async def get_faults(request: web.Request) -> web.Response:
    """The fault in force, and how many requests it holds right now (``hanging``)."""
    runtime = request.app[RUNTIME]
    faults = runtime.faults
    return web.json_response({"mode": faults.mode, "paths": list(faults.paths),
                              "seconds": faults.seconds, "hanging": runtime.hanging})


@routes.post("/sandbox/clock/tick")
async def tick_clock(request: web.Request) -> web.Response:
    """Advance the clock by one tick now."""
    return web.json_response({"changed": await clock.tick(request.app)})


@routes.post("/sandbox/fines")
async def add_fine(request: web.Request) -> web.Response:
    """Fine a vehicle now: ``{"vehicle_certificate": "77УВ123456", "article": "12.9.2"}`` (a
    new fine for a notification to tell of)."""
    body = await _json_body(request, "bad_fine")
    return web.json_response(await fines_api.fine_now(request, body), status=201)


@routes.post("/sandbox/slots/{id}/take")
async def take_slot(request: web.Request) -> web.Response:
    """Book a free slot for "someone else", so that a citizen's booking of it finds it gone."""
    slot = await clinics_api.take_for_someone_else(request.app, request.match_info["id"])
    return web.json_response({"slot_id": slot, "taken": True})


@routes.post("/sandbox/meter-window")
async def set_meter_window(request: web.Request) -> web.Response:
    """Open or close the meter submission window now: ``{"opens": 15, "closes": 25}``."""
    body = await _json_body(request, "bad_window")
    if not isinstance(body, dict):
        body = {}
    days = body.get("opens"), body.get("closes")
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in days) or not (
            1 <= days[0] <= days[1] <= 31):
        raise ApiError(400, "bad_window", "opens and closes must be days 1-31, opens <= closes.")
    request.app[RUNTIME].meter_window = (days[0], days[1])
    # Opened now: the feed tells of it now (once a month, however often it is opened).
    told = await announce_meter_window(request.app)
    return web.json_response({"opens": days[0], "closes": days[1], "open_now": told is not None,
                              "event": event_json(told) if told is not None else None})


@routes.post("/sandbox/outages")
async def add_outage(request: web.Request) -> web.Response:
    """Announce a planned outage: ``{"address_id": 1, "kind": "hot_water"}`` (or ``district``
    and ``street``; ``starts_at``, ``ends_at``, ``reason``): it is listed by GET /outages, and
    its ``outage_planned`` event, which this answers, is in the feed."""
    event = await announce_outage(request.app, await _json_body(request, "bad_outage"))
    return web.json_response(event_json(event), status=201)


@routes.get("/sandbox/requests")
async def requests_by_device(request: web.Request) -> web.Response:
    """Every request filed with this ``device_id`` (Open311 keeps the reporter private)."""
    device = request.query.get("device_id", "")
    if not device:
        raise ApiError(400, "bad_device", "device_id is required.")
    statement = (
        select(ServiceRequest)
        .where(ServiceRequest.reporter["device_id"].as_string() == device)
        .order_by(ServiceRequest.id)
    )
    async with open_session(request.app) as session:
        rows = (await session.scalars(statement)).all()
        words = await Phrasebook.load(session, locale_param(request.query, request.headers),
                                      request.app[GAZETTEER])
    return web.json_response([request_json(row, words) for row in rows])
