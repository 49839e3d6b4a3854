"""The action server: rasa-sdk's app for ``actions/`` plus the report outbox drain and the
citizens' forget_me requests (finished after their turn, :mod:`bot.forgetting`); with several
action servers, one of them leads each of the two (:mod:`bot.leader`).

It keeps the domain of the model Rasa serves: Rasa sends its whole domain (260 KB of JSON, every
response in two languages) with every action call unless selective domain is on, and encoding it
was 16 % of the Rasa server's main thread under load, decoding it most of this server's work
(docs/performance.md). With ``enable_selective_domain`` (endpoints) and no action asking for the
domain, Rasa sends none, and each action is given the one read here from the model archive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import tarfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import rasa_sdk.endpoint
from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import Settings
from bot.forgetting import SWEEP_SECONDS, sweep
from bot.leader import Leadership
from bot.tracker import Tracker

log = logging.getLogger(__name__)
# Where a Rasa model archive keeps its domain (with the rest of its metadata).
METADATA = "metadata.json"


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

    tracker = Tracker(settings.tracker_db_url)
    after = 0  # a new process reads every request once; those carried out are no-ops
    try:
        while True:
            try:
                after = await sweep(tracker, await store(), after)
            except Exception:  # a locked or restarting database must not end the loop
                log.exception("forget_me sweep failed; trying again later")
            await asyncio.sleep(every)
    finally:
        await tracker.close()


def model_domain(model: Path) -> dict[str, Any]:
    """The domain of a trained model, as Rasa serving it sends it to an action: the archive's
    ``metadata.json`` holds it so (read without Rasa's engine, which would cost this process
    about 500 MB of libraries)."""
    with tarfile.open(model) as archive:
        member = next(m for m in archive.getmembers() if m.name.lstrip("/") == METADATA)
        reader = archive.extractfile(member)
        if reader is None:
            raise ValueError(f"{model}: {METADATA} is not a file")
        return json.load(reader)["domain"]


class KeptDomain:
    """The served model's domain, read once (in a thread: the archive takes seconds)."""

    def __init__(self, model: Path) -> None:
        self._model = model
        self._reading: asyncio.Future | None = None

    def __call__(self) -> Awaitable[dict[str, Any]]:
        if self._reading is None:
            self._reading = asyncio.ensure_future(asyncio.to_thread(model_domain, self._model))
            self._reading.add_done_callback(self._report)
        return self._reading

    def _report(self, reading: asyncio.Future) -> None:
        if not reading.cancelled() and reading.exception() is not None:
            log.error("the domain of %s could not be read: every action will fail",
                      self._model, exc_info=reading.exception())


class DomainKeepingExecutor(ActionExecutor):
    """rasa-sdk's executor; an action call that comes without the domain gets the kept one."""

    def __init__(self, domain: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        super().__init__()
        self._domain = domain

    async def run(self, action_call: dict[str, Any]) -> dict[str, Any] | None:
        if "domain" not in action_call:
            action_call = {**action_call, "domain": await self._domain()}
        return await super().run(action_call)


def make_app(domain: Callable[[], Awaitable[dict[str, Any]]]) -> Sanic:
    """rasa-sdk's app for ``actions/``, actions given ``domain`` when Rasa sends none, with a
    safety net: a bug is logged and answered with a 500 that shows nothing of it (Rasa turns it
    into an apology: bot.rasa_fixes)."""
    # rasa-sdk's app makes its executor itself, by this module-level name
    with mock.patch.object(rasa_sdk.endpoint, "ActionExecutor",
                           lambda: DomainKeepingExecutor(domain)):
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
    domain = KeptDomain(settings.model_path)
    app = make_app(domain)
    task: dict[str, asyncio.Task] = {}

    @app.listener("after_server_start")
    async def _start(app, loop) -> None:  # noqa: ANN001
        from actions.common import open_resources

        domain()  # read now, not on a citizen's turn
        await open_resources(settings)  # the city's clients and the app database
        # one drain and one sweep across all action servers (bot.leader)
        jobs = {
            "outbox": lambda: drain_outbox_forever(settings, settings.outbox_seconds),
            "forget-me": lambda: forget_forever(settings, SWEEP_SECONDS),
        }
        for name, job in jobs.items():
            task[name] = loop.create_task(Leadership(settings.redis_url, name).run(job))
        log.info("action server ready on http://%s:%s", host, settings.actions_port)

    @app.listener("before_server_stop")
    async def _stop(app, loop) -> None:  # noqa: ANN001
        from actions.common import close_resources

        for running in task.values():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        await close_resources()

    app.run(host=host, port=settings.actions_port, workers=1, access_log=False)


if __name__ == "__main__":
    from bot.config import load_settings

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run(load_settings())
