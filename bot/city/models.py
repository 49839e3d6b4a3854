"""Typed views of what the city answers. Parsers are lenient: real cities omit fields."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.textparse import best_option


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _opt_float(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# ---------------------------------------------------------------- Open311

@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class ServiceAttribute:
    code: str
    description: str
    datatype: str
    required: bool
    variable: bool = True
    order: int = 0
    values: tuple[AttributeValue, ...] = ()

    def choose(self, answer: str, *, also: Iterable["ServiceAttribute"] = ()) -> str | None:
        """The value key a citizen's answer means (key, name, or part of a name), else None.

        ``also``: the same question as the city words it in other languages; their option
        titles count too (a Russian conversation may have an English button in its history).
        Free-text attributes take the answer as it is.
        """
        answer = (answer or "").strip()
        if not self.values:
            return answer or None
        return best_option(answer, self.options(*also))

    def options(self, *also: "ServiceAttribute") -> list[tuple[str, str]]:
        """(key, title) of each option, then the same keys titled as in ``also`` (the question
        in other languages); a key only ``also`` has is not an option of this question."""
        keys = {v.key for v in self.values}
        return [(v.key, v.name) for attribute in (self, *also) for v in attribute.values
                if v.key in keys]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ServiceAttribute":
        return cls(
            code=str(data["code"]),
            description=str(data.get("description") or data.get("datatype_description") or ""),
            datatype=str(data.get("datatype") or "string"),
            required=str(data.get("required")).lower() == "true",
            variable=str(data.get("variable", "true")).lower() != "false",
            order=int(data.get("order") or 0),
            values=tuple(
                AttributeValue(str(v.get("key")), str(v.get("name") or v.get("key")))
                for v in data.get("values") or []
            ),
        )


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str = ""
    metadata: bool = False
    type: str = "realtime"
    keywords: tuple[str, ...] = ()
    group: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Service":
        keywords = data.get("keywords") or ""
        if isinstance(keywords, str):
            keywords = [k.strip() for k in keywords.split(",")]
        return cls(
            code=str(data["service_code"]),
            name=str(data.get("service_name") or data["service_code"]),
            description=str(data.get("description") or ""),
            metadata=str(data.get("metadata")).lower() == "true",
            type=str(data.get("type") or "realtime"),
            keywords=tuple(k for k in keywords if k),
            group=str(data.get("group") or ""),
        )


@dataclass(frozen=True)
class ServiceDefinition:
    code: str
    attributes: tuple[ServiceAttribute, ...]

    def attribute(self, code: str) -> ServiceAttribute | None:
        return next((a for a in self.attributes if a.code == code), None)

    @property
    def required_attributes(self) -> tuple[ServiceAttribute, ...]:
        """The attributes a citizen must answer, in the city's order."""
        return tuple(
            sorted((a for a in self.attributes if a.required and a.variable), key=lambda a: a.order)
        )


@dataclass(frozen=True)
class ServiceRequest:
    id: str | None
    status: str = "open"
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested: datetime | None = None
    updated: datetime | None = None
    expected: datetime | None = None
    address: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    token: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ServiceRequest":
        return cls(
            id=_opt_str(data.get("service_request_id")),
            status=str(data.get("status") or "open").lower(),
            status_notes=_opt_str(data.get("status_notes")),
            service_name=_opt_str(data.get("service_name")),
            service_code=_opt_str(data.get("service_code")),
            description=_opt_str(data.get("description")),
            agency_responsible=_opt_str(data.get("agency_responsible")),
            service_notice=_opt_str(data.get("service_notice")),
            requested=parse_datetime(data.get("requested_datetime")),
            updated=parse_datetime(data.get("updated_datetime")),
            expected=parse_datetime(data.get("expected_datetime")),
            address=_opt_str(data.get("address")),
            lat=_opt_float(data.get("lat")),
            long=_opt_float(data.get("long")),
            media_url=_opt_str(data.get("media_url")),
            token=_opt_str(data.get("token")),
        )


@dataclass(frozen=True)
class FiledRequest:
    """What ``POST requests`` answers: an id, or a token to resolve later."""

    id: str | None
    token: str | None
    service_notice: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FiledRequest":
        return cls(
            id=_opt_str(data.get("service_request_id")),
            token=_opt_str(data.get("token")),
            service_notice=_opt_str(data.get("service_notice")),
        )


# ---------------------------------------------------------------- City JSON API

@dataclass(frozen=True)
class Address:
    id: str
    street: str
    house: str
    district: str
    label: str
    lat: float | None = None
    lon: float | None = None
    score: float = 1.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Address":
        return cls(
            id=str(data["id"]),
            street=str(data.get("street") or ""),
            house=str(data.get("house") or ""),
            district=str(data.get("district") or ""),
            label=str(data.get("label") or f"{data.get('house')} {data.get('street')}"),
            lat=_opt_float(data.get("lat")),
            lon=_opt_float(data.get("lon")),
            score=float(data.get("score") or 0.0),
        )


@dataclass(frozen=True)
class Facility:
    id: str
    type: str
    name: str
    address: str
    district: str
    phone: str | None = None
    opening_hours: dict[str, str | None] = field(default_factory=dict)
    open_now: bool | None = None
    queue_waiting: int | None = None
    queue_minutes: int | None = None
    distance_m: float | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Facility":
        queue = data.get("queue") or {}
        return cls(
            id=str(data["id"]),
            type=str(data.get("type") or ""),
            name=str(data.get("name") or ""),
            address=str(data.get("address") or ""),
            district=str(data.get("district") or ""),
            phone=_opt_str(data.get("phone")),
            opening_hours=dict(data.get("opening_hours") or {}),
            open_now=data.get("open_now"),
            queue_waiting=queue.get("waiting"),
            queue_minutes=queue.get("wait_minutes"),
            distance_m=_opt_float(data.get("distance_m")),
        )


@dataclass(frozen=True)
class MeterReading:
    value: float
    date: date | None


@dataclass(frozen=True)
class Meter:
    kind: str
    serial: str
    last: MeterReading | None


@dataclass(frozen=True)
class SubmissionWindow:
    opens_day: int
    closes_day: int
    open_now: bool
    next_opens: date | None


@dataclass(frozen=True)
class MeterAccount:
    account: str
    address: str
    meters: tuple[Meter, ...]
    window: SubmissionWindow
    max_monthly_m3: float

    def meter(self, kind: str) -> Meter | None:
        return next((m for m in self.meters if m.kind == kind), None)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "MeterAccount":
        meters = []
        for m in data.get("meters") or []:
            last = m.get("last_reading")
            meters.append(
                Meter(
                    kind=str(m.get("kind")),
                    serial=str(m.get("serial") or ""),
                    last=MeterReading(float(last["value"]), parse_date(last.get("date")))
                    if last and last.get("value") is not None
                    else None,
                )
            )
        window = data.get("window") or {}
        return cls(
            account=str(data["account"]),
            address=str(data.get("address") or ""),
            meters=tuple(meters),
            window=SubmissionWindow(
                opens_day=int(window.get("opens_day") or 1),
                closes_day=int(window.get("closes_day") or 31),
                open_now=bool(window.get("open_now", True)),
                next_opens=parse_date(window.get("next_opens")),
            ),
            max_monthly_m3=float(data.get("max_monthly_m3") or 50),
        )


@dataclass(frozen=True)
class SubmittedReading:
    kind: str
    value: float
    previous: float | None
    consumption: float | None


@dataclass(frozen=True)
class Outage:
    id: str
    kind: str
    district: str
    streets: tuple[str, ...]
    starts_at: datetime | None
    ends_at: datetime | None
    reason: str
    status: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Outage":
        return cls(
            id=str(data["id"]),
            kind=str(data.get("kind") or ""),
            district=str(data.get("district") or ""),
            streets=tuple(data.get("streets") or ()),
            starts_at=parse_datetime(data.get("starts_at")),
            ends_at=parse_datetime(data.get("ends_at")),
            reason=str(data.get("reason") or ""),
            status=str(data.get("status") or "planned"),
        )
