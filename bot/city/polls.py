"""Citizens' polls ("Active Citizen") on the city JSON API: open polls, results, one vote.

A second vote is the city's 409 ``already_voted``: :meth:`PollsClient.vote` raises it as
:class:`CityRejected` whose ``details`` hold the citizen's earlier ``option_id`` (an int) and the
``results`` (PollResult tuple), so the assistant can say what they chose and show how it stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from bot.city.errors import CityProtocolError, CityRejected
from bot.city.http import CityHTTP
from bot.city.reading import json_object, listed

ALREADY_VOTED = "already_voted"


def _int(data: dict[str, Any], key: str, what: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CityProtocolError(f"{what} has no whole-number {key}")
    return value


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class PollOption:
    id: int
    text: str

    @classmethod
    def from_json(cls, data: Any) -> PollOption:
        data = json_object(data, "a poll option")
        return cls(id=_int(data, "id", "a poll option"), text=str(data.get("text") or ""))


@dataclass(frozen=True)
class PollResult:
    option_id: int
    text: str
    votes: int
    percent: float

    @classmethod
    def from_json(cls, data: Any) -> PollResult:
        data = json_object(data, "a poll result")
        percent = data.get("percent")
        if isinstance(percent, bool) or not isinstance(percent, int | float):
            raise CityProtocolError("a poll result has no percent")
        return cls(option_id=_int(data, "option_id", "a poll result"),
                   text=str(data.get("text") or ""), votes=_int(data, "votes", "a poll result"),
                   percent=float(percent))


def results_from(items: Any) -> tuple[PollResult, ...]:
    if not isinstance(items, list):
        raise CityProtocolError("poll results are not a list")
    return tuple(PollResult.from_json(item) for item in items)


@dataclass(frozen=True)
class Poll:
    """A poll; ``results`` only when asked for one poll (lists leave them out)."""

    id: str
    title: str
    question: str
    options: tuple[PollOption, ...]
    status: str = "open"
    opens_on: date | None = None
    closes_on: date | None = None
    votes_total: int = 0
    results: tuple[PollResult, ...] = ()

    def option(self, option_id: int) -> PollOption | None:
        return next((option for option in self.options if option.id == option_id), None)

    @classmethod
    def from_json(cls, data: Any) -> Poll:
        data = json_object(data, "a poll")
        if data.get("id") is None or not data.get("question"):
            raise CityProtocolError("a poll has no id or question")
        total = data.get("votes_total")
        return cls(
            id=str(data["id"]),
            title=str(data.get("title") or data["question"]),
            question=str(data["question"]),
            options=tuple(PollOption.from_json(o) for o in listed(data, "options", "a poll")),
            status=str(data.get("status") or "open"),
            opens_on=_date(data.get("opens_on")),
            closes_on=_date(data.get("closes_on")),
            votes_total=total if isinstance(total, int) and not isinstance(total, bool) else 0,
            results=results_from(data["results"]) if "results" in data else (),
        )


class PollsClient:
    """Typed calls of the city's polls. ``language`` ("ru") gives titles, questions and
    options in Russian; left out, the city answers in English."""

    def __init__(self, http: CityHTTP, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def polls(self, status: str = "open", *, language: str | None = None) -> list[Poll]:
        """Polls by status ("open", "closed" or "all"), the soonest to close first."""
        params = {"status": status, **({"lang": language} if language else {})}
        body = json_object(await self._http.request("GET", f"{self._base}/polls", params=params),
                       "the polls")
        return [Poll.from_json(item) for item in listed(body, "items", "the polls")]

    async def poll(self, poll_id: str, *, language: str | None = None) -> Poll:
        """One poll with its results."""
        params = {"lang": language} if language else {}
        return Poll.from_json(await self._http.request(
            "GET", f"{self._base}/polls/{quote(str(poll_id), safe='')}", params=params))

    async def vote(self, poll_id: str, option_id: int, citizen: str, *,
                   language: str | None = None) -> tuple[PollResult, ...]:
        """Cast the citizen's vote; the results with it. Not retried: a repeat would only be
        told the citizen has voted."""
        params = {"lang": language} if language else {}
        try:
            body = await self._http.request(
                "POST", f"{self._base}/polls/{quote(str(poll_id), safe='')}/votes",
                params=params, json_body={"option_id": option_id, "citizen": citizen})
        except CityRejected as refusal:
            if refusal.code != ALREADY_VOTED:
                raise
            details = refusal.details
            chosen = details.get("option_id") if isinstance(details, dict) else None
            if isinstance(chosen, bool) or not isinstance(chosen, int):
                raise CityProtocolError("already_voted without the option chosen") from refusal
            raise CityRejected(refusal.status, refusal.code, refusal.message, {
                "option_id": chosen, "results": results_from(details.get("results", []))
            }) from refusal
        return results_from(json_object(body, "the vote's answer").get("results"))
