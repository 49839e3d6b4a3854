"""The trained assistant model (DIET ensemble + response selector + gate + fallback) through the
same harness as the candidates: validates the harness against the integration test's figures and
measures the served model's single-sentence parse latency and memory.

Usage: nice -n 19 /work/main/.venv/bin/python diet_reference.py [/work/main/models/citybot.tar.gz]
  -> results/diet_reference.json, results/misses_diet.txt
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time

import numpy as np

from common import HERE, figures, heldout_items, pct
from experiments import misses
from timing import rss_mb


async def main(model: str) -> None:
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent

    rss0 = rss_mb()
    t0 = time.perf_counter()
    agent = Agent.load(model)
    load_seconds = time.perf_counter() - t0
    rss1 = rss_mb()
    items = heldout_items()
    parses = []
    for it in items:
        p = await agent.parse_message(it["text"])
        ranking = [r for r in p.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        p["top"] = ranking[0]["name"] if ranking else p["intent"]["name"]
        parses.append(p)
    lat = []
    for it in items[::4][:200]:
        t = time.perf_counter()
        await agent.parse_message(it["text"])
        lat.append(time.perf_counter() - t)
    f = figures(items, parses)
    faq = [(it, p) for it, p in zip(items, parses) if it["intent"] == "faq" and it["fresh"]]
    f["faq_topic_top1"] = (sum(((p.get("response_selector") or {}).get("faq") or {})
                               .get("response", {}).get("intent_response_key")
                               == f"faq/{it['topic']}" for it, p in faq), len(faq))
    res = {"model": model, "figures": f, "load_seconds": load_seconds,
           "rss_mb": {"before_load": rss0, "after_load": rss1, "after_parses": rss_mb()},
           "latency_ms": {"mean": 1000 * float(np.mean(lat)), "p50": 1000 * float(np.median(lat)),
                          "p95": 1000 * float(np.percentile(lat, 95))}}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "diet_reference.json").write_text(json.dumps(res, indent=1))
    (HERE / "results" / "misses_diet.txt").write_text("\n".join(misses(items, parses)) + "\n",
                                                      encoding="utf-8")
    print(json.dumps(res, indent=1))
    print({k: pct(v) for k, v in f.items()})


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "/work/main/models/citybot.tar.gz"))
