"""Reading the city's JSON bodies strictly: what cannot be read is a city that cannot be read
(:class:`CityProtocolError`), never a default value shown to a citizen."""

from __future__ import annotations

from typing import Any

from bot.city.errors import CityProtocolError


def json_object(data: Any, what: str) -> dict[str, Any]:
    """``data`` as a JSON object, or a protocol error naming ``what`` it should have been."""
    if not isinstance(data, dict):
        raise CityProtocolError(f"{what} is not an object")
    return data


def listed(data: dict[str, Any], key: str, what: str) -> list[Any]:
    """The list under ``key`` of an object, or a protocol error."""
    value = data.get(key)
    if not isinstance(value, list):
        raise CityProtocolError(f"{what} has no list {key}")
    return value
