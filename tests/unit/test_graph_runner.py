"""bot.graph_runner: the same results as Rasa's dask runner, every node run once, in order."""

from __future__ import annotations

from typing import Any, Dict, Text

import pytest
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot.graph_runner import SequentialGraphRunner

CALLS: list[str] = []


class Join(GraphComponent):
    """Joins its inputs' texts with its own name (and records that it ran)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> Join:
        return cls(config["name"])

    def run(self, **inputs: Any) -> str:
        CALLS.append(self.name)
        if "boom" in inputs.values():
            raise RuntimeError("boom")
        return "(" + " ".join([self.name, *(str(inputs[k]) for k in sorted(inputs))]) + ")"


def node(name: str, **needs: str) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Join, constructor_name="create", fn="run",
                      config={"name": name})


# A diamond with a tail: d needs b and c, both of which need a; e needs d and a placeholder.
SCHEMA = GraphSchema({
    "a": node("a", x="text"),
    "b": node("b", p="a"),
    "c": node("c", p="a", q="b"),
    "d": node("d", p="b", q="c"),
    "e": node("e", p="d", q="extra"),
    "other": node("other", p="a"),
})


def runners(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(SCHEMA, "test")
    return (DaskGraphRunner(SCHEMA, storage, context), SequentialGraphRunner(SCHEMA, storage, context))


@pytest.mark.parametrize("targets", [["d"], ["e"], ["d", "other"], ["b", "e"]])
def test_the_same_results_as_rasas_runner_each_node_once(tmp_path, targets):
    dask, sequential = runners(tmp_path)
    CALLS.clear()
    expected = dask.run(inputs={"text": "hi", "extra": "x"}, targets=targets)
    dask_calls = sorted(CALLS)
    CALLS.clear()
    for _ in range(2):  # the second run uses the plan worked out by the first
        assert sequential.run(inputs={"text": "hi", "extra": "x"}, targets=targets) == expected
    assert sorted(CALLS) == sorted(dask_calls * 2)
    assert len(set(CALLS)) == len(dask_calls)  # only what the targets need


def test_an_input_left_out_is_named_as_rasas_runner_names_it(tmp_path):
    for runner in runners(tmp_path):
        with pytest.raises(GraphRunError, match="Expected input 'extra'"):
            runner.run(inputs={"text": "hi"}, targets=["e"])


def test_a_failing_node_and_a_clashing_input_raise_rasas_errors(tmp_path):
    dask, sequential = runners(tmp_path)
    for runner in (dask, sequential):
        with pytest.raises(GraphComponentException, match="node a"):
            runner.run(inputs={"text": "boom"}, targets=["b"])
    with pytest.raises(GraphRunError, match="clashes"):
        sequential.run(inputs={"text": "a"}, targets=["b"])
