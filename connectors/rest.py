"""Rasa's REST channel behind the Rasa API token: the way in for tests, the bench and scripts.

The stock ``rest`` channel answers anyone who can reach Rasa's port, and that port is published
for the widget and the Telegram webhook; a POST with ``"sender": "<a Telegram chat id>"`` or a web
chat session id spoke as that citizen. This channel keeps the same URL
(``/webhooks/rest/webhook``) and body, and takes a message only with the Rasa HTTP API token
(``Authorization: Bearer <token>`` or ``?token=``): whoever holds it can already write into any
conversation through Rasa's HTTP API, so the channel opens no door the token does not. A body that
is not one JSON object with a ``sender`` and a text ``message`` gets a 400 that says what is wrong,
never a 500. An optional ``message_id`` makes a retry safe: a message whose id the conversation
already holds is answered with what was said to it then, not handled again. A turn Rasa could not complete (its tracker store down) is answered with
``utter_internal_error`` in place of what it had said, since none of it was stored: the stock
channel answered ``[]``, or an answer the conversation does not hold.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import language
from bot import responses
from bot.config import Settings, load_settings
from bot.supervisor import rasa_token

log = logging.getLogger(__name__)

SENDER_CHARS = 128
MESSAGE_ID_CHARS = 128
# The caller's id of the message being handled (``message_id`` in the body, optional): a message
# sent again with the same id, after an answer that never arrived, is answered from the
# conversation and not handled twice (bot.rasa_fixes). Set while reading the request, read when
# the turn starts, in the same task.
_message_id: ContextVar[str | None] = ContextVar("rest_message_id", default=None)
# The longest text a channel sends (a Telegram message); the widget's limit is lower.
TEXT_CHARS = 4096


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status)


def _presented_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.args.get("token", "")


def refusal(request: Request, token: str) -> HTTPResponse | None:
    """Why ``request`` may not post a message (a response), or None when it may."""
    if not token:
        return _error(403, "rest_closed", "The REST channel is closed: no API token is set.")
    if not hmac.compare_digest(_presented_token(request).encode(), token.encode()):
        return _error(401, "unauthorized", "The REST channel needs the Rasa API token.")
    try:
        body: Any = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_request", "The body must be a JSON object.")
    if not isinstance(body, dict):
        return _error(400, "bad_request", "The body must be a JSON object.")
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > SENDER_CHARS:
        return _error(400, "bad_sender", f"sender must be text of 1 to {SENDER_CHARS} characters.")
    if not isinstance(message, str):
        return _error(400, "bad_message", "message must be text.")
    if len(message) > TEXT_CHARS:
        return _error(413, "bad_message", f"message is longer than {TEXT_CHARS} characters.")
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        return _error(400, "bad_request", "metadata must be a JSON object.")
    message_id = body.get("message_id")
    if message_id is not None and (
        not isinstance(message_id, str) or not 1 <= len(message_id) <= MESSAGE_ID_CHARS
    ):
        return _error(400, "bad_message_id",
                      f"message_id must be text of 1 to {MESSAGE_ID_CHARS} characters.")
    return None


class TokenRestInput(RestInput):
    """``rest`` with the Rasa API token required (credentials.yml: ``connectors.rest.TokenRestInput``)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        self._responses: responses.Variants = {}

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        return cls()

    def token(self) -> str:
        return rasa_token(self.settings or load_settings())

    async def _extract_sender(self, req: Request) -> str | None:
        message_id = req.json.get("message_id") if isinstance(req.json, dict) else None
        _message_id.set(message_id if isinstance(message_id, str) else None)
        return await super()._extract_sender(req)

    def _extract_input_channel(self, req: Request) -> str:
        # The channel is this one: a caller does not get to say it is Telegram.
        return self.name()

    async def _failed(self, message: UserMessage) -> None:
        """The turn failed and nothing of it was stored: say so, in place of what it said."""
        output = message.output_channel
        if isinstance(output, CollectingOutputChannel) and isinstance(output.messages, list):
            output.messages.clear()
        said = language.choose(None, message.text or "")
        await output.send_text_message(
            message.sender_id,
            responses.say(self._responses, responses.INTERNAL_ERROR, said)
            or responses.FALLBACK_APOLOGY,
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        async def turn(message: UserMessage) -> None:
            message.message_id = _message_id.get() or message.message_id
            try:
                await on_new_message(message)
            except Exception:  # noqa: BLE001 - told to the caller, never a silent 200 []
                log.exception("REST message of %s failed", message.sender_id)
                await self._failed(message)

        webhook = super().blueprint(turn)
        token = self.token()

        @webhook.listener("after_server_start")
        async def start(app: Any, _loop: Any) -> None:
            self._responses = responses.of_agent(getattr(app.ctx, "agent", None))

        @webhook.on_request
        async def guard(request: Request) -> HTTPResponse | None:
            if request.method == "POST":
                return refusal(request, token)
            return None

        return webhook
