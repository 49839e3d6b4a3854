"""The demo portal: the widget embedded from the assistant's origin, under a strict CSP."""

from __future__ import annotations

from dataclasses import replace

from bot.config import load_settings
from bot.portal import make_app, socket_url


async def test_the_page_embeds_the_widget_from_the_channel(aiohttp_client) -> None:  # noqa: ANN001
    settings = replace(load_settings(), rasa_url="http://127.0.0.1:5999", webchat_public_url="")
    client = await aiohttp_client(make_app(settings))
    resp = await client.get("/")
    assert resp.status == 200
    page = await resp.text()
    assert '<script src="http://127.0.0.1:5999/webhooks/webchat/widget.js"' in page
    assert 'data-server="ws://127.0.0.1:5999/webhooks/webchat/ws"' in page
    assert "__CITYBOT" not in page
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self' http://127.0.0.1:5999;" in csp
    assert "connect-src ws://127.0.0.1:5999" in csp and "unsafe-inline" not in csp
    assert (await client.get("/portal.css")).status == 200
    icon = await client.get("/favicon.ico", allow_redirects=False)
    assert icon.status == 301 and icon.headers["Location"] == "/favicon.svg"
    for missing in ("/index.html", "/en/index.html", "/ru/", "/secret.py", "/..%2Fbot%2Fconfig.py"):
        assert (await client.get(missing)).status == 404, missing


def test_socket_url_follows_the_scheme() -> None:
    assert socket_url("https://bot.city.example/webhooks/webchat") == (
        "wss://bot.city.example/webhooks/webchat/ws"
    )
    assert socket_url("http://127.0.0.1:5005/webhooks/webchat") == (
        "ws://127.0.0.1:5005/webhooks/webchat/ws"
    )


async def test_russian_by_default_english_beside_it(aiohttp_client) -> None:  # noqa: ANN001
    """The city's language first; each page tells the widget its language and links to the other."""
    settings = replace(load_settings(), rasa_url="http://127.0.0.1:5999", webchat_public_url="")
    client = await aiohttp_client(make_app(settings))
    russian, english = await client.get("/"), await client.get("/en/")
    assert russian.headers["Content-Language"] == "ru" and english.headers["Content-Language"] == "en"
    ru, en = await russian.text(), await english.text()
    assert '<html lang="ru">' in ru and 'data-lang="ru"' in ru and "Сообщить о проблеме" in ru
    assert '<html lang="en">' in en and 'data-lang="en"' in en and "Report a problem" in en
    assert '<a href="/en/" hreflang="en" lang="en">English</a>' in ru
    assert '<a href="/" hreflang="ru" lang="ru">Русский</a>' in en
    for text in (ru, en):
        assert "__CITYBOT" not in text and 'href="/portal.css"' in text
    assert "Report" not in ru and "Сообщить" not in en  # nothing of the other language leaks in
    moved = await client.get("/en", allow_redirects=False)
    assert moved.status == 301 and moved.headers["Location"] == "/en/"
