"""Time in the sandbox: stored as naive UTC, shown as W3C datetimes in Moscow time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")


def utcnow() -> datetime:
    """Now as naive UTC, the way the database stores it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def moscow_now() -> datetime:
    return datetime.now(MOSCOW)


def to_w3c(value: datetime | None) -> str | None:
    """A stored naive-UTC datetime as ``2026-10-12T14:05:00+03:00``."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(MOSCOW).isoformat(timespec="seconds")


def parse_w3c(text: str) -> datetime:
    """Parse a W3C date or datetime into naive UTC; a value without offset is Moscow time.
    A valid date whose UTC falls outside years 1-9999 is the calendar's first or last moment.

    Raises ValueError for anything else.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty datetime")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # A "+" in a query string often arrives as a space.
    if len(text) > 19 and text[-6] == " " and text[-3] == ":":
        text = text[:-6] + "+" + text[-5:]
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=MOSCOW)
    try:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:
        # Hours from the calendar's first or last day, in UTC: the end it is nearest to.
        return datetime.min if value.year == datetime.min.year else datetime.max


def shifted(value: datetime, delta: timedelta) -> datetime:
    """``value + delta``, stopping at the ends of the calendar instead of overflowing."""
    try:
        return value + delta
    except OverflowError:
        return datetime.min if delta < timedelta(0) else datetime.max


def moscow_date(value: datetime) -> date:
    """The Moscow calendar day of a naive-UTC datetime."""
    return value.replace(tzinfo=timezone.utc).astimezone(MOSCOW).date()
