"""How long the trained model takes to load for reading: Rasa's load against citybot's, one run.

Rasa loads a DIET-family model by taking one training step first (to build the optimizer too);
``bot.nlu.fast_load`` restores the weights as a reading builds them. Every Rasa start pays the
load (``citybot up``, a restart, each test stack), so this prints, for the same model in the
same run:

- ``rasa``: the model loaded as stock Rasa does (the quick load switched off in that process)
- ``quick``: the model loaded as the assistant does

Each load runs in a fresh process (TensorFlow keeps what it traced per process), the two kinds
alternating, ``--runs`` of each; both must read ``SENTENCES`` identically or the bench fails.

Usage: .venv/bin/python -m bench.model_load [--runs 3] [--model models/citybot.tar.gz]
Figures depend on the machine; compare rows of the same run, not runs of different days.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bot.config import ROOT

SENTENCES = (
    "there's a pothole outside Tverskaya 12",
    "what is the status of request 100034",
    "where is the nearest service centre",
    "how do I get a parking permit",
    "thanks, that's all",
    "на Тверской 12 огромная яма прямо у подъезда",
    "какой статус у заявки 100001",
    "как получить резидентное разрешение на парковку",
    "zzkq vlorp quib",
)


def _child(kind: str, model: str) -> None:
    """Load ``model`` the ``kind`` way, read the sentences, print seconds and readings as JSON."""
    import logging

    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    from bot.nlu.fast_load import ReadsWithoutTraining

    if kind == "rasa":
        ReadsWithoutTraining.load = classmethod(RasaModel.load.__func__)  # type: ignore[assignment]
    began = time.perf_counter()
    agent = Agent.load(model)
    seconds = time.perf_counter() - began

    async def read() -> list:
        readings = []
        for text in SENTENCES:
            parsed = await agent.parse_message(text)
            ranking = parsed.get("intent_ranking") or []
            faq = parsed.get("response_selector", {}).get("faq", {}).get("response", {})
            readings.append({
                "intent": [(r["name"], round(r["confidence"], 5)) for r in ranking],
                "entities": [(e["entity"], e["start"], e["end"]) for e in parsed["entities"]],
                "faq": (faq.get("intent_response_key"), round(faq.get("confidence") or 0, 5)),
            })
        return readings

    print(json.dumps({"seconds": seconds, "readings": asyncio.run(read())}))


def _load(kind: str, model: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.model_load", "--child", kind, "--model", str(model)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(runs: int, model: Path) -> None:
    seconds: dict[str, list[float]] = {"rasa": [], "quick": []}
    readings: dict[str, list] = {}
    for _ in range(runs):
        for kind in seconds:
            result = _load(kind, model)
            seconds[kind].append(result["seconds"])
            if readings.setdefault(kind, result["readings"]) != result["readings"]:
                raise SystemExit(f"{kind}: two loads of one model read differently")
    print(f"model {model} ({model.stat().st_size / 2**20:.0f} MiB), {runs} loads of each")
    for kind, samples in seconds.items():
        print(f"{kind:<6} median {statistics.median(samples):6.1f} s   "
              f"min {min(samples):6.1f} s   max {max(samples):6.1f} s")
    if readings["rasa"] != readings["quick"]:
        raise SystemExit("the quick load reads differently from Rasa's")
    print(f"both read the {len(SENTENCES)} sentences identically")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "citybot.tar.gz")
    parser.add_argument("--child", choices=("rasa", "quick"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, str(args.model))
    else:
        main(args.runs, args.model)
