"""The real stack on loopback: sandbox city, action server and Rasa server, on test ports.

Started once per test session with the same supervisor as ``citybot up`` (``tests/stack.py``);
each test talks to it over HTTP (Rasa's REST channel, the sandbox's Open311 API) like a
citizen's client would.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest

from tests.stack import Stack, buttons, stack_fixture, texts, wait_until

__all__ = ["Stack", "buttons", "texts", "wait_until"]

PORTS = {"rasa": 5105, "actions": 5155, "sandbox": 8181, "portal": 8180}

_senders = itertools.count()


@pytest.fixture
def sender() -> str:
    """A fresh conversation id for each test."""
    return f"test-{uuid.uuid4().hex[:8]}-{next(_senders)}"


stack = stack_fixture(PORTS)


@pytest.fixture
def healthy_city(stack: Stack) -> Iterator[Stack]:
    """Every test starts and ends with a city that answers and an open meter window."""
    stack.fault("ok")
    stack.meter_window(1, 31)
    yield stack
    stack.fault("ok")
    stack.meter_window(1, 31)
