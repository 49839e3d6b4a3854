"""Calls of Rasa's own HTTP API (needs the server's auth token)."""

from __future__ import annotations

from typing import Any

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
