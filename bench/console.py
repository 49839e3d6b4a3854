"""The staff console's conversation list at scale: index build, refresh, list, filters, transcript.

Seeds a fresh tracker database (Rasa's ``events`` table, written directly with executemany in
the format Rasa's SQL tracker store uses) with ``--conversations`` conversations of about eight
events each over the last 90 days: channels rest / telegram / webchat; problem reports (filed,
refused), status checks, offices, outages, FAQ, meter readings, greetings, fallbacks with low
confidence and hand-offs. Then, against a fresh app database, times:

- ``index build``: :func:`refresh_index` from nothing over every event
- ``refresh +1000``: the same after 1 000 new events
- list page 1 and page 1000, each filter, text search, a combination, one transcript
  (median of ``--repeat`` runs, each a count query plus a page of 50)
- the analytics page's figures (daily series, summary with median, top intents, funnels) for
  the last 1, 7, 30 and 90 days

Everything lives in a temporary directory (never var/; ``--keep DIR`` writes there instead and
keeps it, e.g. to look at the console over it). Figures depend on the machine.
Usage: .venv/bin/python -m bench.console [--conversations 100000] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import load_settings
from bot.console import analytics
from bot.console.conversations import ConversationFilters, list_conversations, save_review
from bot.console.index import refresh_index
from bot.tracker import Tracker
from bot.console.transcript import transcript
from bot.store import Store

# Rasa 3.6's table, as SQLTrackerStore creates it on SQLite.
EVENTS_DDL = (
    "CREATE TABLE events (id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL, "
    "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
    "action_name VARCHAR(255), data TEXT, PRIMARY KEY (id))",
    "CREATE INDEX ix_events_sender_id ON events (sender_id)",
)
CHANNELS = (("rest", 3), ("telegram", 4), ("webchat", 3))
STREETS = ("Tverskaya street", "Arbat", "Pokrovka", "Myasnitskaya", "Lenin avenue",
           "Sadovaya", "Prospekt Mira", "Bolshaya Ordynka", "Petrovka", "Maroseyka")
PROBLEMS = ("pothole", "street light out", "overflowing bin", "graffiti", "fallen tree",
            "broken playground", "snow not cleared", "water leak", "abandoned car")
NONSENSE = ("asdf", "hmm what", "can you cook borscht", "bank loan rates?", "qwerty 123",
            "is it raining", "tell me a joke", "blah")


class Writer:
    """Builds events the way Rasa serialises them (``Event.as_dict()`` in ``data``)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def _add(self, sender: str, type_name: str, ts: float, intent: str | None,
             action: str | None, data: dict[str, Any]) -> None:
        self.rows.append((sender, type_name, ts, intent, action, json.dumps(data)))

    def action(self, sender: str, ts: float, name: str) -> None:
        self._add(sender, "action", ts, None, name, {
            "event": "action", "timestamp": ts, "name": name, "policy": "RulePolicy",
            "confidence": 1.0, "action_text": None, "hide_rule_turn": False})

    def session(self, sender: str, ts: float) -> None:
        self.action(sender, ts, "action_session_start")
        self._add(sender, "session_started", ts, None, None,
                  {"event": "session_started", "timestamp": ts})
        self.action(sender, ts, "action_listen")

    def user(self, sender: str, ts: float, channel: str, text: str, intent: str,
             confidence: float, entities: list[dict[str, Any]] | None = None,
             guess: tuple[str, float] | None = None) -> None:
        ranking = [{"name": intent, "confidence": confidence}]
        if guess:
            ranking.append({"name": guess[0], "confidence": guess[1]})
        message_id = f"{sender}-{ts:.3f}"
        parse = {"intent": {"name": intent, "confidence": confidence},
                 "entities": entities or [], "text": text, "message_id": message_id,
                 "metadata": {}, "intent_ranking": ranking}
        self._add(sender, "user", ts, intent, None, {
            "event": "user", "timestamp": ts, "metadata": {}, "text": text,
            "parse_data": parse, "input_channel": channel, "message_id": message_id})

    def bot(self, sender: str, ts: float, text: str, response: str | None = None) -> None:
        self._add(sender, "bot", ts, None, None, {
            "event": "bot", "timestamp": ts,
            "metadata": {"utter_action": response} if response else {}, "text": text,
            "data": {"elements": None, "quick_replies": None, "buttons": None,
                     "attachment": None, "image": None, "custom": None}})

    def slot(self, sender: str, ts: float, name: str, value: Any) -> None:
        self._add(sender, "slot", ts, None, name,
                  {"event": "slot", "timestamp": ts, "name": name, "value": value})

    def loop(self, sender: str, ts: float, name: str | None) -> None:
        self._add(sender, "active_loop", ts, None, name,
                  {"event": "active_loop", "timestamp": ts, "name": name})

    def pause(self, sender: str, ts: float) -> None:
        self._add(sender, "pause", ts, None, None, {"event": "pause", "timestamp": ts})


def conversation(w: Writer, rng: random.Random, sender: str, ts: float) -> None:
    """One conversation of a realistic kind (about eight events on average)."""
    channel = rng.choices([c for c, _ in CHANNELS], [n for _, n in CHANNELS])[0]

    def tick() -> float:
        nonlocal ts
        ts += rng.uniform(1, 40)
        return ts

    def say(text: str, intent: str, low: float = 0.75, high: float = 0.99, **kw: Any) -> None:
        w.user(sender, tick(), channel, text, intent, round(rng.uniform(low, high), 3), **kw)

    w.session(sender, ts)
    kind = rng.choices(
        ["report", "status", "office", "outages", "faq", "meters", "greet", "fallback",
         "handoff"],
        [18, 14, 12, 9, 14, 9, 10, 9, 5])[0]
    if kind == "report":
        problem, street = rng.choice(PROBLEMS), rng.choice(STREETS)
        say(f"there is a {problem} on {street} {rng.randint(1, 120)}", "report_problem",
            entities=[{"entity": "problem_category", "value": problem}])
        w.action(sender, tick(), "problem_report_form")
        w.loop(sender, ts, "problem_report_form")
        w.bot(sender, ts, "Please confirm the report.", "utter_ask_report_confirmed")
        say("yes", "affirm", 0.9)
        w.slot(sender, tick(), "report_confirmed", True)
        w.loop(sender, ts, None)
        w.action(sender, ts, "action_file_report")
        filed = rng.random() < 0.85
        w.bot(sender, tick(), f"Filed as request {rng.randint(100000, 199999)}." if filed
              else "The city refused the report.",
              "utter_report_filed" if filed else "utter_report_rejected")
    elif kind == "status":
        number = rng.randint(100000, 199999)
        say(f"status of request {number}", "check_request_status",
            entities=[{"entity": "request_id", "value": str(number)}])
        w.action(sender, tick(), "action_check_request_status")
        w.bot(sender, ts, f"Request {number} is in progress.")
    elif kind == "office":
        say(f"nearest service centre to {rng.choice(STREETS)}", "find_office")
        w.action(sender, tick(), "action_find_office")
        w.bot(sender, ts, "The nearest offices are ...")
    elif kind == "outages":
        say(f"hot water outage at {rng.choice(STREETS)} {rng.randint(1, 80)}", "check_outages")
        w.action(sender, tick(), "action_check_outages")
        w.bot(sender, ts, "No planned outages.")
    elif kind == "faq":
        say(rng.choice(["documents for a passport", "how to get a parking permit",
                        "kindergarten enrolment", "how to pay utilities"]), "faq", 0.6)
        w.action(sender, tick(), "utter_faq")
        w.bot(sender, ts, "Here is the official answer ...")
    elif kind == "meters":
        account = f"7700{rng.randint(0, 999999):06d}"
        say(f"meter readings for account {account}", "submit_meter_readings",
            entities=[{"entity": "account_number", "value": account}])
        w.action(sender, tick(), "meter_readings_form")
        w.loop(sender, ts, "meter_readings_form")
        w.slot(sender, ts, "meter_account", account)
        say("yes", "affirm", 0.9)
        w.slot(sender, tick(), "meter_confirmed", True)
        w.loop(sender, ts, None)
        w.action(sender, ts, "action_submit_meter_readings")
        w.bot(sender, tick(), "Readings accepted.")
    elif kind == "greet":
        say("hello", "greet", 0.9)
        w.action(sender, tick(), "action_greet")
        w.bot(sender, ts, "Hello! I can report problems, ...", "utter_greet")
        say("thanks", "thank", 0.9)
    elif kind == "fallback":
        guess = (rng.choice(["faq", "find_office", "report_problem"]),
                 round(rng.uniform(0.15, 0.54), 3))
        w.user(sender, tick(), channel, rng.choice(NONSENSE), "nlu_fallback", 0.55, guess=guess)
        w.action(sender, tick(), "action_clarify")
        w.bot(sender, ts, "Did you mean ...?")
    else:  # handoff
        say("I want to talk to a person", "human_handoff", 0.8)
        w.action(sender, tick(), "action_handoff")
        w.bot(sender, ts, "An operator will answer you here.", "utter_handoff")
        w.pause(sender, ts)
    if kind != "handoff":
        w.action(sender, tick(), "action_listen")


def seed_tracker(path: Path, conversations: int, rng: random.Random) -> int:
    now = datetime.now(timezone.utc).timestamp()
    w = Writer()
    for n in range(conversations):
        conversation(w, rng, f"conv-{n:06d}", now - rng.uniform(0, 90 * 86400))
    w.rows.sort(key=lambda row: row[2])  # conversations interleave in time, as Rasa writes them
    insert_events(path, w.rows, create=True)
    return len(w.rows)


def insert_events(path: Path, rows: list[tuple[Any, ...]], create: bool = False) -> None:
    with sqlite3.connect(path) as conn:
        if create:
            for ddl in EVENTS_DDL:
                conn.execute(ddl)
        conn.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
            " VALUES (?, ?, ?, ?, ?, ?)", rows)


def more_events(count: int, rng: random.Random, conversations: int) -> list[tuple[Any, ...]]:
    """About ``count`` new events: new conversations and old ones continued, newest times."""
    w = Writer()
    ts = datetime.now(timezone.utc).timestamp()
    n = 0
    while len(w.rows) < count:
        if rng.random() < 0.5:
            sender = f"conv-{rng.randrange(conversations):06d}"
            w.user(sender, ts, "telegram", "and one more thing", "faq", 0.4)
            w.action(sender, ts, "action_listen")
        else:
            conversation(w, rng, f"new-{n:06d}", ts)
            n += 1
        ts += 1
    return w.rows[:count]


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = await fn()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples) * 1000, result


async def analytics_page(store: Store, period: analytics.Period) -> int:
    """What /analytics asks of the database; returns the period's conversations."""
    await analytics.daily(store, period)
    await analytics.top_intents(store, period)
    await analytics.funnels(store, period)
    return (await analytics.summary(store, period)).conversations


async def main(conversations: int, repeat: int, keep: Path | None = None) -> None:
    rng = random.Random(20240501)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=False)
    with (contextlib.nullcontext(str(keep)) if keep else
          tempfile.TemporaryDirectory(prefix="citybot-bench-console-")) as tmp:
        path = Path(tmp) / "tracker.db"
        began = time.perf_counter()
        events = seed_tracker(path, conversations, rng)
        print(f"seeded {conversations} conversations, {events} events "
              f"({events / conversations:.1f} per conversation) in "
              f"{time.perf_counter() - began:.1f} s")
        tracker = Tracker(f"sqlite+aiosqlite:///{path}")
        store = await Store(f"sqlite+aiosqlite:///{tmp}/app.db").ready()
        rows: list[tuple[str, float, str]] = []
        try:
            began = time.perf_counter()
            read = await refresh_index(tracker, store)
            rows.append(("index build", (time.perf_counter() - began) * 1000,
                         f"{read} events"))
            insert_events(path, more_events(1000, rng, conversations))
            began = time.perf_counter()
            read = await refresh_index(tracker, store)
            rows.append(("refresh +1000 events", (time.perf_counter() - began) * 1000,
                         f"{read} events"))
            ms, _ = await timed(lambda: refresh_index(tracker, store), repeat)
            rows.append(("refresh, nothing new", ms, ""))

            # Reviews on 2 % of conversations, a tag on 1 %.
            picked = rng.sample(range(conversations), conversations // 50)
            for i, n in enumerate(picked):
                await save_review(store, f"conv-{n:06d}", by="bench", reviewed=i % 2 == 0,
                                  tags=["misunderstood"] if i % 2 else None)

            week_ago = datetime.now(timezone.utc) - timedelta(days=7)
            yesterday = datetime.now(timezone.utc) - timedelta(days=1)
            cases: list[tuple[str, ConversationFilters, int]] = [
                ("list page 1", ConversationFilters(), 1),
                ("list page 1000", ConversationFilters(), 1000),
                ("channel=telegram", ConversationFilters(channel="telegram"), 1),
                ("channel=telegram p.500", ConversationFilters(channel="telegram"), 500),
                ("last 7 days", ConversationFilters(since=week_ago), 1),
                ("one day", ConversationFilters(since=yesterday - timedelta(days=1),
                                                until=yesterday), 1),
                ("intent=report_problem", ConversationFilters(intent="report_problem"), 1),
                ("intent=thank", ConversationFilters(intent="thank"), 1),
                ("intent=restart (none)", ConversationFilters(intent="restart"), 1),
                ("had fallback", ConversationFilters(had_fallback=True), 1),
                ("confidence < 0.5", ConversationFilters(max_confidence=0.5), 1),
                ("confidence < 0.2", ConversationFilters(max_confidence=0.2), 1),
                ("handed off", ConversationFilters(handed_off=True), 1),
                ("reviewed", ConversationFilters(reviewed=True), 1),
                ("not reviewed", ConversationFilters(reviewed=False), 1),
                ("tag", ConversationFilters(tag="misunderstood"), 1),
                ("search 'pothole'", ConversationFilters(text="pothole"), 1),
                ("search 'borscht'", ConversationFilters(text="borscht"), 1),
                ("search (no match)", ConversationFilters(text="zzzz-nothing"), 1),
                ("fallback+telegram+7d", ConversationFilters(
                    had_fallback=True, channel="telegram", since=week_ago), 1),
                ("low conf+not reviewed", ConversationFilters(
                    max_confidence=0.5, reviewed=False), 1),
            ]
            for name, filters, page in cases:
                ms, result = await timed(
                    lambda f=filters, p=page: list_conversations(store, f, page=p), repeat)
                rows.append((name, ms, f"{result.total} match, {len(result.rows)} shown"))
            sender = f"conv-{conversations // 2:06d}"
            ms, turns = await timed(lambda: transcript(tracker, sender), repeat)
            rows.append(("transcript", ms, f"{len(turns)} items"))
            today = datetime.now(ZoneInfo(load_settings().city_timezone)).date()
            for days in (1, 7, 30, 90):
                period = analytics.Period.ending(today, days)
                ms, found = await timed(lambda p=period: analytics_page(store, p), repeat)
                rows.append((f"analytics {days} days", ms, f"{found} conversations"))
        finally:
            await store.close()
            await tracker.close()
        print(f"\n{'scenario':<26} {'ms':>10}  result   (median of {repeat} for list rows)")
        for name, ms, note in rows:
            print(f"{name:<26} {ms:>10.1f}  {note}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="a new directory for the databases, kept")
    args = parser.parse_args()
    asyncio.run(main(args.conversations, args.repeat, args.keep))
