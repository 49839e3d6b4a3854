"""Russian typed in Latin letters is read in Cyrillic by the NLU and given back as typed."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.translit import SpellInCyrillic, TextAsTyped, in_cyrillic, typed_position


@pytest.mark.parametrize(("typed", "spelled"), [
    ("kogda vklyuchat otoplenie v dome", "когда включат отопление в доме"),
    ("gde blizhayshaya poliklinika?", "где ближайшая поликлиника?"),
    ("status moey zayavki 100245", "статус моей заявки 100245"),
    ("chto ty mozhesh", "что ты можешь"),  # the soft sign chat spelling drops
])
def test_russian_in_latin_letters_is_spelled_in_cyrillic(typed: str, spelled: str) -> None:
    assert (in_cyrillic(typed) or ("",))[0] == spelled


@pytest.mark.parametrize("text", [
    "there is a pothole on tverskaya 12",
    "is it better to rent or buy a flat right now",  # every word is also in a Russian dictionary
    "many many thanks",
    "report a problem",  # two English words that are Russian loanwords too (репорт, проблем)
    "на Tverskaya 12 яма",  # Cyrillic already: a Latin street name stays as written
    "pokrovka 4",  # one word says nothing
    "100031",
])
def test_english_and_everything_else_is_left_alone(text: str) -> None:
    assert in_cyrillic(text) is None


def test_a_position_in_the_spelling_is_the_same_place_in_the_typed_text() -> None:
    typed = "yama na pokrovke 15, shirokaya"
    spelled, spans = in_cyrillic(typed)
    assert spelled == "яма на покровке 15, широкая"
    for word in ("на", "покровке", "15", "широкая"):
        start = spelled.index(word)
        typed_start = typed_position(start, spans)
        typed_end = typed_position(start + len(word), spans)
        assert typed[typed_start:typed_end] == {"на": "na", "покровке": "pokrovke", "15": "15",
                                                "широкая": "shirokaya"}[word]


def test_the_pipeline_reads_cyrillic_and_gives_the_typed_text_back() -> None:
    typed = "yama na pokrovke 15"
    message = Message(data={TEXT: typed})
    SpellInCyrillic().process([message])
    assert message.get(TEXT) == "яма на покровке 15"
    # an extractor finds the street in the Cyrillic text
    message.set(ENTITIES, [{"entity": "street", "value": "покровке", "start": 7, "end": 15}])
    TextAsTyped().process([message])
    assert message.get(TEXT) == typed
    entity = message.get(ENTITIES)[0]
    assert typed[entity["start"]:entity["end"]] == "pokrovke"
    assert entity["value"] == "покровке"  # the city's Russian address search reads it


def test_training_examples_are_learned_as_written() -> None:
    example = Message(data={TEXT: "kogda dadut vodu", "intent": "check_outages"})
    data = TrainingData([example])
    assert SpellInCyrillic().process_training_data(data).training_examples[0].get(TEXT) == (
        "kogda dadut vodu")


def test_english_messages_pass_untouched() -> None:
    message = Message(data={TEXT: "pothole on tverskaya 12"})
    SpellInCyrillic().process([message])
    TextAsTyped().process([message])
    assert message.get(TEXT) == "pothole on tverskaya 12"
    assert message.as_dict(only_output_properties=True).keys() == {TEXT}
