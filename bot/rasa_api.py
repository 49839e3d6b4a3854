"""Rasa's own HTTP API, as a small typed client: :class:`RasaApi`.

One client per process, on one aiohttp session that the process owns (the console opens it in
its app's start-up and closes it at shutdown; the notifier shares its own session; the CLI opens
one for a command). Every failure is a :class:`RasaApiError` that says whether the request may
have been carried out all the same. The calls need the server's API token.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.config import Settings

TIMEOUT = 30.0


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


class RasaApi:
    """The calls citybot makes to Rasa: operators' steps, notifications, checks."""

    def __init__(self, base_url: str, token: str, session: aiohttp.ClientSession | None = None,
                 *, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session = session
        self._owned = session is None

    @classmethod
    def of(cls, settings: Settings, session: aiohttp.ClientSession | None = None, *,
           timeout: float = TIMEOUT) -> RasaApi:
        """The client for these settings' Rasa (through the balancer when there are several)."""
        from bot.supervisor import rasa_token

        return cls(settings.rasa_url, rasa_token(settings), session, timeout=timeout)

    async def __aenter__(self) -> RasaApi:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client opened it (a session given to it is the giver's)."""
        if self._owned and self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:  # made in the running loop, at first use
            self._session = aiohttp.ClientSession()
        return self._session

    # ---- the operator's steps (bot/console/handoffs.py, citybot handoff)

    async def append_events(self, sender_id: str, events: list[dict[str, Any]], *,
                            output_channel: str | None = None) -> None:
        """Add events to a conversation; with ``output_channel`` its bot messages are also sent
        through that channel ("latest": the one the citizen used last)."""
        params = {}
        if output_channel:
            params.update(output_channel=output_channel, execute_side_effects="true")
        await self._call("POST", sender_id, "tracker/events", params=params, json_body=events)

    async def resume(self, sender_id: str) -> None:
        """Let the assistant answer this conversation again (after a handoff)."""
        # Listening again after the resume keeps the tracker well-formed for the policies
        # (the messages that came in while paused got no prediction).
        await self.append_events(
            sender_id,
            [{"event": "resume"}, {"event": "slot", "name": "handoff_waiting", "value": None},
             {"event": "action", "name": "action_listen"}],
        )

    async def pause(self, sender_id: str) -> None:
        """The assistant goes quiet: an operator has taken the conversation. (Until then it keeps
        answering, so a citizen waiting for a person can go on or take the request back.)"""
        await self.append_events(sender_id, [{"event": "pause"}])

    async def say_as_operator(self, sender_id: str, text: str, operator: str) -> None:
        """An operator's message to the citizen, on the channel they used last."""
        await self.append_events(
            sender_id, [{"event": "bot", "text": text, "metadata": {"operator": operator}}],
            output_channel="latest",
        )

    async def close_conversation(self, sender_id: str, text: str, operator: str) -> None:
        """The operator's closing message to the citizen, then a restart: the pause ends with
        the rest of the state, and the citizen's next message opens a new session with the
        assistant."""
        await self.append_events(
            sender_id,
            [{"event": "bot", "text": text, "metadata": {"operator": operator}},
             {"event": "restart"}],
            output_channel="latest",
        )

    # ---- the notifier's calls (bot/notify)

    async def trigger_intent(self, sender_id: str, intent: str, entities: dict[str, Any],
                             output_channel: str | None) -> dict[str, Any]:
        """Run ``intent`` in the conversation as if the citizen had said it (Rasa's external
        events), its answer sent through ``output_channel`` (None: the channel they used last),
        so it is a normal turn that the tracker keeps and the staff console shows. Returns
        Rasa's answer.

        Rasa 3.6 answers 404 "NotFound" for an intent the domain lacks, 401/403 for a wrong
        token, and 500 "ConversationError" when the channel failed to send, with the channel's
        exception in the message: Telegram's "Forbidden: bot was blocked by the user" arrives as
        "An unexpected error occurred. Error: Forbidden: bot was blocked by the user". On any
        error answer the turn is not stored. A channel name Rasa does not know gets a collecting
        channel: the turn is stored, nothing is pushed, and the answer carries ``messages``.
        """
        body = {"name": intent,
                "entities": [{"entity": name, "value": value}
                             for name, value in entities.items()]}
        answer = await self._call("POST", sender_id, "trigger_intent",
                                  params={"output_channel": output_channel or "latest"},
                                  json_body=body)
        return answer if isinstance(answer, dict) else {}

    async def conversation_events(self, sender_id: str) -> list[dict[str, Any]]:
        """Every event of a conversation (all sessions), to see whether a turn we lost the
        answer to was stored after all."""
        answer = await self._call("GET", sender_id, "tracker",
                                  params={"include_events": "ALL"})
        events = answer.get("events") if isinstance(answer, dict) else None
        return [e for e in events or [] if isinstance(e, dict)]

    # ----

    async def _call(self, method: str, sender_id: str, tail: str, *, params: dict[str, str],
                    json_body: Any = None) -> Any:
        """One call; its JSON answer, or :class:`RasaApiError` saying how it failed."""
        url = f"{self.base_url}/conversations/{quote(sender_id, safe='')}/{tail}"
        timeout = self.timeout
        try:
            async with self.session.request(
                method, url, params={"token": self.token, **params}, json=json_body,
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
