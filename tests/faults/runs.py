"""A load with one fault in it, and what every such run must leave behind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.faults.checks import Result, show, verify
from tests.faults.citizens import CONNECTION, SERVER_ERROR, SILENT, TOLD_RETRY, Citizen, Load
from tests.faults.conftest import ensure_running
from tests.stack import Stack

CITIZENS = 50
KILL_AFTER = 60  # answered sends: the load sends about 300, so the fault comes early in it
FELT = 10  # sends that failed after a kill before the restart: the outage was felt


@dataclass
class Run:
    load: Load
    result: Result
    window: Citizen | None = None  # one citizen whose turn the fault is timed to hit
    window_requests: list[dict] = field(default_factory=list)  # what the city holds from it


def failed_sends(counts: Counter[str]) -> int:
    return sum(counts[o] for o in (CONNECTION, SERVER_ERROR, TOLD_RETRY, SILENT))


def fresh_load(stack: Stack, name: str) -> Load:
    """A load of :data:`CITIZENS` on a stack with every process up and a city without faults."""
    ensure_running(stack)
    stack.fault("ok")
    return Load(stack, name, size=CITIZENS)


def outage(load: Load, process: str, *, kill: Callable[[], None] | None = None,
           when: Callable[[Counter[str]], bool] = lambda c: c["answered"] >= KILL_AFTER,
           back_when: Callable[[Counter[str]], bool] = lambda c: True) -> list[str]:
    """Kill ``process`` once ``when(counts)`` (or by ``kill()``, which times it itself), start it
    again once :data:`FELT` sends failed since and ``back_when(counts)``; return notes for the
    figures."""
    if kill is None:
        assert load.wait_for(when), f"the load ended before the moment to kill {process}"
        load.kill(process)
    else:
        kill()
    at_kill = Counter(load.counts)
    assert load.wait_for(
        lambda c: failed_sends(c) >= failed_sends(at_kill) + FELT and back_when(c)
    ), f"the load did not feel {process} down"
    load.restart(process)
    down = failed_sends(load.counts) - failed_sends(at_kill)
    return [f"killed after {at_kill['answered']} answered sends and {at_kill['steps']} steps",
            f"{down} sends failed while it was down or starting"]


def killed_under_load(stack: Stack, name: str, process: str, title: str,
                      **moments: Callable[[Counter[str]], bool]) -> Run:
    """A fresh load with ``process`` killed and started again in it (:func:`outage`, its
    moments), checked and shown."""
    load = fresh_load(stack, name)
    load.start()
    notes = outage(load, process, **moments)
    load.join()
    result = verify(stack, load, title, notes)
    show(result.figures)
    return Run(load, result)


def assert_whole(result: Result, *, consistent: bool = True) -> None:
    """What every fault must leave: every conversation at its end, every confirmed report in
    the city, the outbox empty, each citizen's "status of my reports" listing the city's number,
    no internal error in a citizen's text, no send left without an answer within the client's
    timeout; and (``consistent``) Rasa's trackers matching what the citizens were told."""
    assert not result.failed, result.failed
    assert not result.missing, f"confirmed, never filed: {result.missing}"
    assert not result.outbox["pending"] and not result.outbox["rejected"], result.outbox
    assert not result.mine_wrong, result.mine_wrong
    assert not result.traces, result.traces
    assert not result.hung, result.hung
    if consistent:
        assert not result.inconsistent, result.inconsistent
