"""Water meters on the city JSON API: an account's meters and history, submitting readings.

The reading rules themselves live in ``bot.meters`` so the assistant applies the same ones.
An account is shown and takes readings only with the flat it belongs to (``?flat=`` on a read,
``"flat"`` in a submission): a wrong flat is answered like an unknown account, and after
:data:`MISSES_PER_HOUR` wrong flats an account answers 429 for the rest of the hour.
"""

from __future__ import annotations

import hmac
import math
import re
import time
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.meters import MAX_MONTHLY_M3, check_reading, window_state
from bot.sandbox.dates import moscow_date, moscow_now, to_w3c, utcnow
from bot.sandbox.errors import ApiError
from bot.sandbox.idempotency import remember, replay
from bot.sandbox.models import Meter, MeterAccount, Reading
from bot.sandbox.params import json_object
from bot.sandbox.state import CONFIG, ENGINE, GAZETTEER, RUNTIME, open_session

PREFIX = "/api/v1"
KINDS = ("hot", "cold")
MAX_VALUE = 1_000_000.0
ACCOUNT = re.compile(r"^\d{10}$")
FLAT = re.compile(r"^\d{1,4}[a-zа-я]?$")
MISSES_PER_HOUR = 10
routes = web.RouteTableDef()


def _flat(value: Any) -> str:
    flat = str(value or "").strip().lower()
    if not FLAT.match(flat):
        raise ApiError(400, "bad_flat", "Give the flat the account belongs to (like 12 or 45a).",
                       {"flat": value})
    return flat


async def _account(request: web.Request, session: AsyncSession, text: str,
                   flat: str) -> MeterAccount:
    """The account, if ``flat`` is its flat; an unknown account and a wrong flat look alike."""
    if not ACCOUNT.match(text):
        raise ApiError(400, "bad_account", "An account number has exactly 10 digits.",
                       {"account": text})
    misses = request.app[RUNTIME].meter_misses
    count, since = misses.get(text, (0, time.monotonic()))
    if time.monotonic() - since > 3600:
        count, since = 0, time.monotonic()
    if count >= MISSES_PER_HOUR:
        raise ApiError(429, "too_many_attempts",
                       "Too many wrong flats for this account; try again in an hour.",
                       {"account": text})
    account = await session.get(MeterAccount, text)
    if account is None or not hmac.compare_digest((account.flat or "").encode(), flat.encode()):
        if account is not None:
            misses[text] = (count + 1, since)
        raise ApiError(404, "account_not_found",
                       f"There is no meter account {text} with that flat.", {"account": text})
    misses.pop(text, None)
    return account


def _window(request: web.Request) -> dict[str, Any]:
    opens, closes = request.app[RUNTIME].meter_window or request.app[CONFIG].meter_window
    open_now, next_opens = window_state(moscow_now().date(), opens, closes)
    return {"opens_day": opens, "closes_day": closes, "open_now": open_now,
            "next_opens": next_opens.isoformat()}


@routes.get(PREFIX + "/meters/{account}")
async def get_meters(request: web.Request) -> web.Response:
    """An account's meters, their last readings, the history and the submission window."""
    flat = _flat(request.query.get("flat"))
    async with open_session(request.app) as session:
        account = await _account(request, session, request.match_info["account"], flat)
        meters = (await session.scalars(select(Meter).where(Meter.account == account.account)
                                        .order_by(Meter.kind.desc()))).all()
        readings = (await session.scalars(select(Reading)
                                          .where(Reading.account == account.account)
                                          .order_by(Reading.month))).all()
    # The baseline is the last reading of an earlier month: this month's reading (if any) is
    # replaced by a new submission, so it is shown apart as "this_month".
    month = moscow_now().strftime("%Y-%m")
    last: dict[str, Reading] = {}
    current: dict[str, Reading] = {}
    history: dict[str, dict[str, Any]] = {}
    for reading in readings:
        (current if reading.month == month else last)[reading.kind] = reading
        history.setdefault(reading.month, {"month": reading.month, "hot": None, "cold": None})
        history[reading.month][reading.kind] = reading.value
    place = request.app[GAZETTEER].get(account.address_id)
    return web.json_response({
        "account": account.account,
        "address": place.label if place else None,
        "address_id": account.address_id,
        "meters": [{
            "kind": meter.kind,
            "serial": meter.serial,
            "last_reading": ({"value": last[meter.kind].value,
                              "date": moscow_date(last[meter.kind].taken_on).isoformat()}
                             if meter.kind in last else None),
            "this_month": ({"value": current[meter.kind].value,
                            "date": moscow_date(current[meter.kind].taken_on).isoformat()}
                           if meter.kind in current else None),
        } for meter in meters],
        "history": list(history.values()),
        "window": _window(request),
        "max_monthly_m3": MAX_MONTHLY_M3,
    })


async def _readings_body(request: web.Request) -> tuple[str, dict[str, float]]:
    """The flat and the readings of a submission."""
    body = await json_object(request, "bad_reading", "The body must be a JSON object like "
                                                     '{"flat": "12", "hot": 123.4, "cold": 234.5}.')
    flat = _flat(body.pop("flat", None))
    if not body or set(body) - set(KINDS):
        raise ApiError(400, "bad_reading", "Give hot and/or cold readings, nothing else.",
                       {"allowed": list(KINDS)})
    values = {}
    for kind, value in body.items():
        valid = isinstance(value, int | float) and not isinstance(value, bool)
        if not valid or not math.isfinite(value) or not 0 <= value < MAX_VALUE:
            raise ApiError(400, "bad_reading",
                           f"The {kind} reading must be a number of cubic metres.",
                           {"kind": kind, "value": value})
        values[kind] = float(value)
    return flat, values


async def _submit(request: web.Request, account_text: str, key: str) -> dict[str, Any]:
    """Validate all readings first, then store them (a resubmission replaces this month's) and
    the answer for the ``Idempotency-Key`` in one transaction."""
    flat, values = await _readings_body(request)
    async with open_session(request.app) as session, session.begin():
        account = await _account(request, session, account_text, flat)
        window = _window(request)
        if not window["open_now"]:
            raise ApiError(422, "window_closed", "Readings are accepted from day "
                           f"{window['opens_day']} to day {window['closes_day']} of the month.",
                           {key: window[key] for key in ("opens_day", "closes_day", "next_opens")})
        now = utcnow().replace(microsecond=0)
        month = moscow_now().strftime("%Y-%m")
        accepted = []
        for kind, value in values.items():
            previous = await session.scalar(
                select(Reading).where(Reading.account == account.account, Reading.kind == kind,
                                      Reading.month < month).order_by(Reading.month.desc()))
            before = previous.value if previous else None
            problem = check_reading(before, value) if before is not None else None
            if problem:
                raise ApiError(422, problem, _refusal(problem, kind), {
                    "kind": kind, "value": value, "previous": before,
                    "max_monthly_m3": MAX_MONTHLY_M3})
            accepted.append({"kind": kind, "value": value, "previous": before,
                             "consumption": (round(value - before, 3)
                                             if before is not None else None)})
        for item in accepted:
            current = await session.scalar(select(Reading).where(
                Reading.account == account.account, Reading.kind == item["kind"],
                Reading.month == month))
            if current is None:
                session.add(Reading(account=account.account, kind=item["kind"], month=month,
                                    value=item["value"], taken_on=now))
            else:
                current.value, current.taken_on = item["value"], now
        answer = {"account": account.account, "submitted_at": to_w3c(now), "readings": accepted}
        if key:
            remember(session, _scope(account_text), key, 201, answer)
    return answer


def _refusal(code: str, kind: str) -> str:
    if code == "reading_lower_than_previous":
        return f"The {kind} reading is lower than the previous one."
    return f"The {kind} reading means more than {MAX_MONTHLY_M3:g} m³ since the previous one."


def _scope(account: str) -> str:
    """Where the Idempotency-Keys of an account's submissions are kept."""
    return f"meters:{account}"


@routes.post(PREFIX + "/meters/{account}/readings")
async def submit_readings(request: web.Request) -> web.Response:
    """Submit this month's readings, honouring an ``Idempotency-Key`` header."""
    account = request.match_info["account"]
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 200:
        raise ApiError(400, "bad_idempotency_key", "Idempotency-Key is at most 200 characters.")
    engine, scope = request.app[ENGINE], _scope(account)
    async with request.app[RUNTIME].write_lock:
        if key:
            stored = await replay(engine, scope, key)
            if stored is not None:
                return web.json_response(stored[1], status=stored[0])
        answer = await _submit(request, account, key)
    return web.json_response(answer, status=201)
