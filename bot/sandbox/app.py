"""The sandbox city's application factory, its lifecycle and the command-line runner."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings, load_settings
from bot.meters import WINDOW_CLOSES_DAY, WINDOW_OPENS_DAY
from bot.sandbox import api, hooks, media, meters_api, open311, openapi, portal
from bot.sandbox import fines_api, fines_pay
from bot.sandbox import clinics_api, events_api, polls_api
from bot.sandbox.clock import clock_ctx
from bot.sandbox.errors import (
    ApiError,
    GeoReportError,
    api_error_response,
    error_for_path,
    georeport_error_response,
)
from bot.sandbox.geo import Gazetteer
from bot.sandbox.params import locale_param
from bot.sandbox.database import open_existing, seed_if_empty
from bot.sandbox.state import CONFIG, ENGINE, GAZETTEER, RUNTIME, Runtime, SandboxConfig

log = logging.getLogger("bot.sandbox")

PORTAL_DIR = Path(__file__).resolve().parent / "portal" / "faq"
# Sandbox-only switches, read once here (they are test conveniences, not city settings).
FAULTS_ENV = "CITYBOT_SANDBOX_FAULTS"
METER_WINDOW_ENV = "CITYBOT_SANDBOX_METER_WINDOW"


def parse_window(text: str) -> tuple[int, int]:
    """``"15-25"`` → (15, 25); ``"1-31"`` means always open."""
    opens, _, closes = text.partition("-")
    window = (int(opens), int(closes))
    if not 1 <= window[0] <= window[1] <= 31:
        raise ValueError(f"a meter window is two days 1-31, first ≤ last, not {text!r}")
    return window


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Client mistakes in the API family's error shape; anything unexpected a logged 500."""
    try:
        return await handler(request)
    except ApiError as error:
        return api_error_response(error)
    except GeoReportError as error:
        return georeport_error_response(request, error,
                                        language=locale_param(request.query, request.headers))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        if error.status == 404:
            message = f"There is no {request.path} here."
        elif error.status == 405:
            message = f"{request.method} is not allowed on {request.path}."
        else:
            message = error.reason
        return error_for_path(request, error.status, message, headers)
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_for_path(request, 500, "The sandbox city failed unexpectedly.")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while the single writer commits.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the database, seed it when empty, load the gazetteer; dispose at shutdown."""
    config = app[CONFIG]
    url = make_url(config.db_url)
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(config.db_url, future=True,
                                 connect_args={"timeout": 30} if is_sqlite else {})
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    started = time.perf_counter()
    if config.seed:
        seeded = await seed_if_empty(engine)
    else:
        await open_existing(engine)
        seeded = False
    app[ENGINE] = engine
    app[GAZETTEER] = await Gazetteer.load(engine)
    app[RUNTIME].seed_seconds = time.perf_counter() - started
    log.info("sandbox database %s in %.2f s", "seeded" if seeded else "opened",
             app[RUNTIME].seed_seconds)
    yield
    await engine.dispose()


def make_app(settings: Settings | None = None, *, db_url: str | None = None,
             clock_seconds: float | None = None, seed: bool = True, faults: bool | None = None,
             meter_window: tuple[int, int] | None = None,
             portal_dir: Path | None = None) -> web.Application:
    """Build the sandbox city; the database opens when the app starts.

    ``faults`` (default: env CITYBOT_SANDBOX_FAULTS=1) enables the /sandbox/ test hooks;
    ``meter_window`` (default: env CITYBOT_SANDBOX_METER_WINDOW like "1-31", else 15-25) sets
    the days of the month readings are accepted.
    """
    settings = settings or load_settings()
    if faults is None:
        faults = os.environ.get(FAULTS_ENV, "").strip().lower() in ("1", "true", "yes")
    if meter_window is None:
        env_window = os.environ.get(METER_WINDOW_ENV, "").strip()
        meter_window = (parse_window(env_window) if env_window
                        else (WINDOW_OPENS_DAY, WINDOW_CLOSES_DAY))
    else:
        meter_window = parse_window(f"{meter_window[0]}-{meter_window[1]}")
    config = SandboxConfig(
        db_url=db_url or settings.sandbox_db_url,
        api_key=settings.sandbox_api_key,
        clock_seconds=settings.sandbox_clock_seconds if clock_seconds is None else clock_seconds,
        meter_window=meter_window,
        faults=faults,
        portal_dir=portal_dir or PORTAL_DIR,
        seed=seed,
    )
    middlewares = [error_middleware] + ([hooks.faults_middleware] if faults else [])
    app = web.Application(middlewares=middlewares)
    app[CONFIG] = config
    app[RUNTIME] = Runtime()
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(clock_ctx)
    app.add_routes(open311.routes)
    app.add_routes(api.routes)
    app.add_routes(meters_api.routes)
    app.add_routes([*fines_api.routes, *fines_pay.routes])
    app.add_routes(clinics_api.routes)
    app.add_routes(polls_api.routes)
    app.add_routes(events_api.routes)
    app.add_routes(openapi.routes)
    app.add_routes(portal.routes)
    app.add_routes(media.routes)
    if faults:
        app.add_routes(hooks.routes)
    return app


def run(settings: Settings | None = None) -> None:
    """Serve the sandbox city until interrupted (``python -m bot.sandbox``)."""
    settings = settings or load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    host, port = settings.sandbox_host, settings.sandbox_port

    def ready(_: str) -> None:
        log.info("sandbox city ready on http://%s:%s", host, port)

    web.run_app(make_app(settings), host=host, port=port, print=ready)
