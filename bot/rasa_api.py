"""Calls of Rasa's own HTTP API (needs the server's auth token)."""

from __future__ import annotations

import aiohttp

from bot.config import Settings


async def resume_conversation(settings: Settings, sender_id: str) -> None:
    """Let the assistant answer this conversation again (after a handoff)."""
    from bot.supervisor import rasa_token

    url = f"{settings.rasa_url}/conversations/{sender_id}/tracker/events"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url,
            # Listening again after the resume keeps the tracker well-formed for the policies
            # (the messages that came in while paused got no prediction).
            json=[{"event": "resume"}, {"event": "action", "name": "action_listen"}],
            params={"token": rasa_token(settings)},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as resp:
            resp.raise_for_status()
