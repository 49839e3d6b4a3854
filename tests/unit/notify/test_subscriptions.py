"""Subscribing is idempotent, unsubscribing takes effect at once, and a citizen's subscriptions
and messages go when their conversation is forgotten."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.console.index import forget
from bot.filing import forget_sender
from bot.notify.subscriptions import (
    BadSubscription,
    list_subscriptions,
    subscribe,
    unsubscribe,
)
from bot.store import Delivery, Store, Subscription

from .conftest import moscow, utc


async def count(store: Store, table: type) -> int:
    async with store.session() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def owe(store: Store, subscription_id: int, sender_id: str, key: str,
              status: str = "pending") -> int:
    """A message owed to a subscription, as the recorder writes one."""
    async with store.session() as session, session.begin():
        row = Delivery(subscription_id=subscription_id, sender_id=sender_id, event_key=key,
                       intent="EXTERNAL_fine_issued", payload={}, status=status,
                       occurred_at=utc(moscow(2, 10)), due_at=utc(moscow(2, 10)))
        session.add(row)
    return row.id


async def status_of(store: Store, delivery_id: int) -> str:
    async with store.session() as session:
        return (await session.get(Delivery, delivery_id)).status


async def test_the_same_subscription_twice_is_one(store):
    first = await subscribe(store, "anna", "fines", "77 uv 123456", channel="telegram")
    second = await subscribe(store, "anna", "fines", "77УВ123456", channel="telegram",
                             language="ru")
    assert first.id == second.id and second.target == "77УВ123456"
    assert second.language == "ru"  # brought up to date
    assert [s.id for s in await list_subscriptions(store, "anna")] == [first.id]
    assert await count(store, Subscription) == 1


async def test_kinds_without_a_target_are_one_each(store):
    reports = await subscribe(store, "anna", "reports", channel="webchat")
    again = await subscribe(store, "anna", "reports", "ignored", channel="webchat")
    meters = await subscribe(store, "anna", "meter_reminder", channel="webchat")
    assert reports.id == again.id != meters.id and reports.target is None


async def test_two_addresses_are_two_subscriptions(store):
    one = await subscribe(store, "anna", "outages", "12")
    two = await subscribe(store, "anna", "outages", "45")
    assert one.id != two.id
    assert {s.target for s in await list_subscriptions(store, "anna")} == {"12", "45"}


@pytest.mark.parametrize("kind, target", [("weather", None), ("outages", None),
                                          ("outages", " "), ("fines", "77 123456")])
async def test_what_cannot_be_watched_is_refused(store, kind, target):
    with pytest.raises(BadSubscription):
        await subscribe(store, "anna", kind, target)


async def test_unsubscribing_one_kind_cancels_its_unsent_messages_at_once(store):
    fines = await subscribe(store, "anna", "fines", "77УВ123456")
    reports = await subscribe(store, "anna", "reports")
    pending = await owe(store, fines.id, "anna", "events:1")
    held = await owe(store, fines.id, "anna", "events:2", status="held")
    sent = await owe(store, fines.id, "anna", "events:3", status="sent")
    other = await owe(store, reports.id, "anna", "open311:1@x")

    assert await unsubscribe(store, "anna", "fines") == 1
    assert [s.kind for s in await list_subscriptions(store, "anna")] == ["reports"]
    assert [await status_of(store, d) for d in (pending, held, sent, other)] == [
        "cancelled", "cancelled", "sent", "pending"]


async def test_unsubscribing_everything_ends_every_kind(store):
    for kind, target in (("fines", "77УВ123456"), ("reports", None), ("outages", "12")):
        await subscribe(store, "anna", kind, target)
    await subscribe(store, "boris", "reports")
    assert await unsubscribe(store, "anna") == 3
    assert await list_subscriptions(store, "anna") == []
    assert len(await list_subscriptions(store, "boris")) == 1
    assert await unsubscribe(store, "anna") == 0  # saying it again changes nothing


async def test_unsubscribing_one_address_keeps_the_other(store):
    await subscribe(store, "anna", "outages", "12")
    await subscribe(store, "anna", "outages", "45")
    assert await unsubscribe(store, "anna", "outages", "12") == 1
    assert [s.target for s in await list_subscriptions(store, "anna")] == ["45"]


async def test_subscribing_again_after_stop_starts_afresh(store):
    first = await subscribe(store, "anna", "fines", "77УВ123456", now=moscow(2, 10))
    await unsubscribe(store, "anna", "fines", now=moscow(2, 11))
    again = await subscribe(store, "anna", "fines", "77УВ123456", now=moscow(3, 9))
    assert again.id == first.id
    assert again.created_at == utc(moscow(3, 9))  # told of what happens from now on
    async with store.session() as session:
        row = await session.get(Subscription, first.id)
        assert (row.ended_at, row.end_reason) == (None, None)


async def test_forgetting_a_conversation_deletes_its_subscriptions_and_messages(store):
    mine = await subscribe(store, "anna", "fines", "77УВ123456")
    theirs = await subscribe(store, "boris", "fines", "77УВ123456")
    await owe(store, mine.id, "anna", "events:1")
    await owe(store, theirs.id, "boris", "events:1")
    await forget(store, "anna")
    assert await list_subscriptions(store, "anna") == []
    assert (await count(store, Subscription), await count(store, Delivery)) == (1, 1)


async def test_forget_me_stops_notifications_in_its_own_turn(store):
    """The assistant's forget_me (bot.filing.forget_sender) ends them at once, before the
    console's sweep deletes the conversation."""
    mine = await subscribe(store, "anna", "reports")
    theirs = await subscribe(store, "boris", "reports")
    await owe(store, mine.id, "anna", "open311:1@x")
    await owe(store, theirs.id, "boris", "open311:1@x")
    await forget_sender(store, "anna")
    assert await list_subscriptions(store, "anna") == []
    assert (await count(store, Subscription), await count(store, Delivery)) == (1, 1)
