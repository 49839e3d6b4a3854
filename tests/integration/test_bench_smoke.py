"""`make bench` runs: both assistants start, every kind of crowd talks to them, the report is
written. No timing is asserted (figures belong to bench/results and docs/performance.md); what is
asserted is that the harness measured something real: turns answered by both, none lost at
this tiny load, the processes watched, the ratios computed."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.config import ROOT


def test_the_bench_runs_end_to_end_and_writes_its_report(tmp_path):
    out = tmp_path / "results"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--levels", "2", "--seconds", "4", "--crowd", "6",
         "--hold", "6", "--warmup", "2", "--ws", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((out / "bench.json").read_text())
    kinds = {(r["system"], r["channel"], bool(r["think"][1])) for r in results["runs"]}
    assert kinds == {(s, c, t) for s, c in (("stock", "rest"), ("citybot", "rest"), ("citybot", "ws"))
                     for t in (False, True)}
    for run_ in results["runs"]:
        assert run_["answered"] > 0 and run_["lost"] == 0 and run_["errors"] == 0, run_
        assert run_["processes"] and all(p["rss_mib"] > 0 for p in run_["processes"].values())
    city = [r for r in results["runs"] if r["system"] == "citybot"]
    assert {"rasa", "actions", "sandbox"} <= set(city[0]["processes"])
    assert any(r["city_p95_ms"] for r in city)  # some turns asked the city
    assert results["stock"]["ready_seconds"] > 0 and results["citybot"]["ready_seconds"] > 0
    report = (out / "report.md").read_text()
    assert "× stock" in report and "saturation" in report
    assert (out / "latency-throughput.png").stat().st_size > 10_000
