"""Turning what a citizen wrote about a place into a known address."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from bot.city.cityapi import CityApiClient
from bot.city.models import Address
from bot.nlu.morph import lemma

SURE = 0.9  # the city's search score above which we take its first answer without asking
MAYBE = 0.35  # below this a candidate is not worth offering
LIKELY, LEAD = 0.7, 0.15  # a likely match this far ahead of the next, same house: taken


@dataclass(frozen=True)
class Resolved:
    address: Address | None
    suggestions: tuple[Address, ...] = ()


async def resolve_address(
    api: CityApiClient, text: str, *, offer: int = 3, language: str | None = None
) -> Resolved:
    """The address meant, or a few candidates to offer as "did you mean" (labelled in
    ``language``, the city's default when None)."""
    candidates = await api.search_addresses(text, limit=max(offer, 5), language=language)
    if candidates and candidates[0].score >= SURE:
        return Resolved(candidates[0])
    if candidates and _clear_winner(text, candidates):
        return Resolved(candidates[0])  # "pokrovak 5": a typo of one street, that very house
    return Resolved(None, tuple(c for c in candidates if c.score >= MAYBE)[:offer])


def _clear_winner(text: str, candidates: list[Address]) -> bool:
    """A likely match far ahead of the next, with the house number the citizen wrote."""
    best = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    houses = re.findall(r"\b\d{1,3}[a-z]?\b", text.lower())
    return (best.score >= LIKELY and best.score - runner_up >= LEAD
            and best.house.lower() in houses)


async def resolve_first(
    api: CityApiClient, candidates: list[str], *, language: str | None = None
) -> Resolved:
    """The first candidate the city knows for sure; else the first candidate's suggestions.

    Button payloads ("/inform{...}") and empty strings are skipped.
    """
    suggestions: tuple[Address, ...] = ()
    for candidate in candidates:
        if not candidate or candidate.startswith("/"):
            continue
        found = await resolve_address(api, candidate, language=language)
        if found.address is not None:
            return found
        suggestions = suggestions or found.suggestions
    return Resolved(None, suggestions)


_HOUSE = re.compile(r"\b\d{1,3}[a-z]?(?:/\d{1,3})?\b", re.IGNORECASE)
_GLUE = frozenset("at on near outside by in the of next to opposite behind from house building".split())
_RUSSIAN_GLUE = frozenset("в во на у около возле рядом с со напротив за перед под по от до".split())

# Words that say what kind of place, not which one ("дома", "в доме", "house 5", "ул."): a tagged
# address made only of these and numbers names no place.
_KIND_OF_PLACE = frozenset("""house home building flat apartment street st road yard entrance block
дом квартира кв улица ул двор подъезд корпус к стр строение д""".split())
_NO_NAME = _KIND_OF_PLACE | _GLUE | _RUSSIAN_GLUE


def names_a_place(value: str) -> bool:
    """Whether a tagged address names a place: a street or landmark name, not only numbers and
    words for a kind of place ("дома" in "я дома сидел", "9" in "around 9")."""
    return any(word not in _NO_NAME and lemma(word) not in _KIND_OF_PLACE
               for word in re.findall(r"[^\W\d_]+", value.lower()))


_TOKEN = re.compile(r"[\w.'-]+")


def address_candidates(text: str, *, most: int = 3) -> list[str]:
    """Street-and-house guesses in free text ("... again at arbat 10, people stuck" -> "arbat 10").

    For each house-like number, the one or two words before it that are not glue words. The text
    is split into words once (a 4,096-character message costs milliseconds, not a second).
    """
    text = text or ""
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    starts = [start for start, _ in tokens]
    ends = [end for _, end in tokens]
    found: list[str] = []
    for match in _HOUSE.finditer(text):
        # the words of text[:match.start()] (the last one cut where the number begins)
        i = bisect_left(starts, match.start())
        before = (text[tokens[k][0]:min(tokens[k][1], match.start())] for k in range(i - 1, -1, -1))
        words: list[str] = []
        for word in before:
            if word.lower() in _GLUE or word.isdigit():
                break
            words.insert(0, word)
            if len(words) == 2:
                break
        # the first three words of text[match.end():] (the first one cut where the number ends)
        j = bisect_right(ends, match.end())
        after = [text[max(start, match.end()):end] for start, end in tokens[j:j + 3]]
        following = [w for w in after[:2] if w.lower() not in _GLUE and not w.isdigit()]
        sizes = sorted({len(words), 1}, reverse=True) if words else []
        guesses = [" ".join(words[-size:] + [match.group(0)]) for size in sizes]
        if len(following) == len(after[:2]) and following:
            guesses.append(" ".join([match.group(0), *following]))
        for guess in guesses:
            if guess not in found:
                found.append(guess)
    return found[:most]
