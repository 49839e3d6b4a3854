"""`python -m bench.failover`: what the scaled setup does when a process dies, and how fresh the
console's index is, measured on ``citybot up --servers 2`` (docs/performance.md).

- console freshness: from a turn's answer to its conversation in the console's index, with the
  console following the event broker (and, for comparison, the embedded default's 5-second poll,
  whose wait is known: half the period on average);
- the notifier's takeover: from SIGKILL of the leading notifier to the other one leading;
- a Rasa server killed under load: citizens talk through HAProxy (each message with its id,
  sent again until answered); how many turns needed a resend, the longest wait, and whether any
  message was handled twice or lost.

Usage: .venv/bin/python -m bench.failover [--citizens 8] [--samples 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench.__main__ import CITYBOT, PORTS, environment, fresh_services
from bot import scaleout
from bot.config import ROOT, load_settings
from bot.supervisor import Supervisor, rasa_token

DATABASE = "citybot_failover"
REDIS_DB = 9
SERVERS = 2
GIVE_UP_SECONDS = 180  # a wait that long is a failure, not a figure
LINES = ["hello", "how do I pay a parking fine", "what can you do", "thank you"]


async def say(http: aiohttp.ClientSession, sender: str, text: str, message_id: str) -> list:
    async with http.post(f"{CITYBOT}/webhooks/rest/webhook", timeout=aiohttp.ClientTimeout(30),
                         json={"sender": sender, "message": text,
                               "message_id": message_id}) as resp:
        resp.raise_for_status()
        return await resp.json()


async def freshness(http: aiohttp.ClientSession, database_url: str, samples: int) -> list[float]:
    """Seconds from a turn's answer to its conversation in the console's index."""
    engine = create_async_engine(database_url)
    waits = []
    try:
        for _ in range(samples):
            sender = f"fresh-{uuid.uuid4().hex[:8]}"
            await say(http, sender, "hello", "m1")
            answered = time.monotonic()
            while True:
                async with engine.connect() as conn:
                    found = (await conn.execute(sa.text(
                        "SELECT 1 FROM conversation_index WHERE sender_id = :s"),
                        {"s": sender})).first()
                if found:
                    break
                if time.monotonic() - answered > GIVE_UP_SECONDS:
                    raise TimeoutError(f"{sender} never reached the console's index")
                await asyncio.sleep(0.05)
            waits.append(round(time.monotonic() - answered, 2))
            await asyncio.sleep(1.5)
    finally:
        await engine.dispose()
    return waits


async def leader_of(http: aiohttp.ClientSession, ports: list[int]) -> int | None:
    for index, port in enumerate(ports):
        try:
            async with http.get(f"http://127.0.0.1:{port}/health") as resp:
                if (await resp.json()).get("leading"):
                    return index
        except aiohttp.ClientError:
            continue
    return None


async def notifier_takeover(sup: Supervisor, http: aiohttp.ClientSession) -> float:
    ports = scaleout.notify_ports(SERVERS, PORTS["notify"])
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while (leading := await leader_of(http, ports)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("no notifier leads")
        await asyncio.sleep(0.1)
    proc = next(p for p in sup.procs if p.name == f"notify{leading + 1}")
    killed = time.monotonic()
    os.killpg(proc.process.pid, 9)
    await proc.process.wait()
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while await leader_of(http, ports) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("no notifier took over")
        await asyncio.sleep(0.05)
    took = time.monotonic() - killed
    await sup.start(proc, timeout=120)
    return round(took, 2)


async def kill_under_load(sup: Supervisor, http: aiohttp.ClientSession, citizens: int) -> dict:
    """Citizens talk while rasa2 is killed; each message sent again (same id) until answered."""
    resent, waits, answered = 0, [], {}
    start_kill = asyncio.Event()

    async def citizen(number: int) -> None:
        nonlocal resent
        sender = f"load-{uuid.uuid4().hex[:8]}"
        answered[sender] = []
        for turn, text in enumerate(LINES * 3):
            message_id = f"{sender}-{turn}"
            began, attempts = time.monotonic(), 0
            while True:
                attempts += 1
                try:
                    await say(http, sender, text, message_id)
                    break
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    if time.monotonic() - began > GIVE_UP_SECONDS:
                        raise TimeoutError(f"{message_id} was never answered") from None
                    await asyncio.sleep(0.5)
            waits.append(time.monotonic() - began)
            resent += attempts > 1
            answered[sender].append(message_id)
            if number == 0 and turn == 2:
                start_kill.set()

    running = asyncio.gather(*(citizen(n) for n in range(citizens)))
    await start_kill.wait()
    proc = next(p for p in sup.procs if p.name == "rasa2")
    os.killpg(proc.process.pid, 9)
    await proc.process.wait()
    await running
    await sup.start(proc, timeout=300)
    token = rasa_token(load_settings())
    twice = lost = 0
    for sender, ids in answered.items():
        async with http.get(f"{CITYBOT}/conversations/{sender}/tracker",
                            params={"token": token}) as resp:
            events = (await resp.json())["events"]
        stored = [e.get("message_id") for e in events if e["event"] == "user"]
        twice += sum(stored.count(i) > 1 for i in ids)
        lost += sum(i not in stored for i in ids)
    return {"turns": len(waits), "resent_turns": resent, "longest_wait_s": round(max(waits), 1),
            "p50_wait_s": round(statistics.median(waits), 2), "handled_twice": twice,
            "lost": lost}


async def main(args: argparse.Namespace) -> dict:
    services = await fresh_services(DATABASE, REDIS_DB)
    results: dict = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with tempfile.TemporaryDirectory(prefix="citybot-failover-") as tmp:
        os.environ.update(environment(Path(tmp)))
        settings = load_settings()
        sup = Supervisor(scaleout.scaled_stack(settings, services, servers=SERVERS,
                                               model=ROOT / "models" / "citybot.tar.gz"),
                         echo=False, log_dir=Path(tmp) / "log")
        headers = {"Authorization": f"Bearer {rasa_token(settings)}"}
        try:
            await sup.start_all(timeout=600)
            async with aiohttp.ClientSession(headers=headers) as http:
                results["console_index_wait_s"] = await freshness(
                    http, services.database_url, args.samples)
                results["notifier_takeover_s"] = await notifier_takeover(sup, http)
                results["rasa_killed_under_load"] = await kill_under_load(
                    sup, http, args.citizens)
        finally:
            await sup.stop_all()
            await scaleout.drop_database(services.database_url)
    print(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.failover")
    parser.add_argument("--citizens", type=int, default=8)
    parser.add_argument("--samples", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
