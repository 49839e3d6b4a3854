"""The bench's figures: per run, the table, the ratios to stock Rasa, and a plot."""

from __future__ import annotations

from pathlib import Path

from bench.crowd import ANSWERED, ERROR, LOST, Crowd


def _pct(ms: list[float], q: float) -> float | None:
    if not ms:
        return None
    return round(ms[min(len(ms) - 1, int(round(q * (len(ms) - 1))))], 1)


def figures(crowd: Crowd) -> dict:
    """Turns per second (answered), latency percentiles in ms, lost and failed turns."""
    answered = sorted(t.seconds * 1000 for t in crowd.turns if t.outcome == ANSWERED)
    city = sorted(t.seconds * 1000 for t in crowd.turns if t.outcome == ANSWERED and t.city)
    seconds = max(crowd.ended - crowd.began, 1e-9)
    return {
        "seconds": round(seconds, 1),
        "turns": len(crowd.turns),
        "answered": len(answered),
        "lost": sum(t.outcome == LOST for t in crowd.turns),
        "errors": sum(t.outcome == ERROR for t in crowd.turns),
        "conversations": crowd.conversations,
        "turns_per_second": round(len(answered) / seconds, 2),
        "p50_ms": _pct(answered, 0.50),
        "p95_ms": _pct(answered, 0.95),
        "p99_ms": _pct(answered, 0.99),
        "city_p95_ms": _pct(city, 0.95),
        "by_script": _by_script(crowd),
    }


def _by_script(crowd: Crowd) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name in sorted({t.script for t in crowd.turns}):
        ms = sorted(t.seconds * 1000 for t in crowd.turns if t.script == name and t.outcome == ANSWERED)
        out[name] = {"turns": sum(t.script == name for t in crowd.turns), "p50_ms": _pct(ms, 0.5),
                     "p95_ms": _pct(ms, 0.95)}
    return out


def _kind(run: dict) -> str:
    think = run.get("think") or [0, 0]
    return f"{run['citizens']} thinking {think[0]:g}-{think[1]:g} s" if think[1] else f"{run['citizens']} closed loop"


def line(run: dict) -> str:
    cpu = ", ".join(f"{n} {p['cpu_percent']:.0f}%" for n, p in run["processes"].items())
    return (f"{run['system']:<8} {run['channel']:<4} {_kind(run):<24} {run['turns_per_second']:7.1f} turns/s "
            f"p50 {run['p50_ms'] or 0:7.0f} p95 {run['p95_ms'] or 0:7.0f} p99 {run['p99_ms'] or 0:7.0f} ms "
            f"lost {run['lost']} errors {run['errors']}  CPU {cpu}")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def markdown(results: dict) -> str:
    rows = ["| citizens | system | channel | turns/s | × stock | p50 ms | p95 ms | p99 ms | city-turn p95 ms "
            "| lost | errors | CPU % (per process) | peak RSS MiB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    stock = {_kind(r): r for r in results["runs"] if r["system"] == "stock"}
    for run in results["runs"]:
        base = stock.get(_kind(run))
        ratio = (f"{run['turns_per_second'] / base['turns_per_second']:.2f}"
                 if base and base["turns_per_second"] and run["system"] != "stock" else "")
        cpu = ", ".join(f"{n} {p['cpu_percent']:.0f}" for n, p in run["processes"].items())
        rss = sum(p["rss_mib"] for p in run["processes"].values())
        rows.append(f"| {_kind(run)} | {run['system']} | {run['channel']} | {run['turns_per_second']:.1f} "
                    f"| {ratio} | {_ms(run['p50_ms'])} | {_ms(run['p95_ms'])} | {_ms(run['p99_ms'])} "
                    f"| {_ms(run['city_p95_ms'])} | {run['lost']} | {run['errors']} | {cpu} | {rss:,.0f} |")
    parts = [f"# Bench {results['when']} (UTC), {results['machine']['cores']} cores, load before "
             f"{results['machine']['load_before'][0]:.1f}; citybot's Rasa changes: "
             f"{results.get('speedups', 'all')}", "", *rows, "", *_summary(results)]
    return "\n".join(parts) + "\n"


def _summary(results: dict) -> list[str]:
    out = []
    for name in ("stock", "citybot"):
        if name in results:
            r = results[name]
            out.append(f"- {name}: ready {r['ready_seconds']:.1f} s after start (first message answered); "
                       f"RSS at rest {sum(r['rss_at_rest_mib'].values()):,.0f} MiB "
                       f"({', '.join(f'{k} {v:,.0f}' for k, v in r['rss_at_rest_mib'].items())})")
    closed = [r for r in results["runs"] if not (r.get("think") or [0, 0])[1]]
    peak = {name: max((r["turns_per_second"] for r in closed if r["system"] == name and r["channel"] == "rest"),
                      default=0.0) for name in ("stock", "citybot")}
    if peak["stock"]:
        out.append(f"- saturation (best closed-loop level over REST): citybot {peak['citybot']:.1f} turns/s, "
                   f"stock {peak['stock']:.1f}: **{peak['citybot'] / peak['stock']:.2f}×** (target ≥ 3×)")
    single = [r for r in closed if r["system"] == "stock" and r["citizens"] == 1]
    crowds = [r for r in results["runs"] if (r.get("think") or [0, 0])[1] and r["system"] == "citybot"]
    for run in crowds:
        limit = single[0]["p95_ms"] if single else None
        out.append(f"- {_kind(run)} over {run['channel']}: {run['turns_per_second']:.1f} turns/s answered, "
                   f"lost {run['lost']}, errors {run['errors']}, city-turn p95 {_ms(run['city_p95_ms'])} ms "
                   f"(target ≤ stock's single-citizen p95, {_ms(limit)} ms)")
    if "stock" in results and "citybot" in results:
        ready = results["citybot"]["ready_seconds"] / max(results["stock"]["ready_seconds"], 1e-9)
        extra = (sum(results["citybot"]["rss_at_rest_mib"].values())
                 - sum(results["stock"]["rss_at_rest_mib"].values()))
        out.append(f"- start-up: {ready:.2f}× stock's (target ≤ 1×); memory at rest: stock + {extra:,.0f} MiB "
                   "(target ≤ + 300 MiB)")
    scaled = sorted({r["system"] for r in closed if r["system"].startswith("citybot×")})
    if scaled:
        best = {name: max((r for r in closed if r["system"] == name),
                          key=lambda r: r["turns_per_second"]) for name in ("citybot", *scaled)
                if any(r["system"] == name for r in closed)}
        out.append("- several servers, best closed-loop level: " + "; ".join(
            f"{name} {run['turns_per_second']:.1f} turns/s (p95 {_ms(run['p95_ms'])} ms at "
            f"{run['citizens']})" for name, run in best.items())
            + (f"; stock {peak['stock']:.1f}" if peak["stock"] else ""))
    training = results.get("training", {})
    if "citybot_seconds" in training:
        out.append(f"- training from nothing: citybot {training['citybot_seconds']:.0f} s, stock "
                   f"{training['stock_seconds']:.0f} s: {training['citybot_seconds'] / training['stock_seconds']:.2f}× "
                   "(target ≤ 2×)")
    elif "stock_recorded" in training:
        rec = training["stock_recorded"]
        out.append(f"- training not measured in this run (`--train`); stock's took {rec['seconds']:.0f} s "
                   f"on {rec['when']}")
    return out


def plot(results: dict, path: Path) -> None:
    """p95 latency against turns per second, one line per system and channel (closed loop)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    closed = [r for r in results["runs"] if not (r.get("think") or [0, 0])[1]]
    for key in sorted({(r["system"], r["channel"]) for r in closed}):
        runs = [r for r in closed if (r["system"], r["channel"]) == key and r["p95_ms"] is not None]
        ax.plot([r["turns_per_second"] for r in runs], [r["p95_ms"] for r in runs], marker="o",
                label=" ".join(key))
        for r in runs:
            ax.annotate(str(r["citizens"]), (r["turns_per_second"], r["p95_ms"]), fontsize=8,
                        textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel("answered turns per second")
    ax.set_ylabel("p95 latency, ms")
    ax.set_yscale("log")
    ax.set_title("Closed loop: p95 against throughput (labels: concurrent citizens)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
