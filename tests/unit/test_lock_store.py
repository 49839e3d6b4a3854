"""bot.lock_store on the machine's Redis: messages of one conversation taken by several
servers at once are handled one at a time, in the order their tickets were issued; a dead
holder's ticket expires; Rasa's own RedisLockStore, for comparison, lets two in at once or
loses a ticket."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass

import pytest
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import LEASE_SECONDS, AtomicRedisLockStore

DB = 7
# Far above any wait the lifetimes below allow (1 s for Rasa's store).
STUCK_AFTER = 5.0


def servers(n: int) -> list[AtomicRedisLockStore]:
    """``n`` lock stores as ``n`` Rasa servers make them from endpoints.yml."""
    config = EndpointConfig(url="127.0.0.1", type="bot.lock_store.AtomicRedisLockStore",
                            port=6379, db=DB, key_prefix="test")
    return [AtomicRedisLockStore(endpoint_config=config) for _ in range(n)]


@dataclass
class Load:
    overlapped: int = 0  # turns that began while another turn was inside
    ran: int = 0
    stuck: int = 0  # turns still waiting for their ticket long after every lifetime was over


def run_at_once(stores: list, conversation: str, turns: int = 10,
                lifetime: float = 60.0) -> Load:
    """Each store (a server) in a thread of its own runs ``turns`` turns of one conversation,
    all at once."""
    guard = threading.Lock()
    load, inside = Load(), [0]
    start = threading.Barrier(len(stores))

    async def server(store) -> None:  # noqa: ANN001
        for _ in range(turns):
            try:
                await asyncio.wait_for(turn(store), STUCK_AFTER)
            except LockError:
                pass  # its ticket expired before it was served: the message fails, as in Rasa
            except asyncio.TimeoutError:
                with guard:
                    load.stuck += 1
                return  # this server's later turns would only wait behind it

    async def turn(store) -> None:  # noqa: ANN001
        async with store.lock(conversation, lifetime, wait_time_in_seconds=0.01):
            with guard:
                inside[0] += 1
                load.overlapped += inside[0] > 1
                load.ran += 1
            time.sleep(0.005)  # the turn's work (blocking: the other servers run meanwhile)
            with guard:
                inside[0] -= 1

    def run(store) -> None:  # noqa: ANN001
        start.wait()
        asyncio.run(server(store))

    threads = [threading.Thread(target=run, args=(store,), daemon=True) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return load


def test_turns_of_one_conversation_on_several_servers_never_overlap() -> None:
    assert run_at_once(servers(4), f"c-{uuid.uuid4().hex}") == Load(overlapped=0, ran=40, stuck=0)


def test_rasas_own_redis_lock_store_is_unsafe_across_servers() -> None:
    """Why citybot has its own: the same load through Rasa's RedisLockStore lets two turns in at
    once, or loses a ticket so that its message waits for ever (its tickets are read, added to
    and written back, not issued atomically). Which of the two happens varies from run to run."""
    stores = [RedisLockStore(host="127.0.0.1", port=6379, db=DB, key_prefix="test")
              for _ in range(4)]
    load = run_at_once(stores, f"c-{uuid.uuid4().hex}", lifetime=1.0)
    assert load.overlapped + load.stuck > 0, load


def redis_now(store: AtomicRedisLockStore) -> float:
    seconds, micro = store.red.time()
    return seconds + micro / 1e6


async def until_redis_clock_passes(store: AtomicRedisLockStore, moment: float) -> None:
    """Until Redis's clock (the one tickets' deadlines are on) is past ``moment``."""
    while redis_now(store) <= moment:
        await asyncio.sleep(0.02)


async def left_by_a_dead_server(store: AtomicRedisLockStore, conversation: str, *, lease: float,
                          lifetime: float = 60.0) -> None:
    """A ticket issued as a server issues one, whose server then died: never renewed nor
    released."""
    queue, counter, deadlines = store._keys(conversation)
    await store._issue(keys=[queue, counter, deadlines],
                       args=[int(lease * 1000), int(lifetime * 1000)])


async def test_a_ticket_left_by_a_dead_server_expires_after_its_lease_not_its_lifetime() -> None:
    (store,) = servers(1)
    conversation = f"c-{uuid.uuid4().hex}"
    await left_by_a_dead_server(store, conversation, lease=0.3, lifetime=60.0)
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with store.lock(conversation):
        waited = loop.time() - began
    assert 0.2 < waited < 5.0


async def test_a_live_server_keeps_its_ticket_past_its_lease() -> None:
    holder, other = servers(2)
    holder.lease_seconds = 0.3
    conversation = f"c-{uuid.uuid4().hex}"
    inside = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with holder.lock(conversation):
            inside.set()
            await release.wait()

    async def next_turn() -> None:
        async with other.lock(conversation):
            entered.set()

    entered = asyncio.Event()
    holding = asyncio.create_task(hold())
    await inside.wait()
    waiting = asyncio.create_task(next_turn())
    await until_redis_clock_passes(holder, redis_now(holder) + 3 * holder.lease_seconds)
    assert not entered.is_set()  # three leases on, the ticket is still the holder's
    release.set()
    await holding
    await asyncio.wait_for(waiting, 5)
    assert entered.is_set()


async def test_a_hung_turn_loses_its_ticket_at_its_lifetime_however_alive() -> None:
    """Rasa's bound stays: renewing never carries a ticket past ``lock_lifetime``."""
    holder, other = servers(2)
    holder.lease_seconds = 0.2
    conversation = f"c-{uuid.uuid4().hex}"
    inside = asyncio.Event()
    hang = asyncio.Event()  # never set: the turn hangs

    async def hung_turn() -> None:
        async with holder.lock(conversation, lock_lifetime=0.6):
            inside.set()
            await hang.wait()

    async def next_turn() -> float:
        async with other.lock(conversation):
            return redis_now(other)

    hung = asyncio.create_task(hung_turn())
    await inside.wait()
    held_from = redis_now(holder)
    try:  # the next message goes once the hung turn's lifetime is over, not at its lease
        assert 0.5 < await asyncio.wait_for(next_turn(), 10) - held_from < 5.0
    finally:
        hung.cancel()


async def test_a_message_whose_own_ticket_expires_while_waiting_fails() -> None:
    (store,) = servers(1)
    conversation = f"c-{uuid.uuid4().hex}"
    await left_by_a_dead_server(store, conversation, lease=5.0)  # a holder for 5 s
    with pytest.raises(LockError):
        async with store.lock(conversation, lock_lifetime=0.2):
            pass


def test_the_lease_can_be_set_in_endpoints_yml() -> None:
    config = EndpointConfig(url="127.0.0.1", type="bot.lock_store.AtomicRedisLockStore",
                            port=6379, db=DB, key_prefix="test", lease_seconds=3)
    assert AtomicRedisLockStore(endpoint_config=config).lease_seconds == 3.0
    assert servers(1)[0].lease_seconds == LEASE_SECONDS
