"""End-to-end cost of a light pipeline, from raw data to a served single-sentence parse:
training seconds (featurizers, USE on the training data, intent and faq topic classifiers, CRF,
gate vectors), per-sentence latency by stage (one sentence at a time, as served), resident
memory and pickled sizes.

Usage: nice -n 19 /work/main/.venv/bin/python timing.py CANDIDATE [CANDIDATE ...]
  (candidate names as in experiments.py, e.g. lr_c100+both)  -> results/timing_<name>.json
"""

from __future__ import annotations

import gc
import json
import pickle
import sys
import time

import numpy as np

from common import HERE, Featurizer, heldout_items, load_training, parse_of
from experiments import CLASSIFIERS, block_matrix, candidates
from featurize import entity_pipeline


def rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(names: list[str]) -> None:
    import scipy.sparse as sp

    from bot.nlu.ood_gate import _outside_sentences

    gc.collect()
    rss0 = rss_mb()
    t_all = time.perf_counter()
    td = load_training()
    t_load = time.perf_counter() - t_all
    examples = td.intent_examples
    fz = Featurizer(td)  # includes loading USE's weights
    rss_feat = rss_mb()
    t0 = time.perf_counter()
    train = fz.matrices(examples)
    t_train_matrices = time.perf_counter() - t0
    extractors, crf_seconds = entity_pipeline(td)
    t0 = time.perf_counter()
    extra = _outside_sentences({"outside": "bot/nlu/out_of_domain.yml"})
    extra_use = np.asarray(fz.use.encode(extra), dtype=np.float32)
    gate_vecs = np.vstack([train["use"], extra_use])
    gate_vecs /= np.maximum(np.linalg.norm(gate_vecs, axis=1, keepdims=True), 1e-12)
    gate_out = np.concatenate([np.asarray([m.get("intent") for m in examples]) == "out_of_scope",
                               np.ones(len(extra), dtype=bool)])
    t_gate = time.perf_counter() - t0
    common_seconds = time.perf_counter() - t_all
    y = np.asarray([m.get("intent") for m in examples])
    keys = np.asarray([m.get("intent_response_key") for m in examples])
    items = heldout_items()
    texts = [it["text"] for it in items][::4][:200]
    results = {}
    for cand in [c for c in candidates(None) if c["name"] in names]:
        X = block_matrix(train, cand["feats"])
        yy = y
        t0 = time.perf_counter()
        if cand["outside"]:
            eb = fz.matrices(fz.messages(extra, spell=False), use=extra_use)
            X = sp.vstack([X, block_matrix(eb, cand["feats"])]).tocsr()
            yy = np.concatenate([y, ["out_of_scope"] * len(extra)])
        model = CLASSIFIERS[cand["clf"]]().fit(X, yy)
        t_intent = time.perf_counter() - t0
        t0 = time.perf_counter()
        faq = y == "faq"
        topic = CLASSIFIERS[cand["clf"]]().fit(block_matrix(train, cand["feats"])[faq], keys[faq])
        t_topic = time.perf_counter() - t0
        rss_model = rss_mb()
        stages = {k: [] for k in ("spell", "tokenize", "regex", "cv_word+cv_char", "use",
                                  "intent+topic", "entities", "gate+fallback", "total")}
        for text in texts:
            t_start = time.perf_counter()
            from rasa.shared.nlu.training_data.message import Message
            m = Message(data={"text": text})
            t = time.perf_counter()
            fz.spell.process([m])
            stages["spell"].append(time.perf_counter() - t)
            t = time.perf_counter()
            fz.tok.process([m])
            stages["tokenize"].append(time.perf_counter() - t)
            t = time.perf_counter()
            fz.parts["regex"].process([m])
            stages["regex"].append(time.perf_counter() - t)
            t = time.perf_counter()
            fz.parts["cv_word"].process([m])
            fz.parts["cv_char"].process([m])
            stages["cv_word+cv_char"].append(time.perf_counter() - t)
            t = time.perf_counter()
            vec = np.asarray(fz.use.encode([m.get("text")]), dtype=np.float32)
            stages["use"].append(time.perf_counter() - t)
            t = time.perf_counter()
            row = block_matrix(fz.matrices([m], use=vec), cand["feats"])
            p = dict(zip(model.classes_, model.predict_proba(row)[0]))
            tp = dict(zip(topic.classes_, topic.predict_proba(row)[0]))
            stages["intent+topic"].append(time.perf_counter() - t)
            t = time.perf_counter()
            for comp in extractors:
                comp.process([m])
            stages["entities"].append(time.perf_counter() - t)
            t = time.perf_counter()
            v = vec[0] / (np.linalg.norm(vec[0]) or 1.0)
            outside = bool(gate_out[int(np.argmax(gate_vecs @ v))])
            parse_of(text, m.get("text"), p, tp, m.get("entities") or [], outside)
            stages["gate+fallback"].append(time.perf_counter() - t)
            stages["total"].append(time.perf_counter() - t_start)
        res = {
            "training_seconds": {
                "load_data": t_load, "featurizers_incl_use_load": fz.train_seconds,
                "train_matrices_incl_use_encoding": t_train_matrices, "crf": crf_seconds,
                "gate_vectors": t_gate, "shared_total": common_seconds,
                "intent_classifier": t_intent, "faq_topic_classifier": t_topic,
                "total": common_seconds + t_intent + t_topic},
            "latency_ms": {k: {"mean": 1000 * float(np.mean(v)),
                               "p50": 1000 * float(np.median(v)),
                               "p95": 1000 * float(np.percentile(v, 95))}
                           for k, v in stages.items()},
            "rss_mb": {"start": rss0, "after_featurizers_and_use": rss_feat,
                       "after_models": rss_model},
            "pickle_bytes": {"intent": len(pickle.dumps(model)), "topic": len(pickle.dumps(topic)),
                             "crf": len(pickle.dumps(extractors[0].entity_taggers)),
                             "count_vectorizers": sum(len(pickle.dumps(fz.parts[n].vectorizers))
                                                      for n in ("cv_word", "cv_char")),
                             "gate_vectors": int(gate_vecs.nbytes)},
            "sentences_timed": len(texts),
        }
        results[cand["name"]] = res
        (HERE / "results" / f"timing_{cand['name']}.json").write_text(json.dumps(res, indent=1))
        print(cand["name"], json.dumps(res, indent=1), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
