"""DIET and the response selector loaded without a training step read exactly as trained."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.fast_load import QuickLoadingDIETClassifier, QuickLoadingResponseSelector

DATA = """
version: "3.1"
nlu:
- intent: report_problem
  examples: |
    - there is a pothole on [tverskaya](street)
    - the streetlight on [arbat](street) is broken
    - graffiti on the wall at [petrovka](street)
- intent: find_office
  examples: |
    - where is the nearest service centre
    - which office is open near [arbat](street)
    - office hours near [tverskaya](street)
- intent: faq/passport
  examples: |
    - how do i get a passport
    - where do i renew my passport
- intent: faq/parking_permit
  examples: |
    - how do i get a parking permit
    - resident parking for my car
responses:
  utter_faq/passport:
  - text: Passports are issued at service centres.
  utter_faq/parking_permit:
  - text: Resident parking permits are issued online.
"""
SENTENCES = ("a broken streetlight on tverskaya", "nearest office please",
             "renew passport", "parking near my house", "zzkq vlorp")


def context(name: str, finetuning: bool = False) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name, is_finetuning=finetuning)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Training data run through a tokenizer and counts, the storage, and a featurizer."""
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("storage")))
    data = RasaYAMLReader().reads(DATA)
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    counts = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context("cvf"))
    tokenizer.process_training_data(data)
    counts.train(data)
    counts.process_training_data(data)

    def featurize(text: str) -> Message:
        message = Message(data={TEXT: text})
        tokenizer.process([message])
        counts.process([message])
        return message

    return data, storage, featurize


def readings(component, featurize) -> list[dict]:  # noqa: ANN001
    out = []
    for text in SENTENCES:
        message = featurize(text)
        component.process([message])
        out.append(message.as_dict(only_output_properties=True))
    return out


@pytest.mark.parametrize(("component", "config"), [
    (QuickLoadingDIETClassifier, {}),
    (QuickLoadingResponseSelector, {"retrieval_intent": "faq"}),
], ids=["diet", "response-selector"])
def test_a_loaded_model_reads_as_the_trained_one_without_a_training_step(
    pipeline, component, config,
):
    data, storage, featurize = pipeline
    config = {**component.get_default_config(), "epochs": 5, "random_seed": 3, **config}
    resource = Resource(f"{component.__name__}-model")
    trained = component.create(config, storage, resource, context("train"))
    trained.train(data)

    loaded = component.load(config, storage, resource, context("read"))
    # Fine-tuning needs the optimizer: that load is Rasa's, with its training step.
    for_finetuning = component.load(config, storage, resource, context("tune", finetuning=True))

    assert loaded.model.optimizer is None
    assert for_finetuning.model.optimizer is not None
    expected = readings(trained, featurize)
    assert_same(readings(loaded, featurize), expected)
    assert_same(readings(for_finetuning, featurize), expected)


def assert_same(got: list[dict], expected: list[dict]) -> None:
    """Same intents, rankings (to 1e-5), entities and selected responses."""
    for a, b in zip(got, expected, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if key == ENTITIES:
                assert [(e["entity"], e["start"], e["end"]) for e in a[key]] == \
                    [(e["entity"], e["start"], e["end"]) for e in b[key]]
            else:
                assert _rounded(a[key]) == _rounded(b[key]), key


def _rounded(value):  # noqa: ANN001, ANN202
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value
