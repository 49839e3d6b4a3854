"""The notifier's world on loopback: the real sandbox city (``city_server`` of tests/unit, here
with a database of the test's own, so its events feed holds only what the test made happen), a
stand-in for Rasa's HTTP API, and notifiers on a shared app database.

Rasa cannot run in unit tests, so :class:`FakeRasa` plays its HTTP API as Rasa 3.6 behaves
(``rasa/server.py``): ``trigger_intent`` stores the external user turn with its entities and
answers the tracker; a channel's exception is a 500 "ConversationError" whose message ends with
the exception ("Error: Forbidden: bot was blocked by the user") and stores nothing; ``GET
tracker`` gives the stored events. :class:`FakeFeed` is an events feed with times the test
chooses and without the houses of an outage listed (a city that leaves them out), for what the
sandbox's real feed cannot show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.city.cityapi import CityApiClient
from bot.city.client import City
from bot.city.events import EventsClient
from bot.city.http import CityHTTP
from bot.config import Settings
from bot.notify.service import Notifier, default_sources
from bot.notify.settings import NotifySettings
from bot.notify.sources import EventsSource, ReportUpdatesSource
from bot.store import Store

from tests.unit.conftest import CITY_API_KEY

MOSCOW = ZoneInfo("Europe/Moscow")
RASA_TOKEN = "rasa-test-token"
BLOCKED = "An unexpected error occurred. Error: Forbidden: bot was blocked by the user"


def moscow(day: int, hour: int, minute: int = 0, *, month: int = 12) -> datetime:
    """A moment of the test clock, as the city's wall clock shows it."""
    return datetime(2026, month, day, hour, minute, tzinfo=MOSCOW)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), MOSCOW)


@pytest.fixture
def today() -> date:
    """The city's date now: what the sandbox stamps its events with."""
    return datetime.now(MOSCOW).date()


@pytest.fixture
def tomorrow(today: date) -> date:
    """A day whose moments are all still to come (the sandbox announces only outages that are)."""
    return today + timedelta(days=1)


@dataclass
class Call:
    sender_id: str
    params: dict[str, str]
    body: dict[str, Any]

    @property
    def entities(self) -> dict[str, Any]:
        return {e["entity"]: e["value"] for e in self.body.get("entities", [])}


@dataclass
class FakeRasa:
    """Rasa's HTTP API as far as the notifier uses it; ``answers[sender]`` scripts a citizen:
    "ok", "blocked" (the channel refuses), "error" (another failure), "slow" (stores the turn,
    then answers after ``slow_seconds``), "hang" (stores nothing, answers only when
    ``released``)."""

    calls: list[Call] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    slow_seconds: float = 2.0
    # Awaited with each call before it is answered (a citizen's "stop" arriving meanwhile).
    on_trigger: Callable[[Call], Awaitable[None]] | None = None
    # "hang": the call is never answered, nor stored (Rasa or we died mid-turn).
    released: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def sent_to(self, sender_id: str) -> list[Call]:
        return [c for c in self.calls if c.sender_id == sender_id]

    async def trigger(self, request: web.Request) -> web.Response:
        if request.query.get("token") != RASA_TOKEN:
            return web.json_response({"status": "failure", "reason": "NotAuthorized",
                                      "code": 403}, status=403)
        sender, body = request.match_info["sender"], await request.json()
        call = Call(sender, dict(request.query), body)
        self.calls.append(call)
        if self.on_trigger is not None:
            await self.on_trigger(call)
        answer = self.answers.get(sender, "ok")
        if answer == "hang":
            await self.released.wait()
            return web.json_response({"status": "failure", "reason": "ConversationError",
                                      "message": "gone", "code": 500}, status=500)
        if answer in ("blocked", "error"):
            message = BLOCKED if answer == "blocked" else (
                "An unexpected error occurred. Error: Timed out")
            return web.json_response({"status": "failure", "reason": "ConversationError",
                                      "message": message, "code": 500}, status=500)
        self.events.setdefault(sender, []).append({
            "event": "user", "text": f"EXTERNAL: {body['name']}",
            "parse_data": {"intent": {"name": body["name"], "confidence": 1.0},
                           "entities": body.get("entities", [])},
        })
        if answer == "slow":
            await asyncio.sleep(self.slow_seconds)
        return web.json_response({"tracker": {"sender_id": sender}})

    async def tracker(self, request: web.Request) -> web.Response:
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "events": self.events.get(sender, [])})


@pytest.fixture
async def rasa(aiohttp_server: Any) -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/conversations/{sender}/trigger_intent", fake.trigger)
    app.router.add_get("/conversations/{sender}/tracker", fake.tracker)
    fake.server = await aiohttp_server(app)
    yield fake
    fake.released.set()  # let a hanging call end before the server closes


@pytest.fixture
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sandbox database of the test's own (tests/unit shares one per module)."""
    return tmp_path_factory.mktemp("city")


@dataclass
class Sandbox:
    """The sandbox's test hooks: make happen what the feed and Open311 then tell of."""

    server: TestServer
    session: aiohttp.ClientSession

    async def _post(self, path: str, body: Any = None, status: int = 200) -> Any:
        async with self.session.post(self.server.make_url(path), json=body) as resp:
            assert resp.status == status, await resp.text()
            return await resp.json()

    async def fine(self, certificate: str) -> dict[str, Any]:
        """A fine ruled today; its ``fine_issued`` event is in the feed."""
        return await self._post("/sandbox/fines", {"vehicle_certificate": certificate}, 201)

    async def outage(self, address_id: str, starts: datetime, ends: datetime) -> dict[str, Any]:
        """A planned outage on the house's street; its ``outage_planned`` event, as the feed
        shows it."""
        return await self._post("/sandbox/outages", {
            "address_id": int(address_id), "kind": "hot_water", "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(), "reason": "Repair of a heating main",
            "reason_ru": "Ремонт тепломагистрали"}, 201)

    async def tick(self) -> list[str]:
        """The request clock moves every open request one step (assigned, scheduled, repaired)."""
        return (await self._post("/sandbox/clock/tick"))["changed"]

    async def fault(self, **body: Any) -> None:
        await self._post("/sandbox/faults", body)


@pytest.fixture
def sandbox(city_server: TestServer, city_session: aiohttp.ClientSession) -> Sandbox:
    return Sandbox(city_server, city_session)


@dataclass
class FakeFeed:
    """An events feed with rising integer ids, served after ``since``."""

    items: list[dict[str, Any]] = field(default_factory=list)
    asked: list[dict[str, str]] = field(default_factory=list)
    server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/api/v1"))

    def add(self, kind: str, data: dict[str, Any], occurred_at: datetime) -> int:
        event_id = len(self.items) + 1
        self.items.append({"id": event_id, "kind": kind,
                           "occurred_at": occurred_at.isoformat(), "data": data})
        return event_id

    def fine(self, certificate: str, at: datetime, *, fine_id: str | None = None) -> int:
        return self.add("fine_issued", {
            "vehicle_certificate": certificate, "fine_id": fine_id or f"188101{len(self.items)}",
            "article": "12.9.2", "offence": {"en": "Speeding by 20-40 km/h",
                                             "ru": "Превышение скорости на 20-40 км/ч"},
            "amount": 500, "ruled_on": at.date().isoformat()}, at)

    def outage(self, outage_id: str, at: datetime, starts: datetime, ends: datetime) -> int:
        """An outage without its houses listed: the notifier asks the city about each."""
        return self.add("outage_planned", {
            "outage_id": int(outage_id), "kind": "hot_water", "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(), "reason": "Repair of a heating main",
            "reason_ru": "Ремонт тепломагистрали"}, at)

    async def handle(self, request: web.Request) -> web.Response:
        self.asked.append(dict(request.query))
        since = int(request.query.get("since") or 0)
        limit = int(request.query.get("limit") or 100)
        kind = request.query.get("kind")
        after = [i for i in self.items if i["id"] > since and (not kind or i["kind"] == kind)]
        page = after[:limit]
        return web.json_response({"items": page, "next": str(page[-1]["id"] if page else since)})


@pytest.fixture
async def feed(aiohttp_server: Any) -> FakeFeed:
    fake = FakeFeed()
    app = web.Application()
    app.router.add_get("/api/v1/events", fake.handle)
    fake.server = await aiohttp_server(app)
    return fake


@pytest.fixture
def settings(tmp_path: Path, city_server: TestServer, rasa: FakeRasa) -> Settings:
    """The sandbox as the city, the stand-in as Rasa, an app database of the test's own."""
    return Settings(
        var_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/notify.db",
        open311_url=str(city_server.make_url("/open311/v2")), open311_api_key=CITY_API_KEY,
        city_api_url=str(city_server.make_url("/api/v1")), rasa_url=rasa.url,
        rasa_token=RASA_TOKEN, city_timezone="Europe/Moscow",
    )


def with_feed(feed: FakeFeed | None = None, *, page_size: int = 100) -> Callable[..., list]:
    """The default sources, with the events feed at ``feed`` (None: the sandbox's) and pages of
    ``page_size`` events."""

    def sources(city: City, store: Store, settings: Settings) -> list:
        events = EventsClient(CityHTTP(city.session), feed.url) if feed else city.events
        return [EventsSource(events, city.api, MOSCOW, page_size=page_size),
                ReportUpdatesSource(city.open311, store)]

    return sources


StartNotifier = Callable[..., Awaitable[Notifier]]


@pytest.fixture
async def start_notifier(settings: Settings) -> AsyncIterator[StartNotifier]:
    """``await start_notifier()``: a new notifier on the test's database, reading the sandbox
    (a restart is a second call); all are stopped at the end."""
    started: list[Notifier] = []

    async def start(*, daily_cap: int = 5, sources: Any = default_sources,
                    **options: Any) -> Notifier:
        notify = NotifySettings(daily_cap=daily_cap, poll_seconds=0.0)
        notifier = Notifier(settings, notify, sources=sources, **options)
        started.append(await notifier.start())
        return notifier

    yield start
    for notifier in started:
        await notifier.stop()


@pytest.fixture
async def app_store(settings: Settings) -> AsyncIterator[Store]:
    """The notifier's database, as the dialogue's actions would open it."""
    store = await Store(settings.app_database_url).ready()
    yield store
    await store.close()


@pytest.fixture
async def sandbox_api(city_server: TestServer) -> AsyncIterator[CityApiClient]:
    async with aiohttp.ClientSession() as session:
        yield CityApiClient(CityHTTP(session), str(city_server.make_url("/api/v1")))


def utc(moment: datetime) -> datetime:
    """Naive UTC, as the app database stores times."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)

