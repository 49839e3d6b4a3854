"""The held-out sets keep up with the domain: the Russian one covers every intent and FAQ topic."""

from __future__ import annotations

import yaml

from bot.config import ROOT
from bot.notify.notices import INTENT_PREFIX
from tests.heldout import plain, texts, trained_sentences

HELDOUT_RU = yaml.safe_load((ROOT / "tests/nlu/heldout_ru.yml").read_text(encoding="utf-8"))
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def _names(entries: list) -> set[str]:
    """Intent names, whether listed plainly or with properties (``- greet: {...}``)."""
    return {e if isinstance(e, str) else next(iter(e)) for e in entries}


def test_the_russian_set_covers_every_intent_and_faq_topic():
    # never typed: the notifier's external events (bot.notify.notices.INTENTS) have no NLU
    intents = {i for i in _names(DOMAIN["intents"]) - {"out_of_scope", "nlu_fallback"}
               if not i.startswith(INTENT_PREFIX)}
    topics = {name.removeprefix("utter_faq/") for name in DOMAIN["responses"]
              if name.startswith("utter_faq/")}
    assert set(HELDOUT_RU["in_scope"]) == intents
    assert set(HELDOUT_RU["in_scope"]["faq"]) == topics
    sentences = [t for k, v in HELDOUT_RU["in_scope"].items() if k != "faq" for t in v]
    sentences += [t for v in HELDOUT_RU["in_scope"]["faq"].values() for t in v]
    assert len(sentences) >= 150 and len(HELDOUT_RU["general"]) >= 100
    assert len({t.lower() for t in sentences}) == len(sentences)  # no sentence twice


def test_no_held_out_sentence_is_training_data():
    """Held-out sentences measure the assistant: none of three words or more is trained on
    (shorter ones, "да", "до свидания", people write alike; the measurement leaves them out)."""
    trained = trained_sentences()
    for name in ("heldout.yml", "heldout_ru.yml"):
        held = yaml.safe_load((ROOT / "tests/nlu" / name).read_text(encoding="utf-8"))
        leaked = [t for t in texts(held) if len(plain(t).split()) >= 3 and plain(t) in trained]
        assert not leaked, f"{name}: held-out sentences in data/nlu: {leaked}"


def test_no_bench_held_out_sentence_is_training_data():
    """The NLU bench's held-out set (bench/nlu_holdout.yml) holds the English in-scope sentences
    the held-out test measures: the same rule."""
    bench = yaml.safe_load((ROOT / "bench/nlu_holdout.yml").read_text(encoding="utf-8"))
    sentences = [line.strip()[2:] for block in bench["nlu"] if block["intent"] != "out_of_scope"
                 for line in block["examples"].splitlines() if line.strip().startswith("- ")]
    trained = trained_sentences()
    leaked = [t for t in sentences if len(plain(t).split()) >= 3 and plain(t) in trained]
    assert len(sentences) >= 80 and not leaked, f"held-out sentences in data/nlu: {leaked}"
