"""The console's gates: who is logged in, a CSRF token on every change, headers, error pages.

Middlewares, outermost first: ``errors`` turns any failure into a calm page (a client mistake
is a 4xx, never a 5xx); ``sessions`` lets only ``/login`` and ``/static/`` through without a
live session; ``csrf`` refuses every state-changing request without the right token.
``security_headers`` runs as the response is prepared, so redirects, errors and static files
get the headers too.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

from bot.console.auth import SESSION_ABSOLUTE, find_session
from bot.console.pages import render
from bot.console.state import SECRET, SESSION, SETTINGS, STAFF, STORE
from bot.store import Staff

log = logging.getLogger(__name__)

COOKIE = "citybot_console"
LOGIN_COOKIE = "citybot_console_login"
LOGIN_PATH = "/login"
STATIC_PREFIX = "/static/"
HOME = "/conversations"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# How long a login form stays usable.
LOGIN_TOKEN_SECONDS = 3600

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class CsrfFailed(web.HTTPForbidden):
    problem = "csrf"


class RoleRequired(web.HTTPForbidden):
    problem = "role"


class SessionRequired(web.HTTPUnauthorized):
    problem = "session"


def require_role(request: web.Request, *roles: str) -> Staff:
    """The logged-in staff member if their role is one of ``roles``; a friendly 403 otherwise."""
    staff = request.get(STAFF)
    if staff is None or staff.role not in roles:
        raise RoleRequired()
    return staff


def current_staff(request: web.Request) -> Staff:
    return request[STAFF]


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site, else the conversations list (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return HOME
    # Browsers read "/\evil.example" as "//evil.example"; control characters split headers.
    if any(not 0x21 <= ord(ch) <= 0x7E or ch == "\\" for ch in value):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path == LOGIN_PATH:
        return HOME
    return value


def login_url(request: web.Request) -> str:
    """The login page, remembering where the request was going (nothing to remember for /)."""
    if request.rel_url.path == "/" and not request.rel_url.query_string:
        return LOGIN_PATH
    return f"{LOGIN_PATH}?{urlencode({'next': str(request.rel_url)})}"


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        COOKIE, token,
        max_age=int(SESSION_ABSOLUTE.total_seconds()), path="/", httponly=True,
        samesite="Strict", secure=request.app[SETTINGS].console_secure_cookies or None,
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")


# ---- the login form's token: double-submit, the cookie signed so no one else can plant it


def _signature(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def login_token(request: web.Request) -> str | None:
    """The token of a valid login cookie on this request, or None."""
    nonce, _, rest = request.cookies.get(LOGIN_COOKIE, "").partition(".")
    issued, _, signature = rest.partition(".")
    if not nonce or not issued.isdigit():
        return None
    expected = _signature(request.app[SECRET], f"{nonce}.{issued}")
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    if not 0 <= time.time() - int(issued) <= LOGIN_TOKEN_SECONDS:
        return None
    return nonce


def set_login_token(request: web.Request, response: web.StreamResponse, nonce: str) -> None:
    """Send (or renew) the login cookie carrying ``nonce``, the form's hidden token."""
    issued = str(int(time.time()))
    value = f"{nonce}.{issued}.{_signature(request.app[SECRET], f'{nonce}.{issued}')}"
    response.set_cookie(
        LOGIN_COOKIE, value,
        max_age=LOGIN_TOKEN_SECONDS, path=LOGIN_PATH, httponly=True, samesite="Strict",
        secure=request.app[SETTINGS].console_secure_cookies or None,
    )


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def clear_login_token(response: web.StreamResponse) -> None:
    response.del_cookie(LOGIN_COOKIE, path=LOGIN_PATH)


# ---- middlewares


@web.middleware
async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every 4xx and 5xx as a page in the console's layout; unexpected failures logged."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        page = render(
            request, "error.html",
            {"status": exc.status, "problem": getattr(exc, "problem", ""),
             "detail": getattr(exc, "detail", "")}, status=exc.status,
        )
        if "Allow" in exc.headers:
            page.headers["Allow"] = exc.headers["Allow"]
        return page
    except Exception:
        log.exception("console failed on %s %s", request.method, request.path)
        return render(request, "error.html", {"status": 500, "problem": "", "detail": ""},
                      status=500)


@web.middleware
async def sessions(request: web.Request, handler: Any) -> web.StreamResponse:
    """Find the session of the cookie; without one only the login page and static files open."""
    if request.path.startswith(STATIC_PREFIX):
        return await handler(request)
    token = request.cookies.get(COOKIE, "")
    found = await find_session(request.app[STORE], token) if token else None
    if found is not None:
        request[SESSION], request[STAFF] = found
    elif request.path != LOGIN_PATH:
        if request.method in ("GET", "HEAD"):
            redirect = web.HTTPFound(login_url(request))
            if token:
                clear_session_cookie(redirect)
            raise redirect
        raise SessionRequired()
    return await handler(request)


async def read_form(request: web.Request) -> MultiDictProxy:
    """The posted form (parsed once, then cached by aiohttp); a malformed body is a 400."""
    try:
        return await request.post()
    # Bad bytes for the charset, an unknown charset, broken multipart headers, and a multipart
    # body cut short (aiohttp 3.9 asserts on that one).
    except (ValueError, LookupError, HttpProcessingError, AssertionError) as exc:
        raise web.HTTPBadRequest() from exc


def form_text(form: MultiDictProxy, name: str) -> str:
    """A text field of the form ("" if missing or a file)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


async def _sent_token(request: web.Request) -> str:
    header = request.headers.get("X-CSRF-Token")
    if header is not None:
        return header
    return form_text(await read_form(request), "csrf_token")


@web.middleware
async def csrf(request: web.Request, handler: Any) -> web.StreamResponse:
    """A state-changing request must carry its session's token (the login form: its cookie's)."""
    if request.method in UNSAFE_METHODS:
        if request.path == LOGIN_PATH:
            expected = login_token(request) or ""
        else:
            expected = request[SESSION].csrf_token
        sent = await _sent_token(request)
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise CsrfFailed()
    return await handler(request)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(HEADERS)
    # Pages show citizens' messages: never kept by a browser or a proxy. Static files revalidate.
    static = request.path.startswith(STATIC_PREFIX)
    response.headers["Cache-Control"] = "no-cache" if static else "no-store"
