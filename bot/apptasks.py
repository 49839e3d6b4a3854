"""Background tasks of an aiohttp app (the console, the notifier), cancelled when it starts to
shut down.

aiohttp 3.9's ``run_app`` waits, before the app's cleanup hooks run, for every task made after
start-up to finish (up to 60 s). A loop that runs until cancelled, and the tasks it makes later
(a leadership's job once the lead is won, a broker connection's reader), would hold the stop
until the supervisor kills the process: seen with the scaled stack's console and notifier. So
they are cancelled in ``on_shutdown``, which comes before that wait; the cleanup hooks then close
what the tasks used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

TASKS = web.AppKey("background_tasks", list)


def install(app: web.Application) -> None:
    """Give ``app`` a list of background tasks, cancelled at shutdown."""
    app[TASKS] = []
    app.on_shutdown.append(_cancel)


def spawn(app: web.Application, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    """Run ``coro`` in the background until the app shuts down."""
    task = asyncio.create_task(coro)
    app[TASKS].append(task)
    return task


async def _cancel(app: web.Application) -> None:
    tasks = app[TASKS]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()
