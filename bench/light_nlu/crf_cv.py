"""Step 5: Rasa's CRFEntityExtractor (its default config: sklearn-crfsuite, BILOU, lexical token
features, no dense features) by 5-fold cross-validation on the training data.

Folds are drawn over every intent example (as Rasa trains the CRF on all of them, unannotated ones
teaching it where there is no entity), stratified by intent. Scores: exact spans (entity type,
start, end) on the annotated examples of each test fold; false positives on the unannotated test
examples are counted apart (some of those sentences do name a street or a date that simply was not
annotated). RegexEntityExtractor (config.yml's: regexes only) is scored the same way for
request_id and account_number, and the CRF + regex union as the pipeline would output them.

Usage: nice -n 19 /work/main/.venv/bin/python crf_cv.py   -> results/crf_cv.json, printed table
"""

from __future__ import annotations

import json
import time
from collections import Counter

import numpy as np
from sklearn.model_selection import StratifiedKFold

from common import (HERE, CRFEntityExtractor, RegexEntityExtractor, RegexFeaturizer,
                    WhitespaceTokenizer, load_training, make)
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def spans(entities) -> set[tuple[str, int, int]]:
    return {(e["entity"], e["start"], e["end"]) for e in entities or []}


def fresh(messages: list[Message], tok, feat) -> list[Message]:
    out = [Message(data={TEXT: m.get(TEXT)}) for m in messages]
    tok.process(out)
    feat.process(out)
    return out


def main() -> None:
    td = load_training()
    examples = td.intent_examples
    tok = make(WhitespaceTokenizer, "tok", {})
    # CRF training skips messages without features; the regex featurizer gives every one some
    # (the CRF's default config reads none of them: its features are the tokens' own)
    feat = make(RegexFeaturizer, "regex", {"case_sensitive": False, "use_lookup_tables": True,
                                           "use_regexes": True})
    tok.process_training_data(td)
    feat.train(td)
    feat.process_training_data(td)
    y = np.asarray([m.get("intent") for m in examples])
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    tp, fp, fn = Counter(), Counter(), Counter()
    rtp, rfp, rfn = Counter(), Counter(), Counter()
    utp, ufp, ufn = Counter(), Counter(), Counter()
    spurious = Counter()
    unannotated = 0
    seconds, predict_ms = [], []
    for fold, (tr, te) in enumerate(skf.split(examples, y)):
        fold_td = TrainingData(training_examples=[examples[i] for i in tr],
                               entity_synonyms=td.entity_synonyms,
                               regex_features=td.regex_features, lookup_tables=td.lookup_tables)
        crf = make(CRFEntityExtractor, f"crf{fold}", {})
        rx = make(RegexEntityExtractor, f"rx{fold}", {"case_sensitive": False,
                                                      "use_lookup_tables": False,
                                                      "use_regexes": True,
                                                      "use_word_boundaries": True})
        t0 = time.perf_counter()
        crf.train(fold_td)
        seconds.append(time.perf_counter() - t0)
        rx.train(fold_td)
        gold = [examples[i] for i in te]
        test = fresh(gold, tok, feat)
        t0 = time.perf_counter()
        for m in test:
            crf.process([m])
        predict_ms.append((time.perf_counter() - t0) / len(test) * 1000)
        crf_pred = [spans(m.get(ENTITIES)) for m in test]
        test2 = fresh(gold, tok, feat)
        rx.process(test2)
        rx_pred = [spans(m.get(ENTITIES)) for m in test2]
        for g, p, r in zip(gold, crf_pred, rx_pred):
            want = spans(g.get(ENTITIES))
            union = p | r
            if not want:
                unannotated += 1
                for e in p:
                    spurious[e[0]] += 1
                continue
            for counters, got in (((tp, fp, fn), p), ((utp, ufp, ufn), union)):
                a, b, c = counters
                for e in got & want:
                    a[e[0]] += 1
                for e in got - want:
                    b[e[0]] += 1
                for e in want - got:
                    c[e[0]] += 1
            for e in r & want:
                rtp[e[0]] += 1
            for e in r - want:
                rfp[e[0]] += 1
            for e in want - r:
                if e[0] in ("request_id", "account_number"):
                    rfn[e[0]] += 1
        print(f"fold {fold}: CRF trained in {seconds[-1]:.1f} s", flush=True)

    def table(a, b, c, names):
        rows = {}
        for n in names:
            p = a[n] / max(1, a[n] + b[n])
            r = a[n] / max(1, a[n] + c[n])
            rows[n] = {"support": a[n] + c[n], "tp": a[n], "fp": b[n], "fn": c[n],
                       "precision": p, "recall": r,
                       "f1": 2 * p * r / max(1e-9, p + r)}
        A, B, C = sum(a.values()), sum(b.values()), sum(c.values())
        p, r = A / max(1, A + B), A / max(1, A + C)
        rows["micro"] = {"support": A + C, "tp": A, "fp": B, "fn": C, "precision": p,
                         "recall": r, "f1": 2 * p * r / max(1e-9, p + r)}
        return rows

    names = sorted(set(tp) | set(fn) | set(fp))
    result = {
        "annotated_examples": sum(bool(m.get(ENTITIES)) for m in examples),
        "all_examples": len(examples),
        "crf": table(tp, fp, fn, names),
        "crf_plus_regex": table(utp, ufp, ufn, names),
        "regex_only": table(rtp, rfp, rfn, ["request_id", "account_number"]),
        "spurious_on_unannotated": dict(spurious), "unannotated_test_examples": unannotated,
        "train_seconds_per_fold": seconds, "crf_predict_ms_per_sentence": float(np.mean(predict_ms)),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "crf_cv.json").write_text(json.dumps(result, indent=1))
    for name in ("crf", "crf_plus_regex", "regex_only"):
        print(f"\n{name}")
        for n, r in result[name].items():
            print(f"  {n:16s} support {r['support']:4d}  P {r['precision']:.3f}  "
                  f"R {r['recall']:.3f}  F1 {r['f1']:.3f}")
    print("spurious on", unannotated, "unannotated:", dict(spurious))
    print("train s per fold", [round(s, 1) for s in seconds], "predict ms", result["crf_predict_ms_per_sentence"])


if __name__ == "__main__":
    main()
