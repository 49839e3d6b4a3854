"""Rasa's Redis lock store made safe for several servers: :class:`AtomicRedisLockStore`.

Rasa 3.6's ``RedisLockStore`` keeps a conversation's ticket lock as one JSON value, and issues a
ticket by reading it, adding the ticket in memory and writing it back (``LockStore.issue_ticket``;
releasing is the same read-modify-write). Two servers that take a message of the same
conversation at the same moment both read "no ticket", both issue ticket 0, both write, and both
handle their message at once: one turn's events overwrite the other's in the tracker store.
Seen in tests/scaleout (two messages sent to two servers at once: one of them was lost).

Here each step is one Lua script, atomic in Redis:

- issue: ``INCR`` the conversation's counter; the ticket goes into a sorted set (score: its
  number) with its deadline, taken from Redis's own clock so that servers' clocks do not matter;
- renew: while its server is alive, a ticket's deadline is pushed on (below);
- serving: drop the tickets whose deadline passed (their holder died or hung), return the lowest;
  a message goes when that is its ticket;
- release: remove the ticket.

The semantics are Rasa's: tickets are served in the order they were issued, no ticket lives
longer than ``lock_lifetime`` seconds from its issue (a turn that hangs frees its conversation
then; 60 s by default: ``TICKET_LOCK_LIFETIME``), and a message whose ticket expired before it was
served fails with ``LockError``. One thing is added: a ticket is a lease of ``lease_seconds``
(10 s) that its server renews every third of that while it waits or holds. A server that dies
holding a ticket (SIGKILL, a lost machine) stops renewing it, and its conversation's next message
goes after at most the lease, not after the whole lifetime (docs/performance.md has both
figures). A server whose event loop stalls longer than the lease would lose its ticket early;
the lease is two hundred times a whole turn's work (stock Rasa answers one citizen in 45 ms at
p95, docs/performance.md); a stall that long would already time out HAProxy's health check.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)
from redis.asyncio import Redis as AsyncRedis

log = logging.getLogger(__name__)

# How often a waiting message looks whether its turn has come (Rasa's default is 1 s, which a
# conversation's second message would wait on average half of, for nothing).
WAIT_SECONDS = 0.02
# How long a ticket outlives the last sign of life of its server.
LEASE_SECONDS = 10.0

_NOW_MS = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
"""
# KEYS: queue (zset), counter, deadlines (hash); ARGV: lease, lifetime (ms). Returns the ticket
# and the moment its lifetime ends (Redis's clock, ms).
_ISSUE = _NOW_MS + """
local lease, lifetime = tonumber(ARGV[1]), tonumber(ARGV[2])
local ticket = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], ticket, ticket)
redis.call('HSET', KEYS[3], ticket, now_ms + math.min(lease, lifetime))
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, 2 * lifetime) end
return {ticket, now_ms + lifetime}
"""
# KEYS: queue, deadlines; ARGV: ticket, lease (ms), the end of its lifetime
_RENEW = _NOW_MS + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], math.min(now_ms + tonumber(ARGV[2]), tonumber(ARGV[3])))
return 1
"""
# KEYS: queue, deadlines; ARGV: ticket. Returns the ticket served now, or -2 when the asking
# ticket is no longer queued (it expired).
_SERVING = _NOW_MS + """
while true do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #first == 0 then return -2 end
  local deadline = tonumber(redis.call('HGET', KEYS[2], first[1]) or '0')
  if deadline >= now_ms then
    if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return tonumber(first[1]) end
    return -2
  end
  redis.call('ZREM', KEYS[1], first[1])
  redis.call('HDEL', KEYS[2], first[1])
end
"""
# KEYS: queue, deadlines; ARGV: ticket
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose tickets are issued, served and released atomically
    (endpoints.yml: ``type: bot.lock_store.AtomicRedisLockStore`` with Rasa's ``redis`` keys)."""

    def __init__(self, endpoint_config: Any = None, lease_seconds: float = LEASE_SECONDS,
                 **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
            lease_seconds = float(kwargs.pop("lease_seconds", lease_seconds))
        super().__init__(**kwargs)  # Rasa's sync client (self.red), used by nothing here
        self.lease_seconds = lease_seconds
        # Every turn takes, waits for and gives back a ticket: with a client that does not
        # block the server's event loop (Rasa's would, each call, up to its socket timeout).
        aio = AsyncRedis(
            host=kwargs.get("host", "localhost"), port=int(kwargs.get("port", 6379)),
            db=int(kwargs.get("db", 1)), username=kwargs.get("username"),
            password=kwargs.get("password"), ssl=bool(kwargs.get("use_ssl", False)),
            ssl_certfile=kwargs.get("ssl_certfile"), ssl_keyfile=kwargs.get("ssl_keyfile"),
            ssl_ca_certs=kwargs.get("ssl_ca_certs"),
            socket_timeout=kwargs.get("socket_timeout", DEFAULT_SOCKET_TIMEOUT_IN_SECONDS),
        )
        self._issue = aio.register_script(_ISSUE)
        self._renew = aio.register_script(_RENEW)
        self._serving = aio.register_script(_SERVING)
        self._release = aio.register_script(_RELEASE)

    def _keys(self, conversation_id: str) -> tuple[str, str, str]:
        base = self.key_prefix + conversation_id
        return f"{base}:queue", f"{base}:counter", f"{base}:deadlines"

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = WAIT_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        queue, counter, deadlines = self._keys(conversation_id)
        lease_ms = int(self.lease_seconds * 1000)
        try:
            ticket, ends = await self._issue(keys=[queue, counter, deadlines],
                                       args=[lease_ms, int(lock_lifetime * 1000)])
        except Exception as exc:  # noqa: BLE001 - as Rasa's: the message fails with LockError
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        renewing = asyncio.create_task(self._keep(queue, deadlines, int(ticket), lease_ms,
                                                  int(ends)))
        try:
            while True:
                serving = int(await self._serving(keys=[queue, deadlines], args=[ticket]))
                if serving == ticket:
                    break
                if serving == -2:
                    raise LockError(
                        f"Could not acquire lock for conversation_id '{conversation_id}'.")
                await asyncio.sleep(wait_time_in_seconds)
            yield TicketLock(conversation_id)
        finally:
            renewing.cancel()
            try:
                await self._release(keys=[queue, deadlines], args=[ticket])
            except Exception:  # noqa: BLE001 - the ticket expires on its own
                log.warning("could not release ticket %s of %s", ticket, conversation_id)

    async def _keep(self, queue: str, deadlines: str, ticket: int, lease_ms: int,
                    ends: int) -> None:
        """Renew ``ticket``'s lease every third of it, while it is queued or held."""
        while True:
            await asyncio.sleep(lease_ms / 3000)
            try:
                if not int(await self._renew(keys=[queue, deadlines], args=[ticket, lease_ms, ends])):
                    return  # served and released, or expired
            except Exception:  # noqa: BLE001 - tried again; meanwhile the lease runs on
                log.warning("could not renew ticket %s of %s", ticket, queue)
