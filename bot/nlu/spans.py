"""Entities found again where the training data tagged the same words: the kinds of problem and
place people name in a few words ("bin", "мусорка", "поликлиника").

A statistical tagger (the CRF) finds a kind of problem in about half the sentences that name one:
it reads a word and its neighbours' shapes, and many of these words are tagged a handful of times
(bench/light_nlu/REPORT.md, section 7). The words themselves are a closed list the training data
already holds. This component learns that list from the annotations of the entities it is given:
every tagged span, with its value, kept when the words are tagged at least ``min_share`` of the
times they occur in the training examples (so "light" tagged once and said untagged ten times is
not kept). A message's words match a span word by word, a Russian word in any grammatical form
("ямы" matches "яма"), an English one with or without a plural ending; the longest match wins and
nothing another extractor already found is tagged twice.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from bot.nlu.morph import lemmas

SPANS_FILE = "spans.json"
_WORD = re.compile(r"\w+", re.UNICODE)

Words = Tuple[Text, ...]


def _forms(word: Text) -> frozenset:
    """A word's forms for matching: its dictionary forms, or an English word with its plural
    ending dropped too."""
    forms = lemmas(word)
    if len(forms) == 1 and len(word) > 3 and word.lower().endswith("s"):
        plain = word.lower()
        return frozenset({plain, plain[:-1], plain[:-2] if plain.endswith("es") else plain})
    return forms


def _key(forms: Iterable[Iterable[Text]]) -> Words:
    """A span's words in one spelling each (the first of its forms), to count and compare it."""
    return tuple(min(word) for word in forms)


def _words(text: Text) -> List[Tuple[int, int, frozenset]]:
    return [(m.start(), m.end(), _forms(m.group())) for m in _WORD.finditer(text)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class TaggedSpanExtractor(GraphComponent, EntityExtractorMixin):
    """Tags the spans the training data tagged (for ``entities``), where no extractor before did."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "entities": ["problem_category", "facility_type"],
            # of the training examples whose words contain the span, the share that tag it
            "min_share": 0.5,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """This module's code (and the word forms it reads): a cached training must not outlive it."""
        digest = hashlib.sha256(Path(__file__).read_bytes())
        digest.update((Path(__file__).parent / "morph.py").read_bytes())
        return digest.hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        spans: Optional[List[Dict[Text, Any]]] = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._index = _index_of(spans or [])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TaggedSpanExtractor:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TaggedSpanExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                spans = read_json_file(directory / SPANS_FILE)
        except (ValueError, FileNotFoundError):
            spans = []
        return cls(config, model_storage, resource, spans)

    def train(self, training_data: TrainingData) -> Resource:
        wanted = set(self._config["entities"])
        tagged: Dict[Words, Counter] = defaultdict(Counter)
        forms_of: Dict[Words, List[List[Text]]] = {}
        for message in training_data.training_examples:
            text = message.get(TEXT) or ""
            for entity in message.get(ENTITIES) or []:
                if entity.get("entity") not in wanted or entity.get("start") is None:
                    continue
                said = text[entity["start"]:entity["end"]]
                words = _words(said)
                if not words:
                    continue
                key = _key([forms for _, _, forms in words])
                value = entity.get("value")
                # a value only when the annotation gives one other than the words themselves
                value = value if value and value.lower() != said.lower() else None
                tagged[key][(entity["entity"], value)] += 1
                forms_of.setdefault(key, [sorted(forms) for _, _, forms in words])
        # how many training examples say each span's words at all, tagged or not
        index = _Index((key, [frozenset(f) for f in forms]) for key, forms in forms_of.items())
        said = Counter()
        for message in training_data.training_examples:
            words = _words(message.get(TEXT) or "")
            said.update({key for at in range(len(words)) for key in index.all_at(words, at)})
        kept = []
        for key, readings in tagged.items():
            times = sum(readings.values())
            if times >= self._config["min_share"] * max(said[key], times):
                (entity, value), _ = readings.most_common(1)[0]
                kept.append({"forms": forms_of[key], "entity": entity, "value": value})
        kept += self._synonyms(training_data, tagged,
                               {_key(span["forms"]) for span in kept})
        kept.sort(key=lambda span: (span["entity"], span["forms"]))
        with self._storage.write_to(self._resource) as directory:
            dump_obj_as_json_to_file(directory / SPANS_FILE, kept)
        self._index = _index_of(kept)
        return self._resource

    def _synonyms(self, training_data: TrainingData, tagged: Dict[Words, Counter],
                  kept: set) -> List[Dict[Text, Any]]:
        """The training data's synonyms of the values these entities take ("leak" for "water
        leak"), where no kept span has the same words: a synonym is a way of naming one, tagged
        in the examples or not."""
        entity_of = {}
        for key, readings in tagged.items():
            for (entity, value), _ in readings.most_common():
                entity_of.setdefault((value or " ".join(key)).lower(), entity)
        spans = []
        for synonym, value in training_data.entity_synonyms.items():
            words = _words(synonym)
            entity = entity_of.get(str(value).lower())
            if words and entity and _key([forms for _, _, forms in words]) not in kept:
                spans.append({"forms": [sorted(forms) for _, _, forms in words],
                              "entity": entity, "value": value})
        return spans

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self._tag(message)
            if found:
                entities = [*message.get(ENTITIES, []), *self.add_extractor_name(found)]
                message.set(ENTITIES, sorted(entities, key=lambda e: e.get("start", 0)),
                            add_to_output=True)
        return messages

    def _tag(self, message: Message) -> List[Dict[Text, Any]]:
        text = message.get(TEXT) or ""
        words = _words(text)
        taken = [(e.get("start", -1), e.get("end", -1)) for e in message.get(ENTITIES, [])]
        found = []
        at = 0
        while at < len(words):
            match = self._index.longest_at(words, at)
            if match is None:
                at += 1
                continue
            length, (entity, value) = match
            start, end = words[at][0], words[at + length - 1][1]
            if not any(start < e and s < end for s, e in taken):
                found.append({"entity": entity, "start": start, "end": end,
                              "value": value or text[start:end], "confidence_entity": 1.0})
            at += length
        return found


class _Index:
    """Spans (their words' forms, each with a payload) by the forms of their first word."""

    def __init__(self, spans: Iterable[Tuple[Any, List[frozenset]]]) -> None:
        self._by_first: Dict[Text, List[Tuple[List[frozenset], Any]]] = defaultdict(list)
        for payload, forms in spans:
            for first in forms[0]:
                self._by_first[first].append((forms, payload))
        for candidates in self._by_first.values():
            candidates.sort(key=lambda c: -len(c[0]))  # the longest first

    def _matching(self, words: List[Tuple[int, int, frozenset]], at: int):  # noqa: ANN202
        for form in words[at][2]:
            for forms, payload in self._by_first.get(form, ()):
                if at + len(forms) <= len(words) and all(
                        words[at + i][2] & forms[i] for i in range(len(forms))):
                    yield len(forms), payload

    def all_at(self, words: List[Tuple[int, int, frozenset]], at: int) -> set:
        return {payload for _, payload in self._matching(words, at)}

    def longest_at(self, words: List[Tuple[int, int, frozenset]], at: int) -> Optional[Tuple[int, Any]]:
        return max(self._matching(words, at), key=lambda match: match[0], default=None)


def _index_of(spans: List[Dict[Text, Any]]) -> _Index:
    return _Index(((span["entity"], span.get("value")), [frozenset(w) for w in span["forms"]])
                  for span in spans)
