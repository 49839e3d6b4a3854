"""Where notices come from: the city's events feed and Open311's recently updated requests.

Each source reads from its cursor and turns what it read into :class:`Notice` items plus the
cursor to keep; it records nothing itself. :func:`bot.notify.record.record` stores the
deliveries and the cursor together, so a crash after a read re-reads it, and the deliveries'
unique (subscription, event key) makes the second reading harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.city.cityapi import CityApiClient
from bot.city.errors import CityNotFound
from bot.city.events import (
    CityEvent,
    EventsClient,
    FineIssued,
    MeterWindowOpened,
    OutagePlanned,
)
from bot.city.models import ServiceRequest
from bot.city.open311 import Open311Client
from bot.notify.notices import Notice, naive_utc
from bot.notify.subscriptions import earliest_active
from bot.store import Report, Store, Subscription

log = logging.getLogger(__name__)

Watched = Mapping[str, frozenset[str]]  # kind -> targets of active subscriptions


@dataclass(frozen=True)
class Batch:
    """What one read gave: notices, the cursor to keep once they are recorded, and whether the
    source has more to give right away."""

    notices: tuple[Notice, ...]
    cursor: str
    more: bool = False


class Source(Protocol):
    name: str

    async def read(self, cursor: str | None, watched: Watched) -> Batch | None:
        """The next batch after ``cursor`` (None: never read), or None for nothing to do."""


# ------------------------------------------------------------------ the city's events feed


class EventsSource:
    """``GET events?since=``: planned outages, new fines, the meter window opening.

    Which houses an outage affects is the city's business. The sandbox lists them with the
    event (``address_ids``); for a feed that does not, the source asks ``GET
    outages?address_id=`` for each address somebody watches (once per page that needs it) and
    matches by outage id. Either way the notifier applies the city's rule, not a copy of it.
    """

    name = "city_events"

    def __init__(
        self, events: EventsClient, api: CityApiClient, tz: ZoneInfo, *, page_size: int = 100
    ) -> None:
        self._events = events
        self._api = api
        self._tz = tz
        self._page_size = page_size

    async def read(self, cursor: str | None, watched: Watched) -> Batch | None:
        page = await self._events.feed(cursor, limit=self._page_size)
        if not page.items and page.next == (cursor or ""):
            return None
        affected: dict[str, frozenset[str]] = {}
        if any(isinstance(e.data, OutagePlanned) and e.data.address_ids is None
               for e in page.items):
            affected = await self._outages_at(watched.get("outages", frozenset()))
        notices = tuple(n for e in page.items if (n := self._notice(e, affected)) is not None)
        return Batch(notices, page.next, more=len(page.items) >= self._page_size)

    async def _outages_at(self, addresses: frozenset[str]) -> dict[str, frozenset[str]]:
        """Outage ids per watched address, as the city answers them now."""
        found = {}
        for address in sorted(addresses):
            try:
                outages = await self._api.outages(address_id=address)
            except CityNotFound:  # an address the city no longer knows has no outages
                log.warning("notifier: the city does not know address %s", address)
                outages = []
            found[address] = frozenset(o.id for o in outages)
        return found

    def _notice(self, event: CityEvent, affected: dict[str, frozenset[str]]) -> Notice | None:
        key, at = f"events:{event.id}", naive_utc(event.occurred_at)
        data = event.data
        if isinstance(data, OutagePlanned):
            reached = data.address_ids
            if reached is None:
                reached = frozenset(a for a, ids in affected.items() if data.outage_id in ids)
            return Notice(
                key=key, kind="outages", occurred_at=at,
                payload={"outage_id": data.outage_id, "outage_kind": data.kind,
                         "starts_at": data.starts_at.isoformat(),
                         "ends_at": data.ends_at.isoformat()},
                texts={lang: {"reason": data.reason.in_language(lang)} for lang in ("en", "ru")},
                targets=reached,
                deadline=naive_utc(data.starts_at), expires_at=naive_utc(data.ends_at),
            )
        if isinstance(data, FineIssued):
            return Notice(
                key=key, kind="fines", occurred_at=at,
                payload={"fine_id": data.fine_id, "article": data.article, "amount": data.amount,
                         "ruled_on": data.ruled_on.isoformat()},
                texts={lang: {"offence": data.offence.in_language(lang)} for lang in ("en", "ru")},
                targets=frozenset({data.vehicle_certificate}),
            )
        if isinstance(data, MeterWindowOpened):
            payload: dict[str, object] = {"month": data.month, "opens_day": data.opens_day,
                                          "closes_day": data.closes_day}
            if data.closes_on is not None:
                payload["closes_on"] = data.closes_on.isoformat()
            return Notice(key=key, kind="meter_reminder", occurred_at=at, payload=payload,
                          expires_at=self._window_closes(data))
        return None  # a kind nobody subscribes to: read past it

    def _window_closes(self, window: MeterWindowOpened) -> datetime | None:
        """The end of the window's last day in the city, after which a reminder is no use."""
        last_day = window.closes_on
        if last_day is None:
            try:
                year, month = (int(part) for part in window.month.split("-")[:2])
                last_day = date(year, month, 1) + timedelta(days=window.closes_day - 1)
            except ValueError:
                return None
        return naive_utc(datetime.combine(last_day + timedelta(days=1), time(0), self._tz))


# ------------------------------------------------------------------ Open311 updated requests


def w3c(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class ReportUpdatesSource:
    """Open311 ``GET requests?updated_after=``: a change to a request the assistant filed is news
    for the citizen who reported it (the app database's ``reports`` say who that is).

    The cursor is the newest ``updated_datetime`` seen. Each poll asks from ``overlap`` before
    it: a city stamping updates at second precision (the sandbox does) may show a change of the
    same second later, and a change read twice has the same key. A request's filing is not a
    change (updated at its requested time). The city words a change in each language
    (``Accept-Language``); the Russian is asked for the requests somebody is told of.
    """

    name = "open311_updates"

    def __init__(self, open311: Open311Client, store: Store, *,
                 overlap: timedelta = timedelta(seconds=60), page_limit: int = 1000) -> None:
        self._open311 = open311
        self._store = store
        self._overlap = overlap
        self._page_limit = page_limit  # GeoReport lists answer at most this many

    async def read(self, cursor: str | None, watched: Watched) -> Batch | None:
        if cursor is None:
            # Never read: start where the oldest subscription to report changes began.
            start = await earliest_active(self._store, "reports")
            if start is None:
                return None
            since = start.replace(tzinfo=timezone.utc)
        else:
            since = _aware(datetime.fromisoformat(cursor))
        found = await self._open311.requests(updated_after=w3c(since - self._overlap))
        if len(found) >= self._page_limit:
            log.warning("notifier: %d updated requests in one answer, the city's most; some "
                        "changes may be missed", len(found))
        changed = [r for r in found if r.id and r.updated and _is_change(r)]
        newest = max([since, *(_aware(r.updated) for r in found if r.updated)])
        reporters = await self._reporters([r.id for r in changed if r.id])
        notices = []
        for request in changed:
            senders = reporters.get(request.id or "")
            if senders:
                notices.append(await self._notice(request, senders))
        return Batch(tuple(notices), w3c(newest))

    async def _reporters(self, request_ids: list[str]) -> dict[str, frozenset[str]]:
        """Who reported each request, among citizens subscribed to changes of their reports."""
        if not request_ids:
            return {}
        found: dict[str, set[str]] = {}
        async with self._store.session() as session:
            rows = await session.execute(
                select(Report.request_id, Report.sender_id)
                .join(Subscription, Subscription.sender_id == Report.sender_id)
                .where(Report.request_id.in_(request_ids), Subscription.kind == "reports",
                       Subscription.ended_at.is_(None))
            )
            for request_id, sender_id in rows:
                found.setdefault(request_id, set()).add(sender_id)
        return {request_id: frozenset(senders) for request_id, senders in found.items()}

    async def _notice(self, request: ServiceRequest, senders: frozenset[str]) -> Notice:
        assert request.id and request.updated
        russian = await self._open311.get_request(request.id, language="ru")
        return Notice(
            key=f"open311:{request.id}@{w3c(_aware(request.updated).astimezone(timezone.utc))}",
            kind="reports",
            occurred_at=naive_utc(request.updated),
            payload={"request_id": request.id, "request_status": request.status},
            texts={"en": _words(request), "ru": _words(russian)},
            senders=senders,
        )


def _aware(moment: datetime) -> datetime:
    """A W3C datetime without an offset is taken as UTC, so that times compare."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _is_change(request: ServiceRequest) -> bool:
    """Updated a second or more after it was filed (the filing itself is no news)."""
    if request.requested is None or request.updated is None:
        return True
    return _aware(request.updated) - _aware(request.requested) >= timedelta(seconds=1)


def _words(request: ServiceRequest) -> dict[str, str]:
    return {"status_notes": request.status_notes or "", "service_name": request.service_name or ""}
