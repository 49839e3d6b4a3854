"""Russian typed in Latin letters, read by the NLU as if typed in Cyrillic.

Muscovites on a phone without a Russian keyboard write "kogda dadut goryachuyu vodu na
pokrovke". The model learned Russian from Cyrillic examples, and a few hundred Latin-letter
examples did not teach it the spelling (docs/nlu.md, "Eighth session"). So the pipeline spells such a
message back into Cyrillic before anything reads it (``SpellInCyrillic``, first in config.yml),
and gives the text back as typed after the last component (``TextAsTyped``): the conversation,
the staff console and the city see the citizen's own words; entities keep their Cyrillic value
(the city's Russian address search reads it) with positions in the typed text.

A message is spelled back only when most of its Latin words, spelled back, are Russian words
pymorphy3 knows, at least two of them, none is a common English word, and it has no Cyrillic
already ("на Tverskaya 12" is read as written). Neither component learns anything, and training data passes through unchanged:
they add no training. (Rasa's training cache keys each component on its class's source, so an
edit to either class retrains the pipeline after it; this module's functions do not.)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.morph import Span, in_cyrillic

_AS_TYPED = "text_as_typed"
_SPANS = "text_as_typed_spans"


def typed_position(position: int, spans: list[Span]) -> int:
    """A position in the Cyrillic spelling as the same position in the typed text."""
    typed_before, spelled_before = 0, 0  # the last places known to correspond
    for typed_start, typed_end, start, stop in spans:
        if position < start:
            break
        if position <= stop:
            if position == stop:
                return typed_end
            return typed_start + min(position - start, typed_end - typed_start)
        typed_before, spelled_before = typed_end, stop
    return typed_before + position - spelled_before


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class SpellInCyrillic(GraphComponent):
    """First in the pipeline: a message of Russian in Latin letters is read in Cyrillic."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SpellInCyrillic":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # examples are learned as written

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            spelled = in_cyrillic(text) if isinstance(text, str) else None
            if spelled is not None:
                message.set(_AS_TYPED, text)
                message.set(_SPANS, spelled[1])
                message.set(TEXT, spelled[0])
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class TextAsTyped(GraphComponent):
    """Last in the pipeline: the citizen's text as typed, entities placed in it."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TextAsTyped":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            typed: Optional[str] = message.get(_AS_TYPED)
            if typed is None:
                continue
            spans = message.get(_SPANS)
            for entity in message.get(ENTITIES) or []:
                if ENTITY_ATTRIBUTE_START in entity and ENTITY_ATTRIBUTE_END in entity:
                    entity[ENTITY_ATTRIBUTE_START] = typed_position(
                        entity[ENTITY_ATTRIBUTE_START], spans)
                    entity[ENTITY_ATTRIBUTE_END] = typed_position(
                        entity[ENTITY_ATTRIBUTE_END], spans)
            message.set(TEXT, typed)
        return messages
