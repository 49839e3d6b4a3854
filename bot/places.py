"""Turning what a citizen wrote about a place into a known address."""

from __future__ import annotations

from dataclasses import dataclass

from bot.city.cityapi import CityApiClient
from bot.city.models import Address

SURE = 0.9  # the city's search score above which we take its first answer without asking
MAYBE = 0.35  # below this a candidate is not worth offering


@dataclass(frozen=True)
class Resolved:
    address: Address | None
    suggestions: tuple[Address, ...] = ()


async def resolve_address(api: CityApiClient, text: str, *, offer: int = 3) -> Resolved:
    """The address meant, or a few candidates to offer as "did you mean"."""
    candidates = await api.search_addresses(text, limit=max(offer, 5))
    if candidates and candidates[0].score >= SURE:
        return Resolved(candidates[0])
    return Resolved(None, tuple(c for c in candidates if c.score >= MAYBE)[:offer])
