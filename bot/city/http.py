"""One HTTP layer for every city call: timeouts, retries for idempotent calls, error mapping."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable

import aiohttp

from bot.city.errors import CityNotFound, CityProtocolError, CityRejected, CityUnavailable

log = logging.getLogger(__name__)

ErrorParser = Callable[[int, Any], tuple[str, str, dict[str, Any]]]


def _default_error(status: int, body: Any) -> tuple[str, str, dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return str(err.get("code", status)), str(err.get("message", "")), err.get("details") or {}
    return str(status), "", {}


class CityHTTP:
    """Wraps one shared ``aiohttp.ClientSession`` with the city's timeouts and error mapping."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float = 4.0,
        connect_timeout: float = 1.5,
        retries: int = 1,
        retry_backoff: float = 0.2,
    ) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(
            total=timeout, connect=connect_timeout, sock_connect=connect_timeout
        )
        self._retries = retries
        self._backoff = retry_backoff

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        data: Any = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
        parse_error: ErrorParser = _default_error,
    ) -> Any:
        """Send one request and return the decoded JSON body of a 2xx answer.

        Only idempotent calls (GET by default, or a write carrying an idempotency key)
        are retried, and only when the city was unavailable.
        """
        if idempotent is None:
            idempotent = method.upper() in {"GET", "HEAD", "OPTIONS"}
        attempts = 1 + (self._retries if idempotent else 0)
        for attempt in range(1, attempts + 1):
            try:
                return await self._once(
                    method, url, params=params, data=data, json_body=json_body,
                    headers=headers, parse_error=parse_error,
                )
            except CityUnavailable as exc:
                if attempt == attempts:
                    raise
                log.warning("city call %s %s failed (%s), retrying", method, url, exc)
                await asyncio.sleep(self._backoff * attempt)
        raise AssertionError("unreachable")

    async def _once(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None,
        data: Any,
        json_body: Any,
        headers: dict[str, str] | None,
        parse_error: ErrorParser,
    ) -> Any:
        try:
            async with self._session.request(
                method, url, params=params, data=data, json=json_body,
                headers=headers, timeout=self._timeout,
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except asyncio.TimeoutError as exc:
            raise CityUnavailable(f"{method} {url}: no answer in time") from exc
        except aiohttp.ClientError as exc:
            raise CityUnavailable(f"{method} {url}: {exc}") from exc

        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
                if 200 <= status < 300:
                    raise CityProtocolError(f"{method} {url}: answer is not JSON")
        if 200 <= status < 300:
            return body
        if status >= 500:
            raise CityUnavailable(f"{method} {url}: city answered {status}")
        code, message, details = parse_error(status, body)
        if status == 404:
            raise CityNotFound(message or f"{method} {url}: not found")
        raise CityRejected(status, code, message, details)
