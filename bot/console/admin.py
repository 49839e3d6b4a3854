"""Admin pages: the staff accounts and the audit log."""

from __future__ import annotations

from aiohttp import web

from bot.console.audit import recent_events
from bot.console.pages import render
from bot.console.security import require_role
from bot.console.staff import list_staff
from bot.console.state import STORE

routes = web.RouteTableDef()


@routes.get("/admin")
async def admin(request: web.Request) -> web.Response:
    """Staff and the newest audit events (admins only)."""
    require_role(request, "admin")
    store = request.app[STORE]
    return render(request, "admin.html", {
        "accounts": await list_staff(store),
        "events": await recent_events(store),
    })
