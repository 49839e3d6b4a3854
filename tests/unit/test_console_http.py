"""The staff console over HTTP: login, sessions, CSRF, roles, headers and escaping."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from bot import cli
from bot.config import Settings
from bot.console import auth
from bot.console.app import make_app
from bot.console.security import COOKIE, CSP, LOGIN_COOKIE
from bot.console.staff import add_staff
from bot.store import Store

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
GENERIC_FAILURE = "That name and password did not work."


def settings_in(var_dir: Path, **overrides) -> Settings:
    return Settings(var_dir=var_dir, console_secret="unit-test-secret", **overrides)


@pytest.fixture
async def console(aiohttp_client, store: Store, tmp_path: Path) -> TestClient:
    """The console on a loopback port with an admin, a reviewer and an operator."""
    await add_staff(store, "ada", "admin", PASSWORD)
    await add_staff(store, "rita", "reviewer", PASSWORD)
    await add_staff(store, "otto", "operator", PASSWORD)
    return await aiohttp_client(make_app(settings_in(tmp_path), store))


async def csrf_token(client: TestClient, path: str) -> str:
    resp = await client.get(path)
    assert resp.status == 200, path
    match = TOKEN.search(await resp.text())
    assert match and match.group(1), f"no CSRF token on {path}"
    return match.group(1)


async def log_in(client: TestClient, name: str, password: str = PASSWORD, next_path: str = ""):
    token = await csrf_token(client, "/login")
    return await client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": next_path},
        allow_redirects=False,
    )


def set_cookie(resp, name: str) -> str:
    headers = [h for h in resp.headers.getall("Set-Cookie", []) if h.startswith(f"{name}=")]
    assert len(headers) == 1, resp.headers.getall("Set-Cookie", [])
    return headers[0]


def assert_security_headers(resp) -> None:
    assert resp.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self';" in CSP and "frame-ancestors 'none'" in CSP
    assert "unsafe-inline" not in CSP
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"


# ---- logged out


async def test_a_logged_out_get_redirects_to_login_with_where_it_was_going(console) -> None:
    for path in ("/admin?tab=audit&page=2", "/conversations", "/no/such/page"):
        resp = await console.get(path, allow_redirects=False)
        assert resp.status == 302, path
        location = urlsplit(resp.headers["Location"])
        assert location.path == "/login" and parse_qs(location.query) == {"next": [path]}
    resp = await console.get("/", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/login"
    page = await (await console.get("/login?next=/admin")).text()
    assert 'name="next" value="/admin"' in page


async def test_a_logged_out_post_is_refused_without_a_redirect(console) -> None:
    resp = await console.post("/logout", data={"csrf_token": "x"}, allow_redirects=False)
    assert resp.status == 401
    assert "Your session has ended" in await resp.text()


async def test_the_login_page_and_static_files_carry_the_security_headers(console) -> None:
    resp = await console.get("/login")
    assert resp.status == 200
    assert_security_headers(resp)
    assert resp.headers["Cache-Control"] == "no-store"
    css = await console.get("/static/console.css")
    assert css.status == 200 and css.content_type == "text/css"
    assert_security_headers(css)
    for escape in ("/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2fapp.py"):
        resp = await console.get(URL(escape, encoded=True), allow_redirects=False)
        assert resp.status in (302, 403, 404), escape
        assert "make_app" not in await resp.text(), escape


# ---- logging in


async def test_a_wrong_password_and_an_unknown_name_get_the_same_generic_answer(console) -> None:
    for name, password in (("ada", "not her password"), ("nobody", PASSWORD)):
        resp = await log_in(console, name, password)
        assert resp.status == 200
        page = await resp.text()
        assert GENERIC_FAILURE in page
        assert not any(h.startswith(f"{COOKIE}=") for h in resp.headers.getall("Set-Cookie", []))
    assert (await console.get("/conversations", allow_redirects=False)).status == 302


async def test_logging_in_sets_an_httponly_strict_cookie_with_a_lifetime(console) -> None:
    resp = await log_in(console, "rita")
    assert resp.status == 302 and resp.headers["Location"] == "/conversations"
    cookie = set_cookie(resp, COOKIE)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert f"Max-Age={int(auth.SESSION_ABSOLUTE.total_seconds())}" in cookie
    assert "Path=/;" in cookie or cookie.endswith("Path=/")
    assert "Secure" not in cookie  # plain http on loopback by default
    page = await console.get("/conversations")
    assert page.status == 200
    text = await page.text()
    assert "rita" in text and "reviewer" in text and "citybot console" in text
    assert_security_headers(page)
    assert page.headers["Cache-Control"] == "no-store"


async def test_with_secure_cookies_on_the_session_cookie_is_secure(
    aiohttp_client, store, tmp_path
) -> None:
    await add_staff(store, "ada", "admin", PASSWORD)
    app = make_app(settings_in(tmp_path, console_secure_cookies=True), store)
    client = await aiohttp_client(app)
    login_page = await client.get("/login")
    assert "Secure" in set_cookie(login_page, LOGIN_COOKIE)
    # The test client's jar keeps Secure cookies off plain http: post the token by hand.
    token = TOKEN.search(await login_page.text()).group(1)
    raw = set_cookie(login_page, LOGIN_COOKIE).split(";")[0].split("=", 1)[1]
    resp = await client.post(
        "/login", data={"name": "ada", "password": PASSWORD, "csrf_token": token},
        headers={"Cookie": f"{LOGIN_COOKIE}={raw}"}, allow_redirects=False,
    )
    assert resp.status == 302
    assert "Secure" in set_cookie(resp, COOKIE)


async def test_a_same_site_next_path_is_honoured(console) -> None:
    resp = await log_in(console, "ada", next_path="/admin?tab=audit")
    assert resp.status == 302 and resp.headers["Location"] == "/admin?tab=audit"


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example/", "/\\evil.example", "///evil.example", "javascript:x",
])
async def test_an_offsite_next_is_ignored(console, target: str) -> None:
    page = await (await console.get("/login", params={"next": target})).text()
    assert "evil" not in page and "javascript" not in page
    resp = await log_in(console, "ada", next_path=target)
    assert resp.status == 302 and resp.headers["Location"] == "/conversations"


async def test_the_login_form_without_its_cookie_token_is_refused(console) -> None:
    resp = await console.post("/login", data={"name": "ada", "password": PASSWORD},
                              allow_redirects=False)
    assert resp.status == 403
    assert COOKIE not in "".join(resp.headers.getall("Set-Cookie", []))
    # The form's token without the cookie that signs it (another browser's form) fails too.
    token = await csrf_token(console, "/login")
    console.session.cookie_jar.clear()
    resp = await console.post("/login", data={"name": "ada", "password": PASSWORD,
                                              "csrf_token": token}, allow_redirects=False)
    assert resp.status == 403
    # So does a cookie someone made up without the server's key.
    resp = await console.post(
        "/login", data={"name": "ada", "password": PASSWORD, "csrf_token": "abc"},
        headers={"Cookie": f"{LOGIN_COOKIE}=abc.9999999999.{'0' * 64}"}, allow_redirects=False,
    )
    assert resp.status == 403
    assert (await console.get("/conversations", allow_redirects=False)).status == 302


async def test_five_wrong_passwords_lock_the_name_even_for_the_right_one(console) -> None:
    for _ in range(5):
        assert GENERIC_FAILURE in await (await log_in(console, "ada", "wrong password")).text()
    resp = await log_in(console, "ada")
    assert resp.status == 200 and GENERIC_FAILURE in await resp.text()
    assert (await console.get("/conversations", allow_redirects=False)).status == 302
    # Another account from the same address is not locked by one name's failures.
    assert (await log_in(console, "rita")).status == 302


async def test_a_logged_in_visit_to_login_goes_to_the_list(console) -> None:
    await log_in(console, "rita")
    resp = await console.get("/login", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/conversations"
    resp = await console.get("/", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/conversations"


# ---- CSRF and logging out


async def test_a_post_without_the_session_csrf_token_is_refused(console) -> None:
    await log_in(console, "rita")
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "guessed"}):
        resp = await console.post("/logout", data=data, allow_redirects=False)
        assert resp.status == 403, data
    resp = await console.post("/logout", headers={"X-CSRF-Token": "guessed"},
                              allow_redirects=False)
    assert resp.status == 403
    assert (await console.get("/conversations", allow_redirects=False)).status == 200


async def test_a_post_with_the_session_csrf_token_goes_through(console) -> None:
    await log_in(console, "rita")
    token = await csrf_token(console, "/conversations")
    resp = await console.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/login"


async def test_the_csrf_header_is_accepted_too(console) -> None:
    await log_in(console, "rita")
    token = await csrf_token(console, "/conversations")
    resp = await console.post("/logout", headers={"X-CSRF-Token": token}, allow_redirects=False)
    assert resp.status == 302


async def test_logging_out_ends_the_session_on_the_server(console) -> None:
    resp = await log_in(console, "rita")
    old_cookie = set_cookie(resp, COOKIE).split(";")[0]
    token = await csrf_token(console, "/conversations")
    await console.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    console.session.cookie_jar.clear()
    resp = await console.get("/conversations", headers={"Cookie": old_cookie},
                             allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"].startswith("/login")


# ---- roles


async def test_a_reviewer_cannot_open_admin_and_sees_no_admin_or_handoff_links(console) -> None:
    await log_in(console, "rita")
    resp = await console.get("/admin")
    assert resp.status == 403
    page = await resp.text()
    assert "not part of your role" in page
    assert_security_headers(resp)
    nav = await (await console.get("/conversations")).text()
    assert 'href="/admin"' not in nav and 'href="/handoffs"' not in nav
    assert 'href="/analytics"' in nav


async def test_an_operator_sees_handoffs_but_not_admin(console) -> None:
    await log_in(console, "otto")
    nav = await (await console.get("/conversations")).text()
    assert 'href="/handoffs"' in nav and 'href="/admin"' not in nav
    assert (await console.get("/admin")).status == 403


async def test_an_admin_sees_the_staff_list_and_the_audit_log(console) -> None:
    await log_in(console, "ada")
    resp = await console.get("/admin")
    assert resp.status == 200
    page = await resp.text()
    for name in ("ada", "rita", "otto"):
        assert f"<td>{name}</td>" in page
    assert "<code>login</code>" in page  # her own login, in the audit log
    assert 'href="/admin" aria-current="page"' in page


async def test_a_staff_name_with_markup_renders_as_text(console, store) -> None:
    name = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    await add_staff(store, name, "admin", PASSWORD)
    assert (await log_in(console, name)).status == 302
    for path in ("/conversations", "/admin"):
        page = await (await console.get(path)).text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
        assert "<script>" not in page and "<img src=x" not in page, path


# ---- client mistakes are 4xx, never 5xx


async def test_client_mistakes_get_friendly_4xx_pages(console) -> None:
    await log_in(console, "rita")
    missing = await console.get("/no/such/page")
    assert missing.status == 404 and "Nothing here" in await missing.text()
    assert_security_headers(missing)
    wrong_method = await console.get("/logout")
    assert wrong_method.status == 405
    form = "application/x-www-form-urlencoded"
    for body, content_type in (
        (b"csrf_token=\xff\xfe", form),
        (b"csrf_token=x", f"{form}; charset=no-such-charset"),
        (b"--b\r\nbroken", "multipart/form-data; boundary=b"),
        (b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nx',
         "multipart/form-data; boundary=b"),
    ):
        odd = await console.post("/logout", data=body, headers={"Content-Type": content_type})
        assert odd.status == 400, (body, content_type)
    assert (await console.get("/conversations", allow_redirects=False)).status == 200
    console.session.cookie_jar.clear()
    junk = await console.get("/conversations", headers={"Cookie": f"{COOKIE}={'x' * 4000}"},
                             allow_redirects=False)
    assert junk.status == 302


# ---- the command line


def test_the_command_keeps_what_it_writes_private(tmp_path, monkeypatch) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    monkeypatch.setenv("CITYBOT_VAR_DIR", str(var))
    monkeypatch.delenv("CITYBOT_DATABASE_URL", raising=False)
    monkeypatch.setenv(cli.STAFF_PASSWORD_ENV, PASSWORD)
    assert cli.main(["staff", "add", "anna", "--role", "reviewer"]) == 0
    assert var.stat().st_mode & 0o777 == 0o700  # an older, open var/ is closed
    assert (var / "citybot.db").stat().st_mode & 0o077 == 0  # the database: owner only
    umask = os.umask(0o077)
    assert umask == 0o077  # inherited by every process the command starts


def test_staff_accounts_from_the_command_line(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CITYBOT_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("CITYBOT_DATABASE_URL", raising=False)
    monkeypatch.setenv(cli.STAFF_PASSWORD_ENV, PASSWORD)
    assert cli.main(["staff", "add", "anna", "--role", "reviewer"]) == 0
    assert cli.main(["staff", "add", "boris", "--role", "operator"]) == 0
    capsys.readouterr()
    assert cli.main(["staff", "add", "anna", "--role", "admin"]) == 1
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setenv(cli.STAFF_PASSWORD_ENV, "short")
    assert cli.main(["staff", "add", "carla", "--role", "admin"]) == 1
    assert "at least 10" in capsys.readouterr().err
    assert cli.main(["staff", "disable", "boris"]) == 0
    assert cli.main(["staff", "disable", "nobody"]) == 1
    capsys.readouterr()
    assert cli.main(["staff", "list"]) == 0
    rows = [line.split("\t")[:3] for line in capsys.readouterr().out.splitlines()]
    assert rows == [["anna", "reviewer", "active"], ["boris", "operator", "disabled"]]

    async def logins() -> tuple[bool, bool]:
        store = await Store(f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}").ready()
        try:
            anna = await auth.login(store, "anna", PASSWORD, "127.0.0.1")
            boris = await auth.login(store, "boris", PASSWORD, "127.0.0.1")
            return anna is not None, boris is not None
        finally:
            await store.close()

    assert asyncio.run(logins()) == (True, False)
