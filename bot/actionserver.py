"""The action server: rasa-sdk's app for ``actions/`` plus the report outbox drain and the
citizens' forget_me requests (finished after their turn, :mod:`bot.forgetting`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import Settings
from bot.console.index import tracker_engine
from bot.forgetting import SWEEP_SECONDS, sweep

log = logging.getLogger(__name__)


async def drain_outbox_forever(settings: Settings, every: float) -> None:
    """File reports the city could not take earlier (they wait in the app database)."""
    from actions.common import city, store
    from bot.filing import retry_pending

    while True:
        await asyncio.sleep(every)
        try:
            outcomes = await retry_pending(
                await store(), city().open311, older_than=timedelta(seconds=every)
            )
            for outcome in outcomes:
                log.info("outbox: report now %s (%s)", outcome.state, outcome.request_id)
        except Exception:  # the drain must outlive any one failure
            log.exception("outbox drain failed; trying again later")


async def forget_forever(settings: Settings, every: float) -> None:
    """Delete the conversations whose citizens said "forget me", once Rasa stored that turn."""
    from actions.common import store

    tracker = tracker_engine(settings.tracker_db_url)
    after = 0  # a new process reads every request once; those carried out are no-ops
    try:
        while True:
            try:
                after = await sweep(tracker, await store(), after)
            except Exception:  # a locked or restarting database must not end the loop
                log.exception("forget_me sweep failed; trying again later")
            await asyncio.sleep(every)
    finally:
        await tracker.dispose()


def make_app() -> Sanic:
    """rasa-sdk's app for ``actions/`` with a safety net: a bug is logged and answered with a
    500 that shows nothing of it (Rasa turns it into an apology: bot.rasa_fixes)."""
    app = create_app("actions", cors_origins="")

    @app.exception(Exception)
    async def _unexpected(request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, SanicException) and exception.status_code < 500:
            return response.json({"error": str(exception)}, status=exception.status_code)
        body = request.json if isinstance(request.json, dict) else {}
        log.error(
            "action %s failed for conversation %s",
            body.get("next_action"), body.get("sender_id"), exc_info=exception,
        )
        # A 500 that names nothing inside: Rasa (bot.rasa_fixes) takes the citizen's message
        # back and answers with the apology.
        return response.json({"error": "the action failed"}, status=500)

    return app


def run(settings: Settings, *, host: str = "127.0.0.1") -> None:
    app = make_app()
    task: dict[str, asyncio.Task] = {}

    @app.listener("after_server_start")
    async def _start(app, loop) -> None:  # noqa: ANN001
        task["drain"] = loop.create_task(drain_outbox_forever(settings, settings.outbox_seconds))
        task["forget"] = loop.create_task(forget_forever(settings, SWEEP_SECONDS))
        log.info("action server ready on http://%s:%s", host, settings.actions_port)

    @app.listener("before_server_stop")
    async def _stop(app, loop) -> None:  # noqa: ANN001
        from actions.common import city

        for running in task.values():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        await city().close()

    app.run(host=host, port=settings.actions_port, workers=1, access_log=False)


if __name__ == "__main__":
    from bot.config import load_settings

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run(load_settings())
