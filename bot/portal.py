"""The demo city portal (http://127.0.0.1:8080): a page that embeds the widget as a city would.

The city's own language first: ``/`` is the Russian page (``web/portal/index.html``), ``/en/``
the English one (``web/portal/en/index.html``); each links to the other and tells the widget its
language (``data-lang``, ``<html lang>``). ``__CITYBOT_WIDGET__`` and ``__CITYBOT_SERVER__`` in them
become the widget's URL and the channel's WebSocket URL (``Settings.webchat_url``), so the page
loads the widget from the assistant's origin, not its own: the same cross-origin set-up as a
real portal.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import ROOT, Settings

log = logging.getLogger(__name__)

PORTAL = ROOT / "web" / "portal"
# Path → (language, page): Russian by default, English beside it.
PAGES = {"/": ("ru", PORTAL / "index.html"), "/en/": ("en", PORTAL / "en" / "index.html")}
FILES = {"portal.css": "text/css", "favicon.svg": "image/svg+xml"}


def socket_url(http_url: str) -> str:
    """``ws://`` or ``wss://`` for the channel's ``http(s)://`` base."""
    scheme = "wss" if http_url.startswith("https://") else "ws"
    return f"{scheme}://{http_url.split('://', 1)[-1]}/ws"


def page(settings: Settings, path: str = "/") -> str:
    base = settings.webchat_url
    return (
        PAGES[path][1].read_text(encoding="utf-8")
        .replace("__CITYBOT_WIDGET__", f"{base}/widget.js")
        .replace("__CITYBOT_SERVER__", socket_url(base))
    )


def make_app(settings: Settings) -> web.Application:
    bot = urlsplit(settings.webchat_url)
    bot_origin = f"{bot.scheme}://{bot.netloc}"
    socket_origin = urlsplit(socket_url(settings.webchat_url))
    csp = "; ".join((
        "default-src 'self'",
        f"script-src 'self' {bot_origin}",
        f"style-src 'self' {bot_origin}",
        f"connect-src {socket_origin.scheme}://{socket_origin.netloc}",
        # Images in bot messages come from the city (any https host; the sandbox on loopback).
        f"img-src 'self' data: https: {bot_origin} http://127.0.0.1:*",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ))
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }

    # Read once: no file I/O on the event loop per request.
    pages = {path: page(settings, path) for path in PAGES}

    async def index(request: web.Request) -> web.Response:
        language = PAGES[request.path][0]
        return web.Response(text=pages[request.path], content_type="text/html", charset="utf-8",
                            headers={**headers, "Content-Language": language})

    async def asset(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(PORTAL / name, headers={
            "Content-Type": FILES[name], "Cache-Control": "public, max-age=300", **headers,
        })

    app = web.Application()

    async def favicon(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/favicon.svg")

    async def english(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/en/")

    for path in PAGES:
        app.router.add_get(path, index)
    app.router.add_get("/en", english)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/{name}", asset)
    return app


def run(settings: Settings) -> None:
    log.info("demo portal on http://127.0.0.1:%s (widget from %s)",
             settings.portal_port, settings.webchat_url)
    web.run_app(make_app(settings), host="127.0.0.1", port=settings.portal_port,
                print=None, access_log=None)


if __name__ == "__main__":
    from bot.config import load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run(load_settings())
