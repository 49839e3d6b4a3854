"""Matching what a citizen calls a problem to a service in the city's Open311 catalogue.

The catalogue is asked for, and kept, per language. Matching always reads the English one: the
NLU's ``problem_category`` values are canonical English ("яма" is tagged ``pothole``), whatever
the conversation's language. A conversation in another language also matches that language's
names and keywords, Russian words by dictionary form ("ямы" is "яма"), for what the NLU did not
tag. The service found is returned as the conversation's language names it, to be shown.
"""

from __future__ import annotations

import re
import time
from difflib import SequenceMatcher

from bot.city.models import Service, ServiceDefinition
from bot.city.open311 import CITY_LANGUAGE, Open311Client
from bot.language import find_words, lemma_words, mentioned

# The service for what fits no other (Open311 cities commonly have one; the sandbox does).
CATCH_ALL = "other"
# A single word said shorter than this is no part of a longer Russian name ("на" in "яма на
# дороге"); shorter words match only a whole name ("яма").
MIN_PART_LETTERS = 4

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9а-я ]+", " ", text.lower().replace("ё", "е")).strip()




def _lemma_score(category: str, candidate: str) -> float:
    """Like :func:`_score`'s word rules, with Russian words compared by dictionary form."""
    said = [forms for _, forms in lemma_words(category)]
    named = [forms for _, forms in lemma_words(candidate)]
    at = find_words(said, named)
    if at is not None:
        return 1.0 if len(said) == len(named) else 0.9
    if len(said) == 1 and len(category) >= MIN_PART_LETTERS and find_words(named, said) is not None:
        return 0.9
    return 0.0


def _score(category: str, service: Service) -> float:
    names = [service.name, service.code.replace("_", " "), *service.keywords]
    best = 0.0
    for name in names:
        candidate = _norm(name)
        if not candidate:
            continue
        if category == candidate:
            return 1.0
        if _CYRILLIC.search(candidate) or _CYRILLIC.search(category):
            best = max(best, _lemma_score(category, candidate))
        else:
            # Whole words only (a plural allowed): "street" must not match "tree", nor "police"
            # "ice".
            whole_words = rf"\b{re.escape(candidate)}(?:e?s)?\b"
            if category in candidate.split() or re.search(whole_words, category):
                best = max(best, 0.9)
        best = max(best, SequenceMatcher(None, category, candidate).ratio())
    return best


def match_service(category: str, services: list[Service], *, cutoff: float = 0.75) -> Service | None:
    """The catalogue service that best fits the category, or None if nothing fits well."""
    wanted = _norm(category)
    if not wanted:
        return None
    scored = sorted(((_score(wanted, s), s) for s in services), key=lambda x: -x[0])
    if scored and scored[0][0] >= cutoff:
        return scored[0][1]
    return None


class Catalogue:
    """The city's Open311 service list and definitions, per language, cached for a few minutes.

    ``language`` is the conversation's ("en", "ru"); the city is asked in it, and a city that
    does not speak it answers in its own (every method then works as in English).
    """

    def __init__(self, open311: Open311Client, *, ttl: float = 300.0) -> None:
        self._open311 = open311
        self._ttl = ttl
        self._services: dict[str, tuple[float, list[Service]]] = {}
        self._definitions: dict[tuple[str, str], tuple[float, ServiceDefinition]] = {}

    async def services(self, language: str = CITY_LANGUAGE) -> list[Service]:
        now = time.monotonic()
        cached = self._services.get(language)
        if cached is None or now - cached[0] > self._ttl:
            cached = (now, await self._open311.services(language=language))
            self._services[language] = cached
        return cached[1]

    async def service(self, code: str, language: str = CITY_LANGUAGE) -> Service | None:
        return next((s for s in await self.services(language) if s.code == code), None)

    async def _matchable(self, language: str) -> list[Service]:
        """The services words are matched against: the English catalogue (the NLU's canonical
        values), then the same services as the conversation's language names them."""
        english = await self.services()
        if language == CITY_LANGUAGE:
            return english
        return [*english, *await self.services(language)]

    async def match(self, category: str, language: str = CITY_LANGUAGE) -> Service | None:
        """The service the category means, named in ``language``."""
        found = match_service(category, await self._matchable(language))
        if found is None or language == CITY_LANGUAGE:
            return found
        return await self.service(found.code, language) or found

    async def mentions(self, text: str, language: str = CITY_LANGUAGE) -> list[tuple[int, str]]:
        """(position, words) of each service named in ``text`` (its name or a keyword, whole
        words, the earliest; in English or in ``language``), first said first; the catch-all is
        never named in passing."""
        words = lemma_words(text)
        earliest: dict[str, tuple[int, int, str]] = {}
        for service in await self._matchable(language):
            if service.code == CATCH_ALL:
                continue
            for phrase in (service.name, *service.keywords):
                at = mentioned(text, phrase, words) if phrase else None
                if at is not None:
                    said = (at, -len(phrase), phrase)
                    earliest[service.code] = min(earliest.get(service.code, said), said)
        return sorted((start, phrase) for start, _, phrase in earliest.values())

    async def definition(self, code: str, language: str = CITY_LANGUAGE) -> ServiceDefinition:
        """The service's attributes, their questions and option titles in ``language``."""
        now = time.monotonic()
        cached = self._definitions.get((code, language))
        if cached is None or now - cached[0] > self._ttl:
            service = await self.service(code, language)
            if service is not None and not service.metadata:
                definition = ServiceDefinition(code=code, attributes=())
            else:
                definition = await self._open311.service_definition(code, language=language)
            cached = self._definitions[(code, language)] = (now, definition)
        return cached[1]
