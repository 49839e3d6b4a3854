"""Step 3-4: candidate classifiers on the cached features (featurize.py), for intents (faq one
intent) and for faq topics (the ResponseSelector's job); 3-fold cross-validation on the training
data (for choosing, without looking at the held-out sets) and the held-out figures of
tests/integration/test_nlu_heldout.py, with and without the out-of-domain gate.

Usage: nice -n 19 /work/main/.venv/bin/python experiments.py [--no-cv] [--only NAME ...]
Writes results/experiments.json and results/heldout_<candidate>.txt (misses).
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from common import AMBIGUITY, HERE, THRESHOLD, figures, parse_of, pct, starts_something

warnings.filterwarnings("ignore")
FOLDS = 3  # 5 would cost 5 fits of up to a minute each per candidate on this loaded machine


def block_matrix(blocks: dict, kind: str, use_weight: float = 1.0):
    """ngrams: word counts and char_wb 1-4 counts, each row L2-normalised, + regex matches;
    use: the 512-d USE vector; both: the two side by side."""
    parts = []
    if kind == "raw":  # what Rasa's LogisticRegressionClassifier reads: raw counts + USE
        return sp.hstack([blocks["regex"], blocks["cv_word"], blocks["cv_char"],
                          sp.csr_matrix(blocks["use"])]).tocsr()
    if kind in ("ngrams", "both"):
        parts += [normalize(blocks["cv_word"]), normalize(blocks["cv_char"]),
                  sp.csr_matrix(blocks["regex"])]
    if kind in ("use", "both"):
        parts.append(sp.csr_matrix(blocks["use"] * use_weight))
    return sp.hstack(parts).tocsr()


def stack_blocks(a: dict, b: dict) -> dict:
    return {k: (np.vstack([a[k], b[k]]) if k == "use" else sp.vstack([a[k], b[k]]).tocsr())
            for k in a}


def take(blocks: dict, idx) -> dict:
    return {k: v[idx] for k, v in blocks.items()}


CLASSIFIERS = {
    "lr_c1": lambda: LogisticRegression(C=1, max_iter=2000),
    "lr_c10": lambda: LogisticRegression(C=10, max_iter=2000),
    "lr_c100": lambda: LogisticRegression(C=100, max_iter=3000),
    "lr_c1000": lambda: LogisticRegression(C=1000, max_iter=5000),
    "svc_c0.3_sig": lambda: CalibratedClassifierCV(LinearSVC(C=0.3), cv=5, method="sigmoid"),
    "svc_c1_sig": lambda: CalibratedClassifierCV(LinearSVC(C=1), cv=5, method="sigmoid"),
    # Rasa 3.6's built-in LogisticRegressionClassifier, as it fixes its parameters
    "rasa_lr": lambda: LogisticRegression(C=1.0, solver="lbfgs", max_iter=100, tol=1e-4,
                                          class_weight="balanced", random_state=42),
    "sgd_log": lambda: SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, tol=None,
                                     random_state=0),
}


def candidates(only: list[str] | None) -> list[dict]:
    out = []
    for feats in ("ngrams", "use", "both"):
        for clf in CLASSIFIERS:
            if clf in ("sgd_log", "lr_c1000") and feats != "both":
                continue
            out.append({"name": f"{clf}+{feats}", "clf": clf, "feats": feats, "outside": False})
    out.append({"name": "rasa_lr+raw", "clf": "rasa_lr", "feats": "raw", "outside": False})
    # out_of_scope also learnt from the gate's own sentences (DIET never sees them)
    for clf in ("lr_c10", "lr_c100", "svc_c1_sig"):
        out.append({"name": f"{clf}+both+outside", "clf": clf, "feats": "both", "outside": True})
    if only:
        out = [c for c in out if c["name"] in only]
    return out


def fit(clf_name: str, X, y):
    model = CLASSIFIERS[clf_name]()
    t0 = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - t0


def probs_dicts(model, X) -> list[dict]:
    P = model.predict_proba(X)
    return [dict(zip(model.classes_, row)) for row in P]


def cv_scores(cand: dict, data: dict) -> dict:
    """FOLDS-fold CV on the training data: top-1 intent accuracy, the share of in-scope examples
    accepted right (after the 0.45/0.08 fallback), the share of out_of_scope examples that a
    service intent would take (after fallback), and the faq topic accuracy."""
    from bot.services import SERVICE_INTENTS

    y = np.asarray(data["intents"])
    X = block_matrix(data["train"], cand["feats"])
    skf = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    top = acc_ok = oos_leak = 0
    for tr, te in skf.split(X, y):
        Xtr, ytr = X[tr], y[tr]
        if cand["outside"]:
            Xtr = sp.vstack([Xtr, block_matrix(data["extra_blocks"], cand["feats"])]).tocsr()
            ytr = np.concatenate([ytr, ["out_of_scope"] * data["extra_blocks"]["use"].shape[0]])
        model, _ = fit(cand["clf"], Xtr, ytr)
        P = model.predict_proba(X[te])
        order = np.argsort(-P, axis=1)
        for i, j in enumerate(te):
            c1, c2 = P[i, order[i, 0]], P[i, order[i, 1]]
            pred = model.classes_[order[i, 0]]
            accepted = c1 >= THRESHOLD and c1 - c2 >= AMBIGUITY
            top += pred == y[j]
            if y[j] == "out_of_scope":
                oos_leak += accepted and pred in SERVICE_INTENTS
            else:
                acc_ok += accepted and pred == y[j]
    n_oos = int((y == "out_of_scope").sum())
    # faq topics
    faq = np.where(y == "faq")[0]
    keys = np.asarray(data["keys"])[faq]
    Xf = X[faq]
    topic_ok = 0
    for tr, te in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(Xf, keys):
        model, _ = fit(cand["clf"], Xf[tr], keys[tr])
        topic_ok += int((model.predict(Xf[te]) == keys[te]).sum())
    return {"cv_top1": top / len(y), "cv_in_scope_accepted_right": acc_ok / (len(y) - n_oos),
            "cv_oos_leak": oos_leak / n_oos, "cv_faq_topic": topic_ok / len(faq)}


def gate_flags(data: dict) -> np.ndarray:
    """Whether each held-out sentence's nearest training sentence (USE cosine, intent examples and
    the gate's own outside sentences) is out of scope: OutOfDomainGate with neighbours 1."""
    vecs = np.vstack([data["train"]["use"], data["extra_use"]])
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    outside = np.concatenate([np.asarray(data["intents"]) == "out_of_scope",
                              np.ones(len(data["extra_use"]), dtype=bool)])
    held = data["held"]["use"]
    held = held / np.maximum(np.linalg.norm(held, axis=1, keepdims=True), 1e-12)
    return outside[np.argmax(held @ vecs.T, axis=1)]


def heldout(cand: dict, data: dict, gate: np.ndarray) -> dict:
    y = np.asarray(data["intents"])
    X = block_matrix(data["train"], cand["feats"])
    if cand["outside"]:
        X = sp.vstack([X, block_matrix(data["extra_blocks"], cand["feats"])]).tocsr()
        y = np.concatenate([y, ["out_of_scope"] * data["extra_blocks"]["use"].shape[0]])
    model, seconds = fit(cand["clf"], X, y)
    faq = np.asarray(data["intents"]) == "faq"
    Xt = block_matrix(data["train"], cand["feats"])[faq]
    topic_model, topic_seconds = fit(cand["clf"], Xt, np.asarray(data["keys"])[faq])
    H = block_matrix(data["held"], cand["feats"])
    probs = probs_dicts(model, H)
    tprobs = probs_dicts(topic_model, H)
    # single-sentence prediction time (both models, features already computed)
    rows = [H[i] for i in range(0, H.shape[0], max(1, H.shape[0] // 200))]
    t0 = time.perf_counter()
    for r in rows:
        model.predict_proba(r)
        topic_model.predict_proba(r)
    predict_ms = (time.perf_counter() - t0) / len(rows) * 1000
    size = len(pickle.dumps(model)) + len(pickle.dumps(topic_model))
    items = data["items"]
    res = {"train_seconds": seconds, "topic_train_seconds": topic_seconds,
           "predict_ms": predict_ms, "pickle_bytes": size}
    for gated in (False, True):
        parses = [parse_of(it["text"], it["spelled"], p, tp, it["entities"],
                           bool(g) if gated else None)
                  for it, p, tp, g in zip(items, probs, tprobs, gate)]
        f = figures(items, parses)
        faq_items = [(it, tp) for it, tp in zip(items, tprobs)
                     if it["intent"] == "faq" and it["fresh"]]
        f["faq_topic_top1"] = (sum(max(tp, key=tp.get) == f"faq/{it['topic']}"
                                   for it, tp in faq_items), len(faq_items))
        res["gate" if gated else "nogate"] = f
        res[("gate" if gated else "nogate") + "_misses"] = misses(items, parses)
    return res


def misses(items, parses) -> list[str]:
    from common import understood
    out = []
    for it, p in zip(items, parses):
        if it["section"] in ("en_in_scope", "ru_in_scope") and it["fresh"]:
            if not understood(p, it["intent"], it["topic"]):
                got = p["intent"]["name"]
                if got == "faq":
                    sel = p["response_selector"]["faq"]["response"]
                    got += f" {sel['intent_response_key']} {sel['confidence']:.2f}"
                out.append(f"{it['section']}: {it['text']!r}: {it['intent']}"
                           f"{'/' + it['topic'] if it['topic'] else ''} -> {got} "
                           f"({p['top']} {p['intent_ranking'][0]['confidence']:.2f})")
        elif it["section"] in ("en_general", "ru_general"):
            s = starts_something(p)
            if s:
                out.append(f"{it['section']}: {it['text']!r} starts {s}")
        elif it["section"] == "en_smalltalk" and p["intent"]["name"] != it["intent"]:
            out.append(f"smalltalk: {it['text']!r}: {it['intent']} -> {p['intent']['name']}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    with open(HERE / "cache" / "features.pkl", "rb") as fh:
        data = pickle.load(fh)
    gate = gate_flags(data)
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / "experiments.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for cand in candidates(args.only):
        t0 = time.perf_counter()
        res = heldout(cand, data, gate)
        if not args.no_cv:
            res["cv"] = cv_scores(cand, data)
        elif cand["name"] in results and "cv" in results[cand["name"]]:
            res["cv"] = results[cand["name"]]["cv"]
        (out_dir / f"misses_{cand['name']}.txt").write_text(
            "\n".join(["# without gate", *res.pop("nogate_misses"), "", "# with gate",
                       *res.pop("gate_misses")]) + "\n", encoding="utf-8")
        results[cand["name"]] = {**cand, **res}
        path.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        f, g = res["nogate"], res["gate"]
        print(f"{cand['name']}: {time.perf_counter() - t0:.0f} s; train {res['train_seconds']:.1f}"
              f" s; en earlier {pct(f['en_earlier'])} / gate {pct(g['en_earlier'])}; en added "
              f"{pct(f['en_added'])} / {pct(g['en_added'])}; en leak {pct(f['en_general_leak'])}"
              f" / {pct(g['en_general_leak'])}; talk {pct(f['en_smalltalk'])}; ru earlier "
              f"{pct(f['ru_earlier'])} / {pct(g['ru_earlier'])}; ru added {pct(f['ru_added'])} /"
              f" {pct(g['ru_added'])}; ru leak {pct(f['ru_general_leak'])} / "
              f"{pct(g['ru_general_leak'])}; {res.get('cv')}", flush=True)


if __name__ == "__main__":
    main()
