"""One real stack for the fault tests, on ports of their own (5405/5455/8481, portal 8480,
console 8482), started once per session: a test kills and restarts its processes, and the next
test starts with all of them running again and a city without faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stack import Stack, stack_fixture

PORTS = {"rasa": 5405, "actions": 5455, "sandbox": 8481, "portal": 8480, "console": 8482}

stack = stack_fixture(PORTS)


def ensure_running(stack: Stack) -> None:
    """Start again any process of the stack that is not running (a test that failed between a
    kill and its restart must not take the next tests down with it)."""
    for proc in stack.supervisor.procs:
        if proc.process is None or proc.process.returncode is not None:
            stack.start_process(proc.name)


@pytest.fixture
def healthy_stack(stack: Stack) -> Iterator[Stack]:
    ensure_running(stack)
    stack.fault("ok")
    yield stack
    ensure_running(stack)
    stack.fault("ok")
