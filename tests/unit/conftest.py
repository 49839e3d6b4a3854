"""The sandbox city on loopback and our clients pointed at it, plus a temporary app store.

The sandbox's database is seeded once per test module (a module-scoped directory); each test
gets its own server state (faults cleared) and its own client session. A tiny scripted city
answers every request the same way and counts them: the sandbox cannot tell how many times a
failing call arrived, nor answer a 2xx that is not JSON.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.city.catalogue import Catalogue
from bot.city.cityapi import CityApiClient
from bot.city.http import CityHTTP
from bot.city.open311 import Open311Client
from bot.config import Settings
from bot.sandbox.app import make_app
from bot.store import Store

CITY_API_KEY = "unit-test-key"

SetFault = Callable[..., Awaitable[None]]


@pytest.fixture(autouse=True)
def _umask_kept() -> Iterator[None]:
    """The ``citybot`` command sets an owner-only umask for what it starts; tests that call it
    must not leave it on the test process."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded sandbox database shared by the tests of a module."""
    return tmp_path_factory.mktemp("city")


@pytest.fixture
async def city_server(aiohttp_server: Any, city_dir: Path) -> TestServer:
    """The sandbox city on a loopback port: clock off, fault hooks on, meter window open."""
    settings = Settings(var_dir=city_dir, sandbox_api_key=CITY_API_KEY, sandbox_database_url="")
    app = make_app(settings, clock_seconds=0, faults=True, meter_window=(1, 31))
    return await aiohttp_server(app)


@pytest.fixture
async def city_session() -> AsyncIterator[aiohttp.ClientSession]:
    session = aiohttp.ClientSession()
    yield session
    await session.close()


@pytest.fixture
def city_http(city_session: aiohttp.ClientSession) -> CityHTTP:
    return CityHTTP(city_session, timeout=5.0, connect_timeout=2.0)


@pytest.fixture
def open311_url(city_server: TestServer) -> str:
    return str(city_server.make_url("/open311/v2"))


@pytest.fixture
def open311(city_http: CityHTTP, open311_url: str) -> Open311Client:
    return Open311Client(city_http, open311_url, api_key=CITY_API_KEY)


@pytest.fixture
def city_api(city_http: CityHTTP, city_server: TestServer) -> CityApiClient:
    return CityApiClient(city_http, str(city_server.make_url("/api/v1")))


class ActionsCity:
    """What the actions use of the city (``actions.common.city()``): its Open311 client,
    catalogue and JSON API, here the sandbox's."""

    def __init__(self, open311: Open311Client, api: CityApiClient) -> None:
        self.open311 = open311
        self.catalogue = Catalogue(open311)
        self.api = api


@pytest.fixture
def city(open311: Open311Client, city_api: CityApiClient, monkeypatch: pytest.MonkeyPatch
         ) -> ActionsCity:
    """The sandbox as the city of the report, status and meter actions."""
    from actions import meters, report, status

    actions_city = ActionsCity(open311, city_api)
    for module in (report, status, meters):
        monkeypatch.setattr(module, "city", lambda: actions_city)
    return actions_city


@pytest.fixture
def city_fault(city_server: TestServer, city_session: aiohttp.ClientSession) -> SetFault:
    """``await city_fault(mode="error", paths="/open311/v2/requests")``; mode "ok" clears."""

    async def set_fault(**body: Any) -> None:
        async with city_session.post(city_server.make_url("/sandbox/faults"), json=body) as resp:
            assert resp.status == 200, await resp.text()

    return set_fault


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """The app database in a fresh SQLite file."""
    app_store = await Store(f"sqlite+aiosqlite:///{tmp_path}/app.db").ready()
    yield app_store
    await app_store.close()


@dataclass
class ScriptedCity:
    """What every request gets back, how many arrived per method, and their headers."""

    status: int = 500
    body: bytes = b'{"error": {"code": "internal_error", "message": "down"}}'
    content_type: str = "application/json"
    delay: float = 0.0
    hits: Counter[str] = field(default_factory=Counter)
    headers: list[dict[str, str]] = field(default_factory=list)
    server: TestServer | None = None

    def url(self, path: str = "/") -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    def answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
        self.status = status
        self.body = body if isinstance(body, bytes) else str(body).encode()
        self.content_type = content_type

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.hits[request.method] += 1
        self.headers.append(dict(request.headers))
        await asyncio.sleep(self.delay)
        return web.Response(status=self.status, body=self.body, content_type=self.content_type)


@pytest.fixture
async def scripted_city(aiohttp_server: Any) -> ScriptedCity:
    """A city answering 500 to everything until told otherwise with ``answer()``."""
    city = ScriptedCity()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", city.handle)
    city.server = await aiohttp_server(app)
    return city
