"""Logging in and out."""

from __future__ import annotations

from aiohttp import web

from bot.console import auth
from bot.console.audit import audit
from bot.console.pages import render
from bot.console.security import (
    COOKIE,
    LOGIN_PATH,
    clear_login_token,
    clear_session_cookie,
    current_staff,
    form_text,
    login_token,
    new_login_token,
    read_form,
    safe_next,
    set_login_token,
    set_session_cookie,
)
from bot.console.state import STAFF, STORE

routes = web.RouteTableDef()


def login_page(request: web.Request, *, name: str = "", next_path: str = "",
               failed: bool = False) -> web.Response:
    """The form, with a fresh (or the still valid) login token in it and in its cookie."""
    token = login_token(request) or new_login_token()
    page = render(request, "login.html", {
        "csrf_token": token, "name": name, "next": next_path, "failed": failed,
    })
    set_login_token(request, page, token)
    return page


@routes.get(LOGIN_PATH)
async def show_login(request: web.Request) -> web.Response:
    """The login form; someone already logged in goes where they were heading."""
    next_path = safe_next(request.query.get("next"))
    if request.get(STAFF) is not None:
        raise web.HTTPFound(next_path)
    return login_page(request, next_path=next_path)


@routes.post(LOGIN_PATH)
async def do_login(request: web.Request) -> web.Response:
    """Check the credentials; one generic answer for every failure, a new session on success."""
    form = await read_form(request)
    name, password = form_text(form, "name"), form_text(form, "password")
    next_path = safe_next(form_text(form, "next"))
    store = request.app[STORE]
    staff = await auth.login(store, name, password, request.remote or "")
    if staff is None:
        return login_page(request, name=name[:auth.MAX_NAME], next_path=next_path, failed=True)
    # A new token at every login: a session cookie planted before it is worth nothing.
    if old := request.cookies.get(COOKIE):
        await auth.end_session(store, old)
    token, _ = await auth.start_session(store, staff)
    await audit(store, staff, "login", staff.name, {"remote": request.remote or ""})
    redirect = web.HTTPFound(next_path)
    set_session_cookie(request, redirect, token)
    clear_login_token(redirect)
    raise redirect


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    """End the session on the server (the cookie stops working) and forget it in the browser."""
    store = request.app[STORE]
    staff = current_staff(request)
    await auth.end_session(store, request.cookies.get(COOKIE, ""))
    await audit(store, staff, "logout", staff.name)
    redirect = web.HTTPFound(LOGIN_PATH)
    clear_session_cookie(redirect)
    raise redirect
