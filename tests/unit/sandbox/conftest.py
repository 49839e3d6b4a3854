"""Sandbox city fixtures: a real server on loopback over a temporary SQLite file per module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.config import Settings
from bot.sandbox.app import make_app

from .helpers import API_KEY

ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture(scope="module")
def sandbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory (and so one seeded database) shared by the tests of a module."""
    return tmp_path_factory.mktemp("sandbox")


@pytest.fixture
def settings(sandbox_dir: Path) -> Settings:
    return Settings(var_dir=sandbox_dir, sandbox_api_key=API_KEY, sandbox_database_url="")


@pytest.fixture
def sandbox_app(settings: Settings) -> Callable[..., web.Application]:
    """Build a sandbox app: clock off, test hooks on, meter window always open by default."""

    def build(**overrides: Any) -> web.Application:
        options: dict[str, Any] = {"clock_seconds": 0, "faults": True, "meter_window": (1, 31),
                                   "portal_dir": settings.var_dir / "faq"}
        options.update(overrides)
        return make_app(settings, **options)

    return build


@pytest.fixture
async def make_client(aiohttp_client: Any, sandbox_app: Callable[..., web.Application]
                      ) -> ClientFactory:
    async def start(**overrides: Any) -> TestClient:
        return await aiohttp_client(sandbox_app(**overrides))

    return start


@pytest.fixture
async def client(make_client: ClientFactory) -> TestClient:
    return await make_client()
