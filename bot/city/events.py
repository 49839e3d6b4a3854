"""The city's events feed (``GET /events?since=&limit=&kind=``): what happened, in order, for the
notifier (``bot/notify``) to tell subscribed citizens of.

A page is ``{"items": [{"id", "kind", "occurred_at", "data"}], "next": <cursor>}``; asking again
with ``since=<next>`` gives what came after. Known kinds are read strictly, like fines: an event
becomes a message to a citizen, so an outage without a start or a fine without an amount is a
city we cannot read (:class:`CityProtocolError`), never a message with a hole in it. A kind this
client does not know is kept with ``data=None`` so the cursor can move past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Union

from bot.city.errors import CityProtocolError
from bot.city.http import CityHTTP
from bot.vehicles import normalise_certificate

OUTAGE_PLANNED = "outage_planned"
FINE_ISSUED = "fine_issued"
METER_WINDOW_OPENED = "meter_window_opened"
KINDS = (OUTAGE_PLANNED, FINE_ISSUED, METER_WINDOW_OPENED)


def _value(data: dict[str, Any], *names: str) -> Any:
    """The first of ``names`` the object has (the feed's own name first, then the name the city's
    other resources use for the same thing, e.g. a fine's ``fine_id`` or ``id``)."""
    for name in names:
        if data.get(name) not in (None, ""):
            return data[name]
    raise CityProtocolError(f"event data lacks {names[0]}")


def _text(data: dict[str, Any], *names: str) -> str:
    value = _value(data, *names)
    if isinstance(value, (dict, list, bool)):
        raise CityProtocolError(f"event data's {names[0]} is not text: {value!r}")
    return str(value)


def _int(data: dict[str, Any], name: str) -> int:
    value = _value(data, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CityProtocolError(f"event data's {name} is not a whole number: {value!r}")
    return value


def moment(value: Any, name: str) -> datetime:
    """A W3C datetime with its offset: without one we could not tell when it is."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise CityProtocolError(f"event's {name} is not a datetime: {value!r}") from None
    if parsed.tzinfo is None:
        raise CityProtocolError(f"event's {name} has no UTC offset: {value!r}")
    return parsed


@dataclass(frozen=True)
class Said:
    """One text as the city says it in English and in Russian (``ru`` None: English only)."""

    en: str
    ru: str | None = None

    def in_language(self, language: str) -> str:
        return (self.ru if language == "ru" else None) or self.en

    @classmethod
    def read(cls, data: dict[str, Any], name: str) -> "Said":
        """``"reason": {"en", "ru"}``, or ``"reason"`` with ``"reason_ru"`` beside it."""
        value = data.get(name)
        if isinstance(value, dict):
            if not isinstance(value.get("en"), str) or not value["en"]:
                raise CityProtocolError(f"event data's {name} has no English text")
            ru = value.get("ru")
            return cls(value["en"], ru if isinstance(ru, str) and ru else None)
        en = _text(data, name)
        ru = data.get(f"{name}_ru")
        return cls(en, ru if isinstance(ru, str) and ru else None)


@dataclass(frozen=True)
class OutagePlanned:
    """A planned outage. ``address_ids``: the houses it reaches, as the city lists them with
    the event (None when it does not: then ``GET outages?address_id=`` says, house by house);
    ``district``/``streets`` are for showing only."""

    outage_id: str
    kind: str  # hot_water | cold_water | heating | electricity
    starts_at: datetime
    ends_at: datetime
    reason: Said
    district: str | None = None
    streets: tuple[str, ...] = ()
    address_ids: frozenset[str] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "OutagePlanned":
        starts = moment(_value(data, "starts_at", "starts"), "starts_at")
        ends = moment(_value(data, "ends_at", "ends"), "ends_at")
        if ends < starts:
            raise CityProtocolError("an outage ends before it starts")
        streets = data.get("streets") or ()
        district = data.get("district")
        return cls(
            outage_id=_text(data, "outage_id", "id"),
            kind=_text(data, "kind"),
            starts_at=starts,
            ends_at=ends,
            reason=Said.read(data, "reason"),
            district=str(district) if district not in (None, "") else None,
            streets=tuple(str(s) for s in streets) if isinstance(streets, list) else (),
            address_ids=_ids(data.get("address_ids")),
        )


def _ids(value: Any) -> frozenset[str] | None:
    """Address ids as the city's other resources give them (strings), or None if not listed."""
    if value is None:
        return None
    if not isinstance(value, list) or any(
            isinstance(v, (bool, dict, list)) or v in (None, "") for v in value):
        raise CityProtocolError(f"event data's address_ids is not a list of ids: {value!r}")
    return frozenset(str(v) for v in value)


@dataclass(frozen=True)
class FineIssued:
    """A new fine for a vehicle, named by its canonical certificate (``77УВ123456``)."""

    vehicle_certificate: str
    fine_id: str
    article: str
    offence: Said
    amount: int
    ruled_on: date

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FineIssued":
        said = _text(data, "vehicle_certificate")
        canonical = normalise_certificate(said)
        if canonical is None:
            raise CityProtocolError(f"event's vehicle_certificate is no certificate: {said!r}")
        amount = _int(data, "amount")
        if amount < 0:
            raise CityProtocolError(f"a fine of {amount} roubles")
        try:
            ruled_on = date.fromisoformat(_text(data, "ruled_on"))
        except ValueError:
            raise CityProtocolError("event's ruled_on is not a date") from None
        return cls(
            vehicle_certificate=canonical,
            fine_id=_text(data, "fine_id", "id"),
            article=_text(data, "article"),
            offence=Said.read(data, "offence"),
            amount=amount,
            ruled_on=ruled_on,
        )


@dataclass(frozen=True)
class MeterWindowOpened:
    """The month's meter-reading submission window has opened (days of the month, inclusive;
    ``closes_on`` its last day as a date, when the city says: a window "to the 31st" ends with a
    shorter month)."""

    month: str  # "2026-12"
    opens_day: int
    closes_day: int
    closes_on: date | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "MeterWindowOpened":
        opens, closes = _int(data, "opens_day"), _int(data, "closes_day")
        if not 1 <= opens <= closes <= 31:
            raise CityProtocolError(f"a meter window from day {opens} to day {closes}")
        closes_on = None
        if data.get("closes_on") is not None:
            try:
                closes_on = date.fromisoformat(_text(data, "closes_on"))
            except ValueError:
                raise CityProtocolError("event's closes_on is not a date") from None
        return cls(month=_text(data, "month"), opens_day=opens, closes_day=closes,
                   closes_on=closes_on)


EventData = Union[OutagePlanned, FineIssued, MeterWindowOpened]
_READERS = {
    OUTAGE_PLANNED: OutagePlanned.from_json,
    FINE_ISSUED: FineIssued.from_json,
    METER_WINDOW_OPENED: MeterWindowOpened.from_json,
}


@dataclass(frozen=True)
class CityEvent:
    """One item of the feed; ``data`` is None for a kind this client does not know."""

    id: str
    kind: str
    occurred_at: datetime
    data: EventData | None

    @classmethod
    def from_json(cls, item: Any) -> "CityEvent":
        if not isinstance(item, dict):
            raise CityProtocolError("an event is not an object")
        if item.get("id") in (None, "") or isinstance(item.get("id"), (bool, dict, list)):
            raise CityProtocolError("an event has no id")
        kind = item.get("kind")
        if not isinstance(kind, str) or not kind:
            raise CityProtocolError("an event has no kind")
        data = item.get("data")
        if not isinstance(data, dict):
            raise CityProtocolError(f"event {item['id']} has no data object")
        reader = _READERS.get(kind)
        return cls(
            id=str(item["id"]),
            kind=kind,
            occurred_at=moment(item.get("occurred_at"), "occurred_at"),
            data=reader(data) if reader else None,
        )


@dataclass(frozen=True)
class EventPage:
    """Events after a cursor, oldest first, and the cursor to ask with next time."""

    items: tuple[CityEvent, ...]
    next: str

    @classmethod
    def from_json(cls, body: Any, *, since: str | None) -> "EventPage":
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise CityProtocolError("the events feed did not answer an object with items")
        items = tuple(CityEvent.from_json(item) for item in body["items"])
        cursor = body.get("next")
        if cursor in (None, ""):
            # A feed that leaves the cursor out: the last id read, else where we were.
            cursor = items[-1].id if items else since
        if isinstance(cursor, (bool, dict, list)):
            raise CityProtocolError(f"the events feed's next is not a cursor: {cursor!r}")
        return cls(items=items, next="" if cursor is None else str(cursor))


class EventsClient:
    """``GET events`` of the city JSON API."""

    def __init__(self, http: CityHTTP, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def feed(
        self, since: str | None = None, *, limit: int = 100, kind: str | None = None
    ) -> EventPage:
        """The events after ``since`` (None: from the start of the feed), at most ``limit``."""
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["since"] = since
        if kind:
            params["kind"] = kind
        body = await self._http.request("GET", f"{self._base}/events", params=params)
        return EventPage.from_json(body, since=since)
