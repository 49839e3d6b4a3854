"""The console's list of conversations (filters, pages) and reviewers' verdicts (reviewed,
tags, a note).

:func:`list_conversations` filters (:class:`ConversationFilters`), orders newest first and
pages, in SQL over the ``conversation_index`` table that :mod:`bot.console.index` keeps.

Times are naive UTC ``datetime`` objects, like every time in the app database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.folding import LOW_CONFIDENCE, search_key
from bot.console.index import index_columns
from bot.language import LANGUAGES
from bot.store import Store
from bot.store.models import (
    ConversationIndex,
    ConversationReview,
    ConversationTag,
    ConversationText,
    utcnow,
)


def naive_utc(value: datetime) -> datetime:
    """An aware datetime in naive UTC; a naive one is taken as UTC already."""
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _tokens(column: str) -> list[str]:
    return column.split()


_TRUE = ("1", "true", "yes", "on", "y")
_FALSE = ("0", "false", "no", "off", "n")
_NAME = re.compile(r"^[\w./-]{1,100}$")
_LANGUAGE = re.compile(r"^[a-z]{2,8}$")
# The language filter's value for conversations whose language was never set.
NO_LANGUAGE = "unknown"


def language_choice(value: str | None) -> str | None:
    """A language filter's value from a query ("en", "ru", :data:`NO_LANGUAGE`), or None."""
    value = (value or "").strip().lower()
    return value if _LANGUAGE.match(value) else None


def _flag(value: str | None) -> bool | None:
    value = (value or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def day_bounds(first: date | None, last: date | None, tz: str) -> tuple[datetime | None,
                                                                        datetime | None]:
    """Naive-UTC bounds of whole days in the city's time zone, ``last`` included."""
    zone = ZoneInfo(tz)

    def start(day: date) -> datetime:
        return naive_utc(datetime.combine(day, time.min, tzinfo=zone))

    return (
        start(first) if first else None,
        start(last + timedelta(days=1)) if last else None,
    )


@dataclass(frozen=True)
class ConversationFilters:
    """What the list shows; ``None`` (or empty) leaves a filter out.

    ``since``/``until``: naive UTC (aware values are converted), ``since <= last_at < until``.
    ``max_confidence``: the conversation's lowest message confidence is below it.
    ``text``: a substring of anything the citizen wrote (case-insensitive, ё as е, any script).
    ``language``: the conversation's language now ("en", "ru"; :data:`NO_LANGUAGE`: never set).
    """

    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    intent: str | None = None
    had_fallback: bool | None = None
    max_confidence: float | None = None
    handed_off: bool | None = None
    reviewed: bool | None = None
    tag: str | None = None
    text: str | None = None
    language: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str], tz: str = "UTC") -> ConversationFilters:
        """Filters from a list page's query string; values that do not parse are left out.

        Parameters: channel, from, to (YYYY-MM-DD, days in ``tz``, both included), intent,
        fallback, handoff, reviewed (1/0, yes/no), confidence (below, 0..1), tag, q, language.
        """
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat((query.get(name) or "").strip())
            except ValueError:
                return None

        def name(key: str) -> str | None:
            value = (query.get(key) or "").strip()
            return value if _NAME.match(value) else None

        try:
            confidence: float | None = float((query.get("confidence") or "").strip())
        except ValueError:
            confidence = None
        if confidence is not None and not 0.0 <= confidence <= 1.0:
            confidence = None
        since, until = day_bounds(day("from"), day("to"), tz)
        text = (query.get("q") or "").strip()[:200] or None
        return cls(
            channel=name("channel"), since=since, until=until, intent=name("intent"),
            had_fallback=_flag(query.get("fallback")), max_confidence=confidence,
            handed_off=_flag(query.get("handoff")), reviewed=_flag(query.get("reviewed")),
            tag=next(iter(normalize_tags(query.get("tag") or "")), None),
            text=text, language=language_choice(query.get("language")),
        )

    def is_empty(self) -> bool:
        return all(getattr(self, f) is None for f in self.__dataclass_fields__)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: ConversationFilters) -> list[Any]:
    ci = ConversationIndex.__table__.c
    where: list[Any] = []
    if filters.channel:
        where.append(ci.channel == filters.channel)
    if filters.since is not None:
        where.append(ci.last_at >= naive_utc(filters.since))
    if filters.until is not None:
        where.append(ci.last_at < naive_utc(filters.until))
    if filters.intent:
        where.append(ci.intents.like(f"% {_like_escape(filters.intent)} %", escape="\\"))
    if filters.had_fallback is not None:
        where.append(ci.had_fallback == filters.had_fallback)
    if filters.max_confidence is not None:
        where.append(ci.min_confidence < filters.max_confidence)
    if filters.handed_off is not None:
        where.append(ci.handed_off == filters.handed_off)
    if filters.reviewed is not None:
        reviewed = sa.exists().where(
            ConversationReview.sender_id == ci.sender_id, ConversationReview.reviewed.is_(True)
        )
        where.append(reviewed if filters.reviewed else ~reviewed)
    if filters.tag:
        where.append(
            sa.exists().where(ConversationTag.sender_id == ci.sender_id,
                              ConversationTag.tag == filters.tag)
        )
    if filters.language == NO_LANGUAGE:
        where.append(ci.language.is_(None))
    elif filters.language:
        where.append(ci.language == filters.language)
    if filters.text:
        # Folded here as the indexer folded the text: the LIKE compares plain characters.
        needle = f"%{_like_escape(search_key(filters.text))}%"
        where.append(
            ci.sender_id.in_(
                sa.select(ConversationText.sender_id).where(
                    ConversationText.text.like(needle, escape="\\")
                )
            )
        )
    return where


@dataclass
class ConversationRow:
    """One line of the list (also the transcript page's header)."""

    sender_id: str
    channel: str
    started_at: datetime
    last_at: datetime
    first_message: str
    turns: int
    services: list[str]
    intents: list[str]
    had_fallback: bool
    min_confidence: float | None
    handed_off: bool
    forms_started: list[str]
    forms_confirmed: list[str]
    forms_filed: list[str]
    active_form: str | None
    language: str | None = None
    reviewed: bool = False
    reviewed_by: str | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def low_confidence(self) -> bool:
        return self.min_confidence is not None and self.min_confidence < LOW_CONFIDENCE


@dataclass
class Page:
    rows: list[ConversationRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first row (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0


def _row(found: Mapping[str, Any]) -> ConversationRow:
    return ConversationRow(
        sender_id=found["sender_id"], channel=found["channel"], started_at=found["started_at"],
        last_at=found["last_at"], first_message=found["first_message"], turns=found["turns"],
        services=[s for s in found["services"].split(",") if s],
        intents=_tokens(found["intents"]), had_fallback=bool(found["had_fallback"]),
        min_confidence=found["min_confidence"], handed_off=bool(found["handed_off"]),
        forms_started=_tokens(found["forms_started"]),
        forms_confirmed=_tokens(found["forms_confirmed"]),
        forms_filed=_tokens(found["forms_filed"]), active_form=found["active_form"],
        language=found["language"],
    )


async def _decorate(session: AsyncSession, rows: list[ConversationRow]) -> None:
    """Reviews and tags of a page's rows (two small queries)."""
    senders = [r.sender_id for r in rows]
    if not senders:
        return
    reviews = {
        r.sender_id: r
        for r in (
            await session.execute(
                sa.select(ConversationReview).where(ConversationReview.sender_id.in_(senders))
            )
        ).scalars()
    }
    tags: dict[str, list[str]] = {}
    for sender, tag in (
        await session.execute(
            sa.select(ConversationTag.sender_id, ConversationTag.tag)
            .where(ConversationTag.sender_id.in_(senders))
            .order_by(ConversationTag.tag)
        )
    ).all():
        tags.setdefault(sender, []).append(tag)
    for row in rows:
        review = reviews.get(row.sender_id)
        row.reviewed = bool(review and review.reviewed)
        row.reviewed_by = review.reviewed_by if review and review.reviewed else None
        row.tags = tags.get(row.sender_id, [])


async def list_conversations(store: Store, filters: ConversationFilters | None = None,
                             page: int = 1, per_page: int = 50) -> Page:
    """One page of conversations, newest first (last activity), with the filters' total.

    Everything happens in SQL: a count, then the page's ids by ``ORDER BY last_at DESC, id DESC
    LIMIT/OFFSET`` on the (filter, last_at) indexes, then those rows.
    """
    filters = filters or ConversationFilters()
    per_page = max(1, min(int(per_page), 500))
    page = max(1, int(page))
    table = ConversationIndex.__table__
    where = _conditions(filters)
    async with store.session() as session:
        total = (
            await session.execute(sa.select(sa.func.count()).select_from(table).where(*where))
        ).scalar_one()
        # Ids first (the walk over skipped rows stays in the index), then the page's rows.
        ids = (
            sa.select(table.c.id)
            .where(*where)
            .order_by(table.c.last_at.desc(), table.c.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
            .subquery()
        )
        columns = [table.c[name] for name in index_columns()]
        found = (
            await session.execute(
                sa.select(*columns)
                .join(ids, ids.c.id == table.c.id)
                .order_by(table.c.last_at.desc(), table.c.id.desc())
            )
        ).mappings().all()
        rows = [_row(f) for f in found]
        await _decorate(session, rows)
    return Page(rows=rows, total=total, page=page, per_page=per_page)


async def get_conversation(store: Store, sender_id: str) -> ConversationRow | None:
    """The index row of one conversation with its review and tags, or None."""
    table = ConversationIndex.__table__
    columns = [table.c[name] for name in index_columns()]
    async with store.session() as session:
        found = (
            await session.execute(sa.select(*columns).where(table.c.sender_id == sender_id))
        ).mappings().first()
        if found is None:
            return None
        row = _row(found)
        await _decorate(session, [row])
    return row


async def filter_choices(store: Store) -> dict[str, list[str]]:
    """Channels and languages seen and tags in use, for the list's drop-downs (languages in
    :data:`bot.language.LANGUAGES` order, then :data:`NO_LANGUAGE` when some have none)."""
    async with store.session() as session:
        channels = (
            await session.execute(
                sa.select(ConversationIndex.channel).distinct().order_by(ConversationIndex.channel)
            )
        ).scalars().all()
        languages = set(
            (await session.execute(sa.select(ConversationIndex.language).distinct())).scalars()
        )
        tags = (
            await session.execute(
                sa.select(ConversationTag.tag).distinct().order_by(ConversationTag.tag)
            )
        ).scalars().all()
    order = {code: n for n, code in enumerate(LANGUAGES)}
    seen = sorted((code for code in languages if code), key=lambda c: (order.get(c, len(order)), c))
    return {"channels": [c for c in channels if c], "tags": list(tags),
            "languages": seen + ([NO_LANGUAGE] if None in languages else [])}


# ---------------------------------------------------------------------------- reviews, tags


_TAG = re.compile(r"[^\w\-]+")


def normalize_tags(text: str | Iterable[str]) -> list[str]:
    """Tags from "a, b c" or a list: lower-case words (letters, digits, _ and -), 32 chars, unique."""
    parts = re.split(r"[,\s]+", text) if isinstance(text, str) else list(text)
    tags: list[str] = []
    for part in parts:
        tag = _TAG.sub("", str(part).strip().lower())[:32]
        if tag and tag not in tags:
            tags.append(tag)
    return tags


@dataclass
class Review:
    sender_id: str
    reviewed: bool = False
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    note: str = ""
    tags: list[str] = field(default_factory=list)


async def get_review(store: Store, sender_id: str) -> Review:
    async with store.session() as session:
        found = await session.get(ConversationReview, sender_id)
        tags = (
            await session.execute(
                sa.select(ConversationTag.tag)
                .where(ConversationTag.sender_id == sender_id)
                .order_by(ConversationTag.tag)
            )
        ).scalars().all()
    if found is None:
        return Review(sender_id=sender_id, tags=list(tags))
    return Review(sender_id=sender_id, reviewed=found.reviewed, reviewed_by=found.reviewed_by,
                  reviewed_at=found.reviewed_at, note=found.note, tags=list(tags))


async def save_review(store: Store, sender_id: str, *, by: str, reviewed: bool | None = None,
                      note: str | None = None, tags: str | Iterable[str] | None = None) -> Review:
    """Set what is given (reviewed flag, note, the full tag list); ``by`` is the staff name."""
    async with store.session() as session, session.begin():
        found = await session.get(ConversationReview, sender_id)
        if found is None:
            found = ConversationReview(sender_id=sender_id, reviewed=False, note="")
            session.add(found)
        if reviewed is not None and bool(reviewed) != bool(found.reviewed):
            found.reviewed = bool(reviewed)
            found.reviewed_by = by if reviewed else None
            found.reviewed_at = utcnow() if reviewed else None
        if note is not None:
            found.note = note[:5000]
        found.updated_at = utcnow()
        if tags is not None:
            wanted = normalize_tags(tags)
            await session.execute(
                sa.delete(ConversationTag).where(
                    ConversationTag.sender_id == sender_id, ConversationTag.tag.not_in(wanted)
                )
            )
            have = set(
                (
                    await session.execute(
                        sa.select(ConversationTag.tag).where(ConversationTag.sender_id == sender_id)
                    )
                ).scalars()
            )
            session.add_all(
                ConversationTag(sender_id=sender_id, tag=t) for t in wanted if t not in have
            )
    return await get_review(store, sender_id)
