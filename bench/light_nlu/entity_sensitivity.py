"""How much the held-out figures of a candidate depend on the entity extractor: the same intent and
topic probabilities, with the CRF+regex entities (as reported) and with no entities at all (then
no inform->service route and no city-thing exemption from the gate).

Usage: nice -n 19 /work/main/.venv/bin/python entity_sensitivity.py [CANDIDATE]
"""
import json
import pickle
import sys

import numpy as np

from common import HERE, figures, parse_of, pct
from experiments import block_matrix, candidates, fit, gate_flags, probs_dicts

name = sys.argv[1] if len(sys.argv) > 1 else "lr_c1000+both"
cand = next(c for c in candidates(None) if c["name"] == name)
data = pickle.load(open(HERE / "cache" / "features.pkl", "rb"))
gate = gate_flags(data)
y = np.asarray(data["intents"])
X = block_matrix(data["train"], cand["feats"])
model, _ = fit(cand["clf"], X, y)
topic, _ = fit(cand["clf"], X[y == "faq"], np.asarray(data["keys"])[y == "faq"])
H = block_matrix(data["held"], cand["feats"])
probs, tprobs = probs_dicts(model, H), probs_dicts(topic, H)
items = data["items"]
out = {}
for label, ents in (("crf_regex", lambda it: it["entities"]), ("none", lambda it: [])):
    parses = [parse_of(it["text"], it["spelled"], p, tp, ents(it), bool(g))
              for it, p, tp, g in zip(items, probs, tprobs, gate)]
    out[label] = figures(items, parses)
    print(label, {k: pct(v) for k, v in out[label].items()})
(HERE / "results" / f"entity_sensitivity_{name}.json").write_text(json.dumps(out, indent=1))
