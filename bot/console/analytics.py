"""How the assistant is doing: the numbers behind the console's analytics page, in SQL.

Everything counts over a :class:`Period` of whole days of the city's calendar, from the tables
the conversation indexer keeps (``conversation_days``, ``intent_days``, ``conversation_index``;
see :mod:`bot.console.index`):

- a conversation *counts on a day* when the citizen wrote in it that day; over a period, a
  conversation is counted once however many days it spans;
- *fallback rate*: conversations in which the assistant fell back at least once (the NLU did
  not understand, or Rasa's core fallback ran), of all conversations;
- *handoff rate*: conversations in which the citizen asked for a person (or the conversation
  was paused for an operator); *containment* is the rest: finished without a person;
- *turns*: messages the citizen wrote; the median is over the period's conversations;
- *funnel*: conversations that, on a day of the period, started a service form, confirmed
  what they entered, and had it filed with the city;
- *votes per poll*: conversations that, on a day of the period, had a vote counted by the city
  in a poll through the assistant (the ``poll_voted`` slot, :func:`poll_votes`);
- *language*: a conversation's language on a day is the one that day left it in (the
  ``language`` slot). Every figure can be asked for one language (``language``: "en", "ru",
  or :data:`~bot.console.conversations.NO_LANGUAGE`): the days spent in it, and the intents and
  forms of those days. :func:`by_language` gives the summary of each language; a conversation
  that changed language within the period counts once in each.
"""

from __future__ import annotations

import csv
import io
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from bot.console.conversations import NO_LANGUAGE
from bot.console.folding import (
    ANSWER_SLOTS,
    CONFIRM_SLOTS,
    FILING_ACTIONS,
    FORM_SERVICES,
    POLL_STAGE,
    VOTE_FORM,
)
from bot.language import LANGUAGES
from bot.notify.notices import INTENT_PREFIX as NOTIFICATION_PREFIX
from bot.store import Store
from bot.store.models import ConversationDay, FormDay, IntentDay

MAX_DAYS = 366
CACHE_SECONDS = 30.0
DEFAULT_DAYS = 30
TOP_INTENTS = 12
PRESETS = (("Yesterday", 1, 1), ("Last 7 days", 7, 0), ("Last 30 days", 30, 0),
           ("Last 90 days", 90, 0))  # label, days, days before today that the period ends


class PeriodError(ValueError):
    """A date range the page cannot show, in words for the reader."""


@dataclass(frozen=True)
class Period:
    """Whole days of the city's calendar, ``first`` to ``last`` included."""

    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @classmethod
    def ending(cls, last: date, days: int) -> Period:
        return cls(last - timedelta(days=days - 1), last)

    @classmethod
    def from_query(cls, query: Mapping[str, str], today: date) -> Period:
        """``from``/``to`` (YYYY-MM-DD) of a query; either left out: the last 30 days.

        Raises :class:`PeriodError` for a date that is not one, a range backwards or longer
        than a year.
        """
        default = cls.ending(today, DEFAULT_DAYS)

        def day(name: str, otherwise: date) -> date:
            value = (query.get(name) or "").strip()
            if not value:
                return otherwise
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise PeriodError(f"“{value[:20]}” is not a date (YYYY-MM-DD).") from None

        first, last = day("from", default.first), day("to", default.last)
        if first > last:
            raise PeriodError("The period ends before it starts.")
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(f"Choose a period of at most {MAX_DAYS} days.")
        return cls(first, last)

    def query(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


@dataclass(frozen=True)
class DayRow:
    day: date
    channel: str
    conversations: int
    messages: int
    fallbacks: int
    handoffs: int


@dataclass(frozen=True)
class Summary:
    conversations: int
    messages: int
    fallbacks: int
    handoffs: int
    median_turns: float | None

    @property
    def fallback_rate(self) -> float | None:
        return self.fallbacks / self.conversations if self.conversations else None

    @property
    def handoff_rate(self) -> float | None:
        return self.handoffs / self.conversations if self.conversations else None

    @property
    def containment(self) -> float | None:
        return 1 - self.handoffs / self.conversations if self.conversations else None


@dataclass(frozen=True)
class Funnel:
    form: str
    service: str
    started: int
    confirmed: int | None  # None: the form has no confirmation step
    filed: int | None  # None: the form files nothing


def _in(period: Period, table: Any = ConversationDay.__table__) -> Any:
    """The rows of a day table (``day`` column) within the period."""
    return table.c.day.between(period.first, period.last)


def _count_if(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _spoken(language: str | None, table: Any = ConversationDay.__table__) -> list[Any]:
    """The conditions that keep a day table's rows of days spent in ``language`` (none: all).

    ``conversation_days`` knows each day's language; an intent or form day is in it when its
    conversation's day is.
    """
    if language is None:
        return []
    days = ConversationDay.__table__
    matches = days.c.language.is_(None) if language == NO_LANGUAGE else days.c.language == language
    if table is days:
        return [matches]
    return [sa.exists().where(days.c.sender_id == table.c.sender_id, days.c.day == table.c.day,
                              matches)]


async def daily(store: Store, period: Period, language: str | None = None) -> list[DayRow]:
    """Conversations, messages, fallbacks and handoffs per day and channel."""
    days = ConversationDay.__table__
    query = (
        sa.select(days.c.day, days.c.channel, sa.func.count(), sa.func.sum(days.c.messages),
                  _count_if(days.c.fallback), _count_if(days.c.handoff))
        .where(_in(period), *_spoken(language))
        .group_by(days.c.day, days.c.channel)
        .order_by(days.c.day, days.c.channel)
    )
    async with store.session() as session:
        return [DayRow(*found) for found in await session.execute(query)]


def median_of(histogram: Sequence[tuple[int, int]]) -> float | None:
    """The median of values given as sorted (value, how many) pairs."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # the middle one, or the middle two
    found, seen = [], 0
    for value, n in histogram:
        while wanted and wanted[0] < seen + n:
            found.append(value)
            wanted.pop(0)
        seen += n
    return sum(found) / len(found)


def _ever(flag: Any) -> Any:
    return sa.func.max(sa.case((flag, 1), else_=0))


def _summary_of(rows: Sequence[tuple[int, int, int, int]]) -> Summary:
    """A summary from (turns, conversations, with a fallback, handed off) rows, sorted by turns."""
    return Summary(
        conversations=sum(n for _, n, _, _ in rows),
        messages=sum(turns * n for turns, n, _, _ in rows),
        fallbacks=sum(f for _, _, f, _ in rows),
        handoffs=sum(h for _, _, _, h in rows),
        median_turns=median_of([(turns, n) for turns, n, _, _ in rows]),
    )


async def summary(store: Store, period: Period, language: str | None = None) -> Summary:
    """The period's conversations (each once), messages, rates and median turns.

    One pass: the period's day rows grouped by conversation, then counted by turns (a short
    histogram, from which the median comes).
    """
    days = ConversationDay.__table__
    per_conversation = (
        sa.select(sa.func.sum(days.c.messages).label("turns"),
                  _ever(days.c.fallback).label("fallback"), _ever(days.c.handoff).label("handoff"))
        .where(_in(period), *_spoken(language))
        .group_by(days.c.sender_id)
        .subquery()
    )
    query = (
        sa.select(per_conversation.c.turns, sa.func.count(),
                  sa.func.sum(per_conversation.c.fallback), sa.func.sum(per_conversation.c.handoff))
        .group_by(per_conversation.c.turns)
        .order_by(per_conversation.c.turns)
    )
    async with store.session() as session:
        rows = [tuple(int(v or 0) for v in row) for row in await session.execute(query)]
    return _summary_of(rows)


async def by_language(store: Store, period: Period) -> list[tuple[str, Summary]]:
    """The summary of each language spoken in the period (:data:`bot.language.LANGUAGES`
    order, then :data:`NO_LANGUAGE` for days before any was set), as :func:`summary` does it
    for all: a conversation counts once in each language it was in."""
    days = ConversationDay.__table__
    per_conversation = (
        sa.select(days.c.language, sa.func.sum(days.c.messages).label("turns"),
                  _ever(days.c.fallback).label("fallback"), _ever(days.c.handoff).label("handoff"))
        .where(_in(period))
        .group_by(days.c.language, days.c.sender_id)
        .subquery()
    )
    query = (
        sa.select(per_conversation.c.language, per_conversation.c.turns, sa.func.count(),
                  sa.func.sum(per_conversation.c.fallback), sa.func.sum(per_conversation.c.handoff))
        .group_by(per_conversation.c.language, per_conversation.c.turns)
        .order_by(per_conversation.c.turns)
    )
    histograms: dict[str, list[tuple[int, int, int, int]]] = {}
    async with store.session() as session:
        for language, turns, n, fallbacks, handoffs in await session.execute(query):
            histograms.setdefault(language or NO_LANGUAGE, []).append(
                (int(turns or 0), int(n), int(fallbacks or 0), int(handoffs or 0)))
    order = {code: n for n, code in enumerate(LANGUAGES)}
    order[NO_LANGUAGE] = len(LANGUAGES) + 1  # after any other language

    def place(code: str) -> tuple[int, str]:
        return order.get(code, len(LANGUAGES)), code

    return [(language, _summary_of(histograms[language]))
            for language in sorted(histograms, key=place)]


async def top_intents(store: Store, period: Period, limit: int = TOP_INTENTS,
                      language: str | None = None) -> list[tuple[str, int]]:
    """The intents of the most citizen messages, most first."""
    intents = IntentDay.__table__
    total = sa.func.sum(intents.c.messages)
    query = (
        sa.select(intents.c.intent, total)
        .where(_in(period, intents), *_spoken(language, intents),
               sa.not_(intents.c.intent.startswith(NOTIFICATION_PREFIX, autoescape=True)))
        .group_by(intents.c.intent)
        .order_by(total.desc(), intents.c.intent)
        .limit(limit)
    )
    async with store.session() as session:
        return [(intent, int(count)) for intent, count in await session.execute(query)]


async def notifications(store: Store, period: Period,
                        language: str | None = None) -> list[tuple[str, int]]:
    """Notifications sent unasked (bot/notify), by kind (their ``EXTERNAL_*`` intent), most
    first. In one language's figures, those of days the citizen also wrote in it."""
    intents = IntentDay.__table__
    total = sa.func.sum(intents.c.messages)
    query = (
        sa.select(intents.c.intent, total)
        .where(_in(period, intents), *_spoken(language, intents),
               intents.c.intent.startswith(NOTIFICATION_PREFIX, autoescape=True))
        .group_by(intents.c.intent)
        .order_by(total.desc(), intents.c.intent)
    )
    async with store.session() as session:
        return [(intent, int(count)) for intent, count in await session.execute(query)]


async def funnels(store: Store, period: Period, language: str | None = None) -> list[Funnel]:
    """Each service form's funnel: conversations that started it, confirmed it and had it filed
    on a day of the period (forms nobody started left out)."""
    forms = FormDay.__table__
    query = (
        sa.select(forms.c.form, forms.c.stage, sa.func.count(sa.distinct(forms.c.sender_id)))
        .where(_in(period, forms), *_spoken(language, forms))
        .group_by(forms.c.form, forms.c.stage)
    )
    async with store.session() as session:
        counts = {(form, stage): n for form, stage, n in await session.execute(query)}
    confirming = set(CONFIRM_SLOTS.values())
    filing = set(FILING_ACTIONS.values()) | {form for form, _ in ANSWER_SLOTS.values()}
    found = []
    order = list(FORM_SERVICES)  # the catalogue's order, then any other form by name
    for form in sorted({form for form, _ in counts},
                       key=lambda f: (order.index(f) if f in order else len(order), f)):
        found.append(Funnel(
            form, FORM_SERVICES.get(form, form), counts.get((form, "started"), 0),
            counts.get((form, "confirmed"), 0) if form in confirming else None,
            counts.get((form, "filed"), 0) if form in filing else None,
        ))
    return [f for f in found if f.started]


async def poll_votes(store: Store, period: Period, language: str | None = None
                     ) -> list[tuple[str, int]]:
    """Votes the city counted through the assistant in each poll (by the city's poll id):
    conversations that voted in it on a day of the period, most first."""
    forms = FormDay.__table__
    voters = sa.func.count(sa.distinct(forms.c.sender_id))
    query = (
        sa.select(forms.c.stage, voters)
        .where(_in(period, forms), forms.c.form == VOTE_FORM,
               forms.c.stage.startswith(POLL_STAGE, autoescape=True),
               *_spoken(language, forms))
        .group_by(forms.c.stage)
        .order_by(voters.desc(), forms.c.stage)
    )
    async with store.session() as session:
        return [(stage.removeprefix(POLL_STAGE), int(n))
                for stage, n in await session.execute(query)]


@dataclass(frozen=True)
class Figures:
    """Everything the page and its CSV show for one period, of one language or all (None)."""

    period: Period
    daily: list[DayRow]
    summary: Summary
    intents: list[tuple[str, int]]  # every intent, most messages first
    funnels: list[Funnel]
    language: str | None = None
    languages: list[tuple[str, Summary]] = field(default_factory=list)  # always all of them
    notifications: list[tuple[str, int]] = field(default_factory=list)  # by EXTERNAL_* intent
    polls: list[tuple[str, int]] = field(default_factory=list)  # (poll id, votes), most first


async def figures(store: Store, period: Period, language: str | None = None) -> Figures:
    return Figures(
        period, await daily(store, period, language), await summary(store, period, language),
        await top_intents(store, period, limit=1000, language=language),
        await funnels(store, period, language), language, await by_language(store, period),
        await notifications(store, period, language),
        polls=await poll_votes(store, period, language),
    )


class FiguresCache:
    """The figures of the last few periods (and languages) asked for, each kept ``seconds``:
    looking at a period and then downloading its CSV asks the database once. Figures are at most
    that old."""

    def __init__(self, seconds: float = CACHE_SECONDS, size: int = 16,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.size, self.clock = seconds, size, clock
        self._kept: OrderedDict[tuple[Period, str | None], tuple[float, Figures]] = OrderedDict()

    async def get(self, store: Store, period: Period, language: str | None = None) -> Figures:
        now = self.clock()
        key = (period, language)
        kept = self._kept.get(key)
        if kept and now - kept[0] < self.seconds:
            return kept[1]
        found = await figures(store, period, language)
        self._kept[key] = (now, found)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return found


# ------------------------------------------------------------------------------------ CSV

CHARTS = ("summary", "languages", "conversations", "messages", "rates", "intents", "funnel",
          "notifications", "polls")


def _cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.4f}" if whole else ""


def _per_day(rows: Sequence[DayRow], period: Period, field: str) -> tuple[list[str], list[list[Any]]]:
    channels = sorted({row.channel for row in rows})
    values = {(row.day, row.channel): getattr(row, field) for row in rows}
    table = []
    for day in period.days:
        counts = [values.get((day, channel), 0) for channel in channels]
        table.append([day.isoformat(), *counts, sum(counts)])
    return ["day", *channels, "total"], table


def rates_by_day(rows: Sequence[DayRow], period: Period) -> list[tuple[date, int, int, int]]:
    """(day, conversations, with a fallback, handed off) for every day of the period."""
    totals: dict[date, list[int]] = {day: [0, 0, 0] for day in period.days}
    for row in rows:
        if row.day in totals:
            totals[row.day][0] += row.conversations
            totals[row.day][1] += row.fallbacks
            totals[row.day][2] += row.handoffs
    return [(day, *counts) for day, counts in totals.items()]


def _metrics(s: Summary) -> list[tuple[str, Any]]:
    return [
        ("conversations", s.conversations), ("messages", s.messages),
        ("fallback_conversations", s.fallbacks),
        ("fallback_rate", _rate(s.fallbacks, s.conversations)),
        ("handoff_conversations", s.handoffs),
        ("handoff_rate", _rate(s.handoffs, s.conversations)),
        ("containment", _rate(s.conversations - s.handoffs, s.conversations)),
        ("median_turns", "" if s.median_turns is None else s.median_turns),
    ]


def table(found: Figures, chart: str) -> tuple[list[str], list[list[Any]]]:
    """The header and rows behind one chart of the page (``chart`` one of :data:`CHARTS`)."""
    period = found.period
    if chart == "summary":
        metrics = _metrics(found.summary)
        return ["metric", "value"], [[name, value] for name, value in metrics]
    if chart == "languages":
        rows = [[language, *(value for _, value in _metrics(s))] for language, s in found.languages]
        return ["language", *(name for name, _ in _metrics(found.summary))], rows
    if chart in ("conversations", "messages"):
        return _per_day(found.daily, period, chart)
    if chart == "rates":
        return (
            ["day", "conversations", "fallback_conversations", "fallback_rate",
             "handoff_conversations", "handoff_rate", "containment"],
            [[day.isoformat(), n, f, _rate(f, n), h, _rate(h, n), _rate(n - h, n)]
             for day, n, f, h in rates_by_day(found.daily, period)],
        )
    if chart == "intents":
        total = sum(count for _, count in found.intents)
        return ["intent", "messages", "share"], [
            [intent, count, _rate(count, total)] for intent, count in found.intents
        ]
    if chart == "funnel":
        return ["form", "service", "started", "confirmed", "filed"], [
            [f.form, f.service, f.started, "" if f.confirmed is None else f.confirmed,
             "" if f.filed is None else f.filed]
            for f in found.funnels
        ]
    if chart == "notifications":
        return ["intent", "sent"], [[intent, count] for intent, count in found.notifications]
    if chart == "polls":
        return ["poll", "votes"], [[poll, votes] for poll, votes in found.polls]
    raise KeyError(chart)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()
