"""A tiny scripted city of our own: answers every request the same way and counts them.

The sandbox cannot tell us how many times a failing call arrived, nor answer a 2xx that is
not JSON; this server can.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class ScriptedCity:
    """What every request gets back, and how many arrived per method."""

    status: int = 500
    body: bytes = b'{"error": {"code": "internal_error", "message": "down"}}'
    content_type: str = "application/json"
    hits: Counter[str] = field(default_factory=Counter)
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
        return web.Response(status=self.status, body=self.body, content_type=self.content_type)


@pytest.fixture
async def scripted_city(aiohttp_server: Any) -> ScriptedCity:
    """A city answering 500 to everything until told otherwise with ``answer()``."""
    city = ScriptedCity()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", city.handle)
    city.server = await aiohttp_server(app)
    return city
