"""The out-of-domain gate: a service intent whose nearest training examples are mostly out of
scope becomes out_of_scope; nothing else changes."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.ood_gate import OutOfDomainGate

# Three out-of-scope examples around +x, three service examples around +y (unit vectors).
VECTORS = np.array([[1, 0.1, 0], [1, -0.1, 0], [1, 0, 0.1],
                    [0.1, 1, 0], [-0.1, 1, 0], [0, 1, 0.1]], dtype=np.float32)
OUTSIDE = np.array([True, True, True, False, False, False])


def _gate() -> OutOfDomainGate:
    vectors = VECTORS / np.linalg.norm(VECTORS, axis=1, keepdims=True)
    return OutOfDomainGate({"neighbours": 3}, None, None, vectors, OUTSIDE)  # type: ignore[arg-type]


def _message(intent: str, vector: list[float], topic: str | None = None) -> Message:
    message = Message(data={TEXT: "some words"})
    message.set("intent", {"name": intent, "confidence": 0.9})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.9},
                                   {"name": "out_of_scope", "confidence": 0.05}])
    if topic:
        message.set("response_selector", {"faq": {"response": {"intent_response_key": topic}}})
    message.add_features(Features(np.array([vector], dtype=np.float32), FEATURE_TYPE_SENTENCE,
                                  TEXT, "use"))
    return message


@pytest.mark.parametrize(("intent", "vector", "topic", "expected"), [
    ("check_request_status", [0.9, 0.05, 0], None, "out_of_scope"),  # among the out-of-scope
    ("check_request_status", [0.05, 0.9, 0], None, "check_request_status"),  # among services
    ("faq", [0.9, 0.05, 0], "faq/passport", "out_of_scope"),
    ("faq", [0.9, 0.05, 0], "faq/no_curated_answer", "faq"),  # "no official answer" stays
    # the selector reads every message: its topic says nothing of a service intent ("check the
    # status of my bitcoin withdrawal" went through while it leaned to no_curated_answer)
    ("check_request_status", [0.9, 0.05, 0], "faq/no_curated_answer", "out_of_scope"),
    ("greet", [0.9, 0.05, 0], None, "greet"),  # not a service: never touched
])
def test_a_service_intent_among_out_of_scope_neighbours_is_out_of_scope(
    intent, vector, topic, expected
):
    message = _message(intent, vector, topic)
    _gate().process([message])
    assert message.get("intent")["name"] == expected
    ranking = message.get("intent_ranking")
    names = [r["name"] for r in ranking]
    assert names[0] == expected and names.count("out_of_scope") <= 1
    if expected == "out_of_scope" != intent:
        # DIET's reading stays second, far enough below for the fallback classifier's margin
        assert names[1] == intent
        assert ranking[0]["confidence"] - ranking[1]["confidence"] > 0.5


def test_an_emergency_is_never_gated():
    message = _message("report_problem", [0.9, 0.05, 0])
    message.set(TEXT, "there's a strong smell of gas in our stairwell")
    _gate().process([message])
    assert message.get("intent")["name"] == "report_problem"


@pytest.mark.parametrize(("entity", "value", "gated"), [
    ("address", "pokrovka", False), ("district", "Basmanny", False),
    ("request_id", "100034", False), ("account_number", "7700123456", False),
    ("meter_value", "123", True), ("problem_category", "pothole", True),
    ("address", "9", True),  # "every evening around 9": a bare number is no place
    ("address", "дома", True),  # "я дома сидел": at home
    ("account_number", "3", True),  # "the office season 3"
])
def test_a_message_naming_a_city_place_or_number_is_never_gated(entity, value, gated):
    message = _message("report_problem", [0.9, 0.05, 0])
    message.set("entities", [{"entity": entity, "value": value, "start": 10, "end": 18}])
    _gate().process([message])
    assert (message.get("intent")["name"] == "out_of_scope") is gated


def test_an_untrained_gate_lets_everything_pass():
    gate = OutOfDomainGate({"neighbours": 3}, None, None)  # type: ignore[arg-type]
    message = _message("find_office", [1, 0, 0])
    gate.process([message])
    assert message.get("intent")["name"] == "find_office"


def test_the_gates_own_sentences_are_learnt_as_out_of_scope_and_retrain_it(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    outside = tmp_path / "outside.yml"
    outside.write_text("traps:\n  - check the status of my parcel\n"
                       "general:\n  - how do i bake bread\n", encoding="utf-8")
    config = {"neighbours": 3, "outside": str(outside)}
    example = _message("check_request_status", list(np.ones(512) / np.sqrt(512)))
    example.set("intent", "check_request_status")
    (tmp_path / "model").mkdir()
    gate = OutOfDomainGate(config, LocalModelStorage(tmp_path / "model"), Resource("gate"))
    gate.train(TrainingData([example]))
    assert gate._outside.tolist() == [False, True, True]
    assert gate._vectors.shape == (3, 512)
    before = OutOfDomainGate.fingerprint_addon(config)
    outside.write_text("traps:\n  - check the status of my flight\n", encoding="utf-8")
    assert OutOfDomainGate.fingerprint_addon(config) != before
