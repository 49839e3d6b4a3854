"""The city clients of a process, sharing one aiohttp session (opened and closed by the
process's own start and stop)."""

from __future__ import annotations

import aiohttp

from bot.city.catalogue import Catalogue
from bot.city.cityapi import CityApiClient
from bot.city.events import EventsClient
from bot.city.fines import FinesClient
from bot.city.health import HealthClient
from bot.city.http import CityHTTP
from bot.city.open311 import Open311Client
from bot.city.polls import PollsClient
from bot.config import Settings


class City:
    """The city as the assistant sees it: Open311 plus the JSON API, one session."""

    def __init__(self, settings: Settings, session: aiohttp.ClientSession) -> None:
        self.session = session
        http = CityHTTP(
            session, timeout=settings.city_timeout, connect_timeout=settings.city_connect_timeout
        )
        self.open311 = Open311Client(
            http,
            settings.open311_url,
            api_key=settings.open311_api_key,
            jurisdiction_id=settings.open311_jurisdiction,
        )
        self.api = CityApiClient(http, settings.city_api_url)
        self.fines = FinesClient(http, settings.city_api_url)
        self.health = HealthClient(http, settings.city_api_url)
        self.polls = PollsClient(http, settings.city_api_url)
        self.events = EventsClient(http, settings.city_api_url)
        self.catalogue = Catalogue(self.open311)

    @classmethod
    def open(cls, settings: Settings) -> "City":
        connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300)
        session = aiohttp.ClientSession(
            connector=connector, headers={"User-Agent": "citybot/0.1 (+open311)"}
        )
        return cls(settings, session)

    async def close(self) -> None:
        await self.session.close()
