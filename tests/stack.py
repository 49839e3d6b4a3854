"""The real stack on loopback for tests: sandbox city, action server and Rasa on test ports.

Started with the same supervisor as ``citybot up``; the integration tests and the Telegram
end-to-end tests each run one per session, on their own ports.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from bot.config import ROOT, Settings, load_settings
from bot.supervisor import Proc, Supervisor

if TYPE_CHECKING:
    from bot.notify.service import Pass

MODEL = ROOT / "models" / "citybot.tar.gz"
# How long a process may take to answer its readiness check (a process that exits fails at
# once): Rasa loading the three-DIET model took over 120 s on a slow day of this machine.
START_TIMEOUT = 420


@dataclass
class Stack:
    rasa: str
    sandbox: str
    portal: str
    token: str
    supervisor: Supervisor
    loop: asyncio.AbstractEventLoop
    var: Path  # the stack's state: citybot.db (the app database), tracker.db, log/

    def stop_process(self, name: str) -> None:
        """Stop one process of the stack (the city going down)."""
        proc = next(p for p in self.supervisor.procs if p.name == name)
        self._run(self.supervisor.stop(proc))

    def start_process(self, name: str) -> None:
        proc = next(p for p in self.supervisor.procs if p.name == name)
        self._run(self.supervisor.start(proc, timeout=START_TIMEOUT))

    def kill_process(self, name: str) -> None:
        """SIGKILL one process of the stack (its whole process group: no clean shutdown, no
        chance to finish a request or a write) and wait until it is gone."""
        proc = next(p for p in self.supervisor.procs if p.name == name)
        self._run(_kill(proc))

    def settings(self) -> Settings:
        """The stack's settings (its environment is set while it runs), with its Rasa token."""
        return replace(load_settings(), rasa_token=self.token)

    def notify(self, *moments: datetime) -> list[Pass]:
        """A notifier of its own on the stack (the stack's is off: one on the real clock would
        message a test's citizens in the middle of it): one pass at each moment of its clock,
        then stopped. Each call is a new notifier, so a second call is a restart."""
        from bot.notify.service import Notifier
        from bot.notify.settings import NotifySettings

        async def passes() -> list[Pass]:
            notifier = await Notifier(self.settings(), NotifySettings(poll_seconds=0.0)).start()
            try:
                return [await notifier.run_once(moment) for moment in moments]
            finally:
                await notifier.stop()

        # in a thread of its own: the caller's thread may hold a loop (Playwright's sync API)
        with concurrent.futures.ThreadPoolExecutor(1) as worker:
            return worker.submit(asyncio.run, passes()).result(timeout=300)

    def _run(self, coro):  # noqa: ANN001, ANN202
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=START_TIMEOUT + 60)

    def say(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """One citizen turn over the REST channel; the bot's messages come back."""
        body: dict = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        resp = requests.post(f"{self.rasa}/webhooks/rest/webhook", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {self.token}"})
        resp.raise_for_status()
        return resp.json()

    def tracker(self, sender: str, **params: object) -> dict:
        resp = requests.get(
            f"{self.rasa}/conversations/{sender}/tracker",
            params={"token": self.token, **params},
            timeout=10,
        )
        resp.raise_for_status()
        return resp.json()

    def fault(self, mode: str, paths: str = "/", seconds: float = 30) -> None:
        requests.post(
            f"{self.sandbox}/sandbox/faults",
            json={"mode": mode, "paths": paths, "seconds": seconds},
            timeout=5,
        ).raise_for_status()

    def hanging(self) -> int:
        """How many requests the sandbox's hang fault holds right now."""
        resp = requests.get(f"{self.sandbox}/sandbox/faults", timeout=5)
        resp.raise_for_status()
        return int(resp.json()["hanging"])

    def outbox(self, sender: str) -> list[str]:
        """The states of the sender's reports in the app database's outbox (pending, filed,
        rejected), oldest first."""
        with sqlite3.connect(f"file:{self.var / 'citybot.db'}?mode=ro", uri=True,
                             timeout=10) as db:
            rows = db.execute("SELECT status FROM reports WHERE sender_id = ? ORDER BY id",
                              (sender,)).fetchall()
        return [status for (status,) in rows]

    def meter_window(self, opens: int, closes: int) -> None:
        requests.post(
            f"{self.sandbox}/sandbox/meter-window",
            json={"opens": opens, "closes": closes},
            timeout=5,
        ).raise_for_status()

    def open311(self, path: str, **params: object) -> requests.Response:
        return requests.get(f"{self.sandbox}/open311/v2/{path}", params=params, timeout=10)

    def city_api(self, path: str, **params: object) -> requests.Response:
        """A GET of the sandbox's city JSON API (what the city itself says, to compare with)."""
        return requests.get(f"{self.sandbox}/api/v1/{path}", params=params, timeout=10)


async def _kill(proc: Proc) -> None:
    process = proc.process
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()
    if proc.pump:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.pump, 5)


def stack_env(var: Path, ports: dict[str, int]) -> dict[str, str]:
    """Environment for a test stack on ``ports`` (rasa, actions, sandbox, portal; console
    defaults to the portal's + 2), state in ``var``."""
    sandbox = f"http://127.0.0.1:{ports['sandbox']}"
    return {
        "CITYBOT_VAR_DIR": str(var),
        "CITYBOT_RASA_PORT": str(ports["rasa"]),
        "CITYBOT_RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
        "CITYBOT_ACTIONS_PORT": str(ports["actions"]),
        "CITYBOT_SANDBOX_PORT": str(ports["sandbox"]),
        "CITYBOT_OPEN311_URL": f"{sandbox}/open311/v2",
        "CITYBOT_CITY_API_URL": f"{sandbox}/api/v1",
        "CITYBOT_PORTAL_URL": f"{sandbox}/portal",
        "CITYBOT_MEDIA_UPLOAD_URL": f"{sandbox}/media",
        "CITYBOT_CITY_TIMEOUT": "2",
        "CITYBOT_OUTBOX_SECONDS": "1",
        "CITYBOT_SANDBOX_FAULTS": "1",
        "CITYBOT_SANDBOX_METER_WINDOW": "1-31",
        "CITYBOT_SANDBOX_CLOCK_SECONDS": "3600",
        "CITYBOT_PORTAL_PORT": str(ports["portal"]),
        "CITYBOT_CONSOLE_PORT": str(ports.get("console", ports["portal"] + 2)),
        # the notifier is left out unless a test asks for it (its own port then)
        "CITYBOT_NOTIFY": "1" if "notify" in ports else "0",
        "CITYBOT_NOTIFY_PORT": str(ports.get("notify", ports["portal"] + 3)),
        "CITYBOT_WEBCHAT_ORIGINS": f"http://127.0.0.1:{ports['portal']}",
        "CITYBOT_WEBCHAT_PUBLIC_URL": "",
    }


@contextlib.contextmanager
def running_stack(
    var: Path,
    ports: dict[str, int],
    env: dict[str, str] | None = None,
    extra: Callable[[Settings], list[Proc]] | None = None,
    procs: Callable[[Settings], list[Proc]] | None = None,
) -> Iterator[Stack]:
    """Start the stack (plus ``extra`` processes) with ``env`` set; stop it all afterwards.
    ``procs``: other processes than the embedded default's (the scaled stack's)."""
    from bot.supervisor import rasa_token, stack as stack_procs

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `citybot train` (make test does)")
    env = {**stack_env(var, ports), **(env or {})}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    settings = load_settings()
    started = (procs or (lambda s: stack_procs(s, model=MODEL)))(settings)
    started += extra(settings) if extra else []
    sup = Supervisor(started, echo=False, log_dir=Path(var) / "log")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(sup.start_all(timeout=START_TIMEOUT), loop).result()
        yield Stack(
            rasa=f"http://127.0.0.1:{ports['rasa']}",
            sandbox=f"http://127.0.0.1:{ports['sandbox']}",
            portal=f"http://127.0.0.1:{ports['portal']}",
            token=rasa_token(settings),
            supervisor=sup,
            loop=loop,
            var=Path(var),
        )
    finally:
        asyncio.run_coroutine_threadsafe(sup.stop_all(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def texts(messages: list[dict]) -> str:
    """Everything the bot said in one turn, as one string (for readable assertions)."""
    return "\n".join(m.get("text") or "" for m in messages)


def buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in (m.get("buttons") or [])]


def wait_until(check, timeout: float = 15.0, every: float = 0.3):  # noqa: ANN001, ANN201
    """Poll ``check`` until it returns something truthy (for background work like the outbox)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


def stack_fixture(ports: dict[str, int]):  # noqa: ANN201 - a pytest fixture
    """A session-wide stack on ``ports`` without Telegram (whatever the developer's shell exports)."""

    @pytest.fixture(scope="session")
    def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
        with running_stack(
            tmp_path_factory.mktemp("var"), ports, env={"TELEGRAM_BOT_TOKEN": ""}
        ) as running:
            yield running

    return stack
