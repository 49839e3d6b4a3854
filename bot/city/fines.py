"""Traffic fines from the city JSON API: a vehicle's unpaid fines by its registration certificate.

Unlike the lenient parsers in ``bot.city.models``, these are strict: a fine is money a citizen
is told to pay, so an answer without a readable amount or date is a city that cannot be read
(:class:`CityProtocolError`), never a fine of 0 roubles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.city.errors import CityProtocolError, CityRejected
from bot.city.http import CityHTTP
from bot.vehicles import CERTIFICATE_FORMAT, normalise_certificate


def _field(data: dict[str, Any], name: str) -> Any:
    if name not in data:
        raise CityProtocolError(f"fine answer lacks {name}")
    return data[name]


def _text(data: dict[str, Any], name: str, *, empty: bool = False) -> str:
    value = _field(data, name)
    if value is None and empty:
        return ""
    if not isinstance(value, str) or not (value or empty):
        raise CityProtocolError(f"fine answer's {name} is not text: {value!r}")
    return value


def _roubles(value: Any, name: str) -> int:
    # bool is an int to Python; an amount of True roubles is a city we cannot read.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CityProtocolError(f"fine answer's {name} is not whole roubles: {value!r}")
    return value


def _day(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CityProtocolError(f"fine answer's {name} is not a date: {value!r}") from None


def _certificate(data: dict[str, Any]) -> str:
    """The vehicle's certificate, canonical: shown to the citizen and kept with their consent,
    so anything else is a city that cannot be read."""
    said = _text(data, "vehicle_certificate")
    canonical = normalise_certificate(said)
    if canonical is None:
        raise CityProtocolError(f"fine answer's vehicle_certificate is no certificate: {said!r}")
    return canonical


@dataclass(frozen=True)
class Fine:
    """One unpaid fine: what is due today, the half price and its last day while it lasts."""

    id: str
    ruled_on: date
    article: str
    offence: str
    place: str
    amount: int
    discount_amount: int | None
    discount_until: date | None
    amount_due: int
    payment_url: str

    @classmethod
    def from_json(cls, data: Any) -> "Fine":
        if not isinstance(data, dict):
            raise CityProtocolError("a fine is not an object")
        discount = _field(data, "discount_amount")
        until = _field(data, "discount_until")
        if (discount is None) != (until is None):
            raise CityProtocolError("a fine's discount comes without its last day, or the "
                                    "other way round")
        return cls(
            id=_text(data, "id"),
            ruled_on=_day(_field(data, "ruled_on"), "ruled_on"),
            article=_text(data, "article"),
            offence=_text(data, "offence"),
            place=_text(data, "place", empty=True),
            amount=_roubles(_field(data, "amount"), "amount"),
            discount_amount=None if discount is None else _roubles(discount, "discount_amount"),
            discount_until=None if until is None else _day(until, "discount_until"),
            amount_due=_roubles(_field(data, "amount_due"), "amount_due"),
            payment_url=_text(data, "payment_url"),
        )


@dataclass(frozen=True)
class VehicleFines:
    """A vehicle and its unpaid fines, newest first (none: nothing to pay)."""

    certificate: str
    plate: str
    vehicle: str
    fines: tuple[Fine, ...]

    @property
    def total_due(self) -> int:
        return sum(fine.amount_due for fine in self.fines)

    @classmethod
    def from_json(cls, data: Any) -> "VehicleFines":
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise CityProtocolError("expected a vehicle with its items")
        return cls(
            certificate=_certificate(data),
            plate=_text(data, "plate", empty=True),
            vehicle=_text(data, "vehicle", empty=True),
            fines=tuple(Fine.from_json(item) for item in data["items"]),
        )


class FinesClient:
    """``GET fines?vehicle_certificate=`` of the city JSON API."""

    def __init__(self, http: CityHTTP, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def fines(self, certificate: str, *, language: str | None = None) -> VehicleFines:
        """A vehicle's unpaid fines, offences and places in ``language`` (the city's default
        when None). A malformed number is refused here as the city would refuse it
        (CityRejected 400 ``bad_vehicle_certificate``), without asking; an unknown vehicle is
        CityNotFound."""
        canonical = normalise_certificate(certificate)
        if canonical is None:
            raise CityRejected(400, "bad_vehicle_certificate",
                               "A vehicle registration certificate (СТС) number is 2 digits, "
                               f"2 letters and 6 digits, like {CERTIFICATE_FORMAT}.",
                               {"vehicle_certificate": certificate,
                                "format": CERTIFICATE_FORMAT})
        params = {"vehicle_certificate": canonical}
        if language:
            params["lang"] = language
        body = await self._http.request("GET", f"{self._base}/fines", params=params)
        return VehicleFines.from_json(body)
