"""Calls of Rasa's own HTTP API (needs the server's auth token)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.config import Settings


async def append_events(
    settings: Settings, sender_id: str, events: list[dict[str, Any]], *,
    output_channel: str | None = None,
) -> None:
    """Add events to a conversation; with ``output_channel`` its bot messages are also sent
    through that channel ("latest": the one the citizen used last)."""
    from bot.supervisor import rasa_token

    params = {"token": rasa_token(settings)}
    if output_channel:
        params.update(output_channel=output_channel, execute_side_effects="true")
    async with aiohttp.ClientSession() as session, session.post(
        f"{settings.rasa_url}/conversations/{sender_id}/tracker/events",
        json=events, params=params, timeout=aiohttp.ClientTimeout(total=15),
    ) as resp:
        resp.raise_for_status()


async def resume_conversation(settings: Settings, sender_id: str) -> None:
    """Let the assistant answer this conversation again (after a handoff)."""
    # Listening again after the resume keeps the tracker well-formed for the policies
    # (the messages that came in while paused got no prediction).
    await append_events(
        settings, sender_id,
        [{"event": "resume"}, {"event": "slot", "name": "handoff_waiting", "value": None},
         {"event": "action", "name": "action_listen"}],
    )


async def pause_conversation(settings: Settings, sender_id: str) -> None:
    """The assistant goes quiet: an operator has taken the conversation. (Until then it keeps
    answering, so a citizen waiting for a person can go on or take the request back.)"""
    await append_events(settings, sender_id, [{"event": "pause"}])


async def say_as_operator(settings: Settings, sender_id: str, text: str, operator: str) -> None:
    """An operator's message to the citizen, on the channel they used last."""
    await append_events(
        settings, sender_id, [{"event": "bot", "text": text, "metadata": {"operator": operator}}],
        output_channel="latest",
    )


async def close_conversation(settings: Settings, sender_id: str, text: str, operator: str) -> None:
    """The operator's closing message to the citizen, then a restart: the pause ends with the
    rest of the state, and the citizen's next message opens a new session with the assistant."""
    await append_events(
        settings, sender_id,
        [{"event": "bot", "text": text, "metadata": {"operator": operator}},
         {"event": "restart"}],
        output_channel="latest",
    )


# ---- The notifier's calls (bot/notify): one session passed in, errors it can act on


class RasaApiError(Exception):
    """A call of Rasa's HTTP API that did not succeed.

    ``status`` and ``reason`` are Rasa's answer (``reason`` its error name, e.g.
    "ConversationError"), None and "" when it gave none. ``maybe_done``: the request may have
    reached Rasa and been carried out without our hearing back (a timeout, a dropped
    connection); False when Rasa answered an error or could not be reached at all.
    """

    def __init__(
        self, message: str, *, status: int | None = None, reason: str = "",
        maybe_done: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.maybe_done = maybe_done


def _conversation_url(settings: Settings, sender_id: str, tail: str) -> str:
    return f"{settings.rasa_url.rstrip('/')}/conversations/{quote(sender_id, safe='')}/{tail}"


async def _call(
    session: aiohttp.ClientSession, method: str, url: str, *, params: dict[str, str],
    json_body: Any = None, timeout: float,
) -> Any:
    """One call; its JSON answer, or :class:`RasaApiError` saying how it failed."""
    try:
        async with session.request(
            method, url, params=params, json=json_body,
            timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 5.0)),
        ) as resp:
            raw = await resp.read()
            status = resp.status
    except aiohttp.ClientConnectorError as exc:  # nothing reached Rasa
        raise RasaApiError(f"Rasa unreachable: {exc}") from exc
    except asyncio.TimeoutError as exc:
        raise RasaApiError(f"{method} {url}: no answer in {timeout:.0f} s",
                           maybe_done=True) from exc
    except aiohttp.ClientError as exc:  # sent, then the connection broke
        raise RasaApiError(f"{method} {url}: {exc}", maybe_done=True) from exc
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if 200 <= status < 300:
        return body
    info = body if isinstance(body, dict) else {}
    raise RasaApiError(str(info.get("message") or raw[:300].decode(errors="replace")),
                       status=status, reason=str(info.get("reason") or ""))


async def trigger_intent(
    settings: Settings, sender_id: str, intent: str, entities: dict[str, Any],
    output_channel: str | None, *, session: aiohttp.ClientSession, token: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Run ``intent`` in the conversation as if the citizen had said it (Rasa's external events),
    its answer sent through ``output_channel`` (None: the channel they used last), so it is a
    normal turn that the tracker keeps and the staff console shows. Returns Rasa's answer.

    Rasa 3.6 answers 404 "NotFound" for an intent the domain lacks, 401/403 for a wrong token,
    and 500 "ConversationError" when the channel failed to send, with the channel's exception
    in the message: Telegram's "Forbidden: bot was blocked by the user" arrives as
    "An unexpected error occurred. Error: Forbidden: bot was blocked by the user". On any error
    answer the turn is not stored. A channel name Rasa does not know gets a collecting channel:
    the turn is stored, nothing is pushed, and the answer carries ``messages``.
    """
    from bot.supervisor import rasa_token

    params = {"token": token or rasa_token(settings),
              "output_channel": output_channel or "latest"}
    body = {"name": intent,
            "entities": [{"entity": name, "value": value} for name, value in entities.items()]}
    answer = await _call(session, "POST", _conversation_url(settings, sender_id, "trigger_intent"),
                         params=params, json_body=body, timeout=timeout)
    return answer if isinstance(answer, dict) else {}


async def conversation_events(
    settings: Settings, sender_id: str, *, session: aiohttp.ClientSession,
    token: str | None = None, timeout: float = 30.0,
) -> list[dict[str, Any]]:
    """Every event of a conversation (all sessions), to see whether a turn we lost the answer
    to was stored after all."""
    from bot.supervisor import rasa_token

    answer = await _call(
        session, "GET", _conversation_url(settings, sender_id, "tracker"),
        params={"token": token or rasa_token(settings), "include_events": "ALL"}, timeout=timeout,
    )
    events = answer.get("events") if isinstance(answer, dict) else None
    return [e for e in events or [] if isinstance(e, dict)]
