"""The notifier as a process: its loop runs inside a small aiohttp app whose only route,
``GET /health``, tells the supervisor it is up and how the last pass went.

``make_app`` starts the :class:`Notifier` and its loop in a ``cleanup_ctx``; the loop is
cancelled when shutdown begins (:mod:`bot.apptasks`) and the notifier stopped after, so the
process owns exactly what it started.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot import apptasks
from bot.config import Settings, load_settings
from bot.leader import Leadership
from bot.notify.service import Notifier
from bot.notify.settings import NotifySettings

log = logging.getLogger("bot.notify")

NOTIFIER = web.AppKey("notifier", Notifier)
LEADERSHIP = web.AppKey("leadership", Leadership)
routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    """Up; with the last pass's recorded deliveries, outcomes and failing sources."""
    done = request.app[NOTIFIER].last_pass
    body = {"status": "ok", "last_pass": None, "leading": request.app[LEADERSHIP].leading}
    if done is not None:
        body["last_pass"] = {"recorded": done.recorded, "delivered": dict(done.delivered),
                             "failed_sources": done.failed_sources}
    return web.json_response(body)


def make_app(settings: Settings, notify: NotifySettings) -> web.Application:
    app = web.Application()
    app[NOTIFIER] = Notifier(settings, notify)
    app[LEADERSHIP] = Leadership(settings.redis_url, "notifier")
    app.add_routes(routes)

    async def loop_ctx(app: web.Application) -> AsyncIterator[None]:
        notifier = await app[NOTIFIER].start()
        # one notifier at a time across servers (bot.leader); cancelled at shutdown
        apptasks.spawn(app, app[LEADERSHIP].run(notifier.run_forever))
        yield
        await notifier.stop()

    apptasks.install(app)
    app.cleanup_ctx.append(loop_ctx)
    return app


def run() -> None:
    """``python -m bot.notify``: settings from the environment, health on 127.0.0.1."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, notify = load_settings(), NotifySettings()

    def ready(_: str) -> None:
        log.info("notifier ready on http://127.0.0.1:%s/health", notify.port)

    web.run_app(make_app(settings, notify), host="127.0.0.1", port=notify.port, print=ready)
