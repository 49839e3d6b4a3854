"""The scaled stack (``citybot up --servers 2``) on the machine's PostgreSQL, Redis and RabbitMQ.

One session starts two Rasa servers and two action servers behind Debian's HAProxy, with the
sandbox, the console and two notifiers, exactly as ``citybot up --servers 2`` makes them
(:func:`bot.scaleout.scaled_stack`), on test ports. Its PostgreSQL database is made for the
session and dropped after it; its Redis database (7) is emptied first. The Telegram channel
polls the Bot API emulator, so the poller's lead can be watched moving between servers.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from bot.scaleout import (
    DEFAULT_RABBITMQ_URL,
    ServiceMissing,
    Services,
    drop_database,
    haproxy_binary,
    notify_ports,
    preflight,
    scaled_stack,
    server_ports,
)
from tests.e2e.telegram.conftest import emulator  # noqa: F401 - the session's emulator
from tests.integration.test_webchat import run
from tests.stack import MODEL, Stack, running_stack, wait_until

PORTS = {"rasa": 5505, "actions": 5555, "sandbox": 8581, "portal": 8580, "console": 8582,
         "notify": 8583}
SERVERS = 2
REDIS_DB = 7
TELEGRAM_TOKEN = "1003:scaled-test-token"


@dataclass
class Scaled:
    stack: Stack
    services: Services
    servers: list[str]  # each Rasa server's own URL, behind the balancer at stack.rasa
    notifiers: list[str]

    def server_of(self, leading: str) -> int:
        """The number (1-based) of the Rasa server whose Telegram channel leads."""
        for number, base in enumerate(self.servers, 1):
            try:
                with_lead = requests.get(f"{base}/webhooks/telegram/", timeout=5)
            except requests.ConnectionError:
                continue  # a server that is down (killed by a test) leads nothing
            if with_lead.ok and with_lead.json().get("leading"):
                return number
        raise AssertionError(f"no server leads {leading}")


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    """The machine's services, with a database and a Redis database of the session's own."""
    database = f"citybot_test_{secrets.token_hex(4)}"
    services = Services(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
        redis_url=f"redis://127.0.0.1:6379/{REDIS_DB}",
        rabbitmq_url=DEFAULT_RABBITMQ_URL,
    )
    try:
        run(preflight(services))  # makes the database
    except ServiceMissing as exc:
        pytest.fail(f"the scaled stack's services: {exc}")
    import redis

    redis.Redis.from_url(services.redis_url).flushdb()
    try:
        yield services
    finally:
        run(drop_database(services.database_url))


@pytest.fixture(scope="session")
def scaled(services: Services, emulator: str,  # noqa: F811
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    if haproxy_binary() is None:
        pytest.fail("HAProxy is not installed: `make balancer` installs Debian's")
    env = {**services.env(), "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
           "TELEGRAM_API_BASE_URL": emulator, "TELEGRAM_WEBHOOK_URL": "",
           "TELEGRAM_SECRET_TOKEN": ""}

    def procs(settings):  # noqa: ANN001, ANN202
        return scaled_stack(settings, Services.of(settings), model=MODEL, servers=SERVERS)

    with running_stack(tmp_path_factory.mktemp("var"), PORTS, env=env, procs=procs) as stack:
        from bot.config import load_settings

        settings = stack.settings()
        servers = [f"http://127.0.0.1:{rasa}" for rasa, _ in server_ports(settings, SERVERS)]
        notifiers = [f"http://127.0.0.1:{port}" for port in notify_ports(SERVERS, PORTS["notify"])]
        assert load_settings().redis_url == services.redis_url
        yield Scaled(stack, services, servers, notifiers)


@pytest.fixture
def sender() -> str:
    return f"scaled-{uuid.uuid4().hex[:10]}"


def telegram_ready(scaled: Scaled, timeout: float = 60.0) -> int:
    """Until one server's Telegram channel polls; its number."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return scaled.server_of("telegram")
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


__all__ = ["Scaled", "telegram_ready", "wait_until"]
