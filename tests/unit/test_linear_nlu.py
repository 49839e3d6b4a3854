"""The linear intent classifier and response selector: what they read, what they set, and that a
loaded model reads as the trained one."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.linear import LinearIntentClassifier, LinearResponseSelector, layout, matrix
from tests.unit.nlu_pipeline import context, featurized

DATA = """
version: "3.1"
nlu:
- intent: report_problem
  examples: |
    - a deep pothole outside pokrovka 5
    - broken lamp post on arbat
    - rubbish everywhere near tverskaya
    - the streetlight is broken
- intent: find_office
  examples: |
    - closest public service centre
    - is the office on petrovka open
    - centre opening hours near arbat
    - where is the nearest office
- intent: faq/passport
  examples: |
    - how do i get a passport
    - where do i renew my passport
    - passport renewal
- intent: faq/parking_permit
  examples: |
    - how do i get a parking permit
    - resident parking for my car
    - parking permit for residents
responses:
  utter_faq/passport:
  - text: Passports are issued at service centres.
  utter_faq/parking_permit:
  - text: Resident parking permits are issued online.
"""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Training data run through a tokenizer and word counts, the storage, and a featurizer."""
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("storage")))
    data, featurize = featurized(storage, DATA)
    return data, storage, featurize


def trained(component, pipeline, name: str, **config):  # noqa: ANN001, ANN201
    data, storage, _ = pipeline
    config = {**component.get_default_config(), "normalised": ["cvf"], **config}
    made = component.create(config, storage, Resource(name), context(name))
    made.train(data)
    return made, config


def readings(message) -> list[tuple[str, float]]:  # noqa: ANN001
    return [(r["name"], round(r["confidence"], 6)) for r in message.get(INTENT_RANKING_KEY)]


def test_the_intent_and_a_ranking_of_every_intent_likeliest_first(pipeline):
    classifier, _ = trained(LinearIntentClassifier, pipeline, "intents")
    message = pipeline[2]("the lamp post on my street is broken")

    classifier.process([message])

    ranking = message.get(INTENT_RANKING_KEY)
    assert message.get(INTENT)["name"] == "report_problem"
    assert message.get(INTENT) == ranking[0]
    assert {r["name"] for r in ranking} == {"report_problem", "find_office", "faq"}
    assert [r["confidence"] for r in ranking] == sorted(
        (r["confidence"] for r in ranking), reverse=True)
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_the_ranking_is_cut_at_its_configured_length(pipeline):
    classifier, _ = trained(LinearIntentClassifier, pipeline, "short", ranking_length=2)
    message = pipeline[2]("where is the office")

    classifier.process([message])

    assert message.get(INTENT)["name"] == "find_office"
    assert len(message.get(INTENT_RANKING_KEY)) == 2


def test_counts_are_read_as_proportions_not_lengths(pipeline):
    """Word counts are scaled to unit length: a word said three times reads as said once."""
    classifier, _ = trained(LinearIntentClassifier, pipeline, "scaled")
    once, thrice = pipeline[2]("broken office"), pipeline[2]("broken office broken office "
                                                             "broken office")

    classifier.process([once, thrice])

    assert readings(thrice) == readings(once)
    blocks = classifier._model["blocks"]
    assert [block.normalised for block in blocks] == [True]
    row = matrix([thrice], blocks)
    assert row.multiply(row).sum() == pytest.approx(1.0)


def test_a_sentence_read_alone_or_with_others_reads_the_same(pipeline):
    """The parse batcher hands several citizens' messages over at once."""
    classifier, _ = trained(LinearIntentClassifier, pipeline, "batch")
    texts = ["renew my passport", "zzkq vlorp", "the office near arbat"]
    alone = [pipeline[2](text) for text in texts]
    together = [pipeline[2](text) for text in texts]

    for message in alone:
        classifier.process([message])
    classifier.process(together)

    for a, b in zip(alone, together, strict=True):
        assert readings(a) == readings(b)


def test_the_response_is_set_as_rasas_response_selector_sets_it(pipeline):
    data, storage, featurize = pipeline
    selector, _ = trained(LinearResponseSelector, pipeline, "topics")
    rasa_selector = ResponseSelector.create(
        {**ResponseSelector.get_default_config(), "epochs": 1, "retrieval_intent": "faq"},
        storage, Resource("rasa-selector"), context("rasa-selector"))
    rasa_selector.train(data)
    ours, rasas = featurize("i need to renew my passport"), featurize("i need to renew my passport")

    selector.process([ours])
    rasa_selector.process([rasas])

    got, expected = ours.get("response_selector"), rasas.get("response_selector")
    assert got.keys() == expected.keys()
    assert got["all_retrieval_intents"] == expected["all_retrieval_intents"] == ["faq"]
    assert got["faq"].keys() == expected["faq"].keys()
    assert got["faq"]["response"].keys() == expected["faq"]["response"].keys()
    assert got["faq"]["ranking"][0].keys() <= expected["faq"]["ranking"][0].keys()
    response = got["faq"]["response"]
    assert response["intent_response_key"] == "faq/passport"
    assert response["utter_action"] == "utter_faq/passport"
    assert response["responses"] == [{"text": "Passports are issued at service centres."}]
    assert response["confidence"] == got["faq"]["ranking"][0]["confidence"] > 0.5
    assert [r["intent_response_key"] for r in got["faq"]["ranking"]] == [
        "faq/passport", "faq/parking_permit"]


def test_the_selector_learns_only_from_its_retrieval_intents_examples(pipeline):
    selector, _ = trained(LinearResponseSelector, pipeline, "only-faq")

    assert set(selector._model["classifier"].classes_) == {"faq/passport", "faq/parking_permit"}


@pytest.mark.parametrize("component", [LinearIntentClassifier, LinearResponseSelector])
def test_a_loaded_model_reads_as_the_trained_one(pipeline, component):
    _, storage, featurize = pipeline
    name = f"{component.__name__}-saved"
    made, config = trained(component, pipeline, name)

    loaded = component.load(config, storage, Resource(name), context(name))
    before, after = featurize("parking for my car"), featurize("parking for my car")
    made.process([before])
    loaded.process([after])

    assert after.as_dict(only_output_properties=True) == before.as_dict(
        only_output_properties=True)
    assert before.get(INTENT) or before.get("response_selector")


def test_nothing_to_learn_leaves_messages_as_they_are(tmp_path):
    storage = LocalModelStorage(tmp_path)
    config = LinearResponseSelector.get_default_config()
    selector = LinearResponseSelector.create(config, storage, Resource("empty"), context("empty"))
    selector.train(TrainingData())
    loaded = LinearResponseSelector.load(config, storage, Resource("empty"), context("empty"))
    _, featurize = featurized(storage, DATA)
    message = featurize("how do i get a passport")

    loaded.process([message])

    assert message.get("response_selector") is None


def test_the_layout_names_each_featurizer_once_in_a_fixed_order(pipeline):
    data, _, _ = pipeline

    blocks = layout(data.intent_examples, ["CountVectorsFeaturizer"])

    assert [(block.origin, block.normalised) for block in blocks] == [("cvf", False)]
    assert blocks[0].width == matrix(data.intent_examples[:1], blocks).shape[1]


def test_a_message_of_words_never_trained_on_is_a_guess(pipeline):
    """Read from letters alone, the model's reading is scaled down below the fallback's bar."""
    classifier, config = trained(LinearIntentClassifier, pipeline, "unfamiliar")
    unknown, known = pipeline[2]("xkcd pqrs vvvv"), pipeline[2]("xkcd pqrs office")
    unscaled = pipeline[2]("xkcd pqrs vvvv")

    classifier.process([unknown, known])
    LinearIntentClassifier(
        {**config, "unfamiliar_scale": 1.0}, pipeline[1], Resource("unfamiliar"),
        context("unfamiliar"), classifier._model).process([unscaled])

    assert [r["name"] for r in unknown.get(INTENT_RANKING_KEY)] == [
        r["name"] for r in unscaled.get(INTENT_RANKING_KEY)]
    for scaled, whole in zip(unknown.get(INTENT_RANKING_KEY), unscaled.get(INTENT_RANKING_KEY)):
        assert scaled["confidence"] == pytest.approx(whole["confidence"] * 0.5)
    assert sum(r["confidence"] for r in known.get(INTENT_RANKING_KEY)) == pytest.approx(1.0)
