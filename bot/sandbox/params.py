"""Reading query parameters of the city JSON API; every mistake is a 400 with a machine code."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import CIMultiDictProxy, MultiDictProxy

from bot.sandbox.dates import parse_w3c
from bot.sandbox.errors import ApiError


LANGUAGES = ("en", "ru")


def lang_param(query: MultiDictProxy, headers: CIMultiDictProxy) -> str:
    """The language of names and labels: ``lang`` ("ru", "ru-RU"), else the best of
    ``Accept-Language`` that the city speaks, else English."""
    text = query.get("lang", "").strip()
    if text:
        code = text.replace("_", "-").split("-")[0].lower()
        if code not in LANGUAGES:
            raise ApiError(400, "bad_lang", f"lang must be one of: {', '.join(LANGUAGES)}.",
                           {"lang": text, "allowed": list(LANGUAGES)})
        return code
    return accepted_language(headers.get("Accept-Language", ""))


def locale_param(query: MultiDictProxy, headers: CIMultiDictProxy) -> str:
    """The language of an Open311 answer. GeoReport v2 has no language parameter, so
    ``Accept-Language`` chooses, as HTTP intends; a ``locale`` query parameter ("ru",
    "ru_RU"), which some Open311 servers take, overrides it when it names a language the city
    speaks. Anything else is English: an Open311 client may send what it likes and still read
    the answer, so an unknown locale is ignored rather than refused."""
    code = query.get("locale", "").strip().replace("_", "-").split("-")[0].lower()
    if code in LANGUAGES:
        return code
    return accepted_language(headers.get("Accept-Language", ""))


def accepted_language(header: str) -> str:
    """The language of ``Accept-Language`` with the highest q the city speaks (first on a tie)."""
    best, best_q = LANGUAGES[0], 0.0
    for part in header.split(","):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        code = tag.split("-")[0].lower()
        if code in LANGUAGES and quality > best_q:
            best, best_q = code, quality
    return best


def is_number(text: str) -> bool:
    """Whether the text is a whole number ``int`` reads: ASCII digits only ("³" and "٣" are
    digits to ``str.isdigit`` and no number to ``int``)."""
    return text.isascii() and text.isdigit()


def limit_param(query: MultiDictProxy, default: int, maximum: int = 50) -> int:
    text = query.get("limit", "").strip()
    if not text:
        return default
    if not is_number(text) or not 1 <= int(text) <= maximum:
        raise ApiError(400, "bad_limit", f"limit must be a whole number from 1 to {maximum}.",
                       {"limit": text})
    return int(text)


def coordinate_param(query: MultiDictProxy, name: str, limit: float) -> float | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise ApiError(400, "bad_location",
                       f"{name} must be a number between -{limit:g} and {limit:g}.",
                       {name: text})
    return value


def point_params(query: MultiDictProxy) -> tuple[float, float] | None:
    """``lat`` and ``lon`` together, or neither."""
    lat = coordinate_param(query, "lat", 90)
    lon = coordinate_param(query, "lon", 180)
    if (lat is None) != (lon is None):
        raise ApiError(400, "bad_location", "Give both lat and lon, or neither.")
    return None if lat is None or lon is None else (lat, lon)


def date_param(query: MultiDictProxy, name: str,
               invalid: Callable[[str], Exception] | None = None) -> datetime | None:
    """An optional W3C date parameter; ``invalid(text)`` builds the error (Open311 has its own)."""
    text = query.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_w3c(text)
    except ValueError:
        if invalid is not None:
            raise invalid(text) from None
        raise ApiError(400, "bad_date", f"{name} must be a date like 2026-10-01 or a W3C "
                                        "datetime.", {name: text}) from None


def id_param(text: str, code: str, what: str) -> int:
    """A numeric path id; anything else cannot name a thing, so it is not found."""
    if not is_number(text) or len(text) > 12:
        raise ApiError(404, code, f"There is no {what} with id {text!r}.", {"id": text})
    return int(text)


async def json_object(request: web.Request, code: str, message: str) -> dict[str, Any]:
    """The request's body as a JSON object, or a 400 with ``code`` and ``message`` (which says
    what the body should look like)."""
    try:
        body = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, code, message)
    return body
