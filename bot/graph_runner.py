"""Rasa's prediction graph run node after node in an order worked out once, without dask.

Rasa runs its graph (NLU parse; policy prediction) through ``DaskGraphRunner`` on every message
and every action it predicts: each run recomputes the minimal schema for its targets (a
recursive walk that visits shared dependencies once per path), builds a dask graph and lets
dask's local scheduler order and run it, one node at a time, in the same thread. Nothing runs in
parallel there, so the same nodes called in a topological order worked out once per set of
targets give the same results without that work (docs/performance.md has the figures).
:mod:`bot.rasa_fixes` puts this runner in the processor of the citybot Rasa server; training
keeps Rasa's.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner

Plan = List[Tuple[Text, GraphNode, Tuple[Text, ...]]]


class SequentialGraphRunner(DaskGraphRunner):
    """``DaskGraphRunner``'s results, from a per-targets plan of (node, its inputs) in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Text, ...], Plan] = {}

    def _plan(self, targets: Tuple[Text, ...]) -> Plan:
        plan = self._plans.get(targets)
        if plan is None:
            nodes = self._graph_schema.nodes
            plan, seen = [], set()

            def visit(name: Text) -> None:  # depth-first: a node after everything it needs
                if name in seen or name not in nodes:  # done, or an input placeholder
                    return
                seen.add(name)
                needs = tuple(nodes[name].needs.values())
                for need in needs:
                    visit(need)
                plan.append((name, self._instantiated_nodes[name], needs))

            for target in targets:
                visit(target)
            self._plans[targets] = plan
        return plan

    def run(
        self,
        inputs: Optional[Dict[Text, Any]] = None,
        targets: Optional[List[Text]] = None,
    ) -> Dict[Text, Any]:
        """Runs the graph (see ``GraphRunner.run``): ``{target: output}``."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        plan = self._plan(run_targets)
        # As in the dask graph: an input is the pair (name, value); a placeholder no input fills
        # is passed as its name.
        values: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of "
                    f"the input names passed to the `run` method are the same as node names "
                    f"in the graph schema."
                )
            values[name] = (name, value)
        try:
            for name, node, needs in plan:
                values[name] = node(*(values.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(values[target] if target in values else (target, target)
                    for target in run_targets)
