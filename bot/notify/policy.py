"""When a message may go out: quiet hours, the daily cap, and what cannot wait.

- Quiet hours (22:00-08:00 by default) are the city's (``Settings.city_timezone``): a message
  due then is held until they end.
- A citizen gets at most ``daily_cap`` messages a city day (default 5); the next is held until
  the quiet hours of the next day end.
- Urgent news passes both: news that holding would make late, i.e. an outage that would start
  less than ``lead`` (2 hours) after the moment the message would be held until, or has started
  already. Hot water off at 07:00 is told at 23:00; off at 14:00 waits for 08:00. Nothing else
  (a fine, a report's progress, the meter reminder) is urgent at night.
- A message whose news is over (the outage has ended) is not sent at all.

Pure functions of an injected ``now``: the tests set the clock, nothing sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from bot.notify.notices import naive_utc

Verdict = Literal["send", "hold", "expire"]


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    until: datetime | None = None  # naive UTC: when a held message is due again
    why: str = ""


def parse_hours(text: str) -> tuple[time, time]:
    """``"22:00-08:00"`` → (22:00, 08:00)."""
    start, _, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


class Policy:
    """Decides, for one message and the citizen's count today, send now or hold until when."""

    def __init__(
        self, tz: ZoneInfo, *, quiet: tuple[time, time] = (time(22), time(8)),
        daily_cap: int = 5, lead: timedelta = timedelta(hours=2),
    ) -> None:
        self.tz = tz
        self.quiet_start, self.quiet_end = quiet
        self.daily_cap = daily_cap
        self.lead = lead

    def _local(self, day: date, at: time) -> datetime:
        return naive_utc(datetime.combine(day, at, self.tz))

    def _is_quiet(self, at: time) -> bool:
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:  # e.g. 00:00-07:00
            return self.quiet_start <= at < self.quiet_end
        return at >= self.quiet_start or at < self.quiet_end  # across midnight

    def quiet_until(self, now: datetime) -> datetime | None:
        """The end of the quiet hours ``now`` falls in (naive UTC), or None outside them."""
        local = now.astimezone(self.tz)
        if not self._is_quiet(local.time()):
            return None
        day = local.date()
        if local.time() >= self.quiet_end:  # before midnight: they end tomorrow
            day += timedelta(days=1)
        return self._local(day, self.quiet_end)

    def day(self, now: datetime) -> tuple[datetime, datetime]:
        """The city day ``now`` is in, as naive-UTC bounds [start, end)."""
        today = now.astimezone(self.tz).date()
        return self._local(today, time(0)), self._local(today + timedelta(days=1), time(0))

    def next_day_opens(self, now: datetime) -> datetime:
        """When messages may go again after the cap: tomorrow's end of quiet hours (or its
        midnight, when the quiet hours end before it)."""
        tomorrow = now.astimezone(self.tz).date() + timedelta(days=1)
        opens = self._local(tomorrow, time(0))
        quiet = self.quiet_until(datetime.combine(tomorrow, time(0), self.tz))
        return quiet or opens

    def urgent(self, deadline: datetime | None, held_until: datetime) -> bool:
        """Would holding the message until ``held_until`` leave less than ``lead`` before its
        news happens? (Only outages carry a deadline: their start.)"""
        return deadline is not None and deadline < held_until + self.lead

    def decide(
        self, now: datetime, *, sent_today: int, deadline: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> Decision:
        """``now`` is aware; ``deadline``/``expires_at`` naive UTC as stored."""
        current = naive_utc(now)
        if expires_at is not None and expires_at <= current:
            return Decision("expire", why="over before it could be sent")
        quiet = self.quiet_until(now)
        if quiet is not None and not self.urgent(deadline, quiet):
            return Decision("hold", quiet, "quiet hours")
        if sent_today >= self.daily_cap:
            opens = self.next_day_opens(now)
            if not self.urgent(deadline, opens):
                return Decision("hold", opens, "daily cap")
        return Decision("send")


def utc_now() -> datetime:
    """The real clock (aware UTC): what the loop passes as ``now`` outside tests."""
    return datetime.now(timezone.utc)
