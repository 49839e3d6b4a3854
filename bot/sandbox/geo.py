"""Where things are: fuzzy address search, reverse lookup, districts and distances.

Streets and houses never change after seeding, so the index lives in memory on the app.
Every street and district has an English and a Russian name; a house has one id whatever the
language it was found in. Text with Cyrillic letters is read as Russian (geo_ru), any other
text as English/transliterated.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.sandbox.geo_ru import TRANSLIT, RussianReader, Word, has_cyrillic, name_score, ratio
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
HOUSE_TOKEN = re.compile(r"^(\d+)[a-z]?$")
STREET_THRESHOLD = 0.75
LATIN_FALLBACK = 0.95
EARTH_RADIUS_M = 6_371_000.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def tokens(text: str) -> list[str]:
    """Lowercase, transliterate Cyrillic, keep "12/1" as house 12, split on punctuation."""
    text = "".join(TRANSLIT.get(ch, ch) for ch in text.lower())
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
    street_ru: str | None = None
    district_ru: str | None = None

    @property
    def label(self) -> str:
        return f"{self.street}, {self.house}"

    def street_in(self, lang: str) -> str:
        return (self.street_ru if lang == "ru" else None) or self.street

    def district_in(self, lang: str) -> str:
        return (self.district_ru if lang == "ru" else None) or self.district

    def label_in(self, lang: str) -> str:
        """"Tverskaya Street, 12", or with lang "ru" "Тверская улица, 12"."""
        return f"{self.street_in(lang)}, {self.house}"

    def as_json(self, score: float | None = None, lang: str = "en") -> dict:
        """The address as the API shows it; street, district and label in ``lang``."""
        item = {"id": self.id, "street": self.street_in(lang), "house": self.house,
                "district": self.district_in(lang), "label": self.label_in(lang),
                "zipcode": self.zipcode, "lat": self.lat, "lon": self.lon}
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
    ru_words: tuple[Word, ...] = ()
    ru_kind: str | None = None

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
    whole = ratio(" ".join(words), street.key)
    best = [max(ratio(w, s) for s in street.words) for w in words]
    coverage = min(1.0, len(words) / len(street.words))
    by_word = sum(best) / len(best) * (0.85 + 0.15 * coverage)
    score = max(whole, by_word)
    if kind and street.kind and kind != street.kind:
        score *= 0.9
    return score


def _candidates(scored: list[tuple[_StreetKey, float, int]], house: int | None, limit: int
                ) -> list[tuple[Place, float]]:
    """The houses of the streets that scored well enough, best first.

    Ties go to the lower preference number, then to the street's name and the house number.
    """
    found: list[tuple[Place, float, int]] = []
    for street, score, preference in scored:
        if score < STREET_THRESHOLD:
            continue
        if house is not None and house in street.houses:
            found.append((street.houses[house], score, preference))
            continue
        # No such house (or none given): offer the street's nearest houses, ranked lower.
        target = house if house is not None else 0
        nearest = sorted(street.houses, key=lambda n: (abs(n - target), n))[:3]
        factor = 0.6 if house is not None else 0.5
        found.extend((street.houses[n], score * factor - 0.01 * rank, preference)
                     for rank, n in enumerate(nearest))
    found.sort(key=lambda item: (-item[1], item[2], item[0].street, int(item[0].house)))
    return [(place, score) for place, score, _ in found[:limit]]


class Gazetteer:
    """All districts, streets and houses of the sandbox city, searchable in memory."""

    def __init__(self, districts: dict[int, str], places: list[Place],
                 districts_ru: dict[int, str | None] | None = None) -> None:
        self.districts = districts
        self.districts_ru = {i: name for i, name in (districts_ru or {}).items() if name}
        self.places = {place.id: place for place in places}
        # One analyser for the life of the gazetteer (loading it takes a while).
        self._ru = RussianReader(STREET_TYPES, FILLER_WORDS)
        self._streets: dict[int, _StreetKey] = {}
        self._street_ru: dict[str, str] = {}
        for place in places:
            street = self._streets.get(place.street_id)
            if street is None:
                words, kind, _ = _split_query(place.street)
                street = _StreetKey(place.street_id, place.street, words, kind, {})
                if place.street_ru:
                    street.ru_words, street.ru_kind = self._ru.name(place.street_ru)
                    self._street_ru[place.street] = place.street_ru
                self._streets[place.street_id] = street
            street.houses[int(place.house)] = place
        self._districts_ru_keys = {i: self._ru.name(name)[0]
                                   for i, name in self.districts_ru.items()}

    @classmethod
    async def load(cls, engine: AsyncEngine) -> Gazetteer:
        async with engine.connect() as conn:
            district_rows = (await conn.execute(
                select(District.id, District.name, District.name_ru))).all()
            districts = {r[0]: r[1] for r in district_rows}
            districts_ru = {r[0]: r[2] for r in district_rows}
            rows = await conn.execute(
                select(Address.id, Address.street_id, Street.name, Street.district_id,
                       Address.house, Address.zipcode, Address.lat, Address.lon, Street.name_ru)
                .join(Street, Street.id == Address.street_id)
                .order_by(Address.id)
            )
            places = [Place(r[0], r[1], r[2], r[3], districts[r[3]], r[4], r[5], r[6], r[7],
                            r[8], districts_ru[r[3]]) for r in rows]
        return cls(districts, places, districts_ru)

    def get(self, address_id: int) -> Place | None:
        return self.places.get(address_id)

    def search(self, text: str, limit: int = 5) -> list[tuple[Place, float]]:
        """Best-first candidates for a free-text address; score 1.0 is an exact street + house.

        Russian text (any Cyrillic letter) is read by lemma and grammatical form against the
        streets' Russian names, and also, like before, letter by letter in transliteration
        against their English names (a little discounted); a street scores the better.
        """
        if has_cyrillic(text):
            return self._search_russian(text, limit)
        words, kind, house = _split_query(text)
        if not words:
            return []
        scored = [(street, _street_score(words, kind, street), 0)
                  for street in self._streets.values()]
        return _candidates(scored, house, limit)

    def _search_russian(self, text: str, limit: int) -> list[tuple[Place, float]]:
        parsed = self._ru.parse(text)
        if not parsed.words:
            return []
        latin = [word.latin for word in parsed.words]
        scored = []
        for street in self._streets.values():
            score = name_score(parsed.words, parsed.kind, street.ru_words, street.ru_kind)
            if score < 1.0:
                # The English search's letter-by-letter comparison, transliterated: weaker
                # evidence than a word's grammatical form ("на Тверской" spelled "tverskoy" is
                # not Тверской бульвар), so it never quite reaches a grammatical match.
                fallback = _street_score(latin, parsed.kind, street) * LATIN_FALLBACK
                score = max(score, fallback)
            # A name without its kind word usually means an улица: on a tie ("тверской 12":
            # (на) Тверской (улице) or Тверской (бульвар)), the улица goes first.
            preference = 0 if parsed.kind or street.ru_kind in (None, "street") else 1
            scored.append((street, score, preference))
        return _candidates(scored, parsed.house, limit)

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
        """A district by name (English or Russian, in any case), forgiving the word "district"
        and small typos; the answer carries the English name."""
        if has_cyrillic(name) and self._districts_ru_keys:
            words = self._ru.parse(name).words
            score, found = max((name_score(words, None, key, None), i)
                               for i, key in self._districts_ru_keys.items())
            if score >= 0.8:
                return found, self.districts[found]
        wanted = " ".join(t for t in tokens(name) if t not in FILLER_WORDS)
        keys = {" ".join(tokens(n)): (i, n) for i, n in self.districts.items()}
        if wanted in keys:
            return keys[wanted]
        close = difflib.get_close_matches(wanted, list(keys), n=1, cutoff=0.8)
        return keys[close[0]] if close else None

    def district_name(self, district_id: int, lang: str = "en") -> str:
        russian = self.districts_ru.get(district_id) if lang == "ru" else None
        return russian or self.districts[district_id]

    def street_name(self, name: str, lang: str = "en") -> str:
        """A street's name (as the English name) in ``lang``."""
        return (self._street_ru.get(name) if lang == "ru" else None) or name

    def street_names(self, district_id: int) -> list[str]:
        return sorted({p.street for p in self.places.values() if p.district_id == district_id})
