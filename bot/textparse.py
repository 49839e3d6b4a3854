"""Reading numbers and identifiers out of what citizens type ("hot 45,2 cold 102")."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"(?<![\d.,])(\d{1,7}(?:[.,]\d{1,3})?)(?![\d])")
_KIND_NUMBER = re.compile(
    r"\b(hot|cold|гвс|хвс|горяч\w*|холодн\w*)\b[^\d]{0,20}?(\d{1,7}(?:[.,]\d{1,3})?)",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(r"(?<!\d)(\d[\d\s-]{8,14}\d)(?!\d)")
# "m3"/"м3" after a number is the unit, not a second number ("45,2 m3").
_CUBIC_METRES = re.compile(r"(?<![^\W\d])[mм]3(?!\d)", re.IGNORECASE)
_REQUEST_ID = re.compile(r"(?<![\d])(?:sr-?|#|№)?\s*(\d{4,10})(?![\d])", re.IGNORECASE)


def parse_number(text: str) -> float | None:
    """The single number in ``text`` (decimal comma allowed), or None if none or several."""
    found = _NUMBER.findall(_CUBIC_METRES.sub(" ", text or ""))
    if len(found) != 1:
        return None
    return float(found[0].replace(",", "."))


def parse_meter_readings(text: str) -> dict[str, float]:
    """Readings labelled with their meter: ``{"hot": 45.2, "cold": 102.0}``."""
    readings: dict[str, float] = {}
    for label, value in _KIND_NUMBER.findall(text or ""):
        kind = "hot" if label.lower().startswith(("hot", "гвс", "горяч")) else "cold"
        readings.setdefault(kind, float(value.replace(",", ".")))
    return readings


def parse_account(text: str) -> str | None:
    """A meter account number written with or without spaces or dashes."""
    for match in _ACCOUNT.findall(text or ""):
        digits = re.sub(r"\D", "", match)
        if len(digits) == 10:
            return digits
    digits = re.sub(r"\D", "", text or "")
    return digits if len(digits) == 10 else None


def parse_request_id(text: str) -> str | None:
    match = _REQUEST_ID.search(text or "")
    return match.group(1) if match else None


_FILLER = frozenset(
    "i i'd id want wanna would like to need report reporting a an the there there's theres is "
    "are please problem issue with about my it its it's this that of for in on at new make "
    "file submit complain complaint can you help me outside near next opposite behind by "
    "house".split()
)


def describes_problem(text: str) -> bool:
    """Whether a first message says more than "I want to report X" (then it is the description)."""
    words = re.findall(r"[\w']+", (text or "").lower())
    return len([w for w in words if w not in _FILLER]) >= 3
