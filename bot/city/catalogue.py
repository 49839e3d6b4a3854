"""Matching what a citizen calls a problem to a service in the city's Open311 catalogue."""

from __future__ import annotations

import re
import time
from difflib import SequenceMatcher

from bot.city.models import Service, ServiceDefinition
from bot.city.open311 import Open311Client


# The service for what fits no other (Open311 cities commonly have one; the sandbox does).
CATCH_ALL = "other"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower()).strip()


def _score(category: str, service: Service) -> float:
    names = [service.name, service.code.replace("_", " "), *service.keywords]
    best = 0.0
    for name in names:
        candidate = _norm(name)
        if not candidate:
            continue
        if category == candidate:
            return 1.0
        # Whole words only (a plural allowed): "street" must not match "tree", nor "police" "ice".
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
    """The city's Open311 service list and definitions, cached for a few minutes."""

    def __init__(self, open311: Open311Client, *, ttl: float = 300.0) -> None:
        self._open311 = open311
        self._ttl = ttl
        self._services: tuple[float, list[Service]] | None = None
        self._definitions: dict[str, tuple[float, ServiceDefinition]] = {}

    async def services(self) -> list[Service]:
        now = time.monotonic()
        if self._services is None or now - self._services[0] > self._ttl:
            self._services = (now, await self._open311.services())
        return self._services[1]

    async def service(self, code: str) -> Service | None:
        return next((s for s in await self.services() if s.code == code), None)

    async def match(self, category: str) -> Service | None:
        return match_service(category, await self.services())

    async def mentions(self, text: str) -> list[tuple[int, str]]:
        """(position, words) of each service named in ``text`` (its name or a keyword, whole
        words, the earliest), first said first; the catch-all is never named in passing."""
        lowered = text.lower()
        found = []
        for service in await self.services():
            if service.code == CATCH_ALL:
                continue
            said = [
                (match.start(), -len(words), words)
                for words in (service.name, *service.keywords) if words
                for match in [re.search(rf"\b{re.escape(words.lower())}\b", lowered)] if match
            ]
            if said:
                start, _, words = min(said)
                found.append((start, words))
        return sorted(found)

    async def definition(self, code: str) -> ServiceDefinition:
        now = time.monotonic()
        cached = self._definitions.get(code)
        if cached is None or now - cached[0] > self._ttl:
            service = await self.service(code)
            if service is not None and not service.metadata:
                definition = ServiceDefinition(code=code, attributes=())
            else:
                definition = await self._open311.service_definition(code)
            cached = self._definitions[code] = (now, definition)
        return cached[1]
