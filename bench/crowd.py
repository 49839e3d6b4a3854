"""Simulated citizens: scripted, multi-turn conversations over REST or the web chat socket.

A citizen holds one conversation after another, each under a new sender id; it answers what the
assistant asks (an address, a size, a flat, the readings, a confirmation), so a conversation runs
to its end the way a person's would. Every turn is a :class:`Turn`: when it was sent, how long the
answer took, and its outcome:

- ``answered``: at least one message came back, in order (over the socket: the messages, then the
  ``ack`` of this message's id);
- ``lost``: no answer within :data:`TURN_TIMEOUT`, or a 200 with no message at all: the citizen is
  left waiting;
- ``error``: an HTTP error or an ``error`` frame (the answer says something went wrong).

A crowd is either closed-loop (each citizen sends its next turn as soon as it has the answer: the
server's saturation) or thinking (2-5 s between an answer and the next turn, as people type:
a realistic offered load).
"""

from __future__ import annotations

import asyncio
import csv
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from bot.config import ROOT

TURN_TIMEOUT = 30.0
ANSWERED, LOST, ERROR = "answered", "lost", "error"


@dataclass
class Turn:
    script: str
    began: float  # time.monotonic() when sent
    seconds: float  # to the whole answer (or to the timeout)
    outcome: str
    city: bool  # the turn asks the city (an action calls its API)


Send = Callable[[str], Awaitable[list[str]]]  # a citizen's message -> the assistant's texts


@dataclass
class Line:
    """One thing a citizen says, and whether the assistant's answer to it calls the city."""

    text: str
    city: bool = False


class Script:
    """A conversation: what the citizen opens with, how it answers questions, how it ends."""

    name = "script"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def opening(self) -> Line:
        raise NotImplementedError

    def answer(self, said: str) -> Line | None:
        """The citizen's reply to the assistant's last messages; None ends the conversation."""
        return None


# ---- citybot's citizens --------------------------------------------------------------------

FLAT_OF: Callable[[str], str] | None = None  # the sandbox's flat of an account (set by bench)


def _streets() -> list[tuple[str, str]]:
    """(English, Russian) street names of the sandbox city: every street has houses 1-20."""
    with (ROOT / "data" / "lookups" / "streets.csv").open(newline="", encoding="utf-8") as f:
        return [(r["street"], r["street_ru"]) for r in csv.DictReader(f)]


STREETS = _streets()


def address(rng: random.Random, russian: bool = False) -> str:
    """An address as people type it: the street (often without "Street"), a house number."""
    english, russian_name = rng.choice(STREETS)
    if russian:
        return f"{russian_name.replace('улица ', '')} {rng.randint(1, 20)}"
    name = english.removesuffix(" Street") if rng.random() < 0.7 else english
    return f"{name.lower() if rng.random() < 0.6 else name} {rng.randint(1, 20)}"


def varied(rng: random.Random, text: str) -> str:
    """The same request as different people write it (so that few messages repeat exactly)."""
    before = rng.choice(("", "", "hi, ", "hello. ", "please, ", "excuse me, ", "quick question: "))
    after = rng.choice(("", "", "?", "!", " please", " thanks", "??"))
    return before + (text.lower() if rng.random() < 0.5 else text) + after


class Report(Script):
    """A pothole report carried to its request number (or to "saved, will be filed")."""

    name = "report"
    OPENINGS = ("there's a pothole outside {a}", "big pothole at {a}, please fix it",
                "huge hole in the road near {a}", "the road at {a} is full of potholes")
    OPENINGS_RU = ("на {a} огромная яма на дороге", "яма на дороге у дома {a}")
    DONE = re.compile(r"request number \d+|номер заявки|Your report is saved|received your report"
                      r"|Город получил|nothing was sent|ничего не отправлено")
    SIZE = Line('/inform{"option":"small"}')
    ANSWERS = (
        ("Shall I send it", Line("yes", city=True)),
        ("Отправить", Line("да", city=True)),
        ("How big", SIZE), ("choose one of the options", SIZE),
        ("Какого размера", SIZE), ("один из вариантов", SIZE),
        ("describe the problem", Line("deep pothole next to the bus stop")),
        ("Опишите", Line("глубокая яма у остановки")),
        ("Where is it", Line("{a}", city=True)), ("could not find", Line("{a}", city=True)),
        ("Which house", Line("{a}", city=True)), ("Где это", Line("{a}", city=True)),
        ("какой дом", Line("{a}", city=True)), ("найти не удалось", Line("{a}", city=True)),
    )

    def opening(self) -> Line:
        self.turns = 0
        russian = self.rng.random() < 0.3
        self.address = address(self.rng, russian)
        openings = self.OPENINGS_RU if russian else self.OPENINGS
        return Line(self.rng.choice(openings).format(a=self.address), city=True)

    def answer(self, said: str) -> Line | None:
        self.turns += 1
        if self.turns > 8 or self.DONE.search(said):
            return None
        for phrase, line in self.ANSWERS:
            if phrase in said:
                return Line(line.text.replace("{a}", self.address), line.city)
        return None


class OneQuestion(Script):
    """A single question the assistant answers at once, sometimes followed by thanks."""

    LINES: Sequence[str] = ()
    CITY = False

    def opening(self) -> Line:
        self.asked = False
        return Line(varied(self.rng, self.rng.choice(self.LINES).format(
            a=address(self.rng), r=address(self.rng, russian=True),
            n=self.rng.randint(100001, 100300))), city=self.CITY)

    def answer(self, said: str) -> Line | None:
        if self.asked or self.rng.random() < 0.5:
            return None
        self.asked = True
        return Line(self.rng.choice(("thanks", "thank you!", "спасибо", "great, thanks", "ok thx")))


class Status(OneQuestion):
    name, CITY = "status", True
    LINES = ("what is the status of request {n}", "status of request {n}",
             "any news on my request {n}", "статус заявки {n}", "what's happening with {n}")


class Office(OneQuestion):
    name, CITY = "office", True
    LINES = ("nearest service centre to {a}", "where is the closest public service centre to {a}",
             "мфц рядом с {r}", "I need a my documents office near {a}")


class Outages(OneQuestion):
    name, CITY = "outages", True
    LINES = ("is there a hot water outage at {a}", "when will the hot water be back at {a}",
             "когда дадут горячую воду на {r}", "no hot water at {a}, is it planned?")


class Faq(OneQuestion):
    name = "faq"
    LINES = ("how do I get a parking permit", "how do i register my child for school",
             "как получить резидентное разрешение на парковку", "how can I pay for parking",
             "how do I replace a lost passport", "как записать ребёнка в детский сад")


class OutOfScope(OneQuestion):
    name = "out_of_scope"
    LINES = ("what's the weather tomorrow", "who won the football yesterday",
             "recommend a good pizza place", "zzkq vlorp quib", "tell me a joke",
             "какой курс доллара")


class Greeting(OneQuestion):
    name = "greeting"
    LINES = ("hello", "hi there", "good morning", "привет", "hey", "добрый день")


class Meters(Script):
    """Water meter readings submitted: the account, its flat, both readings, the confirmation."""

    name = "meters"
    LAST = re.compile(r"(?:Last month|В прошлом месяце): ([\d.,]+)")

    def opening(self) -> Line:
        self.turns = 0
        self.account = f"77000000{self.rng.randint(2, 49):02d}"
        return Line(varied(self.rng, self.rng.choice((
            "I'd like to send my water meter readings", "meter readings", "submit water readings",
            "передать показания счётчиков"))))

    def answer(self, said: str) -> Line | None:
        self.turns += 1
        if self.turns > 8 or "accepted" in said or "приняты" in said:
            return None
        if "account number" in said or "лицевого счёта" in said:
            return Line(self.account, city=True)
        if "flat" in said or "квартиры" in said:
            return Line(FLAT_OF(self.account) if FLAT_OF else "1", city=True)
        last = self.LAST.search(said)
        if last:
            value = float(last.group(1).replace(",", ".")) + self.rng.randint(5, 30) / 10
            return Line(f"{value:.1f}")
        if "Shall I submit" in said or "Передать показания" in said:
            return Line("yes", city=True)
        return None


# The citizen mix: (script, weight); weights follow what the city's services are used for.
MIX: tuple[tuple[type[Script], int], ...] = (
    (Report, 2), (Status, 3), (Meters, 1), (Office, 2), (Outages, 2), (Faq, 3),
    (OutOfScope, 1), (Greeting, 2),
)


# ---- stock Rasa's citizens (the `rasa init` mood bot) ----------------------------------------


class Mood(Script):
    name = "mood"

    def opening(self) -> Line:
        self.turns = 0
        return Line(self.rng.choice(("hello", "hi", "hey there", "good morning")))

    def answer(self, said: str) -> Line | None:
        self.turns += 1
        if self.turns > 3:
            return None
        if "How are you" in said:
            return Line(self.rng.choice(("I am sad", "very sad", "great", "I'm feeling good")))
        if "Did that help" in said:
            return Line(self.rng.choice(("yes", "no", "yes, thanks")))
        return Line(self.rng.choice(("bye", "goodbye", "are you a bot?")))


STOCK_MIX: tuple[tuple[type[Script], int], ...] = ((Mood, 1),)


# ---- channels ------------------------------------------------------------------------------


def rest_sender(http: aiohttp.ClientSession, base: str, sender: str) -> Send:
    """Rasa's REST channel: one POST per turn, the answer in its body."""

    async def send(text: str) -> list[str]:
        async with http.post(f"{base}/webhooks/rest/webhook",
                             json={"sender": sender, "message": text}) as resp:
            if resp.status != 200:
                raise ChannelError(f"HTTP {resp.status}")
            return [m.get("text") or "" for m in await resp.json()]

    return send


class ChannelError(Exception):
    """The server answered with an error (HTTP status or error frame)."""


class WebChatCitizen:
    """A widget's socket: ``user_uttered`` with an id, messages, then the ``ack`` of that id."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, base: str, origin: str) -> WebChatCitizen:
        ws = await http.ws_connect(f"{base}/webhooks/webchat/ws", origin=origin)
        await ws.send_json({"type": "session_request", "session_id": None, "token": None})
        while (await ws.receive_json())["type"] != "history":
            pass
        return cls(ws)

    async def send(self, text: str) -> list[str]:
        id = uuid.uuid4().hex
        await self.ws.send_json({"type": "user_uttered", "id": id, "text": text})
        texts = []
        while True:
            frame = await self.ws.receive_json()
            kind = frame.get("type")
            if kind == "bot_uttered":
                texts.append(frame.get("text") or "")
            elif frame.get("id") == id and kind == "ack":
                return texts
            elif frame.get("id") == id and kind == "error":
                raise ChannelError(frame.get("code", "error"))
            elif kind == "ack":  # the ack of another message: answers out of order
                raise ChannelError(f"ack of {frame.get('id')} while waiting for {id}")


# ---- crowds --------------------------------------------------------------------------------


@dataclass
class Crowd:
    """``size`` citizens holding conversations from ``mix`` until ``seconds`` have passed."""

    size: int
    seconds: float
    mix: Sequence[tuple[type[Script], int]]
    think: tuple[float, float] = (0.0, 0.0)  # seconds between an answer and the next turn
    seed: int = 1
    turns: list[Turn] = field(default_factory=list)
    conversations: int = 0
    began: float = 0.0
    ended: float = 0.0

    async def run(self, open_channel: Callable[[], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]]) -> None:
        """Run the crowd; ``open_channel()`` gives a new conversation's send and close."""
        self.began = time.monotonic()
        deadline = self.began + self.seconds
        await asyncio.gather(*(self._citizen(i, deadline, open_channel) for i in range(self.size)))
        self.ended = time.monotonic()

    async def _citizen(self, index: int, deadline: float, open_channel) -> None:
        rng = random.Random(self.seed * 100_003 + index)
        scripts, weights = zip(*self.mix)
        if self.think[1]:  # people arrive over the first think time, not all at once
            await asyncio.sleep(rng.uniform(0, self.think[1]))
        while time.monotonic() < deadline:
            script = rng.choices(scripts, weights)[0](rng)
            try:
                send, close = await asyncio.wait_for(open_channel(), TURN_TIMEOUT)
            except (aiohttp.ClientError, asyncio.TimeoutError, ChannelError):
                self.turns.append(Turn(script.name, time.monotonic(), TURN_TIMEOUT, LOST, False))
                continue
            self.conversations += 1
            try:
                line: Line | None = script.opening()
                while line is not None and time.monotonic() < deadline:
                    said = await self._turn(script.name, send, line)
                    if said is None:
                        break
                    line = script.answer(said)
                    if line is not None and self.think[1]:
                        await asyncio.sleep(rng.uniform(*self.think))
            finally:
                await close()
            if self.think[1]:
                await asyncio.sleep(rng.uniform(*self.think))

    async def _turn(self, script: str, send: Send, line: Line) -> str | None:
        began = time.monotonic()
        try:
            texts = await asyncio.wait_for(send(line.text), TURN_TIMEOUT)
        except asyncio.TimeoutError:
            outcome, texts = LOST, []
        except (aiohttp.ClientError, ChannelError, ValueError):
            outcome, texts = ERROR, []
        else:
            outcome = ANSWERED if texts else LOST
        self.turns.append(Turn(script, began, time.monotonic() - began, outcome, line.city))
        return "\n".join(texts) if outcome == ANSWERED else None
