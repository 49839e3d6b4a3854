"""Rendering a console page: the template plus what the layout needs on every page."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.console.conversations import NO_LANGUAGE
from bot.console.state import SESSION, STAFF

# A conversation's language as the console names it: each in its own words, as language menus do.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


def language_name(code: str | None) -> str:
    """A language code as the console shows it (English, Русский); "unknown" when never set."""
    if not code or code == NO_LANGUAGE:
        return "unknown"
    return LANGUAGE_NAMES.get(code, code)


def render(
    request: web.Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """``template`` with the staff member, their CSRF token and the path (for the nav)."""
    session = request.get(SESSION)
    return aiohttp_jinja2.render_template(
        template,
        request,
        {
            "staff": request.get(STAFF),
            "csrf_token": session.csrf_token if session is not None else "",
            "path": request.path,
            **(context or {}),
        },
        status=status,
    )
