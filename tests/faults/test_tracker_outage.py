"""Rasa's tracker database unavailable for 10 s while 50 citizens talk.

"Unavailable" is modelled as a database that does not answer: the test holds an exclusive lock
on the SQLite file (``BEGIN EXCLUSIVE`` on ``<var>/tracker.db``) for 10 s, so every read and
write of every process waits for it and, past its driver's busy timeout (5 s for Rasa's), fails
with "database is locked". Moving the file away would not do: SQLite would make a new, empty
database at the next connection, which is data loss, not an outage.

One load with the outage in it pins what holds for everyone; one citizen alone what happens to a
turn that meets the outage for certain: it fails whole and the citizen is told to try again
(``bot.rasa_fixes``), never answered from an empty conversation.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.faults.checks import check_tracker, show, verify
from tests.faults.citizens import CONNECTION, SERVER_ERROR, SIZE, TOLD_RETRY, Citizen, Load, marker
from tests.faults.runs import KILL_AFTER, Run, assert_whole, fresh_load
from tests.stack import Stack

OUTAGE = 10.0  # seconds


@contextlib.contextmanager
def tracker_unavailable(stack: Stack) -> Iterator[None]:
    """Hold an exclusive lock on Rasa's tracker database (waiting for the writer of the moment)."""
    db = sqlite3.connect(stack.var / "tracker.db", timeout=120, isolation_level=None)
    try:
        db.execute("BEGIN EXCLUSIVE")
        yield
        db.execute("COMMIT")
    finally:
        db.close()


@pytest.fixture(scope="module")
def tracker_outage(stack: Stack) -> Run:
    """The lock taken a fifth into the load and held 10 s."""
    load = fresh_load(stack, "t")
    load.start()
    assert load.wait_for(lambda c: c["answered"] >= KILL_AFTER)
    at_start = Counter(load.counts)
    with tracker_unavailable(stack):
        began = time.monotonic()
        time.sleep(OUTAGE)  # the fault is this long by definition, not a wait for something
        ended = time.monotonic()
    load.join()
    result = verify(stack, load, "tracker database locked 10 s")
    during = [a for a in load.attempts() if a.began < ended and a.ended > began]
    result.figures.notes += [
        f"locked after {at_start['answered']} answered sends",
        f"{len(during)} sends overlapped the outage ({dict(Counter(a.outcome for a in during))}),"
        f" the longest {max(a.ended - a.began for a in during):.0f} s",
        f"{len(result.inconsistent)} conversations whose tracker does not match what the "
        f"citizen was told",
    ]
    show(result.figures)
    return Run(load, result)


def test_tracker_unavailable_no_turn_hangs_and_every_conversation_ends(
        tracker_outage: Run) -> None:
    """No hang, every conversation at its end, every report filed once, every tracker what its
    citizen was told (a turn that met the outage failed whole: bot.rasa_fixes)."""
    result = tracker_outage.result
    assert_whole(result)
    assert not result.duplicated, result.duplicated


def test_a_turn_while_the_tracker_is_unavailable_fails_clearly_or_is_answered_in_its_conversation(
        healthy_stack: Stack) -> None:
    """One citizen asked "How big is the pothole?" answers it while the lock is held (alone, so
    its turn is the first to meet the lock and Rasa's read fails for certain)."""
    load = Load(healthy_stack, "u", size=0)
    citizen = Citizen(0, "faults-u-00", marker("u", 0))
    load.bring_to(citizen, "How big is the pothole")
    with tracker_unavailable(healthy_stack):
        load.spawn(citizen.sender, load.finish_report, citizen, SIZE)
        time.sleep(OUTAGE)
    load.join()
    assert not citizen.failure, citizen.failure
    turn = next(a for a in citizen.attempts if a.text == SIZE)  # sent while the lock was held
    clear = turn.outcome in (TOLD_RETRY, SERVER_ERROR, CONNECTION)
    assert clear or "Shall I send it" in turn.said, (
        f"answered during the outage with {turn.said[:100]!r}")
    stored = check_tracker(healthy_stack, citizen)
    assert stored.consistent and not stored.mismatched, f"tracker: {stored}"
