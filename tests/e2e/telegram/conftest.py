"""Citizens in Telegram, played through telegram-test-api (a Bot API emulator on loopback).

One session starts the emulator (``emulator/server.js``, installed by ``npm ci`` in ``make
test``) and the real stack with the Telegram channel pointed at it, twice over: the stack's own
Rasa polls the emulator as bot ``POLLING_TOKEN``; a second Rasa server (same action server and
sandbox) runs in webhook mode as bot ``WEBHOOK_TOKEN``, with a secret token. The emulator's first
answer to that bot's ``setWebhook`` is a 429, which the channel must wait out.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from bot.config import Settings
from bot.supervisor import rasa_proc
from tests.stack import MODEL, Stack, running_stack

EMULATOR_DIR = Path(__file__).resolve().parent / "emulator"
EMULATOR_PORT = 9305
EMULATOR = f"http://127.0.0.1:{EMULATOR_PORT}"
PORTS = {"rasa": 5205, "actions": 5255, "sandbox": 8281, "portal": 8280}
WEBHOOK_PORT = 5206
POLLING_TOKEN = "1001:polling-test-token"
WEBHOOK_TOKEN = "1002:webhook-test-token"
SECRET = "s3cret-webhook-token"
WEBHOOK_URL = f"http://127.0.0.1:{WEBHOOK_PORT}/webhooks/telegram/webhook"



def _new_chat() -> int:
    """A chat id no other test uses (both bots share one tracker store in these tests)."""
    return 5_000_000_000 + uuid.uuid4().int % 1_000_000_000


def finished_turns(app_db: Path, bot_id: int, chat_id: int) -> tuple[int, int]:
    """(updates of the chat the bot has kept, those whose turn is over), from the channel's
    ledger (``telegram_claims``: an update is kept before it is handled and marked done after
    its turn, answers sent)."""
    if not app_db.exists():
        return 0, 0
    with sqlite3.connect(f"file:{app_db}?mode=ro", uri=True, timeout=10) as db:
        rows = db.execute("SELECT payload, done_at FROM telegram_claims WHERE bot_id = ? "
                          "AND key LIKE 'update:%' AND payload IS NOT NULL", (bot_id,)).fetchall()
    kept = done = 0
    for payload, done_at in rows:
        update = json.loads(payload)
        message = update.get("message") or (update.get("callback_query") or {}).get("message")
        if (message or {}).get("chat", {}).get("id") == chat_id:
            kept += 1
            done += done_at is not None
    return kept, done


@dataclass
class Citizen:
    """One Telegram user in a private chat with a bot, talking through the emulator.

    ``replies`` and ``silence`` wait on an event, not on the clock: until the channel's ledger
    shows every update the citizen sent has had its turn (``app_db``)."""

    token: str
    app_db: Path
    chat_id: int = field(default_factory=_new_chat)
    seen: int = 0
    sent: int = 0  # updates the citizen caused (messages and button presses)
    language_code: str = "en"  # what the citizen's Telegram app is set to

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    def turns_over(self, timeout: float = 60.0) -> None:
        """Until every update the citizen sent was kept by the bot and its turn is over."""
        deadline = time.monotonic() + timeout
        while True:
            kept, done = finished_turns(self.app_db, self.bot_id, self.chat_id)
            if kept >= self.sent and done == kept:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.sent} updates sent, {kept} kept, {done} done")
            time.sleep(0.1)

    @property
    def user(self) -> dict:
        return {"id": self.chat_id, "is_bot": False, "first_name": "Anna",
                "language_code": self.language_code}

    def _send(self, **content: object) -> None:
        body = {
            "botToken": self.token,
            "from": self.user,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Anna"},
            "date": int(time.time()),
            **content,
        }
        requests.post(f"{EMULATOR}/sendMessage", json=body, timeout=5).raise_for_status()
        self.sent += 1

    def say(self, text: str) -> None:
        extra: dict = {}
        if text.startswith("/"):
            command = text.split()[0]
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._send(text=text, **extra)

    def share_location(self, lat: float, lon: float) -> None:
        self._send(location={"latitude": lat, "longitude": lon})

    def send_photo(self, file_id: str, data: bytes, caption: str | None = None) -> None:
        import base64

        requests.post(
            f"{EMULATOR}/files",
            json={"file_id": file_id, "base64": base64.b64encode(data).decode()},
            timeout=5,
        ).raise_for_status()
        sizes = [
            {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": "l", "width": 800, "height": 600},
        ]
        self._send(photo=sizes, **({"caption": caption} if caption else {}))

    def send_sticker(self) -> None:
        self._send(sticker={
            "file_id": "sticker-1", "file_unique_id": "st1", "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False,
        })

    def messages(self) -> list[dict]:
        """Every message the bot sent to this chat, as stored now (edits included)."""
        resp = requests.post(
            f"{EMULATOR}/botMessages", json={"token": self.token, "chatId": self.chat_id},
            timeout=5,
        )
        resp.raise_for_status()
        return resp.json()["result"]

    def replies(self, timeout: float = 30.0, quiet: float = 1.2) -> list[dict]:
        """The bot's new messages: those of the citizen's turns once they are over; when the
        citizen sent nothing (a message the bot sends on its own), waits for the first, then
        until none came for ``quiet`` s."""
        if self.sent:
            self.turns_over(timeout)
            new = self.messages()[self.seen:]
            if new:
                self.seen += len(new)
                return new
        deadline = time.monotonic() + timeout
        last_count, last_change = self.seen, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self.messages())
            now = time.monotonic()
            if count != last_count:
                last_count, last_change = count, now
            elif count > self.seen and now - last_change >= quiet:
                break
            time.sleep(0.15)
        new = self.messages()[self.seen:]
        self.seen += len(new)
        return new

    def silence(self) -> list[dict]:
        """What the bot sent once the citizen's turns are over (expected: nothing)."""
        self.turns_over()
        new = self.messages()[self.seen:]
        self.seen += len(new)
        return new

    def press(self, title: str) -> dict:
        """Press the inline button ``title`` of the newest message that has it."""
        for message in reversed(self.messages()):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == title:
                        return self._press(message, button["callback_data"])
        raise AssertionError(f"no button {title!r} in the chat")

    def press_message(self, message: dict, data: str) -> dict:
        """Press a button of ``message`` as it was shown (even if it is gone by now)."""
        return self._press(message, data)

    def _press(self, message: dict, data: str) -> dict:
        shown = {k: message[k] for k in ("message_id", "date", "chat", "from", "text",
                                         "reply_markup") if message.get(k) is not None}
        requests.post(
            f"{EMULATOR}/sendCallback",
            json={"botToken": self.token, "from": self.user, "message": shown, "data": data},
            timeout=5,
        ).raise_for_status()
        self.sent += 1
        return message


def text_of(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def calls(token: str) -> dict:
    resp = requests.get(f"{EMULATOR}/calls", params={"token": token}, timeout=5)
    resp.raise_for_status()
    return resp.json()["result"]


def _wait_for(url: str, check, timeout: float = 60.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            resp = requests.get(url, timeout=2)
            if check(resp):
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready in {timeout:.0f} s")


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (EMULATOR_DIR / "node_modules" / "telegram-test-api").exists():
        pytest.fail(f"telegram-test-api is not installed: run `npm ci` in {EMULATOR_DIR} "
                    "(make test does)")
    log = open(tmp_path_factory.mktemp("emulator") / "emulator.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        ["node", "server.js", "--port", str(EMULATOR_PORT)],
        cwd=EMULATOR_DIR, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(f"{EMULATOR}/calls?token=x", lambda r: r.status_code == 200, timeout=20)
        yield EMULATOR
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@dataclass
class TelegramStack:
    stack: Stack
    webhook_rasa: str


@pytest.fixture(scope="session")
def telegram(emulator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TelegramStack]:
    """The stack polling the emulator, plus a second Rasa server on the webhook."""
    # Telegram's flood control on the first setWebhook: the channel waits, then sets it.
    requests.post(
        f"{emulator}/faults",
        json={"method": "setWebhook", "token": WEBHOOK_TOKEN, "times": 1, "retry_after": 1},
        timeout=5,
    ).raise_for_status()

    def webhook_rasa(settings: Settings) -> list:
        return [rasa_proc(
            settings, model=MODEL, name="rasa-webhook", port=WEBHOOK_PORT,
            env={"TELEGRAM_BOT_TOKEN": WEBHOOK_TOKEN, "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
                 "TELEGRAM_SECRET_TOKEN": SECRET},
        )]

    env = {"TELEGRAM_BOT_TOKEN": POLLING_TOKEN, "TELEGRAM_API_BASE_URL": emulator,
           "TELEGRAM_WEBHOOK_URL": "", "TELEGRAM_SECRET_TOKEN": ""}
    with running_stack(tmp_path_factory.mktemp("var"), PORTS, env=env,
                       extra=webhook_rasa) as stack:
        webhook = f"http://127.0.0.1:{WEBHOOK_PORT}"
        for base in (stack.rasa, webhook):
            _wait_for(f"{base}/webhooks/telegram/",
                      lambda r: r.ok and r.json().get("status") == "ok")
        yield TelegramStack(stack, webhook)


@pytest.fixture
def citizen(telegram: TelegramStack) -> Citizen:
    """A citizen writing to the polling bot."""
    return Citizen(POLLING_TOKEN, telegram.stack.var / "citybot.db")


@pytest.fixture
def russian_citizen(telegram: TelegramStack) -> Citizen:
    """A citizen whose Telegram app is in Russian, writing to the polling bot."""
    return Citizen(POLLING_TOKEN, telegram.stack.var / "citybot.db", language_code="ru")


@pytest.fixture
def webhook_citizen(telegram: TelegramStack) -> Citizen:
    """A citizen writing to the webhook bot (the emulator delivers with the secret token)."""
    return Citizen(WEBHOOK_TOKEN, telegram.stack.var / "citybot.db")


def post_update(update: dict, secret: str | None) -> requests.Response:
    """Deliver an update to the webhook as Telegram would (or a forger would)."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return requests.post(WEBHOOK_URL, data=json.dumps(update), headers=headers, timeout=10)
