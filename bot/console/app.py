"""The staff console's application factory, its lifecycle and the runner (127.0.0.1:8082)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot import apptasks
from bot.config import Settings, kept_secret, load_settings
from bot.console import (
    admin,
    analytics,
    auth,
    corrections,
    handoffs,
    index,
    insights,
    login,
    operators,
    views,
)
from bot.console.follow import BrokerFollower
from bot.console.pages import language_name
from bot.console.security import csrf, errors, security_headers, sessions
from bot.console.state import RASA, SECRET, SETTINGS, STORE, TRACKER
from bot.rasa_api import RasaApi
from bot.scaleout import CONSOLE_QUEUE
from bot.store import Store
from bot.tracker import Tracker

log = logging.getLogger("bot.console")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PRUNE_SECONDS = 3600.0
INDEX_SECONDS = 5.0  # how fresh the conversations list is
# Following the event broker, the index is refreshed when events arrive (and every few seconds
# while the broker is down: bot.console.follow); this poll is a last resort.
FOLLOWING_SECONDS = 60.0


def console_secret(settings: Settings) -> bytes:
    """The key that signs login-form cookies: from the environment, or made once under var/."""
    return (settings.console_secret or kept_secret(settings.var_dir / "console_secret")).encode()


def local_time(settings: Settings) -> Callable[[datetime | None], str]:
    """A template filter: a stored (naive UTC) time in the city's time zone."""
    zone = ZoneInfo(settings.city_timezone)

    def show(value: datetime | None) -> str:
        if value is None:
            return ""
        return value.replace(tzinfo=timezone.utc).astimezone(zone).strftime("%d %b %Y, %H:%M")

    return show


async def store_ctx(app: web.Application) -> AsyncIterator[None]:
    """Make sure the tables exist; forget old login attempts and dead sessions every hour."""
    store = app[STORE]
    await store.ready()
    # Made now so the first login with an unknown name takes no longer than any other.
    await asyncio.to_thread(auth.dummy_hash)

    async def prune_forever() -> None:
        while True:
            try:
                await auth.prune(store)
            except Exception:
                log.exception("pruning console sessions failed; trying again later")
            await asyncio.sleep(PRUNE_SECONDS)

    apptasks.spawn(app, prune_forever())  # cancelled at shutdown
    yield


async def rasa_ctx(app: web.Application) -> AsyncIterator[None]:
    """Rasa's HTTP API on a session the console opens at start and closes at shutdown."""
    async with RasaApi.of(app[SETTINGS]) as rasa:
        app[RASA] = rasa
        yield


async def index_ctx(app: web.Application) -> AsyncIterator[None]:
    """Keep the conversation index up with the tracker store in the background: every few
    seconds, or (the scaled setup) whenever Rasa's event broker says something new was stored."""
    settings = app[SETTINGS]
    wake = None
    if settings.rabbitmq_url:
        wake = asyncio.Event()
        apptasks.spawn(app, BrokerFollower(settings.rabbitmq_url, CONSOLE_QUEUE, wake).run())
    apptasks.spawn(app, index.keep_index_fresh(
        app[TRACKER], app[STORE], every=INDEX_SECONDS if wake is None else FOLLOWING_SECONDS,
        tz=settings.city_timezone, wake=wake,
    ))  # both cancelled at shutdown, before the tracker is closed here
    yield
    await app[TRACKER].close()


def make_app(settings: Settings, store: Store) -> web.Application:
    """The console on ``store`` (the app database; its tables are created at start)."""
    app = web.Application(middlewares=[errors, sessions, csrf])
    app[SETTINGS] = settings
    app[STORE] = store
    app[SECRET] = console_secret(settings)
    app[TRACKER] = Tracker(settings.tracker_db_url)
    corrections.known_intents()  # read the training data's intents now, not in a request
    handoffs.closing_message()  # and the closing message from the domain
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["local_time"] = local_time(settings)
    env.filters["language_name"] = language_name
    # A slot value as JSON people can read (escaped by the template like any text).
    env.filters["show"] = lambda value: json.dumps(value, ensure_ascii=False, default=str)
    env.globals["city_timezone"] = settings.city_timezone
    app.on_response_prepare.append(security_headers)
    apptasks.install(app)
    app.cleanup_ctx.append(store_ctx)
    app.cleanup_ctx.append(index_ctx)
    app.cleanup_ctx.append(rasa_ctx)
    app.add_routes(login.routes)
    app.add_routes(views.routes)
    app.add_routes(admin.routes)
    app.add_routes(operators.routes)
    app.add_routes(insights.routes)
    app[insights.FIGURES] = analytics.FiguresCache()
    app.router.add_static("/static/", STATIC, name="static")
    return app


def run(settings: Settings | None = None) -> None:
    """Serve the console on loopback until interrupted (``python -m bot.console``)."""
    settings = settings or load_settings()
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = Store(settings.app_database_url)
    app = make_app(settings, store)

    async def close_store(_: web.Application) -> None:
        await store.close()

    app.on_cleanup.append(close_store)

    def ready(_: str) -> None:
        log.info("staff console ready on http://127.0.0.1:%s", settings.console_port)

    web.run_app(app, host="127.0.0.1", port=settings.console_port, print=ready,
                access_log=None)
