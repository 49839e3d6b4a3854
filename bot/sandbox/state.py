"""What the sandbox keeps on its application object (typed ``web.AppKey``s, no globals)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.sandbox.geo import Gazetteer

JURISDICTION = "citybot.sandbox"


@dataclass(frozen=True)
class SandboxConfig:
    """The sandbox's own options, resolved once in ``make_app``."""

    db_url: str
    api_key: str
    clock_seconds: float
    meter_window: tuple[int, int]
    faults: bool
    portal_dir: Path
    seed: bool


@dataclass
class Faults:
    """The fault the test hook asked for: answer 500 or hang on matching paths. A hung request
    is let go after ``seconds`` or as soon as the fault is replaced (``released``)."""

    mode: str = "ok"
    paths: tuple[str, ...] = ()
    seconds: float = 30.0
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def matches(self, path: str) -> bool:
        return self.mode != "ok" and any(path.startswith(prefix) for prefix in self.paths)


@dataclass
class Runtime:
    """Mutable process state: one lock serialises writes (SQLite has a single writer anyway)."""

    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    faults: Faults = field(default_factory=Faults)
    hanging: int = 0  # requests held by a hang fault right now
    seed_seconds: float = 0.0
    # Set by the test hook to open or close the meter submission window at run time.
    meter_window: tuple[int, int] | None = None
    # Wrong flats given per meter account: (count, monotonic time of the first) this hour.
    meter_misses: dict[str, tuple[int, float]] = field(default_factory=dict)


CONFIG = web.AppKey("config", SandboxConfig)
ENGINE = web.AppKey("engine", AsyncEngine)
GAZETTEER = web.AppKey("gazetteer", Gazetteer)
RUNTIME = web.AppKey("runtime", Runtime)


def open_session(app: web.Application) -> AsyncSession:
    """A session for one unit of work; objects stay readable after commit."""
    return AsyncSession(app[ENGINE], expire_on_commit=False, future=True)
