"""Reading a period out of what a citizen wrote ("tomorrow", "next week", "on 12 december")."""

from __future__ import annotations

import re
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)


def weekday_in(text: str) -> int | None:
    """The weekday a text names ("sat", "on saturdays"), Monday 0, or None."""
    t = (text or "").lower()
    for number, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name[:3]}(?:{name[3:]})?s?\b", t):
            return number
    return None


def _month(word: str) -> int | None:
    word = word.lower()
    for number, name in enumerate(MONTHS, start=1):
        if len(word) >= 3 and name.startswith(word):
            return number
    return None


def _on(day: int, month: int, today: date) -> date | None:
    """That day this year, or next year if it has passed."""
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return None
    if candidate < today:
        try:
            candidate = date(today.year + 1, month, day)
        except ValueError:
            return None
    return candidate


_SINCE = re.compile(r"\b(?:since|from last|for the last|ever since|starting)\s+(?:last\s+)?(\w+)")


def since_period(t: str, today: date) -> tuple[date, date] | None:
    """A period that began in the past and goes on: "since saturday", "since this morning"."""
    match = _SINCE.search((t or "").lower())
    if not match:
        return None
    word = match.group(1)
    if word in ("morning", "this", "today", "tonight", "noon", "lunchtime", "breakfast"):
        return today, today
    if word in ("yesterday", "last", "night", "evening"):
        return today - timedelta(days=1), today
    for number, name in enumerate(WEEKDAYS):
        if word in (name, name[:3]):
            back = (today.weekday() - number) % 7 or 7
            return today - timedelta(days=back), today
    if word in ("week", "monday's"):
        return today - timedelta(days=7), today
    return None


def parse_period(text: str, today: date) -> tuple[date, date] | None:
    """The first and last day meant, or None when the text names no period.

    A period "since" a day is the past up to today; a bare day name is the next such day.
    """
    t = (text or "").lower()
    since = since_period(t, today)
    if since:
        return since
    if "today" in t or "tonight" in t:
        return today, today
    if "tomorrow" in t:
        day = today + timedelta(days=1)
        return day, day
    if "weekend" in t:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if "next" in t:
            saturday += timedelta(days=7)
        return saturday, saturday + timedelta(days=1)
    if "next week" in t:
        monday = today + timedelta(days=7 - today.weekday())
        return monday, monday + timedelta(days=6)
    if "this week" in t:
        return today, today + timedelta(days=6 - today.weekday())
    if "next month" in t:
        first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return first, last
    number = weekday_in(t)
    if number is not None:
        day = today + timedelta(days=(number - today.weekday()) % 7)
        return day, day
    match = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\b", t)
    if match and _month(match.group(2)):
        day = _on(int(match.group(1)), _month(match.group(2)), today)
        return (day, day) if day else None
    match = re.search(r"\b([a-z]{3,9})\s+(\d{1,2})(?:st|nd|rd|th)?\b", t)
    if match and _month(match.group(1)):
        day = _on(int(match.group(2)), _month(match.group(1)), today)
        return (day, day) if day else None
    match = re.search(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b", t)
    if match:
        day = _on(int(match.group(1)), int(match.group(2)), today)
        return (day, day) if day else None
    return None
