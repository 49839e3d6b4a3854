"""DIET and the response selector loaded without a training step read exactly as trained."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES

from bot.nlu.fast_load import QuickLoadingDIETClassifier, QuickLoadingResponseSelector
from tests.unit.nlu_pipeline import context, featurized

DATA = """
version: "3.1"
nlu:
- intent: report_problem
  examples: |
    - a deep pothole outside [pokrovka](street) 5
    - broken lamp post on [arbat](street)
    - rubbish everywhere near [tverskaya](street)
- intent: find_office
  examples: |
    - closest public service centre
    - is the office on [petrovka](street) open
    - centre opening hours near [arbat](street)
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


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Training data run through a tokenizer and counts, the storage, and a featurizer."""
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("storage")))
    data, featurize = featurized(storage, DATA)
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
