"""A load of simulated citizens over Rasa's REST channel.

Each citizen is a thread with its own HTTP session running one short conversation:

1. ``status``: "status of request 100001" (read-only, asks the city);
2. ``report``: a pothole report carried to its confirmation; its description carries a marker
   unique to the citizen, so the city can be asked how many requests carry it;
3. ``office``: "nearest service centre to pokrovka 5" (read-only, asks the city);
4. ``mine``: after the load, once the outbox has drained, "status of my reports" must list the
   request the city holds for the marker (:meth:`Load.ask_mine`).

The citizen answers what the assistant asks (the size, the confirmation, an address, ...), so a
conversation whose turn was lost or answered from the wrong state still has a way to its end.
What every send got is kept as an :class:`Attempt` with one of these outcomes:

- ``answered``: a 200 whose answer is not a request to try again;
- ``told_retry``: a 200 whose answer is the generic error or "the city is not answering, nothing
  was changed" (``utter_internal_error``, ``utter_city_unavailable``): the same turn is sent again;
- ``silent``: a 200 with no message at all: nothing tells the citizen what happened; the same
  turn is sent again after a pause;
- ``connection``: no HTTP answer (refused, reset, no answer within :data:`TURN_TIMEOUT`): REST's
  "try again"; the same turn is sent again with a back-off until the server is back;
- ``server_error``: a 5xx: sent again the same way.

A REST client cannot know whether a server killed during its request processed the message; a
``connection`` attempt may therefore appear in Rasa's tracker or not (:func:`check_tracker`).
"""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from tests.stack import Stack, texts

STATUS = "status of request 100001"
OFFICE = "nearest service centre to pokrovka 5"
MINE = "status of my reports"
SIZE = '/inform{"option":"small"}'
OPENING = "big pothole at pokrovka 5 near the bakery, marker {marker}"
DESCRIPTION = "deep pothole next to the bakery, marker {marker}"
ADDRESS = "pokrovka 5"

# What the assistant says when the citizen should try again (utter_internal_error,
# utter_city_unavailable; not utter_report_pending, whose report is saved and will be filed).
RETRY_PHRASES = ("something went wrong on my side", "Nothing was changed; please try again")
SAVED = "Your report is saved"
FILED = re.compile(r"request number (\d+)")

# The assistant's question (a phrase of its last message) -> the citizen's answer.
ANSWERS: tuple[tuple[str, str], ...] = (
    ("Shall I send it", "yes"),
    ("How big is the pothole", SIZE),
    ("choose one of the options", SIZE),
    ("describe the problem", DESCRIPTION),
    ("Where is it?", ADDRESS),
    ("could not find that address", ADDRESS),
    ("Which house", ADDRESS),
    ("What kind of problem", "pothole"),
    ("not one of the kinds of problem", "pothole"),
)

TURN_TIMEOUT = 150.0  # seconds without any HTTP answer: a hung turn (counted as ``connection``)
MAX_SENDS = 60  # per step: a citizen that needs more is stuck, not slow
ANSWERED, TOLD_RETRY, SILENT, CONNECTION, SERVER_ERROR = (
    "answered", "told_retry", "silent", "connection", "server_error")
REACHED = (ANSWERED, TOLD_RETRY, SILENT)  # Rasa took the message and answered the request
# What the conversation must hold once: an answer that is not an apology. A turn told to try
# again may be held (the city was down, or the action server: bot/rasa_fixes.py) or not (the
# tracker store failed: the turn failed whole).
STORED = (ANSWERED, SILENT)


@dataclass
class Attempt:
    step: str
    text: str
    outcome: str
    status: int | None = None
    messages: list[dict] = field(default_factory=list)
    error: str = ""
    began: float = 0.0
    ended: float = 0.0

    @property
    def said(self) -> str:
        return texts(self.messages)


@dataclass
class Citizen:
    index: int
    sender: str
    marker: str
    attempts: list[Attempt] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # steps that reached their end
    report: str = ""  # "filed" or "saved" once the assistant said so
    request_id: str | None = None  # as the assistant told it
    unexpected: list[str] = field(default_factory=list)  # answers the script had no reply for
    failure: str = ""  # why the conversation stopped before its end

    @property
    def finished(self) -> bool:
        return bool(self.failure) or self.done[-1:] == ["office"]


def marker(prefix: str, index: int) -> str:
    """A word made of letters only (digits could be read as a house or request number), fixed
    for a test and a citizen, so that a run sends the same texts every time."""
    return f"mark{prefix}{chr(97 + index // 26)}{chr(97 + index % 26)}"


def next_reply(messages: list[dict], marker_word: str) -> str | None:
    """The citizen's answer to the assistant's latest question, or None when none was asked."""
    for message in reversed(messages):
        text = message.get("text") or ""
        for phrase, reply in reversed(ANSWERS):
            if phrase in text:
                return reply.replace("{marker}", marker_word)
    return None


def outcome_of(messages: list[dict]) -> str:
    if not messages:
        return SILENT
    said = texts(messages)
    if any(phrase in said for phrase in RETRY_PHRASES) and SAVED not in said:
        return TOLD_RETRY
    return ANSWERED


class Aborted(RuntimeError):
    """The load was stopped: a process of the stack died that no test had killed."""


class Load:
    """``size`` citizens talking at once; counters a test can wait on to time its fault.

    It also watches the stack: a process that exits while no test has taken it down (another
    run on the machine stopping it, a crash) stops the load at once with its name, instead of
    leaving the citizens to wait for a server that will not come back.
    """

    def __init__(self, stack: Stack, name: str, size: int = 50, think: float = 0.2) -> None:
        self.stack = stack
        self.think = think
        self.citizens = [Citizen(i, f"faults-{name}-{i:02d}", marker(name, i)) for i in range(size)]
        self.counts: Counter[str] = Counter()
        self.down: set[str] = set()  # processes taken down on purpose
        self.began = self.ended = 0.0
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._aborted = ""

    # ---- running

    def start(self) -> None:
        self.began = time.monotonic()
        for citizen in self.citizens:
            self.spawn(citizen.sender, self._converse, citizen)

    def spawn(self, name: str, target: Callable[..., None], *args: object) -> None:
        """Run ``target(*args)`` in a thread that :meth:`join` waits for."""
        thread = threading.Thread(target=target, args=args, daemon=True, name=name)
        self._threads.append(thread)
        thread.start()

    def kill(self, process: str) -> None:
        """SIGKILL a process of the stack (see :meth:`Stack.kill_process`)."""
        self.down.add(process)
        self.stack.kill_process(process)

    def restart(self, process: str) -> None:
        self.stack.start_process(process)
        self.down.discard(process)

    def _check_stack(self) -> None:
        dead = [f"{p.name} (exit code {p.process.returncode})"
                for p in self.stack.supervisor.procs
                if p.process is not None and p.process.returncode is not None
                and p.name not in self.down]
        if dead and not self._aborted:
            self._aborted = ("a process of the stack exited while no test had stopped it: "
                             + ", ".join(dead))
            with self._cond:
                self._cond.notify_all()
        if self._aborted:
            raise Aborted(self._aborted)

    def wait_for(self, condition: Callable[[Counter[str]], bool], timeout: float = 600) -> bool:
        """Wait until ``condition(counts)`` holds (counts of outcomes; ``steps``, ``done:<step>``
        and ``saved`` of steps done); False if every citizen finished first or time ran out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while time.monotonic() < deadline:
                self._check_stack()
                if condition(self.counts):
                    return True
                if all(c.finished for c in self.citizens):
                    return False
                self._cond.wait(1.0)
        return False

    def join(self, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while any(t.is_alive() for t in self._threads) and time.monotonic() < deadline:
            self._check_stack()
            for thread in self._threads:
                thread.join(0.5)
        self.ended = time.monotonic()
        stuck = [t.name for t in self._threads if t.is_alive()]
        assert not stuck, f"citizens still talking after {timeout:.0f} s: {stuck}"

    def _note(self, citizen: Citizen, attempt: Attempt | None = None, step: str = "") -> None:
        with self._cond:
            if attempt is not None:
                citizen.attempts.append(attempt)
                self.counts[attempt.outcome] += 1
            if step:
                citizen.done.append(step)
                self.counts["steps"] += 1
                self.counts[f"done:{step}"] += 1
                if step == "report" and citizen.report == "saved":
                    self.counts["saved"] += 1
            self._cond.notify_all()

    # ---- one citizen

    def session(self) -> requests.Session:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.stack.token}"
        return http

    def _converse(self, citizen: Citizen) -> None:
        with self.session() as http:
            try:
                self._lookup(http, citizen, "status", STATUS, lambda said: "100001" in said)
                self._report(http, citizen)
                self._lookup(http, citizen, "office", OFFICE, lambda said: "The nearest" in said)
            except Exception:  # the test reads it from the citizen
                citizen.failure = traceback.format_exc()
            finally:
                self._note(citizen)

    def bring_to(self, citizen: Citizen, question: str = "Shall I send it") -> Attempt:
        """Talk the citizen's report up to the assistant's ``question`` (on a healthy stack)."""
        with self.session() as http:
            text = OPENING.replace("{marker}", citizen.marker)
            for _ in range(10):
                attempt = self.send(http, citizen, "report", text)
                if question in attempt.said:
                    return attempt
                reply = next_reply(attempt.messages, citizen.marker)
                assert reply, f"{citizen.sender}: {attempt.said!r}"
                text = reply
        raise AssertionError(f"{citizen.sender}: never asked {question!r}")

    def finish_report(self, citizen: Citizen, text: str) -> None:
        """Say ``text`` in the citizen's report, then go on with it to its end."""
        with self.session() as http:
            try:
                self._report(http, citizen, text)
            except Exception:
                citizen.failure = traceback.format_exc()

    def send(self, http: requests.Session, citizen: Citizen, step: str, text: str) -> Attempt:
        """One turn, sent again after a connection error or a 5xx until Rasa answers it."""
        pause = 0.5
        for _ in range(MAX_SENDS * 4):
            if self._aborted:
                raise Aborted(self._aborted)
            attempt = Attempt(step, text, CONNECTION, began=time.monotonic())
            try:
                resp = http.post(
                    f"{self.stack.rasa}/webhooks/rest/webhook",
                    json={"sender": citizen.sender, "message": text},
                    timeout=(5, TURN_TIMEOUT),
                )
            except requests.RequestException as exc:
                attempt.error = type(exc).__name__
            else:
                attempt.status = resp.status_code
                if resp.status_code >= 500:
                    attempt.outcome, attempt.error = SERVER_ERROR, resp.text[:300]
                else:
                    assert resp.status_code == 200, (resp.status_code, resp.text[:300])
                    attempt.messages = resp.json()
                    attempt.outcome = outcome_of(attempt.messages)
            attempt.ended = time.monotonic()
            self._note(citizen, attempt)
            if attempt.outcome in REACHED:
                return attempt
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
        raise AssertionError(f"{citizen.sender}: no HTTP answer to {text!r} after many tries")

    def _lookup(self, http: requests.Session, citizen: Citizen, step: str, text: str,
                expected: Callable[[str], bool]) -> None:
        for tries in range(1, MAX_SENDS + 1):
            attempt = self.send(http, citizen, step, text)
            if attempt.outcome == ANSWERED:
                if expected(attempt.said):
                    self._note(citizen, step=step)
                    time.sleep(self.think)
                    return
                citizen.unexpected.append(f"{step}: {attempt.said}")
            time.sleep(min(tries, 5))
        raise AssertionError(f"{citizen.sender}: {step} never answered")

    def _report(self, http: requests.Session, citizen: Citizen, text: str = "") -> None:
        text = text or OPENING.replace("{marker}", citizen.marker)
        for tries in range(1, MAX_SENDS + 1):
            attempt = self.send(http, citizen, "report", text)
            if attempt.outcome != ANSWERED:
                time.sleep(min(tries, 5))  # the same turn again
                continue
            said = attempt.said
            filed = FILED.search(said)
            if filed or SAVED in said:
                citizen.report = "filed" if filed else "saved"
                citizen.request_id = filed.group(1) if filed else None
                self._note(citizen, step="report")
                time.sleep(self.think)
                return
            reply = next_reply(attempt.messages, citizen.marker)
            if reply is None:
                # Lost: ask what became of the report, like a citizen would; start again if
                # the assistant knows of none.
                citizen.unexpected.append(f"report: {said}")
                if self._recover(http, citizen):
                    return
                reply = OPENING.replace("{marker}", citizen.marker)
            text = reply
            time.sleep(self.think)
        raise AssertionError(f"{citizen.sender}: the report never reached its end")

    def _recover(self, http: requests.Session, citizen: Citizen) -> bool:
        said = self._ask(http, citizen, "report", MINE).said
        if "Pothole" not in said:
            return False
        number = re.search(r"- (\d+): Pothole", said)
        citizen.report = "filed" if number else "saved"
        citizen.request_id = number.group(1) if number else None
        self._note(citizen, step="report")
        return True

    # ---- after the load

    def ask_mine(self, expected: dict[str, str]) -> dict[str, str]:
        """Every citizen asks "status of my reports"; what each was told, when it does not list
        ``expected[sender]`` (the city's request number for the citizen's marker)."""
        wrong: dict[str, str] = {}
        lock = threading.Lock()

        def ask(citizen: Citizen) -> None:
            try:
                with self.session() as http:
                    said = self._ask(http, citizen, "mine", MINE).said
            except Exception:
                said = traceback.format_exc()
            if f"- {expected.get(citizen.sender)}: Pothole" not in said:
                with lock:
                    wrong[citizen.sender] = said

        threads = {c.sender: threading.Thread(target=ask, args=(c,), daemon=True)
                   for c in self.citizens}
        for thread in threads.values():
            thread.start()
        for sender, thread in threads.items():
            thread.join(TURN_TIMEOUT * 2)
            if thread.is_alive():
                with lock:
                    wrong[sender] = "no answer"
        return wrong

    def _ask(self, http: requests.Session, citizen: Citizen, step: str, text: str) -> Attempt:
        """A question asked again while the answer is a request to retry (or nothing)."""
        for tries in range(1, 6):
            attempt = self.send(http, citizen, step, text)
            if attempt.outcome == ANSWERED:
                break
            time.sleep(tries)
        return attempt

    # ---- figures

    def attempts(self) -> list[Attempt]:
        return [a for c in self.citizens for a in c.attempts]
