"""The small set of exceptions every city call can raise; actions catch these."""

from __future__ import annotations

from typing import Any


class CityError(Exception):
    """Base class: something went wrong talking to the city."""


class CityUnavailable(CityError):
    """The city did not answer in time, refused the connection, or failed (5xx)."""


class CityNotFound(CityError):
    """The city says the thing asked for does not exist (404)."""


class CityRejected(CityError):
    """The city refused the input (4xx other than 404), with its reason."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class CityProtocolError(CityUnavailable):
    """The city answered 2xx with a body we cannot read: treated as unavailable."""
