"""Filing a confirmed report exactly once, through the outbox, against the sandbox city."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select

from bot.city.open311 import NewRequest, Open311Client
from bot.filing import Forgotten, file_report, forget_sender, recent_reports, retry_pending
from bot.handoff import open_handoff, release_handoff
from bot.store import Handoff, Report, Store


def pothole(description: str) -> NewRequest:
    return NewRequest(service_code="pothole", description=description,
                      address_string="tverskaya 12", attributes={"size": "medium"})


async def file(store: Store, open311: Open311Client, description: str, *, key: str | None = None,
               sender: str = "citizen-1", request: NewRequest | None = None):
    return await file_report(store, open311, key=key or uuid.uuid4().hex, sender_id=sender,
                             service_name="Pothole", request=request or pothole(description))


async def city_requests_with(open311: Open311Client, description: str) -> list[str]:
    """The ids of the city's requests carrying this (unique) description."""
    return [r.id for r in await open311.requests() if r.description == description]


async def stored(store: Store, key: str) -> Report | None:
    async with store.session() as session:
        return (await session.execute(select(Report).where(Report.key == key))).scalar_one_or_none()


async def test_a_confirmed_report_is_filed_once_and_recorded_as_filed(store, open311):
    description, key = f"Pothole {uuid.uuid4().hex}", uuid.uuid4().hex
    outcome = await file(store, open311, description, key=key)
    assert outcome.state == "filed" and outcome.request_id
    assert outcome.notice and outcome.service_name == "Pothole"
    assert await city_requests_with(open311, description) == [outcome.request_id]
    row = await stored(store, key)
    assert (row.status, row.request_id, row.attempts) == ("filed", outcome.request_id, 1)
    assert row.payload["description"] == description


async def test_the_same_confirmation_again_answers_from_the_record(store, open311):
    description, key = f"Pothole {uuid.uuid4().hex}", uuid.uuid4().hex
    first = await file(store, open311, description, key=key)
    second = await file(store, open311, description, key=key)
    assert second == first
    assert await city_requests_with(open311, description) == [first.request_id]


async def test_two_concurrent_calls_with_one_key_file_one_request(store, open311):
    description, key = f"Pothole {uuid.uuid4().hex}", uuid.uuid4().hex
    first, second = await asyncio.gather(
        file(store, open311, description, key=key), file(store, open311, description, key=key))
    assert first.state == second.state == "filed"
    assert first.request_id == second.request_id is not None
    assert await city_requests_with(open311, description) == [first.request_id]


async def test_two_concurrent_calls_with_one_key_ask_the_city_once(store, city_http,
                                                                   scripted_city):
    # A slow city, so both calls are in flight together; the outbox row, not the city's
    # idempotency, must keep the second call from filing.
    scripted_city.answer(200, b'[{"service_request_id": "100500"}]')
    scripted_city.delay = 0.3
    open311 = Open311Client(city_http, scripted_city.url("/open311/v2"), api_key="k")
    key = uuid.uuid4().hex
    outcomes = await asyncio.gather(*(file(store, open311, "Slow city", key=key)
                                      for _ in range(2)))
    assert [o.request_id for o in outcomes] == ["100500", "100500"]
    assert scripted_city.hits["POST"] == 1


async def test_the_city_is_told_the_confirmations_key(store, open311):
    # If the city filed but its answer was lost, a retry under the key must not file again.
    description, key = f"Pothole {uuid.uuid4().hex}", uuid.uuid4().hex
    outcome = await file(store, open311, description, key=key)
    again = await open311.create_request(pothole(description), idempotency_key=key)
    assert again.id == outcome.request_id
    assert await city_requests_with(open311, description) == [outcome.request_id]


async def test_a_failing_city_leaves_the_report_pending_and_saved(store, open311, city_fault):
    description, key = f"Pothole {uuid.uuid4().hex}", uuid.uuid4().hex
    await city_fault(mode="error", paths="/open311/v2/requests")
    outcome = await file(store, open311, description, key=key)
    assert outcome.state == "pending" and outcome.request_id is None
    row = await stored(store, key)
    assert row.status == "pending" and row.attempts == 1 and row.last_error


async def test_a_pending_report_is_filed_once_the_city_is_back(store, open311, city_fault):
    description, key = f"Pothole {uuid.uuid4().hex}", uuid.uuid4().hex
    await city_fault(mode="error", paths="/open311/v2/requests")
    await file(store, open311, description, key=key)
    await city_fault(mode="ok")
    retried = await retry_pending(store, open311, older_than=timedelta(0))
    assert [o.state for o in retried] == ["filed"]
    assert await city_requests_with(open311, description) == [retried[0].request_id]
    assert (await stored(store, key)).status == "filed"
    assert await retry_pending(store, open311, older_than=timedelta(0)) == []
    assert await city_requests_with(open311, description) == [retried[0].request_id]


async def test_a_report_touched_just_now_waits_for_the_next_drain(store, open311, city_fault):
    await city_fault(mode="error", paths="/open311/v2/requests")
    await file(store, open311, f"Pothole {uuid.uuid4().hex}")
    await city_fault(mode="ok")
    assert await retry_pending(store, open311, older_than=timedelta(minutes=5)) == []


async def test_a_report_the_city_refuses_is_rejected_and_never_retried(store, open311):
    key = uuid.uuid4().hex
    refused = NewRequest(service_code="no_such_service", description="x",
                         address_string="tverskaya 12")
    outcome = await file(store, open311, "x", key=key, request=refused)
    assert outcome.state == "rejected" and outcome.request_id is None
    assert "no_such_service" in outcome.reason
    assert await retry_pending(store, open311, older_than=timedelta(0)) == []
    row = await stored(store, key)
    assert row.status == "rejected" and row.attempts == 1


async def test_recent_reports_are_the_senders_own_newest_first(store, open311):
    for n in range(3):
        await file(store, open311, f"Pothole {n} {uuid.uuid4().hex}", sender="anna")
    await file(store, open311, f"Pothole {uuid.uuid4().hex}", sender="boris")
    recent = await recent_reports(store, "anna", limit=2)
    assert [r.payload["description"].split()[1] for r in recent] == ["2", "1"]
    assert {r.sender_id for r in recent} == {"anna"}


async def test_forgetting_a_sender_deletes_their_reports_and_closed_handoffs(store, open311):
    await file(store, open311, f"Pothole {uuid.uuid4().hex}", sender="anna")
    await file(store, open311, f"Pothole {uuid.uuid4().hex}", sender="anna")
    await file(store, open311, f"Pothole {uuid.uuid4().hex}", sender="boris")
    await open_handoff(store, "anna", reason="asked for a person", last_message="help")
    await release_handoff(store, "anna")
    waiting = await open_handoff(store, "anna", reason="again", last_message="a person please")
    assert await forget_sender(store, "anna") == Forgotten(deleted=2, unfiled=0)
    assert await recent_reports(store, "anna") == []
    assert len(await recent_reports(store, "boris")) == 1
    async with store.session() as session:
        handoffs = (await session.execute(select(Handoff))).scalars().all()
    # The conversation an operator still holds stays until it is released.
    assert [(h.id, h.status) for h in handoffs] == [(waiting.id, "open")]


async def test_forget_me_keeps_a_report_not_filed_yet_files_it_then_deletes_it(
    store, open311, city_fault
):
    """Issue 13: forget_me deleted the outbox row of a report the citizen was told is saved."""
    description = f"Pothole {uuid.uuid4().hex}"
    await file(store, open311, f"Pothole {uuid.uuid4().hex}", sender="anna")  # filed
    await city_fault(mode="error", paths="/open311/v2/requests")
    assert (await file(store, open311, description, sender="anna")).state == "pending"
    assert await forget_sender(store, "anna") == Forgotten(deleted=1, unfiled=1)
    assert await recent_reports(store, "anna") == []  # nothing here names her any more

    await city_fault(mode="ok")
    [filed] = await retry_pending(store, open311, older_than=timedelta(0))
    assert filed.state == "filed"
    assert await city_requests_with(open311, description) == [filed.request_id]
    async with store.session() as session:
        left = (await session.execute(select(Report.sender_id))).scalars().all()
    assert "anna" not in left and not any(s.startswith("forgotten:") for s in left)


async def test_deleting_a_conversation_in_the_console_keeps_its_unfiled_report_to_file(
    store, open311, city_fault
):
    from bot.console.index import forget

    await city_fault(mode="error", paths="/open311/v2/requests")
    key = uuid.uuid4().hex
    await file(store, open311, f"Pothole {uuid.uuid4().hex}", key=key, sender="boris")
    await forget(store, "boris")  # what an admin's delete and the forget_me sweep run
    row = await stored(store, key)
    assert row.status == "pending" and row.sender_id.startswith("forgotten:")
    await city_fault(mode="ok")
    assert [o.state for o in await retry_pending(store, open311, older_than=timedelta(0))] == [
        "filed"]
    assert await stored(store, key) is None


async def test_a_report_filed_with_a_token_gets_its_request_id_later(store, open311):
    from bot.filing import resolve_tokens

    graffiti = NewRequest(service_code="graffiti", description="tags on the school wall",
                          address_string="pokrovka 5")
    outcome = await file(store, open311, "", key="graffiti-1", request=graffiti)
    assert outcome.state == "filed" and outcome.token and outcome.request_id is None
    reports = await recent_reports(store, "citizen-1")
    await resolve_tokens(store, open311, reports)
    assert reports[0].request_id is not None
    assert (await stored(store, "graffiti-1")).request_id == reports[0].request_id
    assert reports[0].request_id in await city_requests_with(open311, "tags on the school wall")
