"""The scaled setup, ``citybot up --servers N``: Rasa's own horizontal set-up on one machine.

N Rasa servers, each with an action server of its own, behind HAProxy (Debian's; configured here,
not a proxy of ours) on the address Rasa has in the embedded default (127.0.0.1:5005), so clients,
the widget and the Telegram webhook change nothing. Conversations live in PostgreSQL (Rasa's SQL
tracker store, beside citybot's own tables), one conversation's messages are handled one at a
time across servers by Rasa's Redis lock store, and every event goes to RabbitMQ (Rasa's pika
event broker) for the console. Redis also carries web chat frames between servers
(:mod:`connectors.webchat_relay`) and the leases of the one-at-a-time jobs (:mod:`bot.leader`).
The sandbox city, the portal and the console run once; a notifier runs beside each server and
one of them leads. See docs/operations.md.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.config import Settings
from bot.notify.settings import NotifySettings
from bot.supervisor import Proc, rasa_proc, stack

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/citybot"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
# The event broker's fanout exchange and the console's queue on it.
EXCHANGE = "citybot-events"
CONSOLE_QUEUE = "citybot_console"
MAX_SERVERS = 8
# Where the servers listen: Rasa's port and the action server's, plus this and the server's number.
PORT_OFFSET = 10
CHECK_SECONDS = 3.0
# Requests one Rasa server works on at once; more wait in HAProxy's queue (bot.scaleout).
TURNS_PER_SERVER = 32


class ServiceMissing(RuntimeError):
    """A service the scaled setup needs is not there (the message is one line for the log)."""


@dataclass(frozen=True)
class Services:
    database_url: str  # SQLAlchemy, async driver (postgresql+asyncpg://...)
    redis_url: str
    rabbitmq_url: str

    @classmethod
    def of(cls, settings: Settings) -> Services:
        """The settings' services, the machine's local ones where unset."""
        return cls(
            database_url=settings.database_url or DEFAULT_DATABASE_URL,
            redis_url=settings.redis_url or DEFAULT_REDIS_URL,
            rabbitmq_url=settings.rabbitmq_url or DEFAULT_RABBITMQ_URL,
        )

    def env(self) -> dict[str, str]:
        """The environment every process of the scaled stack gets."""
        return {
            "CITYBOT_DATABASE_URL": self.database_url,
            "CITYBOT_TRACKER_DATABASE_URL": self.database_url,
            "CITYBOT_REDIS_URL": self.redis_url,
            "CITYBOT_RABBITMQ_URL": self.rabbitmq_url,
        }


def where(url: str) -> str:
    """A service's URL without its user and password (for logs and errors)."""
    parts = urlsplit(url)
    netloc = f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    return f"{parts.scheme}://{netloc}{parts.path}"


def notify_ports(servers: int, first: int | None = None) -> list[int]:
    """The port of each server's notifier: the embedded notifier's, then 10 apart."""
    first = NotifySettings().port if first is None else first
    return [first + 10 * i for i in range(servers)]


def rasa_endpoints(services: Services, actions_port: int) -> str:
    """endpoints.yml of one Rasa server of the scaled stack."""
    from sqlalchemy.engine import make_url

    db = make_url(services.database_url)
    redis = urlsplit(services.redis_url)
    amqp = urlsplit(services.rabbitmq_url)
    vhost = unquote(amqp.path[1:]) if len(amqp.path) > 1 else ""
    lines = [
        "action_endpoint:",
        f'  url: "http://127.0.0.1:{actions_port}/webhook"',
        "  enable_selective_domain: true",
        "tracker_store:",
        "  type: SQL",
        "  dialect: postgresql",
        f'  url: "{db.host or "127.0.0.1"}"',
        f"  port: {db.port or 5432}",
        f'  db: "{db.database}"',
        f'  username: "{db.username or "postgres"}"',
        *([f'  password: "{db.password}"'] if db.password else []),
        "lock_store:",
        # Rasa's RedisLockStore, with tickets issued atomically (bot/lock_store.py)
        "  type: bot.lock_store.AtomicRedisLockStore",
        f'  url: "{redis.hostname or "127.0.0.1"}"',
        f"  port: {redis.port or 6379}",
        # the same Redis database as the rest (Rasa's keys are "citybot:lock:...")
        f"  db: {int(redis.path.strip('/') or 0)}",
        *([f'  password: "{unquote(redis.password)}"'] if redis.password else []),
        '  key_prefix: "citybot"',
        "event_broker:",
        "  type: pika",
        # a URL keeps the virtual host; Rasa adds user and password to it
        f'  url: "amqp://{amqp.hostname or "127.0.0.1"}:{amqp.port or 5672}/'
        f'{amqp.path[1:] if vhost else ""}"',
        f'  username: "{unquote(amqp.username or "guest")}"',
        f'  password: "{unquote(amqp.password or "guest")}"',
        f"  port: {amqp.port or 5672}",
        f'  exchange_name: "{EXCHANGE}"',
        "  queues:",
        f"    - {CONSOLE_QUEUE}",
    ]
    return "\n".join(lines) + "\n"


def haproxy_config(listen_port: int, rasa_ports: list[int]) -> str:
    """HAProxy in front of the Rasa servers.

    Requests (turns, the HTTP API, Telegram's webhook) go to the server with the fewest in
    progress, at most :data:`TURNS_PER_SERVER` at a time each; the rest wait in HAProxy's queue
    (up to a minute) instead of piling onto a Rasa whose event loop is already full, so a busy
    server still answers its health check. A server whose check (Rasa's ``GET /``) fails three
    times running, a second apart, is taken out; a request whose connection is refused goes to
    another server. Web chat sockets have a backend of their own without the cap (a socket is
    open for as long as the widget is, mostly idle), and stay open for an hour of silence.
    """
    def servers(backend: str) -> str:
        # the sockets' servers are up when the same server of the requests' backend is
        return "\n".join(
            f"    server rasa{i} 127.0.0.1:{port} "
            + ("check" if backend == "rasa_servers" else f"track rasa_servers/rasa{i}")
            for i, port in enumerate(rasa_ports, 1))

    return f"""# Made by citybot (bot/scaleout.py) for `citybot up --servers {len(rasa_ports)}`.
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 75s
    timeout server 75s
    timeout queue 60s
    timeout tunnel 1h
    timeout http-keep-alive 10s
    timeout check 10s
    retries 3
    option redispatch 1

frontend rasa
    bind 127.0.0.1:{listen_port}
    maxconn 4096
    acl socket path_beg /webhooks/webchat/ws
    use_backend rasa_sockets if socket
    default_backend rasa_servers

backend rasa_servers
    balance leastconn
    option httpchk GET /
    http-check expect status 200
    default-server inter 1s fall 3 rise 2 maxconn {TURNS_PER_SERVER}
{servers("rasa_servers")}

backend rasa_sockets
    balance leastconn
{servers("rasa_sockets")}
"""


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


def server_ports(settings: Settings, servers: int) -> list[tuple[int, int]]:
    """(Rasa port, action server port) of each server."""
    return [(settings.rasa_port + PORT_OFFSET + i, settings.actions_port + PORT_OFFSET + i)
            for i in range(1, servers + 1)]


def scaled_stack(settings: Settings, services: Services, *, model: Path, servers: int,
                 credentials: Path | None = None) -> list[Proc]:
    """The processes of the scaled stack, in start order."""
    if not 1 <= servers <= MAX_SERVERS:
        raise ValueError(f"--servers must be 1 to {MAX_SERVERS}")
    haproxy = haproxy_binary()
    if haproxy is None:
        raise ServiceMissing("HAProxy is not installed: `make balancer` installs Debian's")
    run_dir = settings.var_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = services.env()
    embedded = {p.name: p for p in stack(settings, model=model, credentials=credentials)}
    procs = [embedded["sandbox"]]
    rasa_ports = []
    for i, (rasa_port, actions_port) in enumerate(server_ports(settings, servers), 1):
        actions = embedded["actions"]
        procs.append(Proc(
            f"actions{i}", actions.argv,
            f"http://127.0.0.1:{actions_port}/health",
            env={**actions.env, **env, "CITYBOT_ACTIONS_PORT": str(actions_port)},
        ))
        endpoints = run_dir / f"endpoints-{i}.yml"
        endpoints.write_text(rasa_endpoints(services, actions_port))
        procs.append(rasa_proc(settings, model=model, credentials=credentials, name=f"rasa{i}",
                               port=rasa_port, endpoints=endpoints, env=env))
        rasa_ports.append(rasa_port)
    config = run_dir / "haproxy.cfg"
    config.write_text(haproxy_config(settings.rasa_port, rasa_ports))
    procs.append(Proc("haproxy", [haproxy, "-f", str(config), "-db"],
                      f"http://127.0.0.1:{settings.rasa_port}/"))
    for name in ("portal", "console"):
        procs.append(_with_env(embedded[name], env))
    if "notify" in embedded:
        for i, port in enumerate(notify_ports(servers), 1):
            procs.append(Proc(
                f"notify{i}", embedded["notify"].argv, f"http://127.0.0.1:{port}/health",
                env={**embedded["notify"].env, **env, "CITYBOT_NOTIFY_PORT": str(port)},
            ))
    return procs


def _with_env(proc: Proc, env: dict[str, str]) -> Proc:
    return Proc(proc.name, proc.argv, proc.ready_url, env={**proc.env, **env})


async def preflight(services: Services) -> None:
    """Check PostgreSQL, Redis and RabbitMQ answer (making citybot's database if it is not
    there); the first one missing raises :class:`ServiceMissing` with one line saying which, where,
    and the variable that names it."""
    # every check runs to its end (each is bounded by CHECK_SECONDS): one failing first must not
    # cancel the others halfway through a connection handshake
    checked = await asyncio.gather(_postgres(services.database_url), _redis(services.redis_url),
                                   _rabbitmq(services.rabbitmq_url), return_exceptions=True)
    for outcome in checked:
        if isinstance(outcome, BaseException):
            raise outcome


async def _postgres(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    db = make_url(url)
    if not db.drivername.startswith("postgresql"):
        raise ServiceMissing(
            f"CITYBOT_DATABASE_URL must name a PostgreSQL database, not {where(url)}")
    at = f"PostgreSQL at {where(url)}"
    login = {"host": db.host or "127.0.0.1", "port": db.port or 5432,
             "user": db.username or "postgres", "password": db.password,
             "timeout": CHECK_SECONDS}
    try:
        conn = await asyncpg.connect(database="postgres", **login)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
        raise ServiceMissing(f"{at} (CITYBOT_DATABASE_URL) is not reachable: {exc}") from None
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db.database):
            await conn.execute(f'CREATE DATABASE "{db.database}"')
    except asyncpg.DuplicateDatabaseError:
        pass  # made at the same moment by another start
    except asyncpg.PostgresError as exc:
        raise ServiceMissing(f"{at}: cannot make database {db.database!r}: {exc}") from None
    finally:
        await conn.close()


async def _redis(url: str) -> None:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url, socket_connect_timeout=CHECK_SECONDS,
                            socket_timeout=CHECK_SECONDS)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        raise ServiceMissing(
            f"Redis at {where(url)} (CITYBOT_REDIS_URL) is not reachable: {exc}") from None
    finally:
        await client.close(close_connection_pool=True)


async def _rabbitmq(url: str) -> None:
    import aio_pika

    try:
        conn = await asyncio.wait_for(aio_pika.connect(url), CHECK_SECONDS)
    except (OSError, asyncio.TimeoutError, aio_pika.exceptions.AMQPError) as exc:
        raise ServiceMissing(
            f"RabbitMQ at {where(url)} (CITYBOT_RABBITMQ_URL) is not reachable: "
            f"{exc or type(exc).__name__}") from None
    await conn.close()


async def drop_database(url: str) -> None:
    """Drop a PostgreSQL database, its open connections and all (tests and the bench make one
    of their own)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    db = make_url(url)
    conn = await asyncpg.connect(host=db.host or "127.0.0.1", port=db.port or 5432,
                                 user=db.username or "postgres", password=db.password,
                                 database="postgres", timeout=CHECK_SECONDS)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{db.database}" WITH (FORCE)')
    finally:
        await conn.close()
