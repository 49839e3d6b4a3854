"""Handing a conversation to a person and back, in a temporary app database."""

from __future__ import annotations

from bot.handoff import open_handoff, open_handoffs, release_handoff


async def test_asking_twice_keeps_one_open_handoff_with_the_latest_message(store):
    first = await open_handoff(store, "anna", reason="asked for a person", last_message="help")
    second = await open_handoff(store, "anna", reason="again", last_message="hello?")
    assert second.id == first.id
    waiting = await open_handoffs(store)
    assert [(h.sender_id, h.last_message, h.reason) for h in waiting] == [
        ("anna", "hello?", "asked for a person")]


async def test_released_handoff_is_no_longer_open_and_records_when(store):
    await open_handoff(store, "anna", reason="r", last_message="m")
    assert await release_handoff(store, "anna") is True
    assert await open_handoffs(store) == []
    assert await release_handoff(store, "anna") is False


async def test_after_release_a_new_request_opens_a_new_handoff(store):
    first = await open_handoff(store, "anna", reason="r", last_message="m")
    await release_handoff(store, "anna")
    again = await open_handoff(store, "anna", reason="r2", last_message="m2")
    assert again.id != first.id
    assert [h.id for h in await open_handoffs(store)] == [again.id]


async def test_open_handoffs_lists_every_waiting_sender_oldest_first(store):
    for sender in ("anna", "boris", "vera"):
        await open_handoff(store, sender, reason="r", last_message="m")
    await release_handoff(store, "boris")
    assert [h.sender_id for h in await open_handoffs(store)] == ["anna", "vera"]
    assert all(h.status == "open" and h.released_at is None for h in await open_handoffs(store))


async def test_releasing_a_sender_without_a_handoff_is_false(store):
    await open_handoff(store, "anna", reason="r", last_message="m")
    assert await release_handoff(store, "boris") is False
    assert [h.sender_id for h in await open_handoffs(store)] == ["anna"]


async def test_a_closed_handoff_is_no_longer_open_and_says_it_was_closed(store):
    from sqlalchemy import select

    from bot.handoff import CLOSED
    from bot.store import Handoff

    await open_handoff(store, "anna", reason="r", last_message="m")
    assert await release_handoff(store, "anna", status=CLOSED) is True
    assert await open_handoffs(store) == []
    async with store.session() as session:
        row = (await session.execute(select(Handoff))).scalar_one()
    assert row.status == "closed" and row.released_at is not None
