"""A citizen's forget_me, finished after its turn: the conversation before the fresh session it
started leaves Rasa's tracker store (written by Rasa's own SQL store here) and every console
table, and Rasa's bookkeeping of the stored session stays right, also for a turn in flight."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

from sqlalchemy import select

from bot.console.conversations import list_conversations, save_review
from bot.console.index import refresh_index
from bot.console.transcript import transcript
from bot.forgetting import sweep
from bot.store import AuditEvent, Store
from tests.unit.test_console_conversations import (  # noqa: F401 - fixtures used by name
    ANNA,
    BORIS,
    act,
    at,
    bot,
    event_count,
    indexed,
    index_rows,
    rasa_store,
    save,
    start,
    tracker,
    tracker_path,
    user,
)
from tests.unit.test_console_delete import rows_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.shared.core.events import Event, SessionStarted, SlotSet


def forget_turn(when: float) -> list[Event]:
    """A forget_me turn as Rasa stores it (Rasa stamps the action's events as it logs them)."""
    return [
        user("please forget me", "forget_me", 0.98, when),
        act("action_forget_me", when + 0.1),
        bot("Done: I have deleted the details.", when + 0.15, response="utter_forget_me_done_other"),
        SessionStarted(timestamp=when + 0.2),
        SlotSet("portal_url", "http://portal", timestamp=when + 0.2),
        act("action_listen", when + 0.4),
    ]


def stored(path: Path, sender: str) -> list[tuple[str, str | None]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT type_name, action_name FROM events WHERE sender_id = ? "
                            "ORDER BY id", (sender,)).fetchall()


async def audit_rows(store: Store) -> list[tuple[str, str, str, dict]]:
    async with store.session() as session:
        rows = (await session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars()
        return [(e.staff_name, e.action, e.target, e.detail) for e in rows]


async def test_forget_me_deletes_the_conversation_once_its_turn_is_stored(
    indexed, rasa_store, tracker, tracker_path  # noqa: F811
) -> None:
    await save_review(indexed, "anna", by="olga", reviewed=True, note="her phone", tags="x")
    await save(rasa_store, "anna", forget_turn(at(30)))
    await refresh_index(tracker, indexed)  # the console saw the forget turn too

    await sweep(tracker, indexed)
    # What remains is the fresh session: no message.
    assert stored(tracker_path, "anna") == [
        ("session_started", None), ("slot", "portal_url"), ("action", "action_listen")]
    assert not [t for t in await transcript(tracker, "anna") if t.kind in ("user", "bot")]
    assert event_count(tracker_path, "boris") == len(BORIS)
    assert await rows_of(indexed, "anna") == {}
    assert "anna" not in await index_rows(indexed)
    assert await audit_rows(indexed) == [
        ("citizen", "deleted", "anna", {"events": len(ANNA) + 3, "by": "forget_me"})]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = await rasa_store.retrieve("anna")
    assert not [e for e in fresh.events if e.type_name in ("user", "bot")]

    # Carried out once: a sweep that reads the request again (a restarted process) does nothing.
    await sweep(tracker, indexed)
    assert len(stored(tracker_path, "anna")) == 3 and len(await audit_rows(indexed)) == 1


async def test_a_turn_in_flight_during_the_sweep_is_stored_right(
    indexed, rasa_store, tracker, tracker_path  # noqa: F811
) -> None:
    await save(rasa_store, "anna", forget_turn(at(30)))
    await refresh_index(tracker, indexed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        in_flight = await rasa_store.retrieve("anna")  # the citizen's next message arrives
    await sweep(tracker, indexed)
    in_flight.update_with_events([user("hello again", "greet", 0.99, at(31)),
                                  bot("Hello!", at(31.1), response="utter_greet")],
                                 None, override_timestamp=False)
    await rasa_store.save(in_flight)

    # Rasa added just the new events: nothing old written back, nothing twice.
    assert [t.text for t in await transcript(tracker, "anna") if t.kind == "user"] == [
        "hello again"]
    assert len(stored(tracker_path, "anna")) == 3 + 2
    await refresh_index(tracker, indexed)
    row = (await index_rows(indexed))["anna"]
    assert (row.first_message, row.turns) == ("hello again", 1)
    page = await list_conversations(indexed)
    assert "pothole" not in " ".join(r.first_message for r in page.rows)

    # The new conversation is not the request's business: sweeping from the start keeps it.
    await sweep(tracker, indexed, 0)
    assert len(stored(tracker_path, "anna")) == 5
    assert "anna" in await index_rows(indexed)


async def test_a_forget_me_without_its_session_start_is_left_alone(
    indexed, rasa_store, tracker, tracker_path  # noqa: F811
) -> None:
    # The action failed (the safety net answered), the citizen wrote on, a new session began
    # an hour later: nothing tells what that forget_me would have covered.
    failed = [
        user("please forget me", "forget_me", 0.98, at(30)),
        act("action_forget_me", at(30.1)),
        bot("Sorry, something went wrong.", at(30.1), response="utter_internal_error"),
        act("action_listen", at(30.2)),
        user("hello?", "greet", 0.9, at(31)),
        act("action_listen", at(31.1)),
    ]
    await save(rasa_store, "anna", failed)
    await save(rasa_store, "anna", [*start(at(100)), user("hi", "greet", 0.99, at(101))])
    before = len(stored(tracker_path, "anna"))
    await sweep(tracker, indexed)
    assert len(stored(tracker_path, "anna")) == before
    assert "anna" in await index_rows(indexed)
    assert await audit_rows(indexed) == []


async def test_no_tracker_table_yet_is_nothing_to_do(store, tmp_path) -> None:
    from bot.tracker import Tracker

    empty = Tracker(f"sqlite+aiosqlite:///{tmp_path}/none.db")
    try:
        assert await sweep(empty, store, 7) == 7
    finally:
        await empty.close()
