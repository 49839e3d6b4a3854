"""Latency and throughput of citybot turns over Rasa's REST channel, against baselines.

Starts its own stack (sandbox city, action server, Rasa) on bench ports with the trained model,
then measures, in the same run:

- ``stock``: a turn stock Rasa answers alone (NLU + policies + a domain response, no action server)
- ``status``: a turn that calls the city (action server -> Open311 GET requests/{id})
- ``office``: a turn with two city calls (address search + facilities)
- ``city``: the city call alone (Open311 GET requests/{id}), the floor under ``status``
- ``ws-stock``, ``ws-status``: the same turns through the web chat WebSocket (send to ``ack``,
  which comes after the last answer), and ``ws-resume``: connect, resume a conversation and
  receive its history
- concurrency: ``--clients`` senders at once, turns per second

Usage: .venv/bin/python -m bench.latency [--turns 60] [--clients 8]
Figures depend on the machine; compare rows of the same run, not runs of different days.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bot.config import ROOT, load_settings
from bot.supervisor import Supervisor, rasa_token, stack

PORTS = {"rasa": 5205, "actions": 5255, "sandbox": 8281, "portal": 8280}
PORTAL = f"http://127.0.0.1:{PORTS['portal']}"


def _env(var: Path) -> dict[str, str]:
    return {
        "CITYBOT_VAR_DIR": str(var),
        "CITYBOT_RASA_PORT": str(PORTS["rasa"]),
        "CITYBOT_ACTIONS_PORT": str(PORTS["actions"]),
        "CITYBOT_SANDBOX_PORT": str(PORTS["sandbox"]),
        "CITYBOT_OPEN311_URL": f"http://127.0.0.1:{PORTS['sandbox']}/open311/v2",
        "CITYBOT_CITY_API_URL": f"http://127.0.0.1:{PORTS['sandbox']}/api/v1",
        "CITYBOT_SANDBOX_CLOCK_SECONDS": "3600",
        "CITYBOT_PORTAL_PORT": str(PORTS["portal"]),
        "CITYBOT_RASA_URL": f"http://127.0.0.1:{PORTS['rasa']}",
        "CITYBOT_WEBCHAT_ORIGINS": PORTAL,
    }


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return (
        f"{name:<9} n={len(ms):<4} p50={statistics.median(ms):7.1f} ms  "
        f"p95={p95:7.1f} ms  mean={statistics.fmean(ms):7.1f} ms"
    )


async def _turn(session: aiohttp.ClientSession, rasa: str, sender: str, text: str) -> float:
    began = time.perf_counter()
    async with session.post(
        f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    ) as resp:
        body = await resp.json()
        assert resp.status == 200 and body, (resp.status, body)
    return time.perf_counter() - began


async def _get(session: aiohttp.ClientSession, url: str) -> float:
    began = time.perf_counter()
    async with session.get(url) as resp:
        await resp.read()
        assert resp.status == 200
    return time.perf_counter() - began


class WebChat:
    """One widget's socket, as the bench drives it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.session_id = self.token = ""

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, rasa: str, session_id: str | None = None,
                   token: str | None = None) -> "WebChat":
        ws = await http.ws_connect(f"{rasa}/webhooks/webchat/ws", origin=PORTAL)
        chat = cls(ws)
        await ws.send_json({"type": "session_request", "session_id": session_id, "token": token})
        confirm = await ws.receive_json()
        chat.session_id, chat.token = confirm["session_id"], confirm["token"]
        while (await ws.receive_json())["type"] != "history":
            pass
        return chat

    async def turn(self, text: str) -> float:
        id = uuid.uuid4().hex
        began = time.perf_counter()
        await self.ws.send_json({"type": "user_uttered", "id": id, "text": text})
        while True:
            frame = await self.ws.receive_json()
            if frame.get("id") == id and frame["type"] in ("ack", "error"):
                assert frame["type"] == "ack", frame
                return time.perf_counter() - began


async def measure_webchat(http: aiohttp.ClientSession, rasa: str, turns: int,
                          cases: dict[str, str]) -> None:
    results: dict[str, list[float]] = {"ws-stock": [], "ws-status": [], "ws-resume": []}
    chat = await WebChat.open(http, rasa)
    for text in cases.values():  # warm-up
        await chat.turn(text)
    for i in range(turns):
        if i % 3 == 0:  # a new conversation every few turns, like the REST rows (and the rate limit)
            await chat.ws.close()
            chat = await WebChat.open(http, rasa)
        results["ws-stock"].append(await chat.turn(cases["stock"]))
        results["ws-status"].append(await chat.turn(cases["status"]))
    await chat.ws.close()
    # A long conversation (filled over REST under the same sender id), resumed with its history.
    for _ in range(50):
        await _turn(http, rasa, chat.session_id, cases["status"])
    for _ in range(turns):
        began = time.perf_counter()
        again = await WebChat.open(http, rasa, chat.session_id, chat.token)
        results["ws-resume"].append(time.perf_counter() - began)
        await again.ws.close()
    print("(ws-resume: a conversation of 100+ messages, its newest 100 sent as history)")
    for name, samples in results.items():
        print(_summary(name, samples))


async def measure(turns: int, clients: int, token: str) -> None:
    rasa = f"http://127.0.0.1:{PORTS['rasa']}"
    sandbox = f"http://127.0.0.1:{PORTS['sandbox']}"
    cases = {
        "stock": "hello there",
        "status": "what is the status of request 100001",
        "office": "nearest public service centre to pokrovka 5",
    }
    # The REST channel takes the Rasa API token (connectors/rest.py).
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                     headers={"Authorization": f"Bearer {token}"}) as session:
        for text in cases.values():  # warm-up: first calls load TF graphs and open pools
            await _turn(session, rasa, "warmup", text)
        results: dict[str, list[float]] = {name: [] for name in cases}
        results["city"] = []
        for i in range(turns):
            for name, text in cases.items():
                results[name].append(await _turn(session, rasa, f"bench-{i}", text))
            results["city"].append(await _get(session, f"{sandbox}/open311/v2/requests/100001.json"))
        for name in ("stock", "status", "office", "city"):
            print(_summary(name, results[name]))
        await measure_webchat(session, rasa, turns, cases)

        async def client(n: int) -> int:
            sender = f"load-{n}-{uuid.uuid4().hex[:6]}"
            for _ in range(turns // 2):
                await _turn(session, rasa, sender, cases["status"])
            return turns // 2

        began = time.perf_counter()
        done = sum(await asyncio.gather(*(client(n) for n in range(clients))))
        elapsed = time.perf_counter() - began
        print(f"throughput: {done} status turns from {clients} concurrent senders in "
              f"{elapsed:.1f} s = {done / elapsed:.1f} turns/s")


async def main(turns: int, clients: int) -> None:
    with tempfile.TemporaryDirectory(prefix="citybot-bench-") as var:
        os.environ.update(_env(Path(var)))
        settings = load_settings()
        sup = Supervisor(
            stack(settings, model=ROOT / "models" / "citybot.tar.gz"),
            echo=False, log_dir=Path(var) / "log",
        )
        began = time.perf_counter()
        try:
            await sup.start_all(timeout=300)
            print(f"stack ready in {time.perf_counter() - began:.1f} s (model already trained)")
            await measure(turns, clients, rasa_token(settings))
        finally:
            await sup.stop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.clients))
