"""Held-out NLU figures for trained models: accuracy, out-of-scope leaks, warm parse latency.

Parses every sentence of ``bench/nlu_holdout.yml`` with each model (``rasa.core.agent.Agent``),
then times 200 more parses per model, interleaved call by call so that load on the machine hits
every model alike. An out-of-scope sentence *leaks* when it would start a service: its intent is
a service intent at or above the FallbackClassifier threshold, with the ambiguity margin met.

Usage: .venv/bin/python -m bench.nlu_holdout MODEL.tar.gz [MODEL.tar.gz ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from bot import services
from bot.config import ROOT

HOLDOUT = ROOT / "bench" / "nlu_holdout.yml"
SERVICE_INTENTS = set(services.SERVICE_INTENTS)
THRESHOLDS = (0.4, 0.55, 0.7, 0.8, 0.9)
AMBIGUITY = 0.08  # config.yml's FallbackClassifier ambiguity_threshold
TIMED_PARSES = 200


def effective_intent(row: dict, threshold: float) -> str:
    """The intent a turn would carry after the FallbackClassifier at ``threshold``."""
    if row["confidence"] < threshold or row["confidence"] - row["second"] < AMBIGUITY:
        return "nlu_fallback"
    return row["top"]


def report(name: str, rows: list[dict], latencies: list[float]) -> None:
    oos = [r for r in rows if r["gold"] == "out_of_scope"]
    in_scope = [r for r in rows if r["gold"] != "out_of_scope"]
    correct = sum(r["top"] == r["gold"] for r in rows)
    faq = [r for r in rows if r["gold"] == "faq"]
    latencies = sorted(latencies)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"\n{name}: intent accuracy {correct}/{len(rows)} = {correct / len(rows):.3f}; "
          f"faq topic {sum(r['faq_key'] == r['gold_key'] for r in faq)}/{len(faq)}; "
          f"parse p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms")
    for threshold in THRESHOLDS:
        leaks = [r for r in oos if effective_intent(r, threshold) in SERVICE_INTENTS]
        lost = sum(effective_intent(r, threshold) == "nlu_fallback" and r["top"] == r["gold"]
                   for r in in_scope)
        print(f"  fallback threshold {threshold:.2f}: {len(leaks)}/{len(oos)} out-of-scope "
              f"would start a service; {lost} right in-scope turns sent to fallback")
    for r in rows:
        if r["top"] != r["gold"]:
            print(f"  miss: {r['text']!r} {r['gold']} -> {r['top']} {r['confidence']:.2f}")


async def main(models: list[Path]) -> None:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(HOLDOUT)).intent_examples
    agents = {model: Agent.load(str(model)) for model in models}
    results = {}
    for model, agent in agents.items():
        rows = []
        for example in examples:
            parsed = await agent.parse_message(example.get("text"))
            ranking = [i for i in parsed["intent_ranking"] if i["name"] != "nlu_fallback"]
            selected = parsed.get("response_selector", {}).get("faq", {}).get("response", {})
            rows.append({
                "text": example.get("text"),
                "gold": example.get("intent"),
                "gold_key": example.get("intent_response_key"),
                "top": ranking[0]["name"],
                "confidence": ranking[0]["confidence"],
                "second": ranking[1]["confidence"] if len(ranking) > 1 else 0.0,
                "faq_key": selected.get("intent_response_key"),
            })
        results[model] = rows
    latencies: dict[Path, list[float]] = {model: [] for model in models}
    for i in range(TIMED_PARSES):
        text = examples[i % len(examples)].get("text")
        for model, agent in agents.items():
            began = time.perf_counter()
            await agent.parse_message(text)
            latencies[model].append((time.perf_counter() - began) * 1000)
    for model in models:
        report(model.name, results[model], latencies[model])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    asyncio.run(main(parser.parse_args().models))
