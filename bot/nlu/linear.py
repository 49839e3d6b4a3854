"""Intents and FAQ topics read by multinomial logistic regression on the sentence features.

The featurizers before these components give every message one vector per featurizer: word and
``char_wb`` 1-4 counts, the regex and lookup matches, the 512-d sentence encoding. A linear model
over those, each count block L2-normalised, reads the held-out sentences as well as the three
DIET models it replaces did, or better, everywhere but curated FAQ answers; it trains in about
two minutes instead of 15-45 and reads a sentence in a few milliseconds instead of about 60
(bench/light_nlu/REPORT.md, docs/performance.md). The fit is deterministic: no seed lottery,
so no ensemble of seeds either.

``LinearIntentClassifier`` sets the intent and its ranking as Rasa's classifiers do;
``LinearResponseSelector`` picks the retrieval intent's response (``faq/passport``) among the
examples of that intent and sets ``response_selector`` as Rasa's ResponseSelector does, so the
FAQ rules, ``utter_faq`` and ``bot.faq`` read it unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

import joblib
import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    TOKENS_NAMES,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data import util
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

# How many intents (or responses) a message's ranking lists (Rasa's classifiers' default).
RANKING_LENGTH = 10
MODEL_FILE = "model.joblib"


@dataclass(frozen=True)
class Block:
    """One featurizer's sentence vector in the model's input: where it comes from, its width,
    and whether its rows are scaled to unit length (counts are; matches and encodings are not)."""

    origin: Text
    width: int
    normalised: bool


def _sentence_features(message: Message) -> Dict[Text, Any]:
    """The message's sentence features of its text, by the featurizer (graph node) that made them."""
    found = {}
    for features in message.features:
        if features.attribute == TEXT and features.type == FEATURE_TYPE_SENTENCE:
            origin = features.origin if isinstance(features.origin, str) else "+".join(
                features.origin)
            found[origin] = features.features
    return found


def _words(message: Message) -> set:
    """The message's words (tokens with a letter), lower case."""
    return {token.text.lower() for token in message.get(TOKENS_NAMES[TEXT]) or []
            if any(ch.isalpha() for ch in token.text)}


def layout(messages: Sequence[Message], normalised: Iterable[Text]) -> List[Block]:
    """The input's blocks, in a fixed order, as the training messages have them."""
    normalised = tuple(normalised)
    blocks: Dict[Text, Block] = {}
    for message in messages:
        for origin, matrix in _sentence_features(message).items():
            if origin not in blocks:
                blocks[origin] = Block(origin, int(matrix.shape[-1]),
                                       any(part in origin for part in normalised))
    return [blocks[origin] for origin in sorted(blocks)]


def matrix(messages: Sequence[Message], blocks: Sequence[Block]) -> sp.csr_matrix:
    """One row per message: its blocks side by side (a block a message lacks is zeros)."""
    features = [_sentence_features(message) for message in messages]
    columns = []
    for block in blocks:
        rows = []
        for found in features:
            value = found.get(block.origin)
            if value is None or value.shape[-1] != block.width:
                rows.append(sp.csr_matrix((1, block.width), dtype=np.float32))
            else:
                rows.append(sp.csr_matrix(value, dtype=np.float32).reshape(1, block.width))
        part = sp.vstack(rows, format="csr") if rows else sp.csr_matrix((0, block.width))
        if block.normalised:
            norms = np.sqrt(np.asarray(part.multiply(part).sum(axis=1)).ravel())
            part = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ part
        columns.append(part)
    return sp.hstack(columns, format="csr", dtype=np.float32)


class _LinearComponent(GraphComponent):
    """A logistic regression over the sentence features, trained, kept and loaded with its
    input's layout."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Inverse regularisation: 1000 was chosen by cross-validation on the training data
            # (sharper confidences count for more than regularisation at the fallback's 0.45).
            "C": 1000.0,
            "max_iter": 5000,
            # lbfgs stops when no gradient component exceeds this: 1e-3 instead of
            # scikit-learn's 1e-4 takes two thirds of the iterations (intent model 55 s -> 30 s),
            # and on a quarter of the examples held out 1 of 1,081 top intents moved
            # (probabilities within 0.005; docs/performance.md).
            "tol": 1e-3,
            # Sentence features whose origin (graph node) contains one of these are L2-normalised.
            "normalised": ["CountVectorsFeaturizer"],
            "ranking_length": RANKING_LENGTH,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """This module's code: Rasa's training cache must not restore what older code trained."""
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn"]

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        model: Optional[Dict[Text, Any]] = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._context = execution_context
        # blocks, classifier, and whatever the subclass keeps beside them
        self._model = model or {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _LinearComponent:
        return cls(config, model_storage, resource, execution_context)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> _LinearComponent:
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            model = None  # nothing was trained (no examples): the component reads nothing
        return cls(config, model_storage, resource, execution_context, model)

    def _fit(self, examples: List[Message], labels: List[Text], **kept: Any) -> Resource:
        from sklearn.linear_model import LogisticRegression

        self._model = {}
        if len(set(labels)) >= 2:
            blocks = layout(examples, self._config["normalised"])
            classifier = LogisticRegression(C=float(self._config["C"]),
                                            max_iter=int(self._config["max_iter"]),
                                            tol=float(self._config["tol"]))
            classifier.fit(matrix(examples, blocks), np.asarray(labels))
            self._model = {"blocks": blocks, "classifier": classifier, **kept}
            with self._storage.write_to(self._resource) as directory:
                joblib.dump(self._model, directory / MODEL_FILE)
        return self._resource

    def _rankings(self, messages: List[Message]) -> List[List[Tuple[Text, float]]]:
        """Each message's labels with their probabilities, likeliest first."""
        if not self._model or not messages:
            return [[] for _ in messages]
        classifier = self._model["classifier"]
        probabilities = classifier.predict_proba(matrix(messages, self._model["blocks"]))
        rankings = []
        for row in probabilities:
            order = np.argsort(-row, kind="stable")
            rankings.append([(str(classifier.classes_[i]), float(row[i])) for i in order])
        return rankings


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(_LinearComponent, IntentClassifier):
    """The message's intent and ranking, from a logistic regression over its sentence features."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **_LinearComponent.get_default_config(),
            # A message none of whose words the training examples have ("xkcd pqrs vvvv") is read
            # from letters alone, and a linear model is as sure of that as of anything: its
            # confidences are scaled by this, so that the fallback and the console treat it as
            # the guess it is.
            "unfamiliar_scale": 0.5,
        }

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(INTENT)]
        return self._fit(examples, [m.get(INTENT) for m in examples],
                         words=sorted({word for m in examples for word in _words(m)}))

    def process(self, messages: List[Message]) -> List[Message]:
        length = int(self._config["ranking_length"]) or None
        known = set(self._model.get("words") or ())
        for message, ranking in zip(messages, self._rankings(messages)):
            words = _words(message)
            scale = float(self._config["unfamiliar_scale"]) if (
                known and words and known.isdisjoint(words)) else 1.0
            readings = [{"name": name, "confidence": p * scale} for name, p in ranking]
            top = readings[0] if readings else {"name": None, "confidence": 0.0}
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, readings[:length], add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearResponseSelector(_LinearComponent):
    """The response of a retrieval intent (``faq/passport``) for every message, its confidence
    and ranking, set under ``response_selector`` the way Rasa's ResponseSelector sets it."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**_LinearComponent.get_default_config(), "retrieval_intent": "faq"}

    def train(self, training_data: TrainingData) -> Resource:
        intent = self._config["retrieval_intent"]
        examples = [m for m in training_data.intent_examples
                    if m.get(INTENT) == intent and m.get(INTENT_RESPONSE_KEY)]
        keys = {util.intent_response_key_to_template_key(m.get(INTENT_RESPONSE_KEY))
                for m in examples}
        responses = {key: value for key, value in training_data.responses.items() if key in keys}
        return self._fit(examples, [m.get(INTENT_RESPONSE_KEY) for m in examples],
                         responses=responses,
                         retrieval_intents=sorted(training_data.retrieval_intents))

    def process(self, messages: List[Message]) -> List[Message]:
        if not self._model:
            return messages
        intent = self._config["retrieval_intent"]
        length = int(self._config["ranking_length"]) or None
        for message, ranking in zip(messages, self._rankings(messages)):
            key, confidence = ranking[0]
            utter_action = util.intent_response_key_to_template_key(key)
            selected = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: self._model["responses"].get(utter_action),
                    PREDICTED_CONFIDENCE_KEY: confidence,
                    INTENT_RESPONSE_KEY: key,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
                },
                RESPONSE_SELECTOR_RANKING_KEY: [
                    {PREDICTED_CONFIDENCE_KEY: p, INTENT_RESPONSE_KEY: name}
                    for name, p in ranking[:length]],
            }
            properties = dict(message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {})
            properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = self._model["retrieval_intents"]
            properties[intent] = selected
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)
        return messages

