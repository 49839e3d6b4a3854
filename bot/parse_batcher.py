"""Rasa's NLU parse, off the server's event loop and in batches.

Rasa 3.6 parses a message by running the NLU graph synchronously inside its event loop: while
one message is read (the sentence encoder, the classifiers, the entity taggers), no other
conversation moves, not even one that only waits for the city, and each parse pays the
per-call overhead of every model for one sentence. Here the parse runs in one worker
thread (the encoder and numpy release the GIL: the loop keeps predicting actions and answering
the others meanwhile), and messages that arrive while a parse is running wait and are read
together, as one list through the same graph (Rasa's NLU components take lists; ours read a
list in one pass where they can).

The readings are the graph's own: a batch is one ``graph_runner.run`` with several messages
instead of one, which every NLU component supports; if a batch fails, each of its messages is
parsed alone so that one bad message fails only its own turn. A graph whose NLU part needs the
tracker is parsed message by message as Rasa does.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.engine.graph import GraphSchema
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

log = logging.getLogger(__name__)

# The most messages read in one batch (beyond it, a batch's latency grows with no saving).
MAX_BATCH = 32

Waiting = Tuple[UserMessage, DialogueStateTracker, "asyncio.Future[Message]"]


def needs_tracker(schema: GraphSchema, target: Text) -> bool:
    """Whether the graph's part that leads to ``target`` reads the tracker."""
    nodes = schema.minimal_graph_schema([target]).nodes
    return any(PLACEHOLDER_TRACKER in node.needs.values() for node in nodes.values())


class ParseBatcher:
    """Reads messages with a graph runner's NLU target in one worker thread, in batches."""

    def __init__(self, runner: Any, target: Text, batched: bool = True,
                 max_batch: int = MAX_BATCH) -> None:
        self._runner = runner
        self._target = target
        self._batched = batched
        self._max = max_batch
        self._waiting: List[Waiting] = []
        self._draining: Optional[asyncio.Task] = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="nlu-parse")
        self.batches = 0  # how many graph runs (for the bench and the tests)
        self.parsed = 0

    async def parse(self, message: UserMessage, tracker: DialogueStateTracker) -> Message:
        """The parsed message, read with whatever else waits to be read."""
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiting.append((message, tracker, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            size = self._max if self._batched else 1
            batch, self._waiting = self._waiting[:size], self._waiting[size:]
            try:
                results = await loop.run_in_executor(self._thread, self._read, batch)
            except Exception as error:  # noqa: BLE001 - handed to the turns that wait
                if len(batch) == 1:
                    _settle(batch[0][2], error=error)
                    continue
                log.warning("a batch of %d messages failed; reading each alone", len(batch))
                for item in batch:  # one bad message fails only its own turn
                    try:
                        _settle(item[2], (await loop.run_in_executor(
                            self._thread, self._read, [item]))[0])
                    except Exception as alone:  # noqa: BLE001
                        _settle(item[2], error=alone)
                continue
            for (_, _, future), result in zip(batch, results):
                _settle(future, result)

    def _read(self, batch: List[Waiting]) -> List[Message]:
        results = self._runner.run(
            inputs={PLACEHOLDER_MESSAGE: [m for m, _, _ in batch], PLACEHOLDER_TRACKER: batch[0][1]},
            targets=[self._target],
        )
        self.batches += 1
        self.parsed += len(batch)
        return results[self._target]

    def close(self) -> None:
        self._thread.shutdown(wait=False)


def _settle(future: "asyncio.Future[Message]", result: Optional[Message] = None,
            error: Optional[BaseException] = None) -> None:
    if future.done():  # the turn was cancelled (its client went away)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def parse_data(parsed: Message, only_output_properties: bool) -> Dict[Text, Any]:
    """What Rasa's processor makes of a parsed message (``_parse_message_with_graph``)."""
    from rasa.shared.nlu.constants import (
        ENTITIES,
        INTENT,
        INTENT_NAME_KEY,
        PREDICTED_CONFIDENCE_KEY,
        TEXT,
    )

    data: Dict[Text, Any] = {
        TEXT: "",
        INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
        ENTITIES: [],
    }
    data.update(parsed.as_dict(only_output_properties=only_output_properties))
    return data
