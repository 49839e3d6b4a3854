"""Entities found again where the training data tagged the same words."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.spans import TaggedSpanExtractor
from tests.unit.nlu_pipeline import context

DATA = """
version: "3.1"
nlu:
- intent: report_problem
  examples: |
    - a [pothole](problem_category) on arbat
    - huge [pothole](problem_category) outside my house
    - the [bin]{"entity": "problem_category", "value": "overflowing bin"} is full again
    - [яма]{"entity": "problem_category", "value": "pothole"} у дома
    - the [street light](problem_category) is out
    - a [light](problem_category) is broken
- intent: find_office
  examples: |
    - where is the nearest [polyclinic]{"entity": "facility_type", "value": "clinic"}
- intent: out_of_scope
  examples: |
    - turn the light off
    - light a candle
    - is it light outside
- synonym: water leak
  examples: |
    - burst pipe
- intent: report_problem
  examples: |
    - [water leak](problem_category) in the basement
"""


@pytest.fixture(scope="module")
def extractor(tmp_path_factory):
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("storage")))
    config = TaggedSpanExtractor.get_default_config()
    made = TaggedSpanExtractor.create(config, storage, Resource("spans"), context("spans"))
    made.train(RasaYAMLReader().reads(DATA))
    return made, storage, config


def found(extractor: TaggedSpanExtractor, text: str, *, earlier: list | None = None) -> list:
    message = Message(data={TEXT: text})
    if earlier:
        message.set(ENTITIES, earlier)
    extractor.process([message])
    return [(e["entity"], e["value"], text[e["start"]:e["end"]])
            for e in message.get(ENTITIES, [])]


def test_a_tagged_span_is_found_in_a_new_sentence_with_its_value(extractor):
    made, _, _ = extractor

    assert found(made, "two potholes near pokrovka 5") == [
        ("problem_category", "potholes", "potholes")]
    assert found(made, "the bin by my door overflows") == [
        ("problem_category", "overflowing bin", "bin")]
    assert found(made, "where is a polyclinic") == [("facility_type", "clinic", "polyclinic")]


def test_a_russian_span_is_found_in_any_grammatical_form(extractor):
    made, _, _ = extractor

    assert found(made, "у нас во дворе две ямы") == [("problem_category", "pothole", "ямы")]


def test_the_longest_tagged_span_wins(extractor):
    made, _, _ = extractor

    assert found(made, "a street light is flickering") == [
        ("problem_category", "street light", "street light")]


def test_words_said_untagged_more_often_than_tagged_are_not_kept(extractor):
    made, _, _ = extractor

    assert found(made, "the light is off") == []


def test_a_synonym_of_a_tagged_value_names_it(extractor):
    made, _, _ = extractor

    assert found(made, "a burst pipe under the road") == [
        ("problem_category", "water leak", "burst pipe")]


def test_what_an_earlier_extractor_found_is_not_tagged_again(extractor):
    made, _, _ = extractor
    earlier = [{"entity": "address", "value": "pothole lane 3", "start": 8, "end": 22}]

    tagged = found(made, "outside pothole lane 3 a pothole", earlier=earlier)

    assert tagged == [("address", "pothole lane 3", "pothole lane 3"),
                      ("problem_category", "pothole", "pothole")]


def test_other_entities_are_not_learnt(tmp_path):
    storage = LocalModelStorage(tmp_path)
    config = {**TaggedSpanExtractor.get_default_config(), "entities": ["facility_type"]}
    made = TaggedSpanExtractor.create(config, storage, Resource("only"), context("only"))
    made.train(RasaYAMLReader().reads(DATA))

    assert found(made, "a pothole and a polyclinic") == [
        ("facility_type", "clinic", "polyclinic")]


def test_a_loaded_extractor_finds_what_the_trained_one_does(extractor):
    made, storage, config = extractor
    loaded = TaggedSpanExtractor.load(config, storage, Resource("spans"), context("spans"))
    text = "ямы и переполненный bin, a burst pipe and the street light"

    assert found(loaded, text) == found(made, text) != []
