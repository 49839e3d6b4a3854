"""The notifier: poll the sources, record what they owe, deliver what policy allows.

One pass (:meth:`Notifier.run_once`) takes the time as an argument, so tests drive the clock;
:meth:`Notifier.run_forever` is the same pass on the real clock every ``poll_seconds``. The
notifier owns its resources between :meth:`start` and :meth:`stop`: the app database and one
HTTP session shared by the city clients and the Rasa calls. Everything it must remember (the
cursors, each delivery's state) is in the database, so a new notifier on the same database goes
on where the last one stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp

from bot.city.client import City
from bot.city.errors import CityError
from bot.config import Settings
from bot.notify.delivery import Deliverer
from bot.notify.policy import Policy, utc_now
from bot.notify.record import CursorMoved, read_cursor, record
from bot.notify.settings import NotifySettings
from bot.notify.sources import EventsSource, ReportUpdatesSource, Source, Watched
from bot.notify.subscriptions import watched_targets
from bot.rasa_api import RasaApi
from bot.store import Store

log = logging.getLogger(__name__)

SourcesFactory = Callable[[City, Store, Settings], Sequence[Source]]


def default_sources(city: City, store: Store, settings: Settings) -> list[Source]:
    """The city's events feed and Open311's updated requests, at the configured city."""
    return [
        EventsSource(city.events, city.api, ZoneInfo(settings.city_timezone)),
        ReportUpdatesSource(city.open311, store),
    ]


@dataclass
class Pass:
    """What one pass did: deliveries recorded per source, delivery outcomes, sources that failed."""

    recorded: dict[str, int] = field(default_factory=dict)
    delivered: Counter[str] = field(default_factory=Counter)
    failed_sources: dict[str, str] = field(default_factory=dict)


class Notifier:
    """The notifier process's work, with its lifecycle."""

    def __init__(
        self, settings: Settings, notify: NotifySettings | None = None, *,
        sources: SourcesFactory = default_sources, max_pages: int = 20,
        rasa_timeout: float = 30.0,
    ) -> None:
        self.settings = settings
        self.notify = notify or NotifySettings()
        self._make_sources = sources
        self._max_pages = max_pages
        self._rasa_timeout = rasa_timeout
        self._store: Store | None = None
        self._http: aiohttp.ClientSession | None = None
        self._sources: Sequence[Source] = ()
        self._deliverer: Deliverer | None = None
        self.last_pass: Pass | None = None

    @property
    def store(self) -> Store:
        assert self._store is not None, "Notifier.start() first"
        return self._store

    @property
    def running(self) -> bool:
        """Between :meth:`start` and :meth:`stop`."""
        return self._store is not None

    @property
    def sources(self) -> Sequence[Source]:
        """What this notifier reads, in order (made at :meth:`start`)."""
        return self._sources

    async def start(self) -> "Notifier":
        self._store = await Store(self.settings.app_database_url).ready()
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=50),
            headers={"User-Agent": "citybot-notifier/0.1"},
        )
        city = City(self.settings, self._http)
        self._sources = self._make_sources(city, self._store, self.settings)
        policy = Policy(ZoneInfo(self.settings.city_timezone), quiet=self.notify.quiet_hours,
                        daily_cap=self.notify.daily_cap)
        rasa = RasaApi.of(self.settings, self._http, timeout=self._rasa_timeout)
        self._deliverer = Deliverer(self._store, rasa, policy)
        return self

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._store is not None:
            await self._store.close()
            self._store = None

    async def run_once(self, now: datetime) -> Pass:
        """Poll every source, record, then deliver what is due at ``now`` (aware)."""
        assert self._deliverer is not None, "Notifier.start() first"
        done = Pass()
        watched = await watched_targets(self.store)
        for source in self._sources:
            try:
                done.recorded[source.name] = await self._poll(source, watched, now)
            except (CityError, CursorMoved) as exc:
                # Nothing recorded for it this time: its cursor stayed, the next pass reads again.
                log.warning("notifier: source %s failed: %s", source.name, exc)
                done.failed_sources[source.name] = str(exc)
        done.delivered.update((await self._deliverer.run(now)).counts)
        self.last_pass = done
        return done

    async def _poll(self, source: Source, watched: Watched, now: datetime) -> int:
        added = 0
        for _ in range(self._max_pages):
            cursor = await read_cursor(self.store, source.name)
            batch = await source.read(cursor, watched)
            if batch is None:
                break
            added += await record(self.store, source.name, cursor, batch, now)
            if not batch.more:
                break
        return added

    async def run_forever(
        self, clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """A pass every ``poll_seconds`` until cancelled; one failed pass never ends the loop."""
        while True:
            try:
                done = await self.run_once(clock())
                if done.recorded and any(done.recorded.values()) or done.delivered:
                    log.info("notifier: recorded %s, delivered %s", done.recorded,
                             dict(done.delivered))
            except asyncio.CancelledError:
                raise
            except Exception:  # a locked database or a bug in one pass: try again later
                log.exception("notifier pass failed")
            await sleep(self.notify.poll_seconds)
