"""What the stack must hold after a load: one city request per report, a drained outbox,
conversations in Rasa's tracker that match what the citizens sent and were told."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from tests.faults.citizens import REACHED, STORED, Attempt, Citizen, Load
from tests.stack import Stack


def app_db(stack: Stack) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{stack.var / 'citybot.db'}?mode=ro", uri=True, timeout=30)


def outbox_counts(stack: Stack) -> Counter[str]:
    """Reports in the app database by status (pending, filed, rejected)."""
    db = app_db(stack)
    try:
        return Counter(dict(db.execute("SELECT status, count(*) FROM reports GROUP BY status")))
    finally:
        db.close()


def wait_outbox_drained(stack: Stack, timeout: float = 240) -> Counter[str]:
    """Wait until the app database holds no ``pending`` report (the outbox filed them all)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = outbox_counts(stack)
        if not counts["pending"] or time.monotonic() > deadline:
            return counts
        time.sleep(1)


def reports_of(stack: Stack, sender: str) -> list[tuple[str, str, str | None]]:
    """(key, status, request_id) of the citizen's rows in the app database's outbox."""
    db = app_db(stack)
    try:
        return db.execute(
            "SELECT key, status, request_id FROM reports WHERE sender_id = ? ORDER BY id",
            (sender,),
        ).fetchall()
    finally:
        db.close()


def city_requests(stack: Stack, citizen: Citizen) -> list[dict]:
    """The requests the sandbox city holds from the citizen's device that carry its marker
    (the bot files with ``device_id`` = the conversation id)."""
    resp = requests.get(f"{stack.sandbox}/sandbox/requests",
                        params={"device_id": citizen.sender}, timeout=30)
    resp.raise_for_status()
    return [r for r in resp.json() if citizen.marker in (r.get("description") or "")]


# ---- Rasa's tracker against the citizen's own log


def user_turns(events: list[dict]) -> list[tuple[str, list[str]]]:
    """(the citizen's text, the assistant's texts after it) for each user message."""
    turns: list[tuple[str, list[str]]] = []
    for event in events:
        if event.get("event") == "user":
            turns.append((event.get("text") or "", []))
        elif event.get("event") == "bot" and turns and event.get("text"):
            turns[-1][1].append(event["text"])
    return turns


def match_attempts(attempts: list[Attempt], stored: list[str]) -> list[int] | None:
    """Which stored user message each attempt is (-1: not stored), such that every attempt Rasa
    answered is stored exactly once and in order, and nothing else is stored but attempts told
    to try again and attempts that got no HTTP answer; of such matches the one storing the
    fewest of the latter. None if none."""
    n, m = len(attempts), len(stored)
    # cost[i][j]: the fewest unanswered attempts stored when matching attempts[i:] to stored[j:]
    cost: list[list[int | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    take: list[list[bool]] = [[False] * (m + 1) for _ in range(n + 1)]
    cost[n][m] = 0
    for i in range(n - 1, -1, -1):
        held = attempts[i].outcome in STORED
        unanswered = attempts[i].outcome not in REACHED  # stored: processed anyway
        for j in range(m, -1, -1):
            options: list[tuple[int, bool]] = []
            if not held and cost[i + 1][j] is not None:  # lost with the server, or taken back
                options.append((cost[i + 1][j], False))
            if j < m and stored[j] == attempts[i].text and cost[i + 1][j + 1] is not None:
                options.append((cost[i + 1][j + 1] + unanswered, True))
            if options:
                cost[i][j], take[i][j] = min(options, key=lambda o: o[0])
    if cost[0][0] is None:
        return None
    matched, j = [], 0
    for i in range(n):
        matched.append(j if take[i][j] else -1)
        j += take[i][j]
    return matched


@dataclass
class TrackerCheck:
    sender: str
    consistent: bool  # every answered send stored once, in order; nothing else but unanswered ones
    reprocessed: int  # sends without an HTTP answer that Rasa processed all the same
    mismatched: list[str]  # turns whose stored answer is not the one the citizen was sent
    problem: str = ""


def check_tracker(stack: Stack, citizen: Citizen) -> TrackerCheck:
    """Rasa's tracker against what the citizen sent and was told."""
    turns = user_turns(stack.tracker(citizen.sender)["events"])
    stored = [text for text, _ in turns]
    matched = match_attempts(citizen.attempts, stored)
    if matched is None:
        sent = [(a.text, a.outcome) for a in citizen.attempts]
        return TrackerCheck(citizen.sender, False, 0, [], f"sent {sent}, stored {stored}")
    pairs = list(zip(citizen.attempts, matched, strict=True))
    reprocessed = sum(1 for a, j in pairs if j >= 0 and a.outcome not in REACHED)
    mismatched = [
        f"{a.text!r}: was told {a.said!r}, tracker says {turns[j][1]!r}"
        for a, j in pairs
        if j >= 0 and a.outcome in REACHED
        and [m["text"] for m in a.messages if m.get("text")] != turns[j][1]
    ]
    return TrackerCheck(citizen.sender, True, reprocessed, mismatched)


# ---- everything at once


@dataclass
class Result:
    """What a load left behind; each list names the citizens concerned (empty = as it should)."""

    failed: dict[str, str]  # conversations that did not reach their end, and why
    missing: list[str]  # confirmed reports the city does not hold
    # markers the city holds more than once: (requests in the city, outbox rows = idempotency
    # keys); one key filed twice is the city's idempotency failing, two keys are one report
    # confirmed twice
    duplicated: dict[str, tuple[int, int]]
    outbox: Counter[str]
    mine_wrong: dict[str, str]  # "status of my reports" without the city's number
    trackers: list[TrackerCheck]
    traces: list[str]  # answers that show an internal error instead of a sentence
    hung: list[str]  # sends without any HTTP answer within the client's timeout
    figures: Figures

    @property
    def inconsistent(self) -> list[TrackerCheck]:
        return [t for t in self.trackers if not t.consistent or t.mismatched]


@dataclass
class Figures:
    """What a run did, for the test's output and docs/faults.md."""

    name: str
    citizens: int
    seconds: float
    sends: int
    outcomes: dict[str, int]
    steps: int
    saved: int
    unexpected: int
    reprocessed: int
    duplicates: int
    outbox: dict[str, int]
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        notes = "".join(f"; {note}" for note in self.notes)
        return (f"[faults] {self.name}: {self.citizens} citizens, {self.seconds:.0f} s, "
                f"{self.sends} sends ({outcomes}), {self.steps} steps done, {self.saved} reports "
                f"saved for the outbox, {self.unexpected} unexpected answers, "
                f"{self.reprocessed} sends without an HTTP answer processed anyway, "
                f"{self.duplicates} duplicate city requests, outbox {dict(self.outbox)}{notes}")


TRACE_SIGNS = ("Traceback", "Exception", "Error:", "sqlite", "OperationalError", 'File "')


def verify(stack: Stack, load: Load, name: str, notes: list[str] | None = None) -> Result:
    """Everything the stack must hold after ``load`` (joined): see :class:`Result`."""
    failed = {c.sender: c.failure for c in load.citizens if c.failure}
    outbox = wait_outbox_drained(stack)
    held = {c.sender: city_requests(stack, c) for c in load.citizens}
    missing = [s for s, found in held.items() if not found]
    duplicated = {s: (len(found), len(reports_of(stack, s)))
                  for s, found in held.items() if len(found) > 1}
    numbers = {s: found[0]["service_request_id"] for s, found in held.items() if found}
    mine_wrong = load.ask_mine(numbers)
    trackers = [check_tracker(stack, c) for c in load.citizens]
    attempts = load.attempts()
    traces = [f"{a.text!r} -> {a.said!r}" for a in attempts
              if any(sign in a.said for sign in TRACE_SIGNS)]
    hung = [f"{a.text!r} ({a.error})" for a in attempts if a.error == "ReadTimeout"]
    figures = Figures(
        name=name,
        citizens=len(load.citizens),
        seconds=load.ended - load.began,
        sends=len(attempts),
        outcomes=dict(Counter(a.outcome for a in attempts)),
        steps=sum(len(c.done) for c in load.citizens),
        saved=sum(c.report == "saved" for c in load.citizens),
        unexpected=sum(len(c.unexpected) for c in load.citizens),
        reprocessed=sum(t.reprocessed for t in trackers),
        duplicates=sum(n - 1 for n, _ in duplicated.values()),
        outbox=dict(outbox),
        notes=list(notes or []),
    )
    return Result(failed, missing, duplicated, outbox, mine_wrong, trackers, traces, hung,
                  figures)


def show(figures: Figures) -> None:
    """Print the figures (``pytest -rP`` shows them for passed tests)."""
    print(figures.line(), flush=True)
