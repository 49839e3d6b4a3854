"""The console's pages for everyone logged in: the start page and the conversations list."""

from __future__ import annotations

from aiohttp import web

from bot.console.pages import render
from bot.console.security import HOME

routes = web.RouteTableDef()


@routes.get("/")
async def home(_: web.Request) -> web.Response:
    """Straight to the list (the session middleware already sent anyone else to /login)."""
    raise web.HTTPFound(HOME)


@routes.get("/conversations")
async def conversations(request: web.Request) -> web.Response:
    """The conversations list (its data comes with bot/console/conversations.py)."""
    return render(request, "conversations.html")
