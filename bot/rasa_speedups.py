"""Where the citybot Rasa server spends less time per turn than stock Rasa 3.6 (installed, like
:mod:`bot.rasa_fixes`, where the server starts: :mod:`bot.rasa_server`). Each change keeps
Rasa's results and is measured in docs/performance.md:

- the prediction graph runs in an order worked out once, without dask (:mod:`bot.graph_runner`);
- the NLU parse runs in a worker thread, messages that arrive meanwhile read together
  (:mod:`bot.parse_batcher`), so the event loop goes on with other conversations;
- an action server's answer is checked against Rasa's JSON schema by a validator made once:
  Rasa calls ``jsonschema.validate``, which first checks the schema itself against the JSON
  Schema metaschema, every call (half of the Rasa server's CPU under load, measured).
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Text

_installed = False

# Which changes are made: all by default; the bench compares with fewer (CITYBOT_SPEEDUPS=none:
# Rasa's own way, "runner": the graph runner only).
ENV = "CITYBOT_SPEEDUPS"
ALL = ("runner", "parse", "validation")


def chosen(value: Optional[str]) -> set[str]:
    """The changes a value of CITYBOT_SPEEDUPS names ("all" or unset: every one; "none": none)."""
    if value is None or value.strip() in ("", "all"):
        return set(ALL)
    names = {part.strip() for part in value.split(",")} - {"none", ""}
    unknown = names - set(ALL)
    if unknown:
        raise ValueError(f"{ENV}: unknown {', '.join(sorted(unknown))} (known: {', '.join(ALL)})")
    return names


def install() -> None:
    """Make the changes (once) in this process, before Rasa loads its agent."""
    global _installed  # noqa: PLW0603 - a process-wide change to Rasa's classes, made once
    if _installed:
        return
    import rasa.core.processor
    from rasa.core.processor import MessageProcessor

    from bot.graph_runner import SequentialGraphRunner

    changes = chosen(os.environ.get(ENV))
    if "runner" in changes:
        rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
    if "parse" in changes:
        MessageProcessor.parse_message = _parse_message  # type: ignore[method-assign]
    if "validation" in changes:
        from rasa.core.actions.action import RemoteAction

        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]  # noqa: SLF001
    _installed = True


async def _parse_message(
    self: Any,
    message: Any,
    tracker: Optional[Any] = None,
    only_output_properties: bool = True,
) -> Dict[Text, Any]:
    """``MessageProcessor.parse_message`` with the graph run by the processor's batcher."""
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.parse_batcher import ParseBatcher, needs_tracker, parse_data

    if self.http_interpreter:
        parse = await self.http_interpreter.parse(message)
    else:
        batcher = getattr(self, "_citybot_batcher", None)
        if batcher is None:
            target = self.model_metadata.nlu_target
            batcher = ParseBatcher(self.graph_runner, target, batched=not needs_tracker(
                self.model_metadata.predict_schema, target))
            self._citybot_batcher = batcher
        if tracker is None:
            tracker = DialogueStateTracker.from_events(message.sender_id, [])
        parse = parse_data(await batcher.parse(message, tracker), only_output_properties)
    self._update_full_retrieval_intent(parse)
    self._check_for_unseen_features(parse)
    return parse


_validator: Any = None


def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator made (and the schema checked)
    once: what ``jsonschema.validate`` does on every call, the same error raised."""
    global _validator  # noqa: PLW0603 - made once per process, from a fixed schema
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.shared.constants import DOCS_BASE_URL

    if _validator is None:
        schema = self.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    error: Optional[ValidationError] = best_match(_validator.iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True
