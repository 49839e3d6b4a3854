"""`make bench`: citybot's whole stack against stock Rasa's starter assistant, in one run.

Both are started here (each timed from spawn to its first answered message), then driven by
simulated citizens (:mod:`bench.crowd`) in alternation, level by level, so that every figure has a
stock figure measured minutes apart on the same machine:

- closed loop at ``--levels`` concurrent citizens (default 1, 10, 50, 200), ``--seconds`` each:
  turns per second, latency percentiles, lost turns, errors, CPU and peak RSS of each process;
- a crowd of ``--crowd`` citizens (200) thinking 2-5 s between turns, held ``--hold`` seconds;
- memory at rest after start-up; with ``--train``, both trainings from nothing, timed.

citybot is driven over REST and, with ``--ws``, through the web chat socket; stock Rasa over its
REST channel with its own starter phrases. Results: ``bench/results/<time>/`` (JSON, a markdown
report, a latency/throughput plot). Figures move with the machine: read the ratios.

With ``--servers 1 2 3`` the scaled setup (``citybot up --servers N``: N Rasa servers behind
HAProxy on PostgreSQL, Redis and RabbitMQ) is then started for each N and driven the same way.

Usage: .venv/bin/python -m bench [--levels 1 10 50 200] [--seconds 30] [--hold 120] [--ws] [--train]
       [--servers 1 2 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from bench import crowd, procs, report, stock
from bench.crowd import Crowd, Send, WebChatCitizen
from bot.config import ROOT, load_settings
from bot.supervisor import Supervisor, rasa_token, stack

PORTS = {"rasa": 5205, "actions": 5255, "sandbox": 8281, "portal": 8280, "console": 8282,
         "notify": 8283, "stock": 5305}
PORTAL = f"http://127.0.0.1:{PORTS['portal']}"
CITYBOT = f"http://127.0.0.1:{PORTS['rasa']}"
STOCK = f"http://127.0.0.1:{PORTS['stock']}"
RESULTS = ROOT / "bench" / "results"
BENCH_REDIS_DB = 8

Opener = Callable[[], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]]


def environment(var: Path) -> dict[str, str]:
    sandbox = f"http://127.0.0.1:{PORTS['sandbox']}"
    return {
        "CITYBOT_VAR_DIR": str(var),
        "CITYBOT_RASA_PORT": str(PORTS["rasa"]),
        "CITYBOT_RASA_URL": CITYBOT,
        "CITYBOT_ACTIONS_PORT": str(PORTS["actions"]),
        "CITYBOT_SANDBOX_PORT": str(PORTS["sandbox"]),
        "CITYBOT_OPEN311_URL": f"{sandbox}/open311/v2",
        "CITYBOT_CITY_API_URL": f"{sandbox}/api/v1",
        "CITYBOT_PORTAL_URL": f"{sandbox}/portal",
        "CITYBOT_MEDIA_UPLOAD_URL": f"{sandbox}/media",
        "CITYBOT_SANDBOX_METER_WINDOW": "1-31",  # readings are taken whatever the day
        "CITYBOT_SANDBOX_CLOCK_SECONDS": "3600",
        "CITYBOT_PORTAL_PORT": str(PORTS["portal"]),
        "CITYBOT_CONSOLE_PORT": str(PORTS["console"]),
        "CITYBOT_NOTIFY_PORT": str(PORTS["notify"]),
        "CITYBOT_WEBCHAT_ORIGINS": PORTAL,
        "CITYBOT_WEBCHAT_PUBLIC_URL": "",
        "TELEGRAM_BOT_TOKEN": "",
    }


class System:
    """A served assistant the crowds talk to: its processes and how a conversation opens."""

    def __init__(self, name: str, supervisor: Supervisor, mix, opener: Opener,
                 services: dict[str, procs.Selector] | None = None) -> None:
        self.name, self.supervisor, self.mix, self.opener = name, supervisor, mix, opener
        self.services = services or {}  # the machine's services it uses, watched too
        self.ready_seconds = 0.0

    def groups(self) -> dict[str, procs.Selector]:
        return {**{p.name: p.process.pid for p in self.supervisor.procs if p.process},
                **self.services}

    def at_rest(self) -> dict:
        """Ready time and memory once started (printed, and for the results)."""
        rest_mib = {n: round(u.rss / 2**20, 1) for n, u in procs.usages(self.groups()).items()}
        print(f"{self.name}: ready in {self.ready_seconds:.1f} s, at rest "
              f"{sum(rest_mib.values()):.0f} MiB {rest_mib}", flush=True)
        return {"ready_seconds": round(self.ready_seconds, 1), "rss_at_rest_mib": rest_mib}

    async def start(self, first: Send) -> None:
        """Start every process and wait until a first message is answered."""
        began = time.monotonic()
        await self.supervisor.start_all(timeout=600)
        while not await first("hello"):
            await asyncio.sleep(0.2)
        self.ready_seconds = time.monotonic() - began


def rest(http: aiohttp.ClientSession, base: str) -> Opener:
    async def open_() -> tuple[Send, Callable[[], Awaitable[None]]]:
        async def close() -> None:
            return None

        return crowd.rest_sender(http, base, f"bench-{uuid.uuid4().hex[:12]}"), close

    return open_


def webchat(http: aiohttp.ClientSession) -> Opener:
    async def open_() -> tuple[Send, Callable[[], Awaitable[None]]]:
        chat = await WebChatCitizen.open(http, CITYBOT, PORTAL)
        return chat.send, chat.ws.close

    return open_


async def drive(system: System, label: str, opener: Opener, crowd_: Crowd) -> dict:
    """Run a crowd against a system, watching its processes; the run's figures."""
    watch = procs.Watch(system.groups())
    client_cpu = sum(os.times()[:2])
    sampler = asyncio.create_task(_sample(watch))
    try:
        await crowd_.run(opener)
    finally:
        sampler.cancel()
    seconds = crowd_.ended - crowd_.began
    figures = report.figures(crowd_)
    figures.update(system=system.name, channel=label, citizens=crowd_.size,
                   think=list(crowd_.think), processes=watch.result(seconds),
                   client_cpu_percent=round(100 * (sum(os.times()[:2]) - client_cpu) / seconds, 1))
    print(report.line(figures), flush=True)
    return figures


async def _sample(watch: procs.Watch) -> None:
    while True:
        await asyncio.sleep(1.0)
        await asyncio.to_thread(watch.sample)  # reading /proc must not hold up the crowd


async def measure_training() -> dict:
    """Both trainings from nothing (no training cache), one after the other."""
    print("training stock Rasa's starter project from nothing...", flush=True)
    trained = stock.project(retrain=True)
    print(f"  {trained.seconds:.0f} s", flush=True)
    print("training citybot from nothing (this takes a while)...", flush=True)
    with tempfile.TemporaryDirectory(prefix="citybot-train-") as tmp:
        cmd_root = Path(tmp)
        seconds = await asyncio.to_thread(_train_citybot, cmd_root)
    print(f"  {seconds:.0f} s", flush=True)
    return {"stock_seconds": trained.seconds, "citybot_seconds": round(seconds, 1)}


def _train_citybot(tmp: Path) -> float:
    from bot import training

    began = time.monotonic()
    training.train_if_needed(tmp / "citybot.tar.gz", force=True)  # no cache: Rasa's default one
    return time.monotonic() - began


async def main(args: argparse.Namespace) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    out = args.out or RESULTS / stamp
    results: dict = {"when": stamp, "machine": {"cores": os.cpu_count(), "load_before": os.getloadavg()},
                     "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
               "speedups": os.environ.get("CITYBOT_SPEEDUPS", "all"), "runs": []}
    if args.train:
        results["training"] = await measure_training()
    trained = stock.project()
    results.setdefault("training", {}).setdefault("stock_recorded", {"seconds": trained.seconds,
                                                                       "when": trained.when})
    with tempfile.TemporaryDirectory(prefix="citybot-bench-") as tmp:
        var = Path(tmp)
        os.environ.update(environment(var))
        settings = load_settings()
        crowd.FLAT_OF = _flat_of
        token = rasa_token(settings)
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=crowd.TURN_TIMEOUT + 5)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as plain, \
                aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0),
                                      headers={"Authorization": f"Bearer {token}"}) as authed:
            base = System("stock", Supervisor([stock.server(trained, PORTS["stock"])], echo=False,
                                              log_dir=var / "log"), crowd.STOCK_MIX, rest(plain, STOCK))
            city = System("citybot", Supervisor(stack(settings, model=ROOT / "models" / "citybot.tar.gz"),
                                                echo=False, log_dir=var / "log"),
                          crowd.MIX, rest(authed, CITYBOT))
            try:
                for system, http, url in ((base, plain, STOCK), (city, authed, CITYBOT)):
                    await system.start(_first(http, url))
                    results[system.name] = system.at_rest()
                channels = [(city, "rest", city.opener)]
                if args.ws:
                    channels.append((city, "ws", webchat(plain)))
                for system, label, opener in ((base, "rest", base.opener), *channels):  # warm-up
                    await Crowd(4, args.warmup, system.mix, seed=99).run(opener)
                for level in args.levels:
                    for system, label, opener in ((base, "rest", base.opener), *channels):
                        results["runs"].append(await drive(
                            system, label, opener, Crowd(level, args.seconds, system.mix, seed=level)))
                if args.hold:
                    for system, label, opener in ((base, "rest", base.opener), *channels):
                        results["runs"].append(await drive(
                            system, label, opener,
                            Crowd(args.crowd, args.hold, system.mix, think=(2.0, 5.0), seed=7)))
                for system in (base, city):
                    results[system.name]["rss_after_mib"] = {
                        n: round(u.rss / 2**20, 1) for n, u in procs.usages(system.groups()).items()}
                if args.servers:
                    await city.supervisor.stop_all()  # the scaled stacks listen where it did
                for servers in args.servers:
                    await scaled_runs(args, results, servers, settings, var, authed)
            finally:
                for system in (city, base):
                    await system.supervisor.stop_all()
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=1))
    text = report.markdown(results)
    (out / "report.md").write_text(text)
    report.plot(results, out / "latency-throughput.png")
    print()
    print(text)
    print(f"results in {out}")


async def fresh_services(database: str, redis_db: int):  # noqa: ANN201 - bot.scaleout.Services
    """The machine's services for a scaled run: a new PostgreSQL database of its own and an
    emptied Redis database (no lease or lock of an earlier run left in it)."""
    import redis.asyncio

    from bot import scaleout

    services = scaleout.Services(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
        redis_url=f"redis://127.0.0.1:6379/{redis_db}",
        rabbitmq_url=scaleout.DEFAULT_RABBITMQ_URL,
    )
    await scaleout.drop_database(services.database_url)
    await scaleout.preflight(services)
    client = redis.asyncio.Redis.from_url(services.redis_url)
    await client.flushdb()
    await client.close()
    return services


async def scaled_runs(args: argparse.Namespace, results: dict, servers: int, settings, var: Path,
                      authed: aiohttp.ClientSession) -> None:
    """``citybot up --servers N`` (bot.scaleout) on the machine's PostgreSQL, Redis and
    RabbitMQ, in a database of its own, driven at the same levels; then stopped."""
    from bot import scaleout

    services = await fresh_services(f"citybot_bench_{servers}", BENCH_REDIS_DB)
    procs_ = scaleout.scaled_stack(settings, services, model=ROOT / "models" / "citybot.tar.gz",
                                   servers=servers)
    system = System(f"citybot×{servers}", Supervisor(procs_, echo=False,
                                                     log_dir=var / f"log-x{servers}"),
                    crowd.MIX, rest(authed, CITYBOT), services=procs.SERVICES)
    try:
        await system.start(_first(authed, CITYBOT))
        results[system.name] = system.at_rest()
        await Crowd(4, args.warmup, system.mix, seed=99).run(system.opener)
        for level in args.levels:
            results["runs"].append(await drive(
                system, "rest", system.opener, Crowd(level, args.seconds, system.mix, seed=level)))
        if args.hold:
            results["runs"].append(await drive(
                system, "rest", system.opener,
                Crowd(args.crowd, args.hold, system.mix, think=(2.0, 5.0), seed=7)))
    finally:
        await system.supervisor.stop_all()
        await scaleout.drop_database(services.database_url)


def _first(http: aiohttp.ClientSession, base: str) -> Send:
    send = crowd.rest_sender(http, base, "bench-ready")

    async def first(text: str) -> list[str]:
        with contextlib.suppress(aiohttp.ClientError, crowd.ChannelError, asyncio.TimeoutError):
            return await send(text)
        return []

    return first


def _flat_of(account: str) -> str:
    from bot.sandbox.seed import flat_of

    return flat_of(account)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="*", default=[1, 10, 50, 200])
    parser.add_argument("--seconds", type=float, default=30.0, help="per closed-loop level")
    parser.add_argument("--crowd", type=int, default=200, help="citizens who think between turns")
    parser.add_argument("--hold", type=float, default=120.0, help="seconds the thinking crowd talks (0: none)")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--ws", action="store_true", help="citybot through the web chat socket too")
    parser.add_argument("--train", action="store_true", help="time both trainings from nothing")
    parser.add_argument("--out", type=Path, help="where the results go (default bench/results/<time>)")
    parser.add_argument("--servers", type=int, nargs="*", default=[],
                        help="then citybot up --servers N for each N, on PostgreSQL/Redis/RabbitMQ")
    return parser.parse_args(argv)


if __name__ == "__main__":
    random.seed(1)
    asyncio.run(main(parse(sys.argv[1:])))
