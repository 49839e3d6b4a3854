"""Water meter reading rules, shared by the sandbox city and the assistant.

Pure functions, no I/O: the city enforces them, and the assistant uses the same ones to
warn a citizen before anything is sent.
"""

from __future__ import annotations

import calendar
import math
from datetime import date

LOWER_THAN_PREVIOUS = "reading_lower_than_previous"
IMPLAUSIBLY_HIGH = "reading_implausibly_high"

MAX_MONTHLY_M3 = 50.0
WINDOW_OPENS_DAY = 15
WINDOW_CLOSES_DAY = 25


def check_reading(previous: float, new: float, max_monthly: float = MAX_MONTHLY_M3) -> str | None:
    """Return why a new cumulative reading is refused, or None when it is plausible."""
    if not math.isfinite(new) or new < previous:
        return LOWER_THAN_PREVIOUS
    if new - previous > max_monthly:
        return IMPLAUSIBLY_HIGH
    return None


def _day_in_month(year: int, month: int, day: int) -> date:
    # A window "to the 31st" ends on the last day of shorter months.
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _next_month(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def window_state(today: date, opens_day: int, closes_day: int) -> tuple[bool, date]:
    """Whether readings are accepted today, and the next day a window opens.

    While the window is open, ``next_opens`` is the first day of next month's window.
    """
    if not 1 <= opens_day <= closes_day <= 31:
        raise ValueError(f"bad meter window {opens_day}-{closes_day}")
    opens = _day_in_month(today.year, today.month, opens_day)
    closes = _day_in_month(today.year, today.month, closes_day)
    if today < opens:
        return False, opens
    next_opens = _day_in_month(*_next_month(today), opens_day)
    return today <= closes, next_opens
