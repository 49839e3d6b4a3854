"""The tokenizer of the NLU pipeline: Russian words counted by dictionary form, others as typed."""

from __future__ import annotations

from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.lemma_tokenizer import RussianLemmaTokenizer
from tests.unit.nlu_pipeline import context


def tokens(text: str) -> list[tuple[str, str]]:
    tokenizer = RussianLemmaTokenizer(RussianLemmaTokenizer.get_default_config())
    return [(t.text, t.lemma) for t in tokenizer.tokenize(Message(data={TEXT: text}), TEXT)]


def test_a_russian_word_has_its_dictionary_form_as_lemma_and_keeps_its_text() -> None:
    assert tokens("Упало дерево на Тверской улице") == [
        ("Упало", "упасть"), ("дерево", "дерево"), ("на", "на"),
        ("Тверской", "тверской"), ("улице", "улица")]


def test_english_words_and_numbers_are_their_own_lemma() -> None:
    assert tokens("Pothole outside Tverskaya 12") == [
        ("Pothole", "pothole"), ("outside", "outside"), ("Tverskaya", "tverskaya"), ("12", "12")]


def test_forms_of_one_word_are_one_word_count(tmp_path) -> None:
    """A form the training data lacks still counts: the word-count featurizer reads lemmas."""
    tokenizer = RussianLemmaTokenizer(RussianLemmaTokenizer.get_default_config())
    counts = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), LocalModelStorage(tmp_path),
        Resource("cvf"), context("cvf"))
    data = TrainingData([Message(data={TEXT: "огромная яма", "intent": "report_problem"})])
    tokenizer.process_training_data(data)
    counts.train(data)
    seen, unseen = Message(data={TEXT: "огромной ямой"}), Message(data={TEXT: "глубокий люк"})
    tokenizer.process([seen, unseen])
    counts.process([seen, unseen])
    _, seen_sentence = seen.get_sparse_features(TEXT)
    _, unseen_sentence = unseen.get_sparse_features(TEXT)
    assert seen_sentence.features.sum() == 2  # both words known
    assert unseen_sentence.features.sum() == 0  # neither
