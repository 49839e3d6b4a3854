"""Where things are: fuzzy address search, reverse lookup, districts and distances.

Streets and houses never change after seeding, so the index lives in memory on the app.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.sandbox.models import Address, District, Street

# Street-type words in English and transliterated Russian, mapped to one canonical type.
STREET_TYPES = {
    **dict.fromkeys(["street", "st", "ul", "ulitsa", "ulica", "ulitca"], "street"),
    **dict.fromkeys(["avenue", "ave", "av", "prospekt", "prospect", "prosp", "pr"], "avenue"),
    **dict.fromkeys(["lane", "ln", "pereulok", "per"], "lane"),
    **dict.fromkeys(["boulevard", "blvd", "bul", "bulvar", "bulv"], "boulevard"),
    **dict.fromkeys(["square", "sq", "ploshchad", "pl"], "square"),
    **dict.fromkeys(["embankment", "emb", "naberezhnaya", "nab"], "embankment"),
    **dict.fromkeys(["passage", "proezd"], "passage"),
    **dict.fromkeys(["highway", "hwy", "shosse", "sh"], "highway"),
}
FILLER_WORDS = {"house", "dom", "d", "building", "bldg", "no", "nr", "number", "moscow",
                "moskva", "g", "city", "the", "at", "on", "of", "district", "rayon"}
CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
    strict=True,
))
HOUSE_TOKEN = re.compile(r"^(\d+)[a-z]?$")
STREET_THRESHOLD = 0.75
EARTH_RADIUS_M = 6_371_000.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def tokens(text: str) -> list[str]:
    """Lowercase, transliterate Cyrillic, keep "12/1" as house 12, split on punctuation."""
    text = "".join(CYRILLIC.get(ch, ch) for ch in text.lower())
    text = re.sub(r"(\d+)\s*[/\\]\s*\d+", r"\1", text)
    return re.findall(r"[a-z0-9]+", text)


@dataclass(frozen=True)
class Place:
    """One house: the thing the city API calls an address."""

    id: int
    street_id: int
    street: str
    district_id: int
    district: str
    house: str
    zipcode: str
    lat: float
    lon: float

    @property
    def label(self) -> str:
        return f"{self.street}, {self.house}"

    def as_json(self, score: float | None = None) -> dict:
        item = {"id": self.id, "street": self.street, "house": self.house,
                "district": self.district, "label": self.label, "zipcode": self.zipcode,
                "lat": self.lat, "lon": self.lon}
        if score is not None:
            item["score"] = round(score, 3)
        return item


@dataclass
class _StreetKey:
    street_id: int
    name: str
    words: list[str]
    kind: str | None
    houses: dict[int, Place]

    @property
    def key(self) -> str:
        return " ".join(self.words)


def _split_query(text: str) -> tuple[list[str], str | None, int | None]:
    """Street words, street type and house number of a free-text address."""
    words: list[str] = []
    kind = None
    house = None
    for token in tokens(text):
        match = HOUSE_TOKEN.match(token)
        if match:
            house = int(match.group(1))
        elif token in STREET_TYPES:
            kind = STREET_TYPES[token]
        elif token not in FILLER_WORDS:
            words.append(token)
    return words, kind, house


def _street_score(words: list[str], kind: str | None, street: _StreetKey) -> float:
    whole = difflib.SequenceMatcher(None, " ".join(words), street.key).ratio()
    best = [max(difflib.SequenceMatcher(None, w, s).ratio() for s in street.words) for w in words]
    coverage = min(1.0, len(words) / len(street.words))
    by_word = sum(best) / len(best) * (0.85 + 0.15 * coverage)
    score = max(whole, by_word)
    if kind and street.kind and kind != street.kind:
        score *= 0.9
    return score


class Gazetteer:
    """All districts, streets and houses of the sandbox city, searchable in memory."""

    def __init__(self, districts: dict[int, str], places: list[Place]) -> None:
        self.districts = districts
        self.places = {place.id: place for place in places}
        self._streets: dict[int, _StreetKey] = {}
        for place in places:
            street = self._streets.get(place.street_id)
            if street is None:
                words, kind, _ = _split_query(place.street)
                street = _StreetKey(place.street_id, place.street, words, kind, {})
                self._streets[place.street_id] = street
            street.houses[int(place.house)] = place

    @classmethod
    async def load(cls, engine: AsyncEngine) -> Gazetteer:
        async with engine.connect() as conn:
            districts = dict((await conn.execute(select(District.id, District.name))).all())
            rows = await conn.execute(
                select(Address.id, Address.street_id, Street.name, Street.district_id,
                       Address.house, Address.zipcode, Address.lat, Address.lon)
                .join(Street, Street.id == Address.street_id)
                .order_by(Address.id)
            )
            places = [Place(r[0], r[1], r[2], r[3], districts[r[3]], r[4], r[5], r[6], r[7])
                      for r in rows]
        return cls(districts, places)

    def get(self, address_id: int) -> Place | None:
        return self.places.get(address_id)

    def search(self, text: str, limit: int = 5) -> list[tuple[Place, float]]:
        """Best-first candidates for a free-text address; score 1.0 is an exact street + house."""
        words, kind, house = _split_query(text)
        if not words:
            return []
        found: list[tuple[Place, float]] = []
        for street in self._streets.values():
            score = _street_score(words, kind, street)
            if score < STREET_THRESHOLD:
                continue
            if house is not None and house in street.houses:
                found.append((street.houses[house], score))
                continue
            # No such house (or none given): offer the street's nearest houses, ranked lower.
            target = house if house is not None else 0
            nearest = sorted(street.houses, key=lambda n: (abs(n - target), n))[:3]
            factor = 0.6 if house is not None else 0.5
            found.extend((street.houses[n], score * factor - 0.01 * rank)
                         for rank, n in enumerate(nearest))
        found.sort(key=lambda item: (-item[1], item[0].street, int(item[0].house)))
        return found[:limit]

    def best(self, text: str, minimum: float = 0.0) -> Place | None:
        found = self.search(text, limit=1)
        return found[0][0] if found and found[0][1] >= minimum else None

    def nearest(self, lat: float, lon: float, within_m: float = 150.0) -> Place | None:
        """The house closest to a point, if one is within ``within_m`` metres."""
        scale = math.cos(math.radians(lat))
        place = min(self.places.values(),
                    key=lambda p: (p.lat - lat) ** 2 + ((p.lon - lon) * scale) ** 2,
                    default=None)
        if place is None or haversine_m(lat, lon, place.lat, place.lon) > within_m:
            return None
        return place

    def find_district(self, name: str) -> tuple[int, str] | None:
        """A district by name, forgiving case, the word "district" and small typos."""
        wanted = " ".join(t for t in tokens(name) if t not in FILLER_WORDS)
        keys = {" ".join(tokens(n)): (i, n) for i, n in self.districts.items()}
        if wanted in keys:
            return keys[wanted]
        close = difflib.get_close_matches(wanted, list(keys), n=1, cutoff=0.8)
        return keys[close[0]] if close else None

    def street_names(self, district_id: int) -> list[str]:
        return sorted({p.street for p in self.places.values() if p.district_id == district_id})
