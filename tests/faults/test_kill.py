"""kill -9 of Rasa, of the action server and of the sandbox city in the middle of a load of 50
citizens, each started again while the citizens go on.

Each kill runs once (a module fixture) and the tests read it: every conversation reaches its end,
every report is filed exactly once, the outbox delivers what was saved, the tracker matches what
the citizens were told, and no turn is answered with silence. The moments to kill and to restart
are events of the load (so many answers given, so many sends failed since the kill), never
sleeps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

import pytest

from tests.faults.checks import city_requests, reports_of, show, verify, wait_outbox_drained
from tests.faults.citizens import CONNECTION, SILENT, TOLD_RETRY, Citizen, Load, marker
from tests.faults.runs import (
    FELT, KILL_AFTER, Run, assert_whole, fresh_load, killed_under_load, outage,
)
from tests.stack import Stack, wait_until

# ---- Rasa


@pytest.fixture(scope="module")
def rasa_killed(stack: Stack) -> Run:
    """Rasa SIGKILLed a fifth into the load, while one citizen's "yes" is being filed (the
    sandbox's hang fault holds filings until the kill, so the action server is still waiting for
    the city); started again after its port refused 10 sends."""
    load = fresh_load(stack, "r")
    window = Citizen(99, "faults-r-window", marker("r", 99))
    load.bring_to(window)
    load.start()

    def kill_mid_filing() -> None:
        assert load.wait_for(lambda c: c["answered"] >= KILL_AFTER)
        stack.fault("hang", "/open311/v2/requests", seconds=5)
        load.spawn(window.sender, load.finish_report, window, "yes")
        assert wait_until(lambda: reports_of(stack, window.sender), timeout=120, every=0.05)
        load.kill("rasa")
        stack.fault("ok")

    notes = outage(load, "rasa", kill=kill_mid_filing)
    load.join()
    result = verify(stack, load, "kill -9 rasa", notes)
    run = Run(load, result, window, city_requests(stack, window))
    result.figures.notes.append(f"the window citizen's report is in the city "
                                f"{len(run.window_requests)} times")
    show(result.figures)
    return run


def retried_confirmation(citizen: Citizen) -> bool:
    """The citizen's "yes" got no HTTP answer once and was sent again."""
    return any(a.text == "yes" and a.outcome == CONNECTION for a in citizen.attempts)


def test_rasa_killed_mid_load_every_conversation_ends_and_nothing_is_lost(
        rasa_killed: Run) -> None:
    result = rasa_killed.result
    assert_whole(result)
    assert result.figures.outcomes[CONNECTION] >= FELT
    # A "yes" cut by the kill after its report was filed and sent again is the same
    # confirmation (the key is the question's): nothing is in the city twice.
    assert not result.duplicated, result.duplicated


def test_a_confirmation_repeated_after_rasa_died_mid_turn_is_filed_once(rasa_killed: Run) -> None:
    window = rasa_killed.window
    assert window is not None and window.report, window
    assert retried_confirmation(window)  # the kill did cut its turn
    assert len(rasa_killed.window_requests) == 1, (
        f"filed {len(rasa_killed.window_requests)} times: {rasa_killed.window_requests}")


# ---- the action server


@pytest.fixture(scope="module")
def actions_killed(stack: Stack) -> Run:
    """The action server SIGKILLed a fifth into the load, started again after 10 failed sends."""
    return killed_under_load(stack, "a", "actions", "kill -9 actions")


def test_action_server_killed_mid_load_every_conversation_ends_and_nothing_is_lost(
        actions_killed: Run) -> None:
    result = actions_killed.result
    assert_whole(result)
    assert not result.duplicated, result.duplicated


def test_action_server_down_every_turn_is_answered_or_told_to_retry(actions_killed: Run) -> None:
    """A turn whose action cannot run is answered with the apology (bot.rasa_fixes); it was
    answered with nothing, Rasa having logged the failure (bug C)."""
    silent = [(a.text, a.step) for a in actions_killed.load.attempts() if a.outcome == SILENT]
    assert not silent, f"{len(silent)} turns answered with no message: {silent[:5]}"
    assert actions_killed.result.figures.outcomes[TOLD_RETRY] >= FELT


# ---- the sandbox city


@pytest.fixture(scope="module")
def sandbox_killed(stack: Stack) -> Run:
    """The sandbox city SIGKILLed once 5 citizens have their report filed, started again after
    10 failed sends and 3 reports saved for the outbox while it was down."""
    return killed_under_load(stack, "s", "sandbox", "kill -9 sandbox",
                             when=lambda c: c["done:report"] >= 5,
                             back_when=lambda c: c["saved"] >= 3)


def test_sandbox_killed_mid_load_every_conversation_ends_and_the_outbox_files_once(
        sandbox_killed: Run) -> None:
    result = sandbox_killed.result
    assert_whole(result)
    assert result.figures.saved >= 3  # the outbox had work, and did it (outbox drained, no dups)
    # Neither one key filed twice (the city commits a request with its key) nor a report
    # confirmed under two keys.
    assert not result.duplicated, result.duplicated


@pytest.fixture
def city_forgetting_keys(healthy_stack: Stack) -> Iterator[Callable[[], None]]:
    """The sandbox city failing as it stores the answer for a request's Idempotency-Key (a
    trigger on its database makes that insert fail): where a kill -9 would leave the request
    held but its key lost if the two were committed apart. Yields the city's recovery (the
    trigger dropped)."""
    db = sqlite3.connect(healthy_stack.var / "sandbox.db", timeout=60, isolation_level=None)
    db.execute("CREATE TRIGGER faults_forget BEFORE INSERT ON idempotent_answers "
               "BEGIN SELECT RAISE(ABORT, 'the process died here'); END")

    def recover() -> None:
        db.execute("DROP TRIGGER IF EXISTS faults_forget")

    try:
        yield recover
    finally:
        recover()
        db.close()


def test_a_request_the_city_failed_to_commit_is_filed_once_after_it_recovers(
        healthy_stack: Stack, city_forgetting_keys: Callable[[], None]) -> None:
    """The city stores a request and the answer for its Idempotency-Key in one transaction: when
    the key cannot be stored (the city dies between the two), the request is not stored either,
    and the outbox's retry under the same key files it once."""
    load = Load(healthy_stack, "d", size=0)
    citizen = Citizen(0, "faults-d-00", marker("d", 0))
    load.bring_to(citizen)
    load.finish_report(citizen, "yes")
    assert citizen.report == "saved", citizen.attempts[-1].said  # the city answered 500
    assert city_requests(healthy_stack, citizen) == []  # all or nothing
    city_forgetting_keys()
    assert not wait_outbox_drained(healthy_stack)["pending"]
    filed = city_requests(healthy_stack, citizen)
    assert len(filed) == 1, f"filed {len(filed)} times"
