"""bot.scaleout: what ``citybot up --servers N`` writes (Rasa's endpoints, HAProxy's config),
the processes it starts, and the one line that names a missing service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rasa.utils.endpoints import read_endpoint_config

from bot.config import ROOT, Settings
from bot.scaleout import (
    CONSOLE_QUEUE,
    EXCHANGE,
    ServiceMissing,
    Services,
    haproxy_binary,
    haproxy_config,
    notify_ports,
    preflight,
    rasa_endpoints,
    scaled_stack,
    where,
)

SERVICES = Services(
    database_url="postgresql+asyncpg://citybot:s3cret@db.internal:5433/city",
    redis_url="redis://:r3dis@cache.internal:6380/2",
    rabbitmq_url="amqp://rasa:p4ss@broker.internal:5673/city",
)


def test_each_rasa_server_gets_the_shared_stores_and_its_own_action_server(tmp_path) -> None:
    path = tmp_path / "endpoints.yml"
    path.write_text(rasa_endpoints(SERVICES, 5066))
    tracker = read_endpoint_config(str(path), "tracker_store")
    assert (tracker.type, tracker.url) == ("SQL", "db.internal")
    assert tracker.kwargs == {"dialect": "postgresql", "port": 5433, "db": "city",
                              "username": "citybot", "password": "s3cret"}
    lock = read_endpoint_config(str(path), "lock_store")
    assert (lock.type, lock.url) == ("bot.lock_store.AtomicRedisLockStore", "cache.internal")
    assert lock.kwargs == {"port": 6380, "db": 2, "password": "r3dis", "key_prefix": "citybot"}
    broker = read_endpoint_config(str(path), "event_broker")
    assert (broker.type, broker.url) == ("pika", "amqp://broker.internal:5673/city")
    assert broker.kwargs == {"username": "rasa", "password": "p4ss", "port": 5673,
                             "exchange_name": EXCHANGE, "queues": [CONSOLE_QUEUE]}
    action = read_endpoint_config(str(path), "action_endpoint")
    assert action.url == "http://127.0.0.1:5066/webhook"


def test_the_default_services_are_the_machines_own() -> None:
    services = Services.of(Settings(database_url="", redis_url="", rabbitmq_url=""))
    assert services.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/citybot"
    assert services.redis_url == "redis://127.0.0.1:6379/0"
    assert services.rabbitmq_url == "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture
def haproxy() -> str:
    """Debian's HAProxy, which `make balancer` installs (like Chromium for the browser tests)."""
    binary = haproxy_binary()
    if binary is None:
        pytest.fail("HAProxy is not installed: `make balancer` installs Debian's")
    return binary


def test_haproxy_accepts_the_config_it_is_given(tmp_path, haproxy) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(5005, [5016, 5017]))
    checked = subprocess.run([haproxy, "-c", "-f", str(config)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = config.read_text()
    assert "bind 127.0.0.1:5005" in text
    assert "server rasa1 127.0.0.1:5016 check" in text
    assert "server rasa2 127.0.0.1:5017 check" in text


def test_n_servers_are_n_rasa_and_n_action_servers_behind_one_balancer(tmp_path, haproxy) -> None:
    settings = Settings(var_dir=tmp_path, rasa_port=5005, actions_port=5055)
    procs = scaled_stack(settings, SERVICES, model=Path("model.tar.gz"), servers=3)
    names = [p.name for p in procs]
    assert names[:1] == ["sandbox"]
    assert [n for n in names if n.startswith(("rasa", "actions"))] == [
        "actions1", "rasa1", "actions2", "rasa2", "actions3", "rasa3"]
    assert {"haproxy", "portal", "console"} <= set(names)
    rasa2 = next(p for p in procs if p.name == "rasa2")
    assert rasa2.ready_url.startswith("http://127.0.0.1:5017/")
    assert rasa2.env["CITYBOT_REDIS_URL"] == SERVICES.redis_url
    endpoints = yaml.safe_load((tmp_path / "run" / "endpoints-2.yml").read_text())
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5067/webhook"
    with pytest.raises(ValueError):
        scaled_stack(settings, SERVICES, model=Path("model.tar.gz"), servers=0)


@pytest.mark.parametrize(("services", "line"), [
    (Services("postgresql+asyncpg://postgres@127.0.0.1:1/citybot", "redis://127.0.0.1:6379/7",
              "amqp://guest:guest@127.0.0.1:5672/"),
     "PostgreSQL at postgresql+asyncpg://127.0.0.1:1/citybot (CITYBOT_DATABASE_URL) is not reachable"),
    (Services("postgresql+asyncpg://postgres@127.0.0.1:5432/postgres", "redis://127.0.0.1:1/0",
              "amqp://guest:guest@127.0.0.1:5672/"),
     "Redis at redis://127.0.0.1:1/0 (CITYBOT_REDIS_URL) is not reachable"),
    (Services("postgresql+asyncpg://postgres@127.0.0.1:5432/postgres", "redis://127.0.0.1:6379/7",
              "amqp://guest:guest@127.0.0.1:1/"),
     "RabbitMQ at amqp://127.0.0.1:1/ (CITYBOT_RABBITMQ_URL) is not reachable"),
    (Services("sqlite+aiosqlite:///x.db", "redis://127.0.0.1:6379/7",
              "amqp://guest:guest@127.0.0.1:5672/"),
     "CITYBOT_DATABASE_URL must name a PostgreSQL database"),
])
async def test_a_missing_service_is_named_in_one_line(services, line) -> None:
    with pytest.raises(ServiceMissing) as missing:
        await preflight(services)
    assert str(missing.value).startswith(line)
    assert "\n" not in str(missing.value)


def test_citybot_up_says_which_service_is_missing_and_starts_nothing(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CITYBOT_VAR_DIR": str(tmp_path),
           "CITYBOT_REDIS_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "up", "--servers", "2", "--no-train"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "Redis at redis://127.0.0.1:1/0 (CITYBOT_REDIS_URL)" in errors[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "run" / "haproxy.cfg").exists()


@pytest.mark.parametrize(("url", "shown"), [
    (SERVICES.database_url, "postgresql+asyncpg://db.internal:5433/city"),
    (SERVICES.redis_url, "redis://cache.internal:6380/2"),
    (SERVICES.rabbitmq_url, "amqp://broker.internal:5673/city"),
    ("sqlite+aiosqlite:///var/citybot.db", "sqlite+aiosqlite:///var/citybot.db"),
])
def test_a_service_is_named_without_its_credentials(url, shown) -> None:
    assert where(url) == shown


def test_each_server_has_its_own_notifier_port(tmp_path, haproxy) -> None:
    assert notify_ports(3, 8093) == [8093, 8103, 8113]
    settings = Settings(var_dir=tmp_path)
    procs = scaled_stack(settings, SERVICES, model=Path("model.tar.gz"), servers=2)
    ready = {p.name: p.ready_url for p in procs if p.name.startswith("notify")}
    assert ready == {f"notify{i}": f"http://127.0.0.1:{port}/health"
                     for i, port in enumerate(notify_ports(2), 1)}
