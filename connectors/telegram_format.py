"""Rasa's messages in Telegram's shape: escaped HTML, pieces of at most 4096 characters, keyboards."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units of the text after parsing


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_html(text: str) -> str:
    """Plain text that Telegram's HTML parse mode shows exactly as written."""
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most ``limit`` characters, cut between paragraphs where possible.

    A paragraph longer than the limit is cut between lines, a line between words, and a
    single overlong word anywhere.
    """
    text = text.strip()
    if utf16_len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    _pack(text.split("\n\n"), "\n\n", limit, pieces)
    # A blank stretch where the text is cut would be a message of its own: Telegram refuses it.
    return [piece for piece in pieces if piece.strip()]


def _pack(parts: Iterable[str], separator: str, limit: int, out: list[str]) -> None:
    current = ""
    for part in parts:
        candidate = f"{current}{separator}{part}" if current else part
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
            current = ""
        if utf16_len(part) <= limit:
            current = part
        else:
            out.extend(_cut(part, separator, limit))
    if current:
        out.append(current)


SEPARATORS = ("\n\n", "\n", " ")  # paragraphs, lines, words


def _cut(part: str, separator: str, limit: int) -> list[str]:
    """An overlong paragraph: by lines, then by words, then by characters."""
    for finer in SEPARATORS[SEPARATORS.index(separator) + 1:]:
        if finer in part:
            pieces: list[str] = []
            _pack(part.split(finer), finer, limit, pieces)
            return pieces
    pieces = []
    while part:
        size = limit
        while utf16_len(part[:size]) > limit:
            size -= 1
        pieces.append(part[:size])
        part = part[size:]
    return pieces


async def inline_keyboard(
    buttons: list[dict], callback_data: Callable[[str], Awaitable[str]]
) -> InlineKeyboardMarkup:
    """One button a row (titles are sentences); each payload fitted into callback_data."""
    rows = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "")
        payload = str(button.get("payload") or title)
        rows.append([InlineKeyboardButton(title, callback_data=await callback_data(payload))])
    return InlineKeyboardMarkup(rows)


def pressed_title(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """The title of the button whose callback_data is ``data``."""
    for row in (markup.inline_keyboard if markup else ()):
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def answered_html(question_html: str, title: str) -> str:
    """The question with the citizen's choice under it, in place of the keyboard."""
    return f"{question_html}\n\n✓ <i>{to_html(title)}</i>"
