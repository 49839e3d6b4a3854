"""The console follows Rasa's event broker (the scaled setup, docs/operations.md).

Every event Rasa stores is also published to RabbitMQ (its pika event broker, a fanout exchange)
into the console's queue. The console does not rebuild anything from the stream: the tracker
store stays the one record, read by :func:`bot.console.index.refresh_index`. The stream only
says *when* there is something new, so the index is refreshed within moments of a turn instead of
on the next 5-second poll, and an idle console stops asking the database every 5 seconds
(docs/performance.md has both figures). The queue is durable, so it keeps what arrives while the
console is down. Events are taken without acknowledgements (the broker counts a message delivered
as done): the console needs only to know that something arrived, and what a crash loses on the
way is read from the tracker store at the next start anyway. The queue never grows while the
console runs, and the console makes no round trip per event.
"""

from __future__ import annotations

import asyncio
import logging

import aio_pika
from aio_pika.exceptions import AMQPError

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0


class BrokerFollower:
    """Reads the console's queue and sets ``wake`` whenever an event arrives."""

    def __init__(self, url: str, queue: str, wake: asyncio.Event) -> None:
        self.url = url
        self.queue = queue
        self.wake = wake

    async def run(self) -> None:
        """Until cancelled; a broker that is down is asked again every few seconds."""
        while True:
            try:
                await self._follow()
            except (AMQPError, OSError, ConnectionError) as exc:
                log.warning("console: the event broker is unreachable (%s); polling the tracker "
                            "store until it is back", exc)
            await asyncio.sleep(RETRY_SECONDS)
            self.wake.set()  # meanwhile the index is refreshed as often as it is asked again

    async def _follow(self) -> None:
        connection = await aio_pika.connect(self.url)
        async with connection:
            channel = await connection.channel()
            # the same declaration as Rasa's broker makes (bot.scaleout names both)
            queue = await channel.declare_queue(self.queue, durable=True)
            async with queue.iterator(no_ack=True) as messages:
                self.wake.set()  # what arrived while the console was down
                async for _ in messages:
                    self.wake.set()
