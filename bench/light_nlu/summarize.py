"""Prints the candidates' figures (results/experiments.json) and the DIET reference as markdown."""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
R = json.loads((HERE / "results" / "experiments.json").read_text())
D = json.loads((HERE / "results" / "diet_reference.json").read_text())


def p(pair):
    ok, n = pair
    return f"{100 * ok / max(1, n):.1f}"


COLS = [("en_earlier", "EN earlier"), ("en_added", "EN added"), ("en_general_leak", "EN general leak"),
        ("en_smalltalk", "EN small talk"), ("ru_earlier", "RU earlier"), ("ru_added", "RU added"),
        ("ru_general_leak", "RU general leak"), ("ru_smalltalk", "RU small talk"),
        ("faq_understood", "FAQ understood"), ("faq_topic_top1", "FAQ topic top-1"),
        ("bench_intent_acc", "bench top-1 intent"), ("bench_oos_leak", "bench OOS leak")]


def table(which):
    head = "| candidate | " + " | ".join(c for _, c in COLS) + " |"
    lines = [head, "|" + "---|" * (len(COLS) + 1)]
    f = D["figures"]
    lines.append("| **DIET ensemble + RS (+gate)** | " + " | ".join(p(f[k]) for k, _ in COLS) + " |")
    for name, r in R.items():
        f = r[which]
        lines.append(f"| {name} | " + " | ".join(p(f[k]) for k, _ in COLS) + " |")
    return "\n".join(lines)


def cv():
    lines = ["| candidate | CV top-1 intent | CV in-scope accepted & right | CV out_of_scope taken by a service | CV faq topic | train s (intent) | train s (topic) | predict ms (both, features given) | pickled KB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in sorted(R.items(), key=lambda kv: -(kv[1].get("cv") or {}).get("cv_in_scope_accepted_right", 0)):
        c = r.get("cv")
        cvs = " | ".join(f"{100 * c[k]:.1f}" for k in ("cv_top1", "cv_in_scope_accepted_right", "cv_oos_leak", "cv_faq_topic")) if c else "- | - | - | -"
        lines.append(f"| {name} | {cvs} | {r['train_seconds']:.1f} | {r['topic_train_seconds']:.1f} | {r['predict_ms']:.2f} | {r['pickle_bytes'] / 1024:.0f} |")
    return "\n".join(lines)


print("## with gate\n" + table("gate") + "\n\n## without gate\n" + table("nogate") + "\n\n## CV\n" + cv())
