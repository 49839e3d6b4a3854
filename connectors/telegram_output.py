"""What Rasa says, sent to a Telegram chat: HTML, split at 4096, buttons as inline keyboards."""

from __future__ import annotations

from typing import Any

from telegram import Bot, KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.constants import ParseMode

from connectors.output import WholeMessageOutput
from connectors.telegram_format import inline_keyboard, split_text, to_html
from connectors.telegram_send import Sender
from connectors.telegram_store import TelegramLedger


class TelegramOutput(WholeMessageOutput):
    """Sends Rasa's messages to a chat: HTML, split at 4096, buttons as inline keyboards."""

    # Answers go out as the turn runs. An update handled twice (a new leader's pick-up of one
    # another server is still handling, in webhook mode) waits for the first attempt under the
    # conversation's lock and then says nothing (bot.rasa_fixes).
    answers_again = False

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, bot: Bot, sender: Sender, ledger: TelegramLedger) -> None:
        self.bot = bot
        self.sender = sender
        self.ledger = ledger
        # Chats showing our "share my location" reply keyboard: the next plain message removes it.
        self._reply_keyboard: set[int] = set()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        chat_id = int(recipient_id)
        text = message.get("text") or ""
        buttons = message.get("buttons") or message.get("quick_replies") or []
        custom = message.get("custom") or {}
        markup: Any = None
        if buttons:
            markup = await inline_keyboard(buttons, self.ledger.callback_data)
        elif isinstance(custom, dict) and custom.get("request_location"):
            markup = ReplyKeyboardMarkup(
                [[KeyboardButton(str(custom["request_location"]), request_location=True)]],
                resize_keyboard=True,
                one_time_keyboard=True,
            )
            self._reply_keyboard.add(chat_id)
        elif chat_id in self._reply_keyboard:
            markup = ReplyKeyboardRemove()
            self._reply_keyboard.discard(chat_id)
        if message.get("image"):
            text = f"{text}\n\n{message['image']}".strip()
        pieces = split_text(text) or (["…"] if markup is not None else [])
        for number, piece in enumerate(pieces, start=1):
            await self.send_html(
                chat_id, to_html(piece), markup if number == len(pieces) else None
            )

    async def send_html(self, chat_id: int, html_text: str, markup: Any = None) -> Message:
        return await self.sender.send(
            chat_id,
            lambda: self.bot.send_message(
                chat_id, html_text, parse_mode=ParseMode.HTML, reply_markup=markup
            ),
        )
