"""bot.parse_batcher: messages that wait are read together, each turn gets its own reading, a bad
message fails only its own turn; and whether a graph's NLU part reads the tracker.

The graph here is a real Rasa ``SequentialGraphRunner`` over a one-node schema whose component
reads a list of messages the way Rasa's NLU components do (the assistant's own graph is run by the
integration tests and the bench)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Dict, List, Text

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.graph_runner import SequentialGraphRunner
from bot.parse_batcher import ParseBatcher, needs_tracker, parse_data

BATCHES: List[List[str]] = []
GATE = threading.Event()  # the first read waits on it, so that others queue up meanwhile


class Upper(GraphComponent):
    """Reads a list of user messages: the intent is the text in capitals; "boom" breaks it."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> Upper:
        return cls()

    def read(self, messages: List[UserMessage]) -> List[Message]:
        texts = [m.text for m in messages]
        if not BATCHES:
            GATE.wait(5)
        BATCHES.append(texts)
        if "boom" in texts:
            raise ValueError("cannot read boom")
        return [Message(data={"text": t, "intent": {"name": t.upper(), "confidence": 1.0}})
                for t in texts]


class WithTracker(Upper):
    def read_with(self, messages: List[UserMessage], tracker: DialogueStateTracker) -> List[Message]:
        return self.read(messages)


def runner(tmp_path, schema: GraphSchema) -> SequentialGraphRunner:
    return SequentialGraphRunner(schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "t"))


SCHEMA = GraphSchema({"nlu": SchemaNode(needs={"messages": PLACEHOLDER_MESSAGE}, uses=Upper,
                                        constructor_name="create", fn="read", config={})})
TRACKED = GraphSchema({"nlu": SchemaNode(
    needs={"messages": PLACEHOLDER_MESSAGE, "tracker": PLACEHOLDER_TRACKER}, uses=WithTracker,
    constructor_name="create", fn="read_with", config={})})


@pytest.fixture(autouse=True)
def fresh():
    BATCHES.clear()
    GATE.clear()


async def _parse_all(batcher: ParseBatcher, texts: list[str]) -> list[Any]:
    async def one(text: str) -> Any:
        return await batcher.parse(UserMessage(text, sender_id=text),
                                   DialogueStateTracker.from_events(text, []))

    tasks = [asyncio.create_task(one(texts[0]))]
    await asyncio.sleep(0.05)  # the first is being read (held at the gate) ...
    tasks += [asyncio.create_task(one(t)) for t in texts[1:]]
    await asyncio.sleep(0.05)  # ... while the others arrive; then let the first read finish
    GATE.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_messages_that_wait_are_read_together_and_each_turn_gets_its_own(tmp_path):
    batcher = ParseBatcher(runner(tmp_path, SCHEMA), "nlu")
    results = asyncio.run(_parse_all(batcher, ["a", "b", "c", "d"]))
    assert [r.get("intent")["name"] for r in results] == ["A", "B", "C", "D"]
    assert BATCHES == [["a"], ["b", "c", "d"]]
    assert (batcher.batches, batcher.parsed) == (2, 4)
    assert parse_data(results[1], False)["intent"]["name"] == "B"


def test_a_bad_message_fails_only_its_own_turn(tmp_path):
    batcher = ParseBatcher(runner(tmp_path, SCHEMA), "nlu")
    results = asyncio.run(_parse_all(batcher, ["a", "b", "boom", "d"]))
    assert results[0].get("intent")["name"] == "A"
    assert isinstance(results[2], Exception)
    assert [r.get("intent")["name"] for i, r in enumerate(results) if i != 2] == ["A", "B", "D"]
    assert BATCHES[1] == ["b", "boom", "d"] and BATCHES[2:] == [["b"], ["boom"], ["d"]]


def test_a_graph_whose_nlu_reads_the_tracker_is_read_one_message_at_a_time(tmp_path):
    assert not needs_tracker(SCHEMA, "nlu") and needs_tracker(TRACKED, "nlu")
    batcher = ParseBatcher(runner(tmp_path, TRACKED), "nlu", batched=False)
    asyncio.run(_parse_all(batcher, ["a", "b", "c"]))
    assert BATCHES == [["a"], ["b"], ["c"]]
