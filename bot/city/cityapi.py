"""The city's JSON API (addresses, facilities, meters, outages), as described in its OpenAPI."""

from __future__ import annotations

import time
from datetime import date
from typing import Any
from urllib.parse import quote

from bot.city.errors import CityNotFound, CityProtocolError
from bot.city.http import CityHTTP
from bot.city.models import Address, Facility, MeterAccount, Outage, SubmittedReading
from bot.language import mentioned

FACILITY_TYPES = ("service_centre", "clinic", "police", "post_office", "library", "housing_office")


def _items(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise CityProtocolError("expected an object with items")
    return body["items"]


class CityApiClient:
    """Typed calls of the city JSON API.

    Calls that return street names and address labels take ``language`` ("ru" for Russian
    labels, sent as ``lang``); left out, the city answers in its default, English.
    """

    def __init__(self, http: CityHTTP, base_url: str, *, ttl: float = 300.0) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._ttl = ttl
        self._districts: dict[str, tuple[float, dict[int, str]]] = {}

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        return await self._http.request("GET", f"{self._base}/{path}", params=clean)

    async def search_addresses(
        self, query: str, *, limit: int = 5, language: str | None = None
    ) -> list[Address]:
        query = query.strip()
        if not query:
            return []
        body = await self._get(
            "addresses", {"q": query[:200], "limit": limit, "lang": language}
        )
        return [Address.from_json(a) for a in _items(body)]

    async def get_address(self, address_id: str, *, language: str | None = None) -> Address:
        return Address.from_json(
            await self._get(f"addresses/{quote(address_id, safe='')}", {"lang": language})
        )

    async def facilities(
        self,
        *,
        type: str = "service_centre",
        lat: float | None = None,
        lon: float | None = None,
        district: str | None = None,
        limit: int = 3,
        language: str | None = None,
    ) -> list[Facility]:
        body = await self._get(
            "facilities",
            {"type": type, "lat": lat, "lon": lon, "district": district, "limit": limit,
             "lang": language},
        )
        return [Facility.from_json(f) for f in _items(body)]

    async def meter_account(self, account: str, flat: str) -> MeterAccount:
        """An account's meters, shown only with the flat it belongs to (CityNotFound for a
        wrong pair, as for an unknown account)."""
        if not account.isdigit() or not flat:
            raise CityNotFound(f"no meter account {account!r} with that flat")
        return MeterAccount.from_json(await self._get(f"meters/{account}", {"flat": flat}))

    async def submit_readings(
        self, account: str, flat: str, readings: dict[str, float], *, idempotency_key: str
    ) -> list[SubmittedReading]:
        """Submit readings for an account and its flat; the key makes a retried submission
        count once."""
        body = await self._http.request(
            "POST",
            f"{self._base}/meters/{account}/readings",
            json_body={"flat": flat, **readings},
            headers={"Idempotency-Key": idempotency_key},
            idempotent=True,
        )
        if not isinstance(body, dict):
            raise CityProtocolError("readings answer is not an object")
        return [
            SubmittedReading(
                kind=str(r["kind"]),
                value=float(r["value"]),
                previous=None if r.get("previous") is None else float(r["previous"]),
                consumption=None if r.get("consumption") is None else float(r["consumption"]),
            )
            for r in body.get("readings") or []
        ]

    async def districts(self, *, language: str | None = None) -> dict[int, str]:
        """The city's districts, id to name in ``language`` (they change rarely: kept a few
        minutes per language)."""
        now = time.monotonic()
        key = language or ""
        kept = self._districts.get(key)
        if kept is None or now - kept[0] > self._ttl:
            body = await self._get("districts", {"lang": language})
            kept = (now, {int(d["id"]): str(d["name"]) for d in _items(body)
                          if d.get("name") and d.get("id") is not None})
            self._districts[key] = kept
        return kept[1]

    async def district_name(self, name: str, *, language: str | None = None) -> str | None:
        """A district's name (in the city's default language, "district" allowed after it) in
        ``language``; None for a name the city does not know."""
        wanted = name.strip().lower().removesuffix(" district").strip()
        for district_id, known in (await self.districts()).items():
            if known.lower() == wanted:
                return (await self.districts(language=language)).get(district_id, known)
        return None

    async def district_in(self, text: str, *, language: str | None = None) -> str | None:
        """The district the text names, in ``language`` or in the city's own, a Russian name in
        any grammatical form ("я на арбате"), as the city's own name; None if it names none."""
        own = await self.districts()
        translated = await self.districts(language=language) if language else {}
        for district_id, name in own.items():
            for said in dict.fromkeys((name, translated.get(district_id))):
                if said and mentioned(text, said) is not None:
                    return name
        return None

    async def outages(
        self,
        *,
        address_id: str | None = None,
        address: str | None = None,
        district: str | None = None,
        start: date | None = None,
        end: date | None = None,
        language: str | None = None,
    ) -> list[Outage]:
        body = await self._get(
            "outages",
            {
                "address_id": address_id,
                "address": address,
                "district": district,
                "from": start.isoformat() if start else None,
                "to": end.isoformat() if end else None,
                "lang": language,
            },
        )
        return [Outage.from_json(o) for o in _items(body)]
