"""Telegram updates fuzzed with Hypothesis: malformed, huge, unicode, out of order, duplicated
(the security issue: no 5xx, no crash, no conversation stuck). Telegram is a scripted Bot, Rasa a
recorder that answers with text and buttons, the ledger the real one on SQLite; the channel's
sleep and the clocks of the send limiter and the flood limit are injected, so nothing waits
for the wall clock.

- Webhook bodies (arbitrary JSON, bytes that are not JSON, update-shaped dicts with wrong types,
  missing or unknown fields, huge and odd unicode, negative and huge ids, odd button data, kinds
  of update we never ask for, groups and channels): the handler answers 200, 400 or 403 and never
  raises; an update it takes (200) is kept once, its turn ends, and nothing in the channel fails.
- Sequences of updates from several chats (new, re-delivered, out of order, at the same moment,
  buttons of earlier answers pressed twice, floods): every update reaches Rasa at most once, a
  chat's in the order they were taken, the first burst of each chat always; afterwards no lock
  is held, nothing is left unfinished, and every chat still converses.
- Long polling against random batches (duplicates, newest first) and random failures (of
  Telegram, the network, the database, anything): the loop never ends, the offset never passes
  an update that was not kept, and every update is handed on exactly once.
- Any text cut for Telegram: pieces that fit, lose nothing but white space, and are not blank.

The default run is small (``CITYBOT_FUZZ_EXAMPLES`` examples per property, 40: about 20 s); a
long run (10-20 minutes, as busy as the machine is)::

    CITYBOT_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest -q -p no:cacheprovider \
        tests/unit/test_telegram_fuzz.py --hypothesis-show-statistics

A failure prints the ``@reproduce_failure`` blob that replays it; nothing is written to
Hypothesis's example database (other people share this checkout).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import logging
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from sanic.request import Request
from sqlalchemy.exc import OperationalError
from telegram import Chat, Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.store import Store
from connectors.telegram import BACKOFF_CAP, SECRET_HEADER, TelegramInput, message_id
from connectors.telegram_format import MAX_MESSAGE, split_text, utf16_len
from connectors.telegram_inbound import BURST, InboundLimit
from connectors.telegram_output import TelegramOutput
from connectors.telegram_send import RateLimiter, Sender
from connectors.telegram_store import CALLBACK_DATA_BYTES, TelegramLedger
from tests.unit.test_telegram_delivery import RESPONSES, channel, settled

EXAMPLES = int(os.environ.get("CITYBOT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    # make test: the same examples every run (a regression net, never a surprise in CI);
    # make fuzz (CITYBOT_FUZZ_EXAMPLES set) explores with fresh randomness.
    derandomize="CITYBOT_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,  # nothing written into the shared checkout; a failure prints its blob
    print_blob=True,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],  # explaining takes minutes here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)
SECRET = "fuzz-secret"
# Each example is a bot of its own in the test's database, so examples never see each other's
# updates, keyboards or chats.
BOT_IDS = itertools.count(1_000)
DATE = 1_700_000_000
# A private chat, one whose id needs more than 32 bits, a group, a supergroup and a channel.
CHATS = {77: "private", 5_000_000_001: "private", -42: "group",
         -1001234567890: "supergroup", -1009876543210: "channel"}
TALKING = [chat for chat, kind in CHATS.items() if kind != "channel"]
FUZZ_RESPONSES = {**RESPONSES, **{
    name: [{"text": text}]
    for name, text in (("utter_telegram_unsupported", "cannot read that"),
                       ("utter_city_unavailable", "photo not kept"))
}}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """The app database in a fresh SQLite file, in memory-backed /dev/shm where there is one:
    the same SQLite, without waiting for the disk at each of the thousands of commits."""
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if os.access(shm, os.W_OK) else tmp_path) as where:
        app_store = await Store(f"sqlite+aiosqlite:///{where}/app.db").ready()
        yield app_store
        await app_store.close()


# ---- strategies


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each drawn about as often as its weight says (``one_of`` flattens
    the ``one_of``s in it and draws each of their branches as often as one of its own)."""
    return st.sampled_from([s for weight, s in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy)


# Unicode as Telegram sends it (valid UTF-8: no lone surrogates), with the awkward ones often.
SPICE = ["\x00", "\u202e", "\u200f", "\u200b", "\ufeff", "\U0001f600", "\U0001f1f7\U0001f1fa",
         "e\u0301", "\u0301", "\n", "\n\n", "\t", " ", "<b>", "&amp;", "\\", '"', "\U0010ffff",
         "\x7f", "#", "/", "@"]
chars = st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(SPICE))
texts = st.lists(chars, min_size=1, max_size=40).map("".join)
huge_texts = st.one_of(
    st.integers(MAX_MESSAGE - 2, MAX_MESSAGE + 2).map(lambda n: "я" * n),
    st.just("\U0001f600" * (MAX_MESSAGE // 2 + 1)),  # 4098 UTF-16 units
    st.integers(100, 3_000).map(lambda n: "слово <b> & " * n),  # up to ~36,000 characters
    st.just("x" * 200_000),
    st.builds(lambda a, b: a * 50 + "\n\n" + b * 5_000, texts, texts),
)
said_texts = weighted((3, texts), (1, huge_texts))
any_int = st.one_of(st.integers(-(2**31), 2**31), st.integers(-(10**30), 10**30))
json_scalars = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), texts, any_int)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
commands = st.builds(
    lambda word, bot, param: f"/{word}{bot}{param}",
    st.sampled_from(["start", "help", "stop", "language", "START", "", "x" * 100, "стоп"]),
    st.sampled_from(["", "@citybot_bot", "@"]),
    st.sampled_from(["", " report", " office", " nonsense", "  ", " " + "z" * 300]),
)
photo = [{"file_id": f"p{size}", "file_unique_id": f"u{size}", "width": size, "height": size}
         for size in (90, 320, 1280)]
contents = st.one_of(
    said_texts.map(lambda t: {"text": t}),
    said_texts.map(lambda t: {"text": t}),
    commands.map(lambda t: {"text": t}),
    st.builds(lambda lat, lon: {"location": {"latitude": lat, "longitude": lon}},
              st.floats(-90, 90), st.floats(-180, 180)),
    st.builds(lambda caption: {"photo": photo, **({"caption": caption} if caption else {})},
              st.none() | texts),
    texts.map(lambda t: {"text": t, "photo": photo}),  # both: the text counts
    st.just({"contact": {"phone_number": "+70000000000", "first_name": "B"}}),  # unsupported
)
languages = st.sampled_from(["en", "ru", None, "", "xx", "ru-RU"])


def message(chat: int, number: int, content: dict[str, Any], language: str | None = "en"
            ) -> dict[str, Any]:
    body: dict[str, Any] = {"message_id": number, "date": DATE,
                            "chat": {"id": chat, "type": CHATS.get(chat, "private")}, **content}
    if CHATS.get(chat) != "channel":
        user = chat if chat > 0 else 88
        body["from"] = {"id": user, "is_bot": False, "first_name": "Ann",
                        **({"language_code": language} if language is not None else {})}
    return body


def rasa_text(body: dict[str, Any]) -> str | None:
    """What a message update hands to Rasa ("" for a command, whose payload is not checked
    here), or None when Rasa never sees it."""
    content = body.get("message") or {}
    text = content.get("text")
    if text:
        return "" if text.startswith("/") else text
    if "location" in content:
        return "/inform"
    return None  # a photo Telegram would not let us fetch, a contact: answered by the channel


def chat_of(body: dict[str, Any]) -> int | None:
    for kind in ("message", "edited_message", "channel_post"):
        if kind in body:
            return body[kind]["chat"]["id"]
    if "callback_query" in body and "message" in body["callback_query"]:
        return body["callback_query"]["message"]["chat"]["id"]
    return None


# ---- Telegram, Rasa and the request, as the channel sees them


class Clock:
    """A clock that moves only when someone waits on it (or a test moves it)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class ScriptedTelegram:
    """The Bot API as a turn calls it: messages sent and edited, button spinners stopped, and
    photos it will not hand over (a file id it does not know)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []  # (the HTML as sent, the message Telegram made)
        self.edits: Counter[tuple[int, int]] = Counter()
        self.answered: list[str] = []
        self._numbers = itertools.count(10_000)

    async def send_message(self, chat_id: int, text: str, parse_mode: Any = None,
                           reply_markup: Any = None, **_: Any) -> Message:
        sent = Message(next(self._numbers), datetime.fromtimestamp(DATE, timezone.utc),
                       Chat(chat_id, CHATS.get(chat_id, "private")), text=html.unescape(text),
                       reply_markup=reply_markup)
        self.sent.append((text, sent))
        return sent

    async def edit_message_text(self, text: str, chat_id: int, message_id: int,
                                **_: Any) -> bool:
        self.edits[(chat_id, message_id)] += 1
        return True

    async def edit_message_reply_markup(self, chat_id: int, message_id: int, **_: Any) -> bool:
        self.edits[(chat_id, message_id)] += 1
        return True

    async def answer_callback_query(self, callback_query_id: str, **_: Any) -> bool:
        self.answered.append(callback_query_id)
        return True

    async def send_chat_action(self, *_: Any, **__: Any) -> None:
        return None

    async def get_file(self, file_id: str, **_: Any) -> Any:
        raise BadRequest("Wrong file identifier/http url specified")

    def texts_to(self, chat: int) -> list[str]:
        return [m.text or "" for _, m in self.sent if m.chat.id == chat]


class Posted:
    """The webhook request as the handler reads it: the secret header, and the body's JSON
    parsed by Sanic's own code (ujson; InvalidUsage when it is not JSON)."""

    json = Request.json
    load_json = Request.load_json

    def __init__(self, body: bytes, secret: str = SECRET) -> None:
        self.headers = {SECRET_HEADER: secret}
        self.body = body
        self.parsed_json = None


def posted(update: dict[str, Any]) -> Posted:
    return Posted(json.dumps(update, ensure_ascii=False).encode())


class KeptInOrder(TelegramLedger):
    """The real ledger, noting the order in which updates were kept: the order their turns
    were started in."""

    def __init__(self, store: Store) -> None:
        super().__init__(store, bot_id=next(BOT_IDS))
        self.kept: list[int] = []

    async def claim_update(self, update_id: int, update: dict[str, Any] | None = None) -> bool:
        kept = await super().claim_update(update_id, update)
        if kept:
            self.kept.append(update_id)
        return kept


@contextmanager
def errors_logged() -> Iterator[list[logging.LogRecord]]:
    """What the channel logs as an error: a turn that failed, a finish that was not written."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("connectors")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


@dataclass
class Fuzzed:
    """A channel wired to the scripted Telegram and an answering Rasa."""

    chan: TelegramInput
    bot: ScriptedTelegram
    ledger: KeptInOrder
    clock: Clock  # the send limiter's
    flood_clock: Clock  # the flood limit's: stands still unless moved
    heard: list[UserMessage] = field(default_factory=list)
    # The payloads behind each keyboard Rasa's answers carried, by (chat, message id).
    payloads: dict[tuple[int, int], list[str]] = field(default_factory=dict)

    async def rasa(self, said: UserMessage) -> None:
        """Rasa answers every message: the text back (split, escaped) and two buttons, one
        whose payload is too long for callback_data."""
        self.heard.append(said)
        text = said.text or ""
        buttons = [{"title": "Yes & <sure>", "payload": "/affirm"},
                   {"title": "📍 " + text[:20],
                    "payload": "/inform" + json.dumps({"place": text[:60]}, ensure_ascii=False)}]
        await said.output_channel.send_response(
            said.sender_id, {"text": f"You said: {text}", "buttons": buttons})
        chat = int(said.sender_id)
        last = [m for _, m in self.bot.sent if m.chat.id == chat][-1]
        self.payloads[(chat, last.message_id)] = [b["payload"] for b in buttons]

    def heard_from(self, chat: int) -> list[tuple[str | None, str]]:
        return [(m.message_id, m.text) for m in self.heard if m.sender_id == str(chat)]


def fuzzed(tmp_path: Path, store: Store) -> Fuzzed:
    ledger = KeptInOrder(store)
    bot, clock, flood_clock = ScriptedTelegram(), Clock(), Clock()
    chan = channel(tmp_path, ledger, bot)
    run = Fuzzed(chan, bot, ledger, clock, flood_clock)
    chan._on_new_message = run.rasa  # noqa: SLF001
    chan._responses = FUZZ_RESPONSES  # noqa: SLF001
    chan.output = TelegramOutput(bot, Sender(RateLimiter(clock=clock, sleep=clock.sleep)), ledger)
    chan.inbound = InboundLimit(clock=flood_clock)
    chan._secret = SECRET  # noqa: SLF001
    chan.ready.set()
    return run


async def check_nothing_stuck(run: Fuzzed) -> None:
    assert len(run.chan._chats) == 0, "a chat lock is still held"  # noqa: SLF001
    assert await run.ledger.unfinished() == [], "kept updates whose turn never ended"
    assert run.chan.sleep.asked == [], "a turn failed and was tried again"
    assert not any(text.endswith("send it again") for _, m in run.bot.sent
                   for text in [m.text or ""])


def check_what_telegram_got(run: Fuzzed) -> None:
    """Every message fits, is escaped, and is not blank; every button's data fits."""
    for sent_html, sent in run.bot.sent:
        assert "<" not in sent_html and ">" not in sent_html, sent_html[:200]
        assert (sent.text or "").strip(), "a blank message (Telegram refuses it)"
        assert utf16_len(sent.text or "") <= MAX_MESSAGE
        for row in (sent.reply_markup.inline_keyboard if sent.reply_markup else ()):
            for button in row:
                assert len(button.callback_data.encode()) <= CALLBACK_DATA_BYTES


# ---- one webhook body at a time


@dataclass(frozen=True)
class Body:
    """A webhook POST; ``update_id`` when it is an update Telegram could send, and then whether
    its turn reaches Rasa (None: either will do)."""

    raw: bytes
    update_id: int | None = None
    reaches_rasa: bool | None = False
    secret: str = SECRET


def as_body(update: dict[str, Any], reaches_rasa: bool | None) -> Body:
    return Body(json.dumps(update, ensure_ascii=False).encode(), update["update_id"],
                reaches_rasa)


QUESTION = "Shall I send it? <ok> & 📍"  # 📍 is two UTF-16 units, at 23 and 24


def bot_question(chat: int, number: int, data: list[str],
                 entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A message of ours with an inline keyboard, as a callback query carries it."""
    return {"message_id": number, "date": DATE,
            "chat": {"id": chat, "type": CHATS.get(chat, "private")},
            "from": {"id": 1, "is_bot": True, "first_name": "citybot"},
            "text": QUESTION, **({"entities": entities} if entities is not None else {}),
            "reply_markup": {"inline_keyboard": [[{"text": f"b{n}", "callback_data": d}]
                                                 for n, d in enumerate(data)]}}


# Formatting of the question, also such as does not fit its text (half an emoji, before it).
entities = st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["bold", "italic", "code", "pre", "text_link", "spoiler", "url"]),
    "offset": st.integers(-3, 30), "length": st.integers(0, 30),
}, optional={"url": st.just("https://city.example/"), "language": st.just("python")}),
    max_size=3)


def press(update_id: int, question: dict[str, Any] | None, data: str | None,
          chat: int = 77) -> dict[str, Any]:
    query: dict[str, Any] = {"id": str(update_id), "chat_instance": "ci",
                             "from": {"id": chat if chat > 0 else 88, "is_bot": False,
                                      "first_name": "Ann"}}
    if question is not None:
        query["message"] = question
    else:
        query["inline_message_id"] = "inline-1"  # a press on an inline message: no chat
    if data is not None:
        query["data"] = data
    return {"update_id": update_id, "callback_query": query}


long_data = st.lists(chars, min_size=65, max_size=200).map("".join)
odd_data = st.one_of(st.just("/affirm"), st.just(""), st.just("#unknown-key"), st.none(),
                     long_data, texts)
update_ids = st.one_of(st.integers(1, 2**31), st.integers(-(2**63), 2**63), any_int)


@st.composite
def valid_bodies(draw: st.DrawFn) -> Body:
    """Updates Telegram could send, of every kind (also ones the channel never asks for)."""
    update_id = draw(update_ids)
    chat = draw(weighted((3, st.sampled_from(TALKING)), (1, any_int)))
    kind = draw(st.sampled_from(["message", "message", "message", "edited_message",
                                 "channel_post", "callback_query", "other"]))
    if kind == "message":
        body = {"update_id": update_id,
                "message": message(chat, draw(any_int), draw(contents), draw(languages))}
        return as_body(body, rasa_text(body) is not None)
    if kind == "edited_message":
        return as_body({"update_id": update_id,
                        "edited_message": message(chat, 1, draw(contents))}, False)
    if kind == "channel_post":
        channel_chat = -1009876543210
        return as_body({"update_id": update_id,
                        "channel_post": message(channel_chat, 1, draw(contents))}, False)
    if kind == "callback_query":
        data = draw(odd_data)
        where = draw(st.sampled_from(["question", "no keyboard", "inaccessible", "inline"]))
        question = bot_question(chat, draw(any_int), ["/affirm", "#unknown-key"],
                                draw(st.none() | entities))
        if where == "no keyboard":
            question.pop("reply_markup")
        elif where == "inaccessible":  # deleted, or otherwise out of reach: date 0, no content
            question = {"message_id": 5, "date": 0, "chat": question["chat"]}
        elif where == "inline":
            question = None
        reaches = question is not None and bool(data) and not data.startswith("#")
        if where == "inaccessible" and reaches:
            reaches = None  # handed on today (PTB 22 makes it a Message): a policy, not pinned
        return as_body(press(update_id, question, data, chat), reaches)
    other = draw(st.sampled_from([
        {"inline_query": {"id": "q", "from": {"id": 1, "is_bot": False, "first_name": "A"},
                          "query": "", "offset": ""}},
        {"chosen_inline_result": {"result_id": "r", "query": "q",
                                  "from": {"id": 1, "is_bot": False, "first_name": "A"}}},
        {"my_chat_member": {"chat": {"id": chat, "type": CHATS.get(chat, "group")},
                            "from": {"id": 1, "is_bot": False, "first_name": "A"},
                            "date": DATE,
                            "old_chat_member": {"status": "member", "user": {
                                "id": 1, "is_bot": True, "first_name": "c"}},
                            "new_chat_member": {"status": "kicked", "until_date": 0, "user": {
                                "id": 1, "is_bot": True, "first_name": "c"}}}},
        {},  # an update of a kind this version of the library does not know
        {"some_future_update": {"x": [1, {"y": None}]}},
    ]))
    return as_body({"update_id": update_id, **other}, False)


def dict_paths(node: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for key, value in node.items():
        if isinstance(value, dict):
            yield from dict_paths(value, (*path, key))


@st.composite
def mutated(draw: st.DrawFn, update: dict[str, Any]) -> dict[str, Any]:
    """The update with a field, of itself or of an object in it, missing, of another type, or
    one it does not know added."""
    copy = json.loads(json.dumps(update))
    node = copy
    for step in draw(st.sampled_from(list(dict_paths(copy)))):
        node = node[step]
    how = draw(st.sampled_from(["drop", "set", "add"]))
    if how == "add" or not node:
        node[draw(texts)] = draw(json_values)
    elif how == "drop":
        node.pop(draw(st.sampled_from(sorted(node))))
    else:
        node[draw(st.sampled_from(sorted(node)))] = draw(json_values)
    return copy


def refused_secret(body: Body) -> st.SearchStrategy[Body]:
    return st.sampled_from(["", "fuzz-secreT", SECRET + " ", "ы" * 10]).map(
        lambda secret: Body(body.raw, None, False, secret))


def junk_bodies() -> st.SearchStrategy[Body]:
    """Bodies that are no update Telegram would send (a chance one may still be taken)."""
    deep = st.integers(1, 1_200).map(
        lambda n: b'{"update_id": 7, "x": ' + b"[" * n + b"]" * n + b"}")
    return st.one_of(
        st.binary(max_size=200).map(Body),
        json_values.map(lambda v: Body(json.dumps(v).encode())),
        st.dictionaries(st.sampled_from(["update_id", "message", "callback_query",
                                         "edited_message", "channel_post"]) | texts,
                        json_values, max_size=4).map(lambda v: Body(json.dumps(v).encode())),
        valid_bodies().flatmap(lambda b: mutated(json.loads(b.raw))).map(
            lambda v: Body(json.dumps(v).encode())),
        deep.map(Body),
        st.sampled_from([b"", b"null", b"[]", b"{}", b'{"update_id": 1e999}',
                         b'{"update_id": NaN}', b'{"update_id": "7"}', b'{"update_id": true}',
                         b'{"update_id": 7, "message": {"message_id": 1, "date": 0, '
                         b'"chat": {"id": 77, "type": "private"}, "text": "\\ud800"}}',
                         b'{"update_id": 8, "message": {"message_id": 1, "date": 0, '
                         b'"chat": {"id": [77], "type": "private"}, "text": "hi"}}',
                         b'{"update_id": 9, "message": {"message_id": 1, "date": 0, '
                         b'"chat": {"id": "77", "type": "private"}, "text": "hi"}}',
                         # found in CI: a number as the text failed its turn three times
                         b'{"update_id": 10, "message": {"message_id": 1, "date": 0, '
                         b'"chat": {"id": 77, "type": "private"}, "text": 5}}',
                         b'{"update_id": 11, "callback_query": {"id": "c", "chat_instance": "i", '
                         b'"from": {"id": 77, "is_bot": false, "first_name": "A"}, '
                         b'"data": ["x"]}}']).map(Body),
        valid_bodies().flatmap(refused_secret),
    )


@FUZZ
@given(body=weighted((1, valid_bodies()), (1, junk_bodies())))
async def test_any_webhook_body_is_answered_and_a_taken_update_gets_its_turn(
    tmp_path: Path, store: Store, body: Body
) -> None:
    run = fuzzed(tmp_path, store)
    with errors_logged() as errors:
        answer = await run.chan._webhook(Posted(body.raw, body.secret))  # noqa: SLF001
        event(f"answered {answer.status}, {'an update' if body.update_id is not None else 'junk'}")
        if body.secret != SECRET:
            assert answer.status == 403
        elif body.update_id is not None:
            assert answer.status == 200, body.raw[:300]
        else:
            # Never 5xx: a body that cannot be kept now never can, and Telegram would send it
            # again and again.
            assert answer.status in (200, 400), (answer.status, body.raw[:300])
        if answer.status == 200:
            taken = json.loads(body.raw)["update_id"]
            assert run.ledger.kept == [taken]
            again = await run.chan._webhook(Posted(body.raw))  # noqa: SLF001 - a re-delivery
            assert again.status == 200 and run.ledger.kept == [taken]
        else:
            assert run.ledger.kept == []
        await settled(run.chan)
        await check_nothing_stuck(run)
        check_what_telegram_got(run)
    assert errors == [], [r.getMessage() for r in errors]
    assert len(run.heard) <= (1 if answer.status == 200 else 0)
    if body.update_id is not None and body.reaches_rasa is not None:
        expected = [message_id(body.update_id)] if body.reaches_rasa else []
        assert [m.message_id for m in run.heard] == expected


async def test_a_press_on_a_question_whose_formatting_does_not_fit_its_text_still_counts(
    tmp_path: Path, store: Store
) -> None:
    """Bold from the middle of the 📍 on: the question is shown answered all the same (before,
    the turn failed on it four times and the citizen was asked to send it again)."""
    run = fuzzed(tmp_path, store)
    question = bot_question(77, 5, ["/affirm"], [{"type": "bold", "offset": 24, "length": 1}])
    answer = await run.chan._webhook(posted(press(40, question, "/affirm")))  # noqa: SLF001
    await settled(run.chan)
    assert answer.status == 200
    assert run.heard_from(77) == [(message_id(40), "/affirm")]
    assert run.bot.edits == Counter({(77, 5): 1})
    await check_nothing_stuck(run)


# ---- sequences of updates from several chats


@dataclass(frozen=True)
class Send:
    """A new update: a message (or its edit, or a channel post) in ``chat``."""

    chat: int
    kind: str
    content: dict[str, Any]
    language: str | None = "en"


@dataclass(frozen=True)
class Again:
    """Telegram delivers an earlier update again."""

    pick: int


@dataclass(frozen=True)
class Swapped:
    """Two new updates, the later one delivered first."""

    first: Send
    second: Send


@dataclass(frozen=True)
class Together:
    """Updates delivered at the same moment (webhook calls that overlap)."""

    sends: tuple[Send, ...]


@dataclass(frozen=True)
class Doubled:
    """A new update delivered twice at the same moment (Telegram retrying a slow webhook)."""

    send: Send


@dataclass(frozen=True)
class Press:
    """A button of an earlier answer pressed (``twice``: two presses, two updates); ``data``:
    the button's own, or what a modified client may send instead."""

    pick: int
    button: int
    data: str
    twice: bool


@dataclass(frozen=True)
class Flood:
    chat: int
    count: int


@dataclass(frozen=True)
class Settle:
    """Until every turn so far is over (so that its answer's buttons can be pressed)."""


sends = st.one_of(
    st.builds(Send, st.sampled_from(TALKING), st.just("message"), contents, languages),
    st.builds(Send, st.sampled_from(TALKING), st.just("message"), contents, languages),
    st.builds(Send, st.sampled_from(TALKING), st.just("edited_message"), contents),
    st.builds(Send, st.just(-1009876543210), st.just("channel_post"), contents),
)
again = st.builds(Again, st.integers(0, 100))
presses = st.builds(Press, st.integers(0, 100), st.integers(0, 1),
                    st.sampled_from(["button", "button", "button", "", "#unknown-key", "long"]),
                    st.booleans())
operations = st.lists(
    weighted(
        (2, sends), (2, again), (2, presses), (1, st.builds(Swapped, sends, sends)),
        (1, st.lists(sends, min_size=2, max_size=4).map(lambda s: Together(tuple(s)))),
        (1, st.builds(Doubled, sends)),
        (1, st.builds(Flood, st.sampled_from(TALKING), st.integers(BURST - 2, BURST + 6))),
        (1, st.just(Settle())),
    ),
    min_size=3,
    max_size=20,
)
not_a_key = long_data.filter(lambda d: not d.startswith("#"))


@dataclass
class Script:
    """Plays operations against the channel's webhook and remembers what was sent."""

    run: Fuzzed
    long_data: str
    bodies: dict[int, dict[str, Any]] = field(default_factory=dict)
    # A press's keyboard, and the payload it stands for (None: no payload behind its data).
    presses: dict[int, tuple[tuple[int, int], str, str | None]] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new(self, send: Send) -> dict[str, Any]:
        update_id = next(self.numbers)
        body = {"update_id": update_id,
                send.kind: message(send.chat, update_id, send.content, send.language)}
        self.bodies[update_id] = body
        return body

    async def deliver(self, *bodies: dict[str, Any]) -> None:
        answers = await asyncio.gather(*(self.run.chan._webhook(posted(b))  # noqa: SLF001
                                         for b in bodies))
        self.statuses += [a.status for a in answers]

    async def play(self, step: Any) -> None:
        if isinstance(step, Send):
            await self.deliver(self.new(step))
        elif isinstance(step, Again) and self.bodies:
            await self.deliver(list(self.bodies.values())[step.pick % len(self.bodies)])
        elif isinstance(step, Swapped):
            first, second = self.new(step.first), self.new(step.second)
            await self.deliver(second)
            await self.deliver(first)
        elif isinstance(step, Together):
            await self.deliver(*[self.new(s) for s in step.sends])
        elif isinstance(step, Doubled):
            body = self.new(step.send)
            await self.deliver(body, body)
        elif isinstance(step, Flood):
            for n in range(step.count):
                await self.deliver(self.new(Send(step.chat, "message", {"text": f"spam {n}"})))
        elif isinstance(step, Settle):
            await settled(self.run.chan)
        elif isinstance(step, Press):
            await self.press(step)

    async def press(self, step: Press) -> None:
        questions = [m for _, m in self.run.bot.sent if m.reply_markup is not None]
        if not questions:  # Rasa asks one when it is told something
            await self.deliver(*[self.new(Send(chat, "message", {"text": "hi"}))
                                 for chat in TALKING])
            await settled(self.run.chan)
            questions = [m for _, m in self.run.bot.sent if m.reply_markup is not None]
        if not questions:  # every chat flooded
            return
        question = questions[step.pick % len(questions)]
        key = (question.chat.id, question.message_id)
        buttons = [row[0] for row in question.reply_markup.inline_keyboard]
        choice = step.button % len(buttons)
        data, payload = {
            "button": (buttons[choice].callback_data, self.run.payloads[key][choice]),
            "": ("", None),
            "#unknown-key": ("#unknown-key", None),
            "long": (self.long_data, self.long_data),
        }[step.data]
        for _ in range(2 if step.twice else 1):
            update_id = next(self.numbers)
            body = press(update_id, question.to_dict(), data, question.chat.id)
            self.bodies[update_id] = body
            self.presses[update_id] = (key, data, payload)
            await self.deliver(body)

    def expected(self) -> tuple[dict[int, list[tuple[str, str]]], Counter[int], set[int]]:
        """From the order the updates were kept: what each chat's turns hand to Rasa, how many
        updates each chat sent, and which presses were let through (and so answered)."""
        heard: dict[int, list[tuple[str, str]]] = defaultdict(list)
        sent: Counter[int] = Counter()
        claimed: set[tuple[int, int]] = set()
        let_through: set[int] = set()
        for update_id in self.run.ledger.kept:
            body = self.bodies[update_id]
            chat = chat_of(body)
            sent[chat] += 1
            if sent[chat] > BURST:  # the clock stands still: no token comes back
                continue
            if update_id in self.presses:
                let_through.add(update_id)
                key, data, payload = self.presses[update_id]
                if data and key not in claimed:
                    claimed.add(key)  # an unknown key, too, answers the question
                    if payload is not None:
                        heard[chat].append((message_id(update_id), payload))
            elif (text := rasa_text(body)) is not None:
                heard[chat].append((message_id(update_id), text))
        return heard, sent, let_through


def as_told(heard: list[tuple[str | None, str]], expected: list[tuple[str, str]]
            ) -> list[tuple[str | None, str]]:
    """What Rasa heard, in the shape of the expectation: texts as Rasa's UserMessage strips
    them; a command's payload not compared ("")."""
    return [(h_id, "" if n < len(expected) and expected[n][1] == "" else h_text)
            for n, (h_id, h_text) in enumerate(heard)]


@FUZZ
@given(script=operations, long_data=not_a_key)
async def test_fuzzed_sequences_reach_rasa_once_in_order_and_leave_nothing_stuck(
    tmp_path: Path, store: Store, script: list[Any], long_data: str
) -> None:
    run = fuzzed(tmp_path, store)
    player = Script(run, long_data)
    with errors_logged() as errors:
        for step in script:
            await player.play(step)
        await settled(run.chan)

        assert set(player.statuses) <= {200}
        assert sorted(run.ledger.kept) == sorted(player.bodies), "an update was kept twice or not"
        heard_ids = [m.message_id for m in run.heard]
        assert len(heard_ids) == len(set(heard_ids)), "an update reached Rasa twice"
        expected, sent, let_through = player.expected()
        reached = {m.message_id for m in run.heard}
        event(f"buttons pressed: {len(player.presses)}, reaching Rasa: "
              f"{sum(message_id(n) in reached for n in player.presses)}")
        event(f"chats flooded: {sum(n > BURST for n in sent.values())}")
        event(f"updates delivered again: {len(player.statuses) - len(player.bodies)}")
        for chat in CHATS:
            want = [(m_id, text.strip()) for m_id, text in expected[chat]]
            assert as_told(run.heard_from(chat), want) == want, chat
            slow_downs = [t for t in run.bot.texts_to(chat) if t.endswith("slow down")]
            assert len(slow_downs) == (1 if sent[chat] > BURST else 0), (chat, sent[chat])
        # A press that got through stops its spinner; each question is edited once at most,
        # and only when its press reached Rasa.
        assert sorted(run.bot.answered) == sorted(str(n) for n in let_through)
        assert max(run.bot.edits.values(), default=0) <= 1
        assert set(run.bot.edits) == {key for n, (key, _, _) in player.presses.items()
                                      if message_id(n) in reached}
        await check_nothing_stuck(run)
        check_what_telegram_got(run)

        # And every chat still converses, once its flood is over.
        run.flood_clock.now += BURST / InboundLimit().per_second
        last = {chat: player.new(Send(chat, "message", {"text": "still there?"}))
                for chat in TALKING}
        await player.deliver(*last.values())
        await settled(run.chan)
        for chat, body in last.items():
            assert run.heard_from(chat)[-1] == (message_id(body["update_id"]), "still there?")
        await check_nothing_stuck(run)
    assert errors == [], [r.getMessage() for r in errors]


# ---- long polling


FAILURES = [  # made afresh for each raise
    lambda: TelegramError("Conflict: terminated by other getUpdates request"),
    lambda: NetworkError("httpx.ReadError"),
    TimedOut,
    lambda: OSError(101, "Network is unreachable"),
    lambda: OperationalError("SELECT", {}, Exception("database is locked")),
    lambda: ValueError("bad JSON from the Bot API"),
    lambda: RetryAfter(timedelta(seconds=3)),
]


@dataclass(frozen=True)
class Batch:
    """New updates arrive at Telegram, and the next getUpdates answers at most ``limit``
    waiting ones, the oldest first or (a Bot API server that does not sort) the newest, with
    updates confirmed before sent again at ``resent`` positions."""

    arrive: int
    limit: int
    resent: tuple[int, ...]
    newest_first: bool


class PollingTelegram(ScriptedTelegram):
    """getUpdates as Telegram answers it, from a script of batches and failures: updates wait
    until an offset confirms them; when the script is over, what still waits is answered, then
    one poll ends with nothing new, and the next one hangs."""

    def __init__(self, script: list[Batch | Exception], ledger: KeptInOrder) -> None:
        super().__init__()
        self.script = list(script)
        self.ledger = ledger
        self.waiting: dict[int, Update] = {}
        self.all: list[Update] = []
        self.offsets: list[int | None] = []
        self.passed: list[tuple[int, list[int]]] = []  # offsets past updates not kept
        self.drained = asyncio.Event()
        self.idle = False
        self.confirmed = 0  # the highest offset so far: Telegram has forgotten what is below

    def _arrive(self, count: int) -> None:
        for _ in range(count):
            n = len(self.all) + 1
            update = Update.de_json(
                {"update_id": n, "message": message(TALKING[n % len(TALKING)], n,
                                                    {"text": f"m{n}"})}, None)
            self.all.append(update)
            self.waiting[n] = update

    async def get_updates(self, offset: int | None = None, **_: Any) -> list[Update]:
        self.offsets.append(offset)
        if offset is not None:
            lost = [n for n in self.waiting if n < offset and n not in self.ledger.kept]
            if lost:
                self.passed.append((offset, lost))
            self.waiting = {n: u for n, u in self.waiting.items() if n >= offset}
            self.confirmed = max(self.confirmed, offset)
        step = self.script.pop(0) if self.script else Batch(0, 100, (), False)
        if isinstance(step, Exception):
            raise step
        self._arrive(step.arrive)
        batch = sorted(self.waiting.values(), key=lambda u: u.update_id)[:step.limit]
        if step.newest_first:
            batch.reverse()
        confirmed = [u for u in self.all if u.update_id < self.confirmed]
        for position in step.resent:
            if confirmed:
                batch.insert(position % (len(batch) + 1), confirmed[position % len(confirmed)])
        if not batch and not self.script:
            if self.idle:  # the channel has seen a poll with nothing new: all is confirmed
                self.drained.set()
                await asyncio.Event().wait()
            self.idle = True
        return batch


class FlakyKept(KeptInOrder):
    """The ledger meeting a locked database on some writes, as the script says."""

    def __init__(self, store: Store, fails: list[bool]) -> None:
        super().__init__(store)
        self.fails = list(fails)

    async def claim_update(self, update_id: int, update: dict[str, Any] | None = None) -> bool:
        if self.fails and self.fails.pop(0):
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return await super().claim_update(update_id, update)


polls = st.lists(
    st.one_of(
        st.builds(Batch, st.integers(0, 6), st.integers(1, 8),
                  st.lists(st.integers(0, 50), max_size=3).map(tuple), st.booleans()),
        st.sampled_from(FAILURES).map(lambda make: make()),
    ),
    max_size=20,
)


@FUZZ
@given(script=polls, fails=st.lists(st.booleans(), max_size=20))
async def test_polling_survives_any_batch_and_failure_and_keeps_every_update_once(
    tmp_path: Path, store: Store, script: list[Batch | Exception], fails: list[bool]
) -> None:
    ledger = FlakyKept(store, fails)
    telegram = PollingTelegram(script, ledger)
    run = fuzzed(tmp_path, store)
    run.ledger, run.chan.ledger = ledger, ledger
    run.chan.bot = telegram
    run.chan.inbound = InboundLimit(burst=10**6)  # not what is fuzzed here
    with errors_logged() as errors:
        poll = asyncio.ensure_future(run.chan._poll())  # noqa: SLF001
        await asyncio.wait_for(telegram.drained.wait(), 60)
        await settled(run.chan)
        assert not poll.done(), "the polling loop ended"
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poll
    assert errors == [], [r.getMessage() for r in errors]
    assert telegram.passed == [], "confirmed to Telegram before it was kept"
    everything = [u.update_id for u in telegram.all]
    assert sorted(ledger.kept) == everything
    assert sorted(m.message_id for m in run.heard) == sorted(message_id(n) for n in everything)
    assert all(pause <= BACKOFF_CAP for pause in run.chan.sleep.asked)
    assert run.chan.trouble == ""
    assert await ledger.unfinished() == [] and len(run.chan._chats) == 0  # noqa: SLF001


# ---- what the citizen reads


# Words and the white space between them: paragraphs, lines, spaces, and blank ones of each.
words = st.lists(chars, min_size=1, max_size=12).map("".join)
gaps = st.sampled_from(["\n\n", "\n", " ", "  ", "\n\n \n\n", "\n \n", "\t", "\u3000"])


@FUZZ
@given(text=st.lists(st.one_of(words, gaps), max_size=60).map("".join),
       limit=st.integers(2, 30))
def test_a_text_of_any_shape_is_cut_into_pieces_that_fit_lose_nothing_and_are_not_blank(
    text: str, limit: int
) -> None:
    pieces = split_text(text, limit)
    assert all(utf16_len(piece) <= limit for piece in pieces)
    assert all(piece.strip() for piece in pieces), pieces
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())
