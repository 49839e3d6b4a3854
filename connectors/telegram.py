"""The Telegram channel on python-telegram-bot 22: long polling or a webhook, one answer per update.

Registered in credentials.yml as ``connectors.telegram.TelegramInput``; configured from the
environment (``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_API_BASE_URL``, ``TELEGRAM_WEBHOOK_URL``,
``TELEGRAM_SECRET_TOKEN``). Without a token the channel is off. The bot is initialised, the
command menu and the webhook set once, in Sanic's ``after_server_start`` (PTB's HTTP client belongs
to the server's event loop); Telegram's 429 at start is waited out.

A citizen's chat id is the Rasa sender id. Delivery is at least once, each turn answered once:
an update is kept in the app database (``TelegramLedger``) before it is confirmed to Telegram (the
next getUpdates offset, or the webhook's 200), so a re-delivered update stops there and a crash
loses nothing; what was kept and not finished is handed on at the next start, unless Rasa's
tracker shows the turn was taken (the update id is the user message's ``message_id``). The turn
runs in the background, one at a time per chat; a chat that floods gets asked once to slow down
(``telegram_inbound``). Errors that are not Telegram's (a locked database) do not stop polling:
it backs off and the health check says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, BotCommand, CallbackQuery, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot import responses
from bot.config import Settings, kept_secret, load_settings
from bot.language import DEFAULT, LANGUAGES
from bot.leader import Leadership
from bot.store import Store
from connectors.telegram_format import answered_html, pressed_title, to_html
from connectors.telegram_inbound import ChatLocks, InboundLimit
from connectors.telegram_output import TelegramOutput
from connectors.telegram_send import Sender, patiently, seconds
from connectors.telegram_store import TelegramLedger

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT = 25  # seconds a getUpdates long poll may hang at Telegram
TYPING_EVERY = 4.5  # Telegram shows "typing..." for about 5 s
# Seconds between tries when polling or keeping an update fails; doubled up to the cap.
BACKOFF_FIRST, BACKOFF_CAP = 1.0, 30.0
# A turn that fails (Rasa's tracker store down) is tried again after these pauses, then the
# citizen is asked to write again.
TURN_RETRIES = (1.0, 4.0, 16.0)
PRUNE_EVERY = 3600.0  # seconds between prunings of the ledger's old claims

# /command -> what goes into the conversation (intent payloads of the domain).
COMMANDS = {
    "start": "/greet",
    "help": "/help",
    "stop": "/stop",
    "language": "/change_language",
}
# The command menu (setMyCommands): command -> the domain response that describes it.
MENU = ("start", "help", "stop", "language")
# /start <param> deep links (letters, digits, _ and - only, as Telegram allows).
DEEP_LINKS = {
    "report": "/report_problem",
    "report_problem": "/report_problem",
    "status": "/check_request_status",
    "meters": "/submit_meter_readings",
    "fines": "/check_fines",
    "doctor": "/book_doctor",
    "notifications": "/subscribe_notifications",
    "polls": "/show_polls",
    "office": "/find_office",
    "outages": "/check_outages",
    "person": "/human_handoff",
}
# A message that carries only a location or a photo: an answer, with the content in metadata.
BARE_ANSWER = "/inform"


# Telegram's updates nest about ten deep (a button in a keyboard of a message in a query); far
# deeper JSON is no update, and past Python's recursion limit it could not even be kept.
MAX_NESTING = 64


def update_in(body: Any, bot: Bot | None) -> Update | None:
    """The update a webhook body holds, or None when it holds none Telegram would send: not an
    update; ids that are not integers (they are the ledger's key, the chat's lock and flood
    bucket, Rasa's sender id); what the ledger could never keep (a lone surrogate, NaN, deep
    nesting), which must get a 400, not a 503 that has Telegram send it again for a day."""
    try:
        if _nesting(body) > MAX_NESTING:
            return None
        json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
        update = Update.de_json(body, bot)
    except Exception:  # noqa: BLE001 - whatever the body is, it is not an update
        return None
    if update is None or not _is_id(update.update_id):
        return None
    chat = update.effective_chat
    if chat is not None and not _is_id(chat.id):
        return None
    return update if _well_typed(update) else None


def _well_typed(update: Update) -> bool:
    """Whether the fields the channel reads have the types Telegram sends (python-telegram-bot
    does not check them: a number as a message's text would fail its turn three times)."""
    message = update.effective_message
    texts = [update.callback_query.data if update.callback_query else None]
    if message is not None:
        texts += [message.text, message.caption]
        if not _is_id(message.message_id):
            return False
        if message.photo and not all(isinstance(size.file_id, str) for size in message.photo):
            return False
        location = message.location
        if location is not None and not all(
            isinstance(x, (int, float)) and not isinstance(x, bool)
            for x in (location.latitude, location.longitude)
        ):
            return False
    user = update.effective_user
    if user is not None:
        texts.append(user.language_code)
        if not _is_id(user.id):
            return False
    return all(text is None or isinstance(text, str) for text in texts)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _nesting(value: Any) -> int:
    """How deep lists and objects nest in a JSON value (without recursing)."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            todo.extend((inner, depth + 1) for inner in node)
    return deepest


def message_id(update_id: int) -> str:
    """The Rasa user message id of an update: how a turn is known to have been taken."""
    return f"telegram-{update_id}"


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook update: ``TELEGRAM_SECRET_TOKEN``, or one
    made once and kept under var/. A webhook with no secret would take any POST as an update
    from any chat (speak as anyone, claim future update ids)."""
    if settings.telegram_secret_token:
        return settings.telegram_secret_token
    log.warning("TELEGRAM_SECRET_TOKEN is not set: the webhook uses a secret made for it and kept "
                "in var/telegram_secret_token (set the same TELEGRAM_SECRET_TOKEN on every Rasa "
                "server of a deployment)")
    return kept_secret(settings.var_dir / "telegram_secret_token")


class TelegramInput(InputChannel):
    """Receives updates (webhook or long polling) and hands them to Rasa, each once."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "TelegramInput":
        """Settings from the environment; a value in credentials.yml wins when given."""
        settings = load_settings()
        given = {k: str(v) for k, v in (credentials or {}).items() if v not in (None, "")}
        overrides = {
            field: given[key]
            for key, field in (
                ("token", "telegram_token"),
                ("api_base_url", "telegram_api_base_url"),
                ("webhook_url", "telegram_webhook_url"),
                ("secret_token", "telegram_secret_token"),
            )
            if key in given
        }
        return cls(replace(settings, **overrides))

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._secret = webhook_secret(settings) if settings.telegram_webhook_url else ""
        self.bot: Bot | None = None
        self.output: TelegramOutput | None = None
        self.ledger: TelegramLedger | None = None
        self.ready = asyncio.Event()
        self._store: Store | None = None
        self._http: aiohttp.ClientSession | None = None
        self._responses: responses.Variants = {}
        self._chats = ChatLocks()
        self.inbound = InboundLimit()
        self._tasks: set[asyncio.Task] = set()
        self._on_new_message: Callable[[UserMessage], Awaitable[Any]] | None = None
        self._agent: Any = None
        # What is wrong right now (polling or keeping updates fails), for the health check.
        self.trouble = ""
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        # Polling (or, with webhooks, picking up a stopped server's updates) in one server at
        # a time when there are several.
        self.leadership = Leadership(settings.redis_url, "telegram")

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.telegram_webhook_url)

    def url_prefix(self) -> str:
        return "telegram"

    def get_output_channel(self) -> OutputChannel | None:
        """For messages Rasa sends on its own (external events, an operator's reply)."""
        return self.output

    # ---- wiring

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        self._on_new_message = on_new_message
        bp = Blueprint("telegram_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if not self.settings.telegram_token:
                return response.json({"status": "off"})
            return self._health()

        if not self.settings.telegram_token:
            log.warning("Telegram channel is off: TELEGRAM_BOT_TOKEN is not set")
            return bp

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self._webhook(request)

        @bp.listener("after_server_start")
        async def start(app: Any, _loop: Any) -> None:
            agent = self._agent = getattr(app.ctx, "agent", None)
            self._responses = responses.of_agent(agent)
            self._spawn(self._start())

        @bp.listener("before_server_stop")
        async def stop(_app: Any, _loop: Any) -> None:
            await self._stop()

        return bp

    def _health(self) -> HTTPResponse:
        mode = "webhook" if self.webhook_mode else "polling"
        if self.trouble:
            return response.json({"status": "failing", "mode": mode, "error": self.trouble},
                                 status=503)
        return response.json({"status": "ok" if self.ready.is_set() else "starting",
                              "mode": mode, "leading": self.leadership.leading})

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _start(self) -> None:
        """Initialise once; set the menu and the webhook (or clear it and poll)."""
        base = self.settings.telegram_api_base_url.rstrip("/")
        self.bot = Bot(
            self.settings.telegram_token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=HTTPXRequest(connection_pool_size=32),
            get_updates_request=HTTPXRequest(read_timeout=POLL_TIMEOUT + 10),
        )
        self._store = await Store(self.settings.app_database_url).ready()
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        try:
            await patiently("getMe", self.bot.initialize)
            self.ledger = TelegramLedger(self._store, self.bot.id)
            await self.ledger.prune()
            self.output = TelegramOutput(self.bot, Sender(), self.ledger)
            await self._set_menu()
            self._spawn(self._keep_pruned())
            if self.webhook_mode:
                await patiently("setWebhook", lambda: self.bot.set_webhook(
                    self.settings.telegram_webhook_url,
                    secret_token=self._secret,
                    allowed_updates=ALLOWED_UPDATES,
                ))
                log.info("Telegram channel on as @%s: webhook %s",
                         self.bot.username, self.settings.telegram_webhook_url)
                self.ready.set()
                await self.leadership.run(self._recover)
            else:
                await patiently("deleteWebhook", self.bot.delete_webhook)
                log.info("Telegram channel on as @%s: long polling %s",
                         self.bot.username, base)
                self.ready.set()
                await self.leadership.run(self._lead_polling)
        except TelegramError as exc:
            log.error("Telegram channel could not start: %s", exc)

    async def _lead_polling(self) -> None:
        """The long-poller's job, in one server at a time (bot.leader): the updates a stopped
        poller kept and did not finish, then polling."""
        await self._resume()
        await self._poll()

    async def _recover(self) -> None:
        """In webhook mode every server takes updates; one of them hands on those a stopped
        server kept and did not finish, then keeps the lead until it stops."""
        await self._resume()
        await asyncio.Event().wait()

    async def _keep_pruned(self) -> None:
        """Claims older than Telegram could re-deliver are dropped while the server runs, not
        only at start, so the ledger stays bounded."""
        while True:
            await self.sleep(PRUNE_EVERY)
            try:
                await self.ledger.prune()
            except Exception:  # noqa: BLE001 - tried again in an hour
                log.exception("Telegram ledger: pruning failed")

    async def _stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()
        if self._http is not None:
            await self._http.close()
        if self._store is not None:
            await self._store.close()

    async def _set_menu(self) -> None:
        """The command menu: English for everyone, Russian for Telegram users whose app is in
        Russian (``language_code``)."""
        for language in LANGUAGES:
            commands = [
                BotCommand(command,
                           self._say(f"utter_telegram_command_{command}", language) or command)
                for command in MENU
            ]
            code = None if language == DEFAULT else language
            try:
                await patiently("setMyCommands", lambda commands=commands, code=code:
                                self.bot.set_my_commands(commands, language_code=code))
            except TelegramError as exc:  # a missing menu is no reason to stay silent
                log.warning("could not set the Telegram command menu (%s): %s", language, exc)

    def _say(self, response_name: str, language: str = DEFAULT) -> str:
        """A response of the domain in ``language``, Telegram's variation first."""
        return responses.say(self._responses, response_name, language, channel="telegram")

    # ---- receiving

    async def _webhook(self, request: Request) -> HTTPResponse:
        given = request.headers.get(SECRET_HEADER, "")
        if not self._secret or not hmac.compare_digest(given.encode(), self._secret.encode()):
            log.warning("Telegram webhook: update without the right secret token refused")
            return response.json({"ok": False}, status=403)
        if not self.ready.is_set():
            return response.json({"ok": False}, status=503)  # Telegram delivers again later
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - not JSON (Sanic's InvalidUsage)
            return response.json({"ok": False}, status=400)
        update = update_in(body, self.bot)
        if update is None:
            return response.json({"ok": False}, status=400)
        try:
            await self._accept(update)
        except Exception as exc:  # noqa: BLE001 - not kept: Telegram must deliver it again
            self._failing(f"could not keep update {update.update_id}: {exc}")
            return response.json({"ok": False}, status=503)
        self.trouble = ""
        return response.json({"ok": True})

    async def _poll(self) -> None:
        """Long polling: one getUpdates at a time; an update is confirmed to Telegram (the next
        offset) only once it is kept. Any failure backs off and tries again, never ends the
        loop."""
        offset: int | None = None
        loop = asyncio.get_running_loop()
        pause = BACKOFF_FIRST
        while True:
            began = loop.time()
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
                )
                # In order, so that the offset never passes one that could not be kept.
                for update in sorted(updates, key=lambda u: u.update_id):
                    await self._accept(update)
                    offset = max(offset or 0, update.update_id + 1)
            except RetryAfter as exc:
                await self.sleep(seconds(exc.retry_after))
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Telegram's, the network's or our database's
                self._failing(f"getUpdates: {exc}")
                await self.sleep(pause)
                pause = min(pause * 2, BACKOFF_CAP)
                continue
            self.trouble, pause = "", BACKOFF_FIRST
            if not updates and loop.time() - began < 1:
                # A Bot API server that does not hold the poll open (a local emulator).
                await self.sleep(0.2)

    def _failing(self, trouble: str) -> None:
        if trouble != self.trouble:
            log.warning("Telegram channel: %s", trouble)
        self.trouble = trouble

    async def _accept(self, update: Update) -> None:
        """Keep the update (a second delivery stops here) and handle it in the background.
        Raises when it could not be kept: then it must not be confirmed to Telegram."""
        if not await self.ledger.claim_update(update.update_id, update.to_dict()):
            log.info("Telegram update %s already handled", update.update_id)
            return
        chat = update.effective_chat
        admitted, slow_down = self.inbound.admit(chat.id) if chat else (True, False)
        self._spawn(self._handle(update, admitted=admitted, slow_down=slow_down))

    async def _resume(self) -> None:
        """Hand on the updates kept and not finished before a stop or a crash."""
        for data in await self.ledger.unfinished():
            update = Update.de_json(data, self.bot)
            if update is not None:
                log.info("Telegram update %s was not finished: handling it now", update.update_id)
                self._spawn(self._handle(update, resumed=True))

    async def _handle(self, update: Update, *, admitted: bool = True, slow_down: bool = False,
                      resumed: bool = False) -> None:
        """One update's turn, after the chat's earlier ones; finished in the ledger when over."""
        chat = update.effective_chat
        if chat is None:  # nothing to answer (allowed_updates asks for none such)
            await self._finish(update.update_id)
            return
        async with self._chats.hold(chat.id):
            if not admitted:
                log.info("Telegram chat %s floods: update %s not handed on", chat.id,
                         update.update_id)
                if slow_down:
                    await self._tell(chat.id, "utter_telegram_slow_down", update)
            elif resumed and await self._turn_taken(chat.id, update.update_id):
                log.info("Telegram update %s: its turn was taken before the stop", update.update_id)
            else:
                await self._turn(update, chat.id)
            await self._finish(update.update_id)

    async def _finish(self, update_id: int) -> None:
        try:
            await self.ledger.finish(update_id)
        except Exception:  # noqa: BLE001 - left unfinished: the next start looks again
            log.exception("Telegram update %s: could not mark it finished", update_id)

    async def _turn(self, update: Update, chat_id: int) -> None:
        """The update handed to Rasa; tried again while Rasa fails (its tracker store down),
        then the citizen is asked to write again."""
        for pause in (*TURN_RETRIES, None):
            try:
                if update.callback_query is not None:
                    await self._on_button(update.callback_query, update.update_id)
                elif update.message is not None:
                    await self._on_message(update.message, update.update_id)
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad update must not stop the channel
                log.exception("Telegram update %s (chat %s) failed", update.update_id, chat_id)
                if await self._turn_taken(chat_id, update.update_id):
                    return  # Rasa took it (an answer could not be sent): never a second turn
                if pause is None:
                    await self._tell(chat_id, "utter_telegram_failed", update)
                    return
                await self.sleep(pause)

    async def _turn_taken(self, chat_id: int, update_id: int) -> bool:
        """Whether Rasa's tracker holds the user message of this update (its turn was taken)."""
        store = getattr(self._agent, "tracker_store", None)
        if store is None:
            return False
        try:
            tracker = await store.retrieve(str(chat_id))
        except Exception:  # noqa: BLE001 - the tracker store is down: the turn was not stored
            log.warning("Telegram chat %s: could not read its tracker", chat_id)
            return False
        wanted = message_id(update_id)
        return tracker is not None and any(
            getattr(event, "message_id", None) == wanted for event in tracker.events
        )

    async def _tell(self, chat_id: int, response_name: str, update: Update) -> None:
        user = update.effective_user
        language = user.language_code if user and user.language_code in LANGUAGES else DEFAULT
        with contextlib.suppress(TelegramError):
            await self.output.send_response(
                str(chat_id), {"text": self._say(response_name, language)}
            )

    async def _on_message(self, message: Message, update_id: int) -> None:
        chat_id = message.chat.id
        metadata: dict[str, Any] = {}
        if message.text and message.text.startswith("/"):
            text = self._command(message.text)
        elif message.text:
            text = message.text
        elif message.location is not None:
            text = BARE_ANSWER
            metadata["location"] = {
                "lat": message.location.latitude, "lon": message.location.longitude,
            }
        elif message.photo:
            url = await self._keep_photo(message)
            if url is None:
                await self.output.send_response(
                    str(chat_id), {"text": self._say("utter_city_unavailable")}
                )
                return
            text = message.caption or BARE_ANSWER
            metadata["photo_url"] = url
        else:
            await self.output.send_response(
                str(chat_id), {"text": self._say("utter_telegram_unsupported")}
            )
            return
        await self._tell_rasa(message, text, metadata, update_id)

    def _command(self, text: str) -> str:
        """/start, /start <deep link>, /help, /stop, /language -> a payload of the domain."""
        word, _, param = text.partition(" ")
        command = word[1:].split("@", 1)[0].lower()
        if command == "start" and param.strip():
            return DEEP_LINKS.get(param.strip().lower(), COMMANDS["start"])
        return COMMANDS.get(command, COMMANDS["help"])

    async def _on_button(self, query: CallbackQuery, update_id: int) -> None:
        """Stop the spinner, retire the keyboard, and send the button's payload."""
        with contextlib.suppress(TelegramError):
            await query.answer()
        message = query.message
        if not isinstance(message, Message) or not query.data:
            return
        if not await self.ledger.claim_keyboard(message.chat.id, message.message_id, update_id):
            return  # this question was answered already
        payload = await self.ledger.payload(query.data)
        if payload is None:
            return
        title = pressed_title(message.reply_markup, query.data) or payload
        await self._retire_keyboard(message, title)
        await self._tell_rasa(message, payload, {}, update_id, user=query.from_user)

    async def _retire_keyboard(self, message: Message, title: str) -> None:
        chat_id = message.chat.id
        try:
            if message.text:
                try:
                    question = message.text_html
                except ValueError:  # formatting that does not fit the text (half an emoji)
                    question = to_html(message.text)
                await self.output.sender.send(chat_id, lambda: self.bot.edit_message_text(
                    answered_html(question, title),
                    chat_id=chat_id, message_id=message.message_id, parse_mode=ParseMode.HTML,
                ))
            else:
                await self.output.sender.send(chat_id, lambda: self.bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message.message_id, reply_markup=None,
                ))
        except TelegramError as exc:
            log.info("could not retire the keyboard of message %s: %s", message.message_id, exc)

    async def _keep_photo(self, message: Message) -> str | None:
        """Fetch the largest size from Telegram and store it where the city can read it."""
        try:
            file = await self.bot.get_file(message.photo[-1].file_id)
            data = bytes(await file.download_as_bytearray())
            async with self._http.post(
                self.settings.media_upload_url, data=data,
                headers={"Content-Type": "image/jpeg"},
            ) as resp:
                resp.raise_for_status()
                return str((await resp.json())["url"])
        except (TelegramError, aiohttp.ClientError, asyncio.TimeoutError, KeyError,
                ValueError) as exc:
            log.warning("photo from chat %s not kept: %s", message.chat.id, exc)
            return None

    async def _tell_rasa(
        self, message: Message, text: str, metadata: dict[str, Any], update_id: int,
        user: Any = None,
    ) -> None:
        user = user or message.from_user
        metadata["telegram"] = {
            "chat_id": message.chat.id,
            "message_id": message.message_id,
            "user_id": user.id if user else None,
            "language_code": user.language_code if user else None,
        }
        async with self._typing(message.chat.id):
            await self._on_new_message(UserMessage(
                text, self.output, str(message.chat.id),
                input_channel=self.name(), message_id=message_id(update_id), metadata=metadata,
            ))

    @contextlib.asynccontextmanager
    async def _typing(self, chat_id: int):  # noqa: ANN202
        """"typing..." in the chat until the turn (and any slow action) is over."""

        async def keep_typing() -> None:
            while True:
                with contextlib.suppress(TelegramError):
                    await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
                await asyncio.sleep(TYPING_EVERY)

        task = asyncio.ensure_future(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
