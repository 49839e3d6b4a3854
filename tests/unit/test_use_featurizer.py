"""The USE sentence featurizer: one 512-d dense sentence feature per text, and DIET trains on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ACTION_NAME, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.use_featurizer import EMBEDDING_DIM, UniversalSentenceEncoderFeaturizer


def context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


@pytest.fixture(scope="module")
def featurizer() -> UniversalSentenceEncoderFeaturizer:
    config = UniversalSentenceEncoderFeaturizer.get_default_config()
    return UniversalSentenceEncoderFeaturizer(config, context("use"))


def sentence_vector(message: Message) -> np.ndarray:
    _, sentence = message.get_dense_features(TEXT)
    assert sentence is not None
    return sentence.features


def test_each_text_gets_one_normalised_512_d_sentence_feature_and_no_sequence_feature(
    featurizer,
):
    messages = [
        Message(data={TEXT: "there is a pothole outside my house"}),
        Message(data={TEXT: ""}),
    ]

    featurizer.process(messages)

    for message in messages:
        sequence, sentence = message.get_dense_features(TEXT)
        assert sequence is None
        assert sentence.features.shape == (1, EMBEDDING_DIM)
        assert np.linalg.norm(sentence.features) == pytest.approx(1.0, abs=1e-4)


def test_a_message_without_text_is_left_alone(featurizer):
    message = Message(data={ACTION_NAME: "action_listen"})

    featurizer.process([message])

    assert message.features == []


def test_a_paraphrase_lands_closer_than_an_unrelated_request(featurizer):
    pothole, paraphrase, recipe = (
        Message(data={TEXT: text})
        for text in (
            "there is a pothole in the road",
            "the street has a big hole",
            "recipe for soup",
        )
    )

    featurizer.process([pothole, paraphrase, recipe])

    anchor = sentence_vector(pothole)[0]
    assert anchor @ sentence_vector(paraphrase)[0] > anchor @ sentence_vector(recipe)[0]


def test_diet_trains_on_sparse_features_plus_the_dense_sentence_feature(featurizer, tmp_path: Path):
    examples = [
        ("there is a pothole on my street", "report_problem"),
        ("the streetlight is broken", "report_problem"),
        ("where is the nearest service centre", "find_office"),
        ("which office is open near me", "find_office"),
    ]
    data = TrainingData([Message(data={TEXT: text, INTENT: intent}) for text, intent in examples])
    storage = LocalModelStorage(tmp_path)
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    counts = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context("cvf")
    )
    diet = DIETClassifier.create(
        {
            **DIETClassifier.get_default_config(),
            "epochs": 2,
            "entity_recognition": False,
            "constrain_similarities": True,
        },
        storage,
        Resource("diet"),
        context("diet"),
    )

    tokenizer.process_training_data(data)
    counts.train(data)
    counts.process_training_data(data)
    featurizer.process_training_data(data)
    diet.train(data)

    text_sentence = diet.model.data_signature[TEXT]["sentence"]
    assert [(f.is_sparse, f.units) for f in text_sentence if not f.is_sparse] == [
        (False, EMBEDDING_DIM)
    ]

    message = Message(data={TEXT: "a hole in the road"})
    tokenizer.process([message])
    counts.process([message])
    featurizer.process([message])
    diet.process([message])
    assert message.get(INTENT)["name"] in {"report_problem", "find_office"}
