"""A citizen on the city portal, in Debian's Chromium driven by Playwright.

One session starts the real stack (sandbox city, action server, Rasa with the web chat channel,
and the demo portal) on its own ports, and one headless Chromium (``/usr/bin/chromium``, put
there by ``make test``; Playwright never downloads a browser here). Each test gets a fresh
browser context: its own localStorage, so its own conversation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from tests.stack import Stack, stack_fixture

PORTS = {"rasa": 5305, "actions": 5355, "sandbox": 8381, "portal": 8380}
CHROMIUM = os.environ.get("CITYBOT_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
NEAR_TVERSKAYA = {"latitude": 55.7601, "longitude": 37.6186}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Chromium's own calls home fail on a machine without Internet; keep it quiet and quick.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

expect.set_options(timeout=30_000)


stack = stack_fixture(PORTS)


def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright (for a fixture to ``yield from``)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport=DESKTOP, geolocation=NEAR_TVERSKAYA, locale="en-GB",
        permissions=["geolocation"], reduced_motion="reduce",
    )
    yield context
    context.close()


# The widget's own words a test finds its controls by, in the page's language.
LABELS = {
    "en": {"launcher": "Open chat with the city assistant", "message": "Message"},
    "ru": {"launcher": "Открыть чат с городским помощником", "message": "Сообщение"},
}
PAGES = {"en": "/en/", "ru": "/"}


class Portal:
    """The portal page with the widget, seen through the controls a citizen uses.

    The English page unless ``language`` says otherwise (the portal's default is Russian).
    """

    def __init__(self, page: Page, stack: Stack, language: str = "en") -> None:
        self.page = page
        self.stack = stack
        self.language = language
        self.labels = LABELS[language]
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", lambda dialog: self.errors.append(f"dialog: {dialog.message}"))
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))

    def open(self) -> "Portal":
        self.page.goto(self.stack.portal + PAGES[self.language])
        expect(self.launcher).to_be_visible()
        return self

    @property
    def launcher(self) -> Locator:
        return self.page.get_by_role("button", name=self.labels["launcher"])

    @property
    def panel(self) -> Locator:
        return self.page.locator("#citybot-widget .cb-panel")

    @property
    def input(self) -> Locator:
        return self.page.get_by_role("textbox", name=self.labels["message"])

    @property
    def bot_messages(self) -> Locator:
        return self.page.locator("#citybot-widget .cb-msg.cb-bot")

    @property
    def user_messages(self) -> Locator:
        return self.page.locator("#citybot-widget .cb-msg.cb-user")

    def launch(self) -> None:
        """Open the panel by clicking the launcher and wait for the greeting."""
        self.launcher.click()
        expect(self.bot_messages.first).to_be_visible()

    def say(self, text: str) -> None:
        before = self.bot_messages.count()
        self.input.fill(text)
        self.input.press("Enter")
        self.wait_for_answer(before)

    def wait_for_answer(self, before: int) -> None:
        """Until the assistant has answered and the citizen's message is acknowledged."""
        expect(self.bot_messages).not_to_have_count(before)
        expect(self.page.locator("#citybot-widget .cb-msg.cb-pending")).to_have_count(0)

    def last_bot_text(self) -> str:
        return self.bot_messages.last.locator(".cb-text").inner_text()

    def press(self, title: str) -> None:
        before = self.bot_messages.count()
        self.bot_messages.last.get_by_role("button", name=title).click()
        self.wait_for_answer(before)

    def session(self) -> dict:
        return self.page.evaluate("JSON.parse(localStorage.getItem('citybot.session'))")


@pytest.fixture
def portal(context: BrowserContext, stack: Stack) -> Portal:
    return Portal(context.new_page(), stack).open()
