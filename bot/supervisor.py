"""Start the embedded-default stack as child processes, watch them, stop them cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.config import ROOT, Settings, kept_secret
from bot.rasa_server import TOKEN_ENV
from bot.notify.settings import NotifySettings

log = logging.getLogger("citybot")


@dataclass
class Proc:
    name: str
    argv: list[str]
    ready_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    tail: list[str] = field(default_factory=list)
    pump: asyncio.Task | None = None


class StartFailed(RuntimeError):
    pass


def rasa_token(settings: Settings) -> str:
    """The Rasa HTTP API token: from the environment, or made once and kept under var/."""
    return settings.rasa_token or kept_secret(settings.var_dir / "rasa_api_token")


def write_endpoints(settings: Settings) -> Path:
    """endpoints.yml for these settings (ports and the tracker store under var/)."""
    run_dir = settings.var_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "endpoints.yml"
    path.write_text(
        "action_endpoint:\n"
        f'  url: "http://127.0.0.1:{settings.actions_port}/webhook"\n'
        # the action server keeps the model's domain (bot.actionserver): not sent every call
        "  enable_selective_domain: true\n"
        "tracker_store:\n"
        "  type: SQL\n"
        "  dialect: sqlite\n"
        f'  db: "{settings.var_dir / "tracker.db"}"\n'
        "lock_store:\n"
        "  type: in_memory\n"
    )
    return path


def rasa_proc(
    settings: Settings,
    *,
    model: Path,
    credentials: Path | None = None,
    name: str = "rasa",
    port: int | None = None,
    endpoints: Path | None = None,
    env: dict[str, str] | None = None,
) -> Proc:
    """A Rasa server with the channels of ``credentials`` (Telegram's settings from ``env``)."""
    token = rasa_token(settings)
    port = port or settings.rasa_port
    return Proc(
        name,
        [
            # the token is passed in the environment, not on the command line (bot.rasa_server)
            sys.executable, "-m", "bot.rasa_server", "run",
            "--model", str(model),
            "--endpoints", str(endpoints or write_endpoints(settings)),
            "--credentials", str(credentials or ROOT / "credentials.yml"),
            "--interface", "127.0.0.1",
            "--port", str(port),
            "--enable-api",
            "--cors", "[]",
        ],
        f"http://127.0.0.1:{port}/status?token={token}",
        # Rasa reports errors and usage to its makers unless told not to: nothing of a
        # citizen's leaves the city's machines.
        env={"CITYBOT_VAR_DIR": str(settings.var_dir), TOKEN_ENV: token,
             "RASA_TELEMETRY_ENABLED": "false", **(env or {})},
    )


def stack(settings: Settings, *, model: Path, credentials: Path | None = None) -> list[Proc]:
    """The processes of the embedded default, in start order."""
    env = {"CITYBOT_VAR_DIR": str(settings.var_dir)}
    notify = NotifySettings()

    def module(name: str, ready_url: str) -> Proc:
        return Proc(name, [sys.executable, "-m", f"bot.{name}"], ready_url, env=env)

    return [
        module(
            "sandbox",
            f"http://{settings.sandbox_host}:{settings.sandbox_port}/open311/v2/discovery.json",
        ),
        Proc(
            "actions",
            [sys.executable, "-m", "bot.actionserver"],
            f"http://127.0.0.1:{settings.actions_port}/health",
            env={**env, "CITYBOT_MODEL": str(model)},  # the domain it keeps is this model's
        ),
        rasa_proc(settings, model=model, credentials=credentials),
        module("portal", f"http://127.0.0.1:{settings.portal_port}/"),
        module("console", f"http://127.0.0.1:{settings.console_port}/login"),
        *([module("notify", f"http://127.0.0.1:{notify.port}/health")] if notify.enabled else []),
    ]


def telegram_mode(settings: Settings) -> str:
    """How the Telegram channel will run with these settings (for the start-up log)."""
    if not settings.telegram_token:
        return "off (TELEGRAM_BOT_TOKEN not set)"
    if settings.telegram_webhook_url:
        return f"webhook {settings.telegram_webhook_url}"
    return f"long polling {settings.telegram_api_base_url}"


class Supervisor:
    """Runs processes, prefixes their output, reports readiness and failures."""

    def __init__(self, procs: list[Proc], *, echo: bool = True, log_dir: Path | None = None):
        self.procs = procs
        self.echo = echo
        self.log_dir = log_dir

    async def _pump(self, proc: Proc) -> None:
        assert proc.process and proc.process.stdout
        sink = None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            sink = open(self.log_dir / f"{proc.name}.log", "a", encoding="utf-8")  # noqa: SIM115
        try:
            async for raw in proc.process.stdout:
                line = raw.decode(errors="replace").rstrip()
                proc.tail = (proc.tail + [line])[-30:]
                if sink:
                    sink.write(line + "\n")
                    sink.flush()
                if self.echo:
                    print(f"[{proc.name:7}] {line}", flush=True)
        finally:
            if sink:
                sink.close()

    async def start(self, proc: Proc, timeout: float) -> None:
        env = {**os.environ, **proc.env, "PYTHONUNBUFFERED": "1"}
        proc.process = await asyncio.create_subprocess_exec(
            *proc.argv, cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        proc.pump = asyncio.create_task(self._pump(proc))
        log.info("starting %s (pid %s)", proc.name, proc.process.pid)
        started = time.monotonic()
        async with aiohttp.ClientSession() as session:
            while True:
                if proc.process.returncode is not None:
                    await asyncio.sleep(0.2)
                    raise StartFailed(
                        f"{proc.name} exited with code {proc.process.returncode} while starting; "
                        "its last lines:\n  " + "\n  ".join(proc.tail[-15:])
                    )
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with session.get(
                        proc.ready_url,
                        timeout=aiohttp.ClientTimeout(total=2),
                    ) as resp:
                        if resp.status == 200:
                            log.info(
                                "%s ready at %s (%.1f s)",
                                proc.name, proc.ready_url.split("?")[0].rsplit("/", 1)[0],
                                time.monotonic() - started,
                            )
                            return
                if time.monotonic() - started > timeout:
                    raise StartFailed(
                        f"{proc.name} did not become ready at {proc.ready_url} in {timeout:.0f} s; "
                        "its last lines:\n  " + "\n  ".join(proc.tail[-15:])
                    )
                await asyncio.sleep(0.3)

    async def start_all(self, timeout: float = 420.0) -> None:
        """Start every process at once (Rasa's model load dominates) and wait for all."""
        await asyncio.gather(*(self.start(proc, timeout) for proc in self.procs))

    async def stop(self, proc: Proc, grace: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL after ``grace`` seconds."""
        process = proc.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except asyncio.TimeoutError:
            log.warning("%s did not stop in %.0f s: killing it", proc.name, grace)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        if proc.pump:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.pump, 2)
        log.info("%s stopped", proc.name)

    async def stop_all(self, grace: float = 10.0) -> None:
        for proc in reversed(self.procs):
            await self.stop(proc, grace)

    async def restart(self, proc: Proc, timeout: float = 420.0, pause: float = 1.0) -> None:
        """Start an exited process again, until it comes up (a pause between tries)."""
        while True:
            await asyncio.sleep(pause)
            try:
                await self.start(proc, timeout)
                return
            except StartFailed as exc:
                log.error("%s", exc)
                pause = min(pause * 2, 30.0)

    async def wait_any_exit(self) -> Proc:
        waits = {asyncio.create_task(p.process.wait()): p for p in self.procs if p.process}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[next(iter(done))]
