"""The notifier end to end: the sandbox city (its events feed, Open311, outages) in, a stand-in
for Rasa's HTTP API out, the app database in between. The policy's clock is the argument of
``run_once``; a restart is a new notifier on the same database."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date, timedelta

from sqlalchemy import select

from bot.city.cityapi import CityApiClient
from bot.city.open311 import NewRequest, Open311Client
from bot.filing import file_report
from bot.notify.record import read_cursor, record
from bot.notify.sources import Batch
from bot.notify.subscriptions import list_subscriptions, subscribe, unsubscribe
from bot.store import Delivery, Store, Subscription

from .conftest import (
    FakeFeed,
    FakeRasa,
    Sandbox,
    StartNotifier,
    at,
    later,
    moscow,
    with_feed,
)

ANNA_CAR, CLARA_CAR = "77УВ123456", "97ОР135790"
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


async def deliveries(store: Store) -> list[tuple[str, str, str]]:
    """(sender, event key, status) of every delivery, in the order they were recorded."""
    async with store.session() as session:
        rows = await session.execute(select(Delivery.sender_id, Delivery.event_key,
                                            Delivery.status).order_by(Delivery.id))
        return [tuple(row) for row in rows]


async def statuses(store: Store) -> list[str]:
    return [status for *_, status in await deliveries(store)]


def names(rasa: FakeRasa) -> list[tuple[str, str]]:
    return sorted((call.sender_id, call.body["name"]) for call in rasa.calls)


async def report(store: Store, open311: Open311Client, sender_id: str) -> str:
    """A pothole the citizen reported through the assistant: filed, and in ``reports``."""
    outcome = await file_report(
        store, open311, key=uuid.uuid4().hex, sender_id=sender_id, service_name="Pothole",
        request=NewRequest(service_code="pothole", description=f"hole {uuid.uuid4().hex}",
                           address_string="Tverskaya 12", attributes={"size": "large"}),
    )
    assert outcome.state == "filed" and outcome.request_id
    return outcome.request_id


async def two_houses(api: CityApiClient) -> tuple[str, str]:
    """A house on Tverskaya Street and one in another district."""
    tverskaya = (await api.search_addresses("tverskaya 12"))[0]
    novy_arbat = (await api.search_addresses("novy arbat 10"))[0]
    assert tverskaya.district != novy_arbat.district
    return tverskaya.id, novy_arbat.id


# ------------------------------------------------------------------ exactly once


async def test_each_event_reaches_each_subscriber_once_across_passes_and_a_restart(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    today: date,
):
    await subscribe(app_store, "anna", "fines", "77 uv 123456", channel="telegram")
    await subscribe(app_store, "anna", "meter_reminder", channel="telegram")
    await subscribe(app_store, "boris", "fines", ANNA_CAR, channel="webchat", language="ru")
    await subscribe(app_store, "clara", "fines", CLARA_CAR, channel="telegram")
    fine = await sandbox.fine("77 УВ 123456")
    noon = at(today, 12)  # this month: its meter window is open (the sandbox's: all month)

    first = await start_notifier()
    await first.run_once(noon)
    await first.run_once(later(noon, minutes=1))
    await first.stop()
    restarted = await start_notifier()
    await restarted.run_once(later(noon, minutes=2))

    assert names(rasa) == [("anna", "EXTERNAL_fine_issued"), ("anna", "EXTERNAL_meter_reminder"),
                           ("boris", "EXTERNAL_fine_issued")]
    anna_fine, boris_fine = rasa.sent_to("anna")[0], rasa.sent_to("boris")[0]
    assert anna_fine.params["output_channel"] == "telegram"
    assert (anna_fine.entities["fine_id"], anna_fine.entities["offence"]) == (
        fine["id"], fine["offence"])
    assert anna_fine.entities["vehicle_certificate"] == ANNA_CAR
    assert boris_fine.params["output_channel"] == "webchat"
    assert CYRILLIC.search(boris_fine.entities["offence"])  # the city's Russian words
    assert {c.entities["notification_id"] for c in rasa.calls} == {"n1", "n2", "n3"}
    (reminder,) = [c for c in rasa.sent_to("anna") if c.body["name"].endswith("meter_reminder")]
    assert reminder.entities["month"] == today.strftime("%Y-%m")

    second = await sandbox.fine(ANNA_CAR)
    await restarted.run_once(later(noon, minutes=3))
    await restarted.run_once(later(noon, minutes=4))
    assert [c.entities.get("fine_id") for c in rasa.sent_to("boris")] == [fine["id"],
                                                                          second["id"]]
    assert len(rasa.sent_to("anna")) == 3
    assert set(await statuses(app_store)) == {"sent"}


async def test_an_event_from_before_a_subscription_is_not_news_to_it(
    start_notifier: StartNotifier, app_store: Store, feed: FakeFeed, rasa: FakeRasa,
):
    morning = moscow(2, 10)
    feed.fine(ANNA_CAR, morning)
    await subscribe(app_store, "anna", "fines", ANNA_CAR, now=later(morning, minutes=1))
    notifier = await start_notifier(sources=with_feed(feed))
    await notifier.run_once(later(morning, minutes=2))
    assert rasa.calls == [] and await deliveries(app_store) == []


async def test_a_long_feed_is_read_page_by_page_in_one_pass(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    fines = [(await sandbox.fine(ANNA_CAR))["id"] for _ in range(5)]
    notifier = await start_notifier(sources=with_feed(page_size=2))
    done = await notifier.run_once(at(tomorrow, 10))
    assert done.recorded["city_events"] == 5
    assert sorted(c.entities["fine_id"] for c in rasa.calls) == sorted(fines)


# ------------------------------------------------------------------ report status changes


async def test_a_report_status_change_reaches_its_reporter_once_in_their_language(
    start_notifier: StartNotifier, app_store: Store, rasa: FakeRasa, open311: Open311Client,
    sandbox: Sandbox, tomorrow: date,
):
    anna_report = await report(app_store, open311, "anna")
    boris_report = await report(app_store, open311, "boris")
    await report(app_store, open311, "clara")  # clara did not subscribe
    await subscribe(app_store, "anna", "reports", channel="telegram")
    await subscribe(app_store, "boris", "reports", channel="webchat", language="ru")
    noon = at(tomorrow, 12)
    notifier = await start_notifier()
    await notifier.run_once(noon)
    assert rasa.calls == []  # filing a report is no change to tell of

    assert {anna_report, boris_report} <= set(await sandbox.tick())
    await notifier.run_once(later(noon, minutes=1))
    await notifier.run_once(later(noon, minutes=2))
    await notifier.stop()
    restarted = await start_notifier()
    await restarted.run_once(later(noon, minutes=3))

    assert names(rasa) == [("anna", "EXTERNAL_request_updated"),
                           ("boris", "EXTERNAL_request_updated")]
    anna, boris = rasa.sent_to("anna")[0], rasa.sent_to("boris")[0]
    assert {k: v for k, v in anna.entities.items() if k != "notification_id"} == {
        "request_id": anna_report, "request_status": "open", "status_notes": "Crew assigned",
        "service_name": "Pothole"}
    assert (boris.entities["request_id"], boris.entities["status_notes"]) == (
        boris_report, "Назначена бригада")

    await sandbox.tick()
    await restarted.run_once(later(noon, minutes=4))
    assert len(rasa.sent_to("anna")) == 2
    assert rasa.sent_to("anna")[1].entities["status_notes"] in ("Scheduled for repair",
                                                                 "Repaired")


# ------------------------------------------------------------------ quiet hours and the cap


async def test_nothing_is_sent_in_quiet_hours_and_it_goes_at_eight(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await sandbox.fine(ANNA_CAR)
    night, morning = at(tomorrow, 22, 31), at(tomorrow + timedelta(days=1), 8)
    notifier = await start_notifier()
    for moment in (night, later(night, hours=1), later(night, hours=5), later(morning, minutes=-1)):
        await notifier.run_once(moment)
    assert rasa.calls == []
    assert await statuses(app_store) == ["held"]

    await notifier.stop()
    restarted = await start_notifier()
    await restarted.run_once(morning)
    await restarted.run_once(later(morning, minutes=1))
    assert names(rasa) == [("anna", "EXTERNAL_fine_issued")]


async def test_an_outage_reaches_the_houses_it_affects_and_at_night_only_if_urgent(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    sandbox_api: CityApiClient, tomorrow: date,
):
    tverskaya, elsewhere = await two_houses(sandbox_api)
    await subscribe(app_store, "anna", "outages", tverskaya)
    await subscribe(app_store, "boris", "outages", elsewhere)
    next_day = tomorrow + timedelta(days=1)
    early = await sandbox.outage(tverskaya, starts=at(next_day, 7), ends=at(next_day, 18))
    late = await sandbox.outage(tverskaya, starts=at(next_day, 14), ends=at(next_day, 18))
    notifier = await start_notifier()
    await notifier.run_once(at(tomorrow, 23, 5))

    (urgent,) = rasa.calls  # hot water off at 07:00: told now; off at 14:00: in the morning
    assert urgent.sender_id == "anna" and urgent.body["name"] == "EXTERNAL_outage_planned"
    assert urgent.entities["outage_id"] == str(early["data"]["outage_id"])
    assert urgent.entities["address_id"] == tverskaya
    assert urgent.entities["reason"] == "Repair of a heating main"
    await notifier.run_once(at(next_day, 8))
    assert [c.entities["outage_id"] for c in rasa.calls] == [
        str(early["data"]["outage_id"]), str(late["data"]["outage_id"])]
    assert rasa.sent_to("boris") == []


async def test_an_outage_without_its_houses_listed_is_matched_by_asking_the_city(
    start_notifier: StartNotifier, app_store: Store, feed: FakeFeed, rasa: FakeRasa,
    sandbox_api: CityApiClient,
):
    tverskaya, elsewhere = await two_houses(sandbox_api)
    outage = (await sandbox_api.outages(address_id=tverskaya))[0]
    assert outage.id not in {o.id for o in await sandbox_api.outages(address_id=elsewhere)}
    morning = moscow(2, 10)
    await subscribe(app_store, "anna", "outages", tverskaya, now=morning)
    await subscribe(app_store, "boris", "outages", elsewhere, now=morning)
    feed.outage(outage.id, later(morning, minutes=1), starts=moscow(4, 9), ends=moscow(4, 18))
    await (await start_notifier(sources=with_feed(feed))).run_once(later(morning, minutes=2))
    assert names(rasa) == [("anna", "EXTERNAL_outage_planned")]


async def test_news_that_is_over_before_it_may_go_is_dropped(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    sandbox_api: CityApiClient, tomorrow: date,
):
    tverskaya, _ = await two_houses(sandbox_api)
    await subscribe(app_store, "anna", "outages", tverskaya)
    next_day = tomorrow + timedelta(days=1)
    await sandbox.outage(tverskaya, starts=at(next_day, 1), ends=at(next_day, 5))
    notifier = await start_notifier()
    await notifier.run_once(at(next_day, 6))  # the notifier was down all night
    assert rasa.calls == []
    assert await statuses(app_store) == ["expired"]


async def test_a_citizen_gets_at_most_the_daily_cap_and_the_rest_next_morning(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await subscribe(app_store, "clara", "fines", CLARA_CAR)
    for _ in range(7):
        await sandbox.fine(ANNA_CAR)
    await sandbox.fine(CLARA_CAR)
    notifier = await start_notifier(daily_cap=5)
    await notifier.run_once(at(tomorrow, 10))
    await notifier.run_once(at(tomorrow, 20))
    assert len(rasa.sent_to("anna")) == 5 and len(rasa.sent_to("clara")) == 1

    await notifier.run_once(at(tomorrow + timedelta(days=1), 8))
    assert len(rasa.sent_to("anna")) == 7
    assert len({c.entities["fine_id"] for c in rasa.sent_to("anna")}) == 7


# ------------------------------------------------------------------ stop, and failures


async def test_unsubscribing_stops_messages_not_yet_sent_at_once(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await sandbox.fine(ANNA_CAR)
    notifier = await start_notifier()
    await notifier.run_once(at(tomorrow, 23))  # held for the morning
    await unsubscribe(app_store, "anna")
    await sandbox.fine(ANNA_CAR)
    await notifier.run_once(at(tomorrow + timedelta(days=1), 8))
    assert rasa.calls == []
    assert await statuses(app_store) == ["cancelled"]


async def test_a_stop_between_two_messages_of_one_pass_stops_the_second(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await sandbox.fine(ANNA_CAR)
    await sandbox.fine(ANNA_CAR)

    async def citizen_says_stop(call: object) -> None:
        await unsubscribe(app_store, "anna")  # while Rasa is delivering the first

    rasa.on_trigger = citizen_says_stop
    await (await start_notifier()).run_once(at(tomorrow, 10))
    assert len(rasa.calls) == 1
    assert await statuses(app_store) == ["sent", "cancelled"]


async def test_a_blocked_bot_ends_the_subscription_and_others_still_hear(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR, channel="telegram")
    await subscribe(app_store, "boris", "fines", ANNA_CAR, channel="telegram")
    rasa.answers["anna"] = "blocked"
    await sandbox.fine(ANNA_CAR)
    notifier = await start_notifier()
    await notifier.run_once(at(tomorrow, 10))

    assert await list_subscriptions(app_store, "anna") == []
    async with app_store.session() as session:
        ended = (await session.execute(select(Subscription).where(
            Subscription.sender_id == "anna"))).scalar_one()
    assert ended.end_reason == "delivery refused: Forbidden: bot was blocked by the user"
    await sandbox.fine(ANNA_CAR)
    await notifier.run_once(at(tomorrow, 11))
    assert names(rasa) == [("anna", "EXTERNAL_fine_issued"), ("boris", "EXTERNAL_fine_issued"),
                           ("boris", "EXTERNAL_fine_issued")]
    assert [(s, st) for s, _, st in await deliveries(app_store)] == [
        ("anna", "failed"), ("boris", "sent"), ("boris", "sent")]


async def test_a_failed_send_is_tried_again_after_a_backoff_and_sent_once(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await sandbox.fine(ANNA_CAR)
    rasa.answers["anna"] = "error"
    ten = at(tomorrow, 10)
    notifier = await start_notifier()
    await notifier.run_once(ten)
    rasa.answers["anna"] = "ok"
    await notifier.run_once(later(ten, seconds=10))  # before the backoff ends
    assert len(rasa.calls) == 1
    await notifier.run_once(later(ten, minutes=1))
    await notifier.run_once(later(ten, minutes=10))
    assert len(rasa.calls) == 2 and len(rasa.events["anna"]) == 1
    assert await statuses(app_store) == ["sent"]


async def test_a_send_whose_answer_was_lost_is_found_in_the_conversation_not_sent_again(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await sandbox.fine(ANNA_CAR)
    rasa.answers["anna"], rasa.slow_seconds = "slow", 1.0
    ten = at(tomorrow, 10)
    notifier = await start_notifier(rasa_timeout=0.2)
    await notifier.run_once(ten)
    assert await statuses(app_store) == ["sending"]
    rasa.answers["anna"] = "ok"
    await notifier.run_once(later(ten, minutes=3))
    assert len(rasa.calls) == 1 and len(rasa.events["anna"]) == 1
    assert await statuses(app_store) == ["sent"]


async def test_a_send_cut_short_by_a_crash_is_sent_once_after_the_restart(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await sandbox.fine(ANNA_CAR)
    rasa.answers["anna"] = "hang"
    reached = asyncio.Event()

    async def arrived(call: object) -> None:
        reached.set()

    rasa.on_trigger = arrived
    ten = at(tomorrow, 10)
    crashing = await start_notifier()
    run = asyncio.create_task(crashing.run_once(ten))
    await asyncio.wait_for(reached.wait(), 10)
    run.cancel()  # the process dies while Rasa holds the call
    await asyncio.gather(run, return_exceptions=True)
    await crashing.stop()

    rasa.answers["anna"] = "ok"
    restarted = await start_notifier()
    await restarted.run_once(later(ten, minutes=1))  # too soon to tell: left alone
    assert len(rasa.calls) == 1
    await restarted.run_once(later(ten, minutes=3))  # not in the conversation: again later
    await restarted.run_once(later(ten, minutes=4))
    assert len(rasa.calls) == 2 and len(rasa.events["anna"]) == 1
    assert await statuses(app_store) == ["sent"]


# ------------------------------------------------------------------ the cursor


async def test_a_feed_that_fails_leaves_the_cursor_and_is_read_again(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await sandbox.fine(ANNA_CAR)
    notifier = await start_notifier()
    await sandbox.fault(mode="error", paths="/api/v1/events")
    try:
        done = await notifier.run_once(at(tomorrow, 10))
    finally:
        await sandbox.fault(mode="ok")
    assert "city_events" in done.failed_sources
    assert await read_cursor(app_store, "city_events") is None
    await notifier.run_once(at(tomorrow, 11))
    await notifier.run_once(at(tomorrow, 12))
    assert names(rasa) == [("anna", "EXTERNAL_fine_issued")]


async def test_the_cursor_does_not_move_past_events_that_were_not_recorded(
    start_notifier: StartNotifier, app_store: Store, feed: FakeFeed, rasa: FakeRasa,
    sandbox: Sandbox, sandbox_api: CityApiClient,
):
    tverskaya, _ = await two_houses(sandbox_api)
    outage = (await sandbox_api.outages(address_id=tverskaya))[0]
    morning = moscow(2, 10)
    await subscribe(app_store, "anna", "outages", tverskaya, now=morning)
    await subscribe(app_store, "anna", "fines", ANNA_CAR, now=morning)
    feed.fine(ANNA_CAR, later(morning, minutes=1))
    feed.outage(outage.id, later(morning, minutes=2), starts=moscow(4, 9), ends=moscow(4, 18))
    notifier = await start_notifier(sources=with_feed(feed))
    # The page is read, then the city fails when asked which houses the outage reaches.
    await sandbox.fault(mode="error", paths="/api/v1/outages")
    try:
        done = await notifier.run_once(later(morning, minutes=3))
    finally:
        await sandbox.fault(mode="ok")
    assert "city_events" in done.failed_sources
    assert await read_cursor(app_store, "city_events") is None
    assert rasa.calls == [] and await deliveries(app_store) == []

    await notifier.run_once(later(morning, minutes=4))
    await notifier.run_once(later(morning, minutes=5))
    assert names(rasa) == [("anna", "EXTERNAL_fine_issued"), ("anna", "EXTERNAL_outage_planned")]
    assert await read_cursor(app_store, "city_events") == "2"


async def test_report_changes_not_recorded_are_read_again(
    start_notifier: StartNotifier, app_store: Store, rasa: FakeRasa, open311: Open311Client,
    sandbox: Sandbox, tomorrow: date,
):
    request_id = await report(app_store, open311, "anna")
    await subscribe(app_store, "anna", "reports", channel="telegram")
    noon = at(tomorrow, 12)
    notifier = await start_notifier()
    await notifier.run_once(noon)
    before = await read_cursor(app_store, "open311_updates")
    await sandbox.tick()
    # The city fails while the change is being worded in Russian: nothing is recorded.
    await sandbox.fault(mode="error", paths="/open311/v2/requests/")
    try:
        done = await notifier.run_once(later(noon, minutes=1))
    finally:
        await sandbox.fault(mode="ok")
    assert "open311_updates" in done.failed_sources
    assert await read_cursor(app_store, "open311_updates") == before
    assert rasa.calls == []

    await notifier.run_once(later(noon, minutes=2))
    await notifier.run_once(later(noon, minutes=3))
    assert [c.entities["request_id"] for c in rasa.calls] == [request_id]


async def test_a_crash_after_reading_before_recording_reads_again_and_sends_once(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await sandbox.fine(ANNA_CAR)
    crashing = await start_notifier()
    events = crashing.sources[0]
    assert (await events.read(None, {"fines": frozenset({ANNA_CAR})})).notices  # read, then died
    await crashing.stop()
    restarted = await start_notifier()
    await restarted.run_once(at(tomorrow, 10))
    await restarted.run_once(at(tomorrow, 11))
    assert names(rasa) == [("anna", "EXTERNAL_fine_issued")]


async def test_recording_a_batch_twice_owes_each_message_once(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, tomorrow: date,
):
    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await sandbox.fine(ANNA_CAR)
    notifier = await start_notifier()
    batch = await notifier.sources[0].read(None, {"fines": frozenset({ANNA_CAR})})
    assert await record(app_store, "city_events", None, batch, at(tomorrow, 10)) == 1
    again = Batch(batch.notices, batch.cursor)  # the same events, read once more
    assert await record(app_store, "city_events", batch.cursor, again, at(tomorrow, 11)) == 0
    assert len(await deliveries(app_store)) == 1


def test_backoff_doubles_to_an_hour():
    from bot.notify.delivery import backoff

    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (30, 60, 120)]
    assert backoff(20) == timedelta(hours=1)


async def test_a_conversation_with_an_operator_gets_its_messages_when_handed_back(
    start_notifier: StartNotifier, app_store: Store, sandbox: Sandbox, rasa: FakeRasa,
    tomorrow: date,
):
    from bot.console.handoffs import take
    from bot.handoff import open_handoff, release_handoff

    await subscribe(app_store, "anna", "fines", ANNA_CAR)
    await subscribe(app_store, "boris", "fines", ANNA_CAR)
    handoff = await open_handoff(app_store, "anna", reason="human_handoff", last_message="help")
    await take(app_store, handoff.id, "otto")  # Rasa pauses anna's conversation
    await sandbox.fine(ANNA_CAR)
    ten = at(tomorrow, 10)
    notifier = await start_notifier()
    await notifier.run_once(ten)
    assert names(rasa) == [("boris", "EXTERNAL_fine_issued")]

    await release_handoff(app_store, "anna")  # handed back to the assistant
    await notifier.run_once(later(ten, minutes=5))
    assert len(rasa.sent_to("anna")) == 0  # looked at again a quarter of an hour later
    await notifier.run_once(later(ten, minutes=15))
    assert len(rasa.sent_to("anna")) == 1
