"""The notifier's own settings, read once from the environment with documented defaults.

Kept beside the notifier until it is wired into ``citybot up``; they can then move into
``bot.config.Settings`` unchanged (the names are already ``CITYBOT_NOTIFY_*``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time

from bot.notify.policy import parse_hours


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _number(name: str, default: float) -> float:
    try:
        return float(_env(name, str(default)))
    except ValueError:
        return default


@dataclass(frozen=True)
class NotifySettings:
    # At most this many messages to one citizen per city day (urgent outages excepted).
    daily_cap: int = field(default_factory=lambda: int(_number("CITYBOT_NOTIFY_DAILY_CAP", 5)))
    # No messages in these hours of the city's time zone, except urgent ones.
    quiet_hours: tuple[time, time] = field(
        default_factory=lambda: parse_hours(_env("CITYBOT_NOTIFY_QUIET_HOURS", "22:00-08:00"))
    )
    # Seconds between polls of the city and passes over due messages.
    poll_seconds: float = field(default_factory=lambda: _number("CITYBOT_NOTIFY_SECONDS", 30.0))
    # The notifier's health endpoint (GET /health) for the supervisor.
    port: int = field(default_factory=lambda: int(_number("CITYBOT_NOTIFY_PORT", 8083)))
    # Whether ``citybot up`` starts the notifier (test stacks leave it out: a notifier on the
    # real clock would message their citizens in the middle of a test; the notification tests
    # run one with an injected clock).
    enabled: bool = field(
        default_factory=lambda: _env("CITYBOT_NOTIFY", "1").lower() not in ("0", "false", "no"))
