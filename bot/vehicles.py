"""Vehicle registration certificates (СТС) and the traffic fine discount, shared by the sandbox
city and the assistant.

Pure functions, no I/O: the city reads a certificate number the same way the assistant does, so
a number the assistant accepts is never refused by the city as malformed (and the other way
round), and both apply the same discount rule.

A certificate number is two digits (the region), two Cyrillic capital letters and six digits:
canonical ``77УВ123456``, shown ``77 УВ 123456``. Citizens type the letters in Latin as often
as in Cyrillic, so a Latin letter that looks like a Cyrillic one is that letter (``B`` is
``В``), and any other is read by transliteration (``U`` is ``У``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

CERTIFICATE_FORMAT = "77 УВ 123456"
# Lookalikes first: what a Latin letter looks like wins over how it sounds (H is Н, not Х).
LOOKALIKES = dict(zip("ABCEHKMOPTXY", "АВСЕНКМОРТХУ"))
TRANSLITERATED = dict(zip("DFGIJLNQRSUVWZ", "ДФГИЙЛНКРСУВВЗ"))
LATIN_TO_CYRILLIC = {**TRANSLITERATED, **LOOKALIKES}

_LETTER = "A-Za-zА-Яа-яЁё"
_SEPARATOR = r"[\s\-‐‑‒–—]*"
# [0-9], not \d: \d also matches other scripts' digits, which no certificate carries.
_PARTS = rf"([0-9]{{2}}){_SEPARATOR}([{_LETTER}]{{2}}){_SEPARATOR}([0-9]{{6}})"
_WHOLE = re.compile(rf"\s*{_PARTS}\s*")
# Not a piece of a longer number (a phone, an account), nor letters glued to a longer word.
_INSIDE = re.compile(rf"(?<![0-9]){_PARTS}(?![0-9])")
_CANONICAL = re.compile(r"[0-9]{2}[А-Я]{2}[0-9]{6}")

# КоАП РФ 32.2 part 1.3: half the fine if paid within 20 days of the ruling, except for these
# articles (and their parts): drink driving, repeated speeding, and the like.
DISCOUNT_DAYS = 20
NO_DISCOUNT_ARTICLES = ("12.1.1.1", "12.8", "12.9.6", "12.9.7", "12.12.3", "12.15.5",
                        "12.16.3.1", "12.24", "12.26", "12.27.3")


def _cyrillic(letter: str) -> str:
    upper = letter.upper()
    if upper == "Ё":
        return "Е"
    return LATIN_TO_CYRILLIC.get(upper, upper)


def _canonical(region: str, letters: str, number: str) -> str:
    return region + "".join(_cyrillic(letter) for letter in letters) + number


def normalise_certificate(text: str) -> str | None:
    """The canonical number if the whole text is one certificate number, else None.

    Strict on purpose: a form field or an API parameter either is a number or is not; finding
    one inside a sentence is :func:`find_certificate`'s job.
    """
    found = _WHOLE.fullmatch(text or "")
    return _canonical(*found.groups()) if found else None


def find_certificate(text: str) -> str | None:
    """The canonical form of the first certificate number written inside ``text``, or None."""
    found = _INSIDE.search(text or "")
    return _canonical(*found.groups()) if found else None


def without_certificates(text: str) -> str:
    """The text with every certificate number blanked out: its two letters say nothing about
    the language the citizen writes ("97 ОР 135790" is not a Russian word)."""
    return _INSIDE.sub(" ", text)


def is_canonical(text: str) -> bool:
    """Whether ``text`` is already a canonical number (what the city stores and answers)."""
    return _CANONICAL.fullmatch(text) is not None


def shown_certificate(certificate: str) -> str:
    """``77УВ123456`` (or the number in any form :func:`normalise_certificate` reads) as people
    write it: ``77 УВ 123456``. Raises ValueError for text that is no certificate number."""
    canonical = normalise_certificate(certificate)
    if canonical is None:
        raise ValueError(f"not a vehicle registration certificate number: {certificate!r}")
    return f"{canonical[:2]} {canonical[2:4]} {canonical[4:]}"


def article_and_part(code: str) -> tuple[str, str | None]:
    """An offence's code as the law cites it: "12.9.2" is article 12.9, part 2; "12.5.3.1" is
    article 12.5, part 3.1; "12.6" is article 12.6 alone."""
    pieces = code.split(".")
    return ".".join(pieces[:2]), ".".join(pieces[2:]) or None


def discount_allowed(article: str) -> bool:
    """Whether the law lets an offence under ``article`` ("12.9.2": article 12.9, part 2) be
    paid at half price."""
    return not any(article == excluded or article.startswith(excluded + ".")
                   for excluded in NO_DISCOUNT_ARTICLES)


def discount_until(ruled_on: date) -> date:
    """The last day the half price can be paid for a fine ruled on ``ruled_on``."""
    return ruled_on + timedelta(days=DISCOUNT_DAYS)


def half(amount: int) -> int:
    """Half a fine in whole roubles, rounded up: rounding down would leave a fine underpaid."""
    return math.ceil(amount / 2)


@dataclass(frozen=True)
class Discount:
    """The half price of a fine and the last day (Moscow date) it can be paid."""

    amount: int
    until: date


def discount(article: str, amount: int, ruled_on: date, today: date) -> Discount | None:
    """The discount a fine has on ``today`` (the Moscow date), or None: past the 20 days, or
    for an offence that allows none."""
    if not discount_allowed(article):
        return None
    until = discount_until(ruled_on)
    if today > until:
        return None
    return Discount(half(amount), until)
