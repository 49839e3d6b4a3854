"""bot.lock_store on the machine's Redis: messages of one conversation taken by several
servers at once are handled one at a time, in the order their tickets were issued; a dead
holder's ticket expires; Rasa's own RedisLockStore, for comparison, lets two in at once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid

import pytest
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import AtomicRedisLockStore

DB = 7


def servers(n: int) -> list[AtomicRedisLockStore]:
    """``n`` lock stores as ``n`` Rasa servers make them from endpoints.yml."""
    config = EndpointConfig(url="127.0.0.1", type="bot.lock_store.AtomicRedisLockStore",
                            port=6379, db=DB, key_prefix="test")
    return [AtomicRedisLockStore(endpoint_config=config) for _ in range(n)]


def overlaps(stores: list, conversation: str, turns: int = 10,
             lifetime: float = 60.0) -> tuple[int, int]:
    """Each store (a server) in a thread of its own runs ``turns`` turns of one conversation,
    all at once; how many turns began while another was inside, and how many ran."""
    guard = threading.Lock()
    state = {"inside": 0, "overlapped": 0, "ran": 0}
    start = threading.Barrier(len(stores))

    async def server(store) -> None:  # noqa: ANN001
        for _ in range(turns):
            with contextlib.suppress(LockError):  # Rasa's: a ticket overwritten, never served
                await turn(store)

    async def turn(store) -> None:  # noqa: ANN001
        async with store.lock(conversation, lifetime, wait_time_in_seconds=0.01):
            with guard:
                state["inside"] += 1
                state["overlapped"] += state["inside"] > 1
                state["ran"] += 1
            time.sleep(0.005)  # the turn's work (blocking: the other servers run meanwhile)
            with guard:
                state["inside"] -= 1

    def run(store) -> None:  # noqa: ANN001
        start.wait()
        asyncio.run(server(store))

    threads = [threading.Thread(target=run, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return state["overlapped"], state["ran"]


def test_turns_of_one_conversation_on_several_servers_never_overlap() -> None:
    overlapped, ran = overlaps(servers(4), f"c-{uuid.uuid4().hex}")
    assert (overlapped, ran) == (0, 40)


def test_rasas_own_redis_lock_store_lets_two_in_at_once() -> None:
    """Why citybot has its own: the same load through Rasa's RedisLockStore overlaps (its
    tickets are read, added to and written back, not issued atomically)."""
    stores = [RedisLockStore(host="127.0.0.1", port=6379, db=DB, key_prefix="test")
              for _ in range(4)]
    overlapped, _ = overlaps(stores, f"c-{uuid.uuid4().hex}", lifetime=1.0)
    assert overlapped > 0


async def test_a_ticket_left_by_a_dead_server_expires() -> None:
    (store,) = servers(1)
    conversation = f"c-{uuid.uuid4().hex}"
    queue, counter, deadlines = store._keys(conversation)
    # a server took ticket 1 with a 0.3 s lifetime, then died without releasing it
    store._issue(keys=[queue, counter, deadlines], args=[300])
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with store.lock(conversation):
        waited = loop.time() - began
    assert 0.2 < waited < 2.0


async def test_a_message_whose_own_ticket_expires_while_waiting_fails() -> None:
    (store,) = servers(1)
    conversation = f"c-{uuid.uuid4().hex}"
    queue, counter, deadlines = store._keys(conversation)
    store._issue(keys=[queue, counter, deadlines], args=[5000])  # a holder for 5 s
    with pytest.raises(LockError):
        async with store.lock(conversation, lock_lifetime=0.2):
            pass
