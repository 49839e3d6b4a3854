"""A tokenizer and word counts in front of a trainable NLU component, for its unit tests."""

from __future__ import annotations

from collections.abc import Callable

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def context(name: str, finetuning: bool = False) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name, is_finetuning=finetuning)


def featurized(
    storage: LocalModelStorage, data_yaml: str,
) -> tuple[TrainingData, Callable[[str], Message]]:
    """The training data of ``data_yaml`` tokenized and counted, and the same for a new text."""
    data = RasaYAMLReader().reads(data_yaml)
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

    return data, featurize
