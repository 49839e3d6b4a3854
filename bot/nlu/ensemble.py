"""Several DIET models trained with different seeds, their readings averaged.

One DIET model's reading of a borderline message depends on its random seed: trained with three
seeds and nothing else changed, the same data ended 90, 81 and 80 of 91 whole conversations right
(docs/conversations.md), each seed failing other turns ("thanks, that's all" read as a goodbye by
one, a status question as a report by another). Averaging the intent confidences of a few models
trained with consecutive seeds keeps what they agree on and lets no single seed's quirk decide;
an entity counts when most of the models find it.

Each member is a stock ``DIETClassifier`` (its config is this component's, with its own seed) that
loads in seconds (``bot.nlu.fast_load``); the members are kept in subdirectories of this
component's resource, so Rasa's training cache and model archive handle them as one.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.fast_load import QuickLoadingDIETClassifier

# How many intents a message's ranking lists (DIET's own default).
RANKING_LENGTH = 10


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
     DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class DIETEnsemble(GraphComponent, IntentClassifier, EntityExtractorMixin):
    """``members`` DIET classifiers (seeds ``random_seed``, ``random_seed + 1``, ...); a message's
    intent confidences are their average, its entities those most of them find."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**QuickLoadingDIETClassifier.get_default_config(), "members": 3}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """This module's code: Rasa's training cache must not restore what older code trained."""
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        members: Optional[List[QuickLoadingDIETClassifier]] = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._context = execution_context
        self._members = members or []

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DIETEnsemble:
        return cls(config, model_storage, resource, execution_context)

    @staticmethod
    def _member_configs(config: Dict[Text, Any]) -> List[Tuple[Resource, Dict[Text, Any]]]:
        """Each member's resource (a subdirectory) and config: its own seed, a full ranking."""
        members = int(config["members"])
        if members < 1:
            raise ValueError("DIETEnsemble needs at least one member")
        own = {key: value for key, value in config.items() if key != "members"}
        seed = own.get("random_seed")
        return [
            (Resource(f"member{index}"),
             {**own, "random_seed": None if seed is None else int(seed) + index,
              "ranking_length": 0})
            for index in range(members)
        ]

    def train(self, training_data: TrainingData) -> Resource:
        with self._storage.write_to(self._resource) as directory:
            storage = LocalModelStorage(directory)
            self._members = []
            for resource, config in self._member_configs(self._config):
                member = QuickLoadingDIETClassifier.create(config, storage, resource, self._context)
                member.train(training_data)
                self._members.append(member)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> DIETEnsemble:
        try:
            with model_storage.read_from(resource) as directory:
                storage = LocalModelStorage(directory)
                members = [
                    QuickLoadingDIETClassifier.load(
                        member_config, storage, member, execution_context)
                    for member, member_config in cls._member_configs(config)
                ]
        except ValueError:
            members = []
        return cls(config, model_storage, resource, execution_context, members)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            outputs = [member._predict(message) for member in self._members]
            if self._config.get("intent_classification", True):
                ranking = self._average_ranking(outputs)
                top = ranking[0] if ranking else {"name": None, "confidence": 0.0}
                message.set(INTENT, top, add_to_output=True)
                message.set("intent_ranking", ranking[:RANKING_LENGTH], add_to_output=True)
            if self._config.get("entity_recognition", True):
                message.set(ENTITIES, self._voted_entities(outputs, message), add_to_output=True)
        return messages

    def _average_ranking(self, outputs: List[Any]) -> List[Dict[Text, Any]]:
        """Every intent with its confidence averaged over the members, likeliest first."""
        totals: Dict[Text, float] = defaultdict(float)
        for member, output in zip(self._members, outputs):
            for reading in member._predict_label(output)[1]:
                totals[reading["name"]] += float(reading["confidence"])
        count = len(self._members) or 1
        ranking = [{"name": name, "confidence": total / count} for name, total in totals.items()]
        return sorted(ranking, key=lambda reading: -reading["confidence"])

    def _voted_entities(self, outputs: List[Any], message: Message) -> List[Dict[Text, Any]]:
        """Entities of earlier extractors, then those most members find (the first finder's)."""
        earlier = list(message.get(ENTITIES, []))
        votes: Counter = Counter()
        first: Dict[Tuple, Dict[Text, Any]] = {}
        for member, output in zip(self._members, outputs):
            found = member._predict_entities(output, message)[len(earlier):]
            for key in {_entity_key(entity) for entity in found}:
                votes[key] += 1
            for entity in found:
                first.setdefault(_entity_key(entity), entity)
        majority = len(self._members) / 2
        agreed = [first[key] for key, count in votes.items() if count > majority]
        return earlier + sorted(agreed, key=lambda entity: entity.get("start", 0))


def _entity_key(entity: Dict[Text, Any]) -> Tuple:
    return (entity.get("start"), entity.get("end"), entity.get("entity"),
            entity.get("role"), entity.get("group"))
