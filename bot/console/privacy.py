"""Personal data in what citizens (and the assistant) wrote, and hiding it from staff.

:func:`mask_pii` replaces each piece by •••• and its last two characters ("••••67"; an e-mail
keeps its top domain, a place keeps nothing): phone numbers, e-mails, bank cards, SNILS, meter
accounts, vehicle certificates, any run of ten and more digits, and places given as latitude
and longitude. :func:`pii_spans` says where it would. :func:`is_coordinate` names the slot
values and mapping keys that hold a latitude or longitude (a shared location arrives as channel
metadata and lives on in slots such as ``problem_lat``).

What stays readable: request numbers (six digits), dates, times, meter readings, house and flat
numbers, prices (``tests/unit/test_console_privacy.py`` pins both sides).
"""

from __future__ import annotations

import re
from collections.abc import Callable

MASK = "••••"

Hint = Callable[[re.Match[str]], str | None]  # the mask for a match; None: not personal data


def _hint(match: re.Match[str]) -> str:
    tail = "".join(c for c in match.group(0) if c.isalnum())[-2:]
    return f"{MASK}{tail}"


def _digits(match: re.Match[str]) -> int:
    return sum(c.isdigit() for c in match.group(0))


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.([^\W\d_]{2,24})(?![\w-])")


def _email_hint(match: re.Match[str]) -> str:
    return f"{MASK}@{MASK}.{match.group(1)}"


# Places. A latitude and a longitude in degrees, with a decimal point or comma, three decimals
# and more (100 m and finer), optionally labelled or with their hemispheres: "55.7558, 37.6173",
# "55.755800 37.617300", "lat 55.7558 lon 37.6173", "55.7558°N 37.6173°E". The last digits of
# a place say nothing, so a place is hidden whole.
_DEGREES = r"-?\d{1,3}(?:\.\d{3,}|,\d{4,})"
_LAT_LABEL = r"(?:(?:lat|latitude|широта)\s*[:=]?\s*)?"
_LON_LABEL = r"(?:(?:lon|lng|long|longitude|долгота)\s*[:=]?\s*)?"
_COORDINATES = re.compile(
    rf"(?<![\w.,]){_LAT_LABEL}[NSСЮ]?\s?({_DEGREES})°?\s?[NSСЮ]?"
    rf"(?:\s*[,;]\s*|\s+){_LON_LABEL}[EWВЗ]?\s?({_DEGREES})°?\s?[EWВЗ]?(?![\w]|[.,]\d)",
    re.IGNORECASE,
)
# One coordinate alone, precise to a metre: nothing else is written with five decimals.
_COORDINATE = re.compile(r"(?<![\w.,])-?\d{1,3}\.\d{5,}(?![\w]|[.,]\d)")
# Degrees and minutes (and seconds): 55°45'20.9"N.
_DMS = re.compile(
    r"(?<![\w.,])\d{1,3}°\s?\d{1,2}(?:[.,]\d+)?['′](?:\s?\d{1,2}(?:[.,]\d+)?(?:\"|″|''))?"
    r"(?:\s?[NSEWСЮВЗ](?![\w]))?"
)
_MONTH = re.compile(r"(?:0[1-9]|1[0-2])[.,](?:19|20)\d\d")  # 01.2024: a month, not a place


def _degrees(value: str) -> float:
    return float(value.replace(",", "."))


def _place_hint(match: re.Match[str]) -> str | None:
    lat, lon = match.group(1), match.group(2)
    if _MONTH.fullmatch(lat) and _MONTH.fullmatch(lon):
        return None
    if abs(_degrees(lat)) > 90 or abs(_degrees(lon)) > 180:
        return None
    return MASK


def _coordinate_hint(match: re.Match[str]) -> str | None:
    return MASK if abs(_degrees(match.group(0))) <= 180 else None


# Bank cards: 13 to 19 digits (and more: a card with its code) in groups after a first group of
# four ("4276 1234 5678 9012", "3782 822463 10005"); run together they are a long number (below).
# No Luhn check: a mistyped card is as readable as a real one, and so is a test number.
_CARD = re.compile(r"(?<![\w.,+])\d{4}(?:[\s\-]{1,2}\d+)+(?![\w]|[.,]\d)")


def _card_hint(match: re.Match[str]) -> str | None:
    return _hint(match) if _digits(match) >= 13 else None


# SNILS (pension insurance number): 123-456-789 01.
_SNILS = re.compile(r"(?<![\w.,+])\d{3}[\s\-]?\d{3}[\s\-]?\d{3}[\s\-]?\d{2}(?![\w]|[.,]\d)")
_PHONES = (
    # Russian: +7 / 7 / 8, then ten digits, with the usual spaces, dashes, dots and brackets:
    # 8 (916) 123-45-67, 8.916.123.45.67, +7 916 1234567.
    re.compile(r"(?<![\w+])(?:\+\s?7|8|7)[\s\-.]?\(?\d{3}\)?(?:[\s\-.]?\d){7}(?![\w])"),
    # International: + and 8 to 15 digits, single separators.
    re.compile(r"(?<![\w+])\+\d(?:[\s\-.()]{0,2}\d){7,14}(?![\w])"),
    # Russian without the country code: (495) 123-45-67, 916 123 45 67, 916 1234567.
    re.compile(r"(?<![\w+])\(?[3489]\d{2}\)?(?:[\s\-.]?\d){7}(?![\w])"),
)
# Vehicle registration certificate (СТС): 2 digits, 2 digits or letters, 6 digits.
_STS = re.compile(r"(?<![\w])\d{2}\s?(?:\d{2}|[^\W\d_]{2})\s?\d{6}(?![\w])")
# Meter account numbers (data/nlu/regexes.yml: 7700 and six digits), also typed in groups, and
# any longer run of digits (ten and more is an account, a certificate, a card or a phone, never
# a date, a request number or a reading).
_ACCOUNT = re.compile(r"(?<![\w])7700[\s\-]?\d{3}[\s\-]?\d{3}(?![\w])")
_LONG_NUMBER = re.compile(r"(?<![\w])\d{10,}(?![\w])")

# In this order: a place or a card first, so that no shorter pattern takes a piece of it and
# leaves the rest readable.
_KINDS: tuple[tuple[re.Pattern[str], Hint], ...] = (
    (_EMAIL, _email_hint),
    (_COORDINATES, _place_hint),
    (_DMS, lambda _: MASK),
    (_COORDINATE, _coordinate_hint),
    (_CARD, _card_hint),
    (_SNILS, _hint),
    *((phone, _hint) for phone in _PHONES),
    (_STS, _hint),
    (_ACCOUNT, _hint),
    (_LONG_NUMBER, _hint),
)


_DIGIT = re.compile(r"\d")


def _may_hold_pii(text: str) -> bool:
    """Every pattern above needs an @, a ° or six digits (a lone coordinate: 55.75583); most
    messages have none, and the indexer masks every message it folds."""
    return "@" in text or "°" in text or len(_DIGIT.findall(text)) >= 6


def mask_pii(text: str | None) -> str:
    """``text`` with its personal data replaced by •••• and their last two characters."""
    if not text or not _may_hold_pii(text):
        return text or ""
    for pattern, hint in _KINDS:
        text = pattern.sub(lambda m, hint=hint: hint(m) or m.group(0), text)
    return text


def pii_spans(text: str | None) -> list[tuple[int, int]]:
    """Where ``mask_pii`` would mask ``text`` (start, end), in the original text."""
    if not text or not _may_hold_pii(text):
        return []
    return [m.span() for pattern, hint in _KINDS for m in pattern.finditer(text)
            if hint(m) is not None]


_COORDINATE_NAMES = frozenset({"lat", "lon", "lng", "latitude", "longitude"})


def is_coordinate(name: object) -> bool:
    """Whether a slot or a mapping key holds a latitude or longitude (``lat``,
    ``problem_lon``, ``longitude``)."""
    return isinstance(name, str) and name.lower().rsplit("_", 1)[-1] in _COORDINATE_NAMES
