"""A citizen on the demo portal talks to citybot through the widget, in a real Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.web.conftest import AXE, PHONE, Portal
from tests.stack import Stack

DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"


def focused_label(page: Page) -> str:
    """The accessible label (or class) of whatever has the keyboard focus, inside the widget too."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        return el ? (el.getAttribute('aria-label') || el.className || el.tagName) : '';
    }""")


def tab_to(page: Page, label: str, presses: int = 60) -> None:
    for _ in range(presses):
        if focused_label(page) == label:
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {label!r}")


def post_bot_message(stack: Stack, session_id: str, text: str) -> None:
    """What an operator's reply does: a bot event sent through the conversation's channel."""
    requests.post(
        f"{stack.rasa}/conversations/{session_id}/tracker/events",
        params={"token": stack.token, "output_channel": "latest", "execute_side_effects": "true"},
        json=[{"event": "bot", "text": text}],
        timeout=30,
    ).raise_for_status()


def test_keyboard_only_pothole_report_with_buttons(portal: Portal, stack: Stack) -> None:
    page = portal.page
    tab_to(page, "Open chat with the city assistant")
    page.keyboard.press("Enter")
    expect(portal.panel).to_be_visible()
    expect(portal.bot_messages.first).to_contain_text("I'm citybot")
    assert focused_label(page) == "Message" or "cb-input" in focused_label(page)

    # Buttons are reachable and pressed with the keyboard.
    report = portal.bot_messages.first.get_by_role("button", name="Report a problem")
    report.focus()
    before = portal.bot_messages.count()
    page.keyboard.press("Enter")
    portal.wait_for_answer(before)
    expect(report).to_be_disabled()  # a used button cannot be pressed again
    assert "What kind of problem" in portal.last_bot_text()

    portal.press("Pothole")
    assert "Where is it?" in portal.last_bot_text()
    expect(portal.bot_messages.last.get_by_role("button", name=re.compile("Share my location"))
           ).to_be_visible()
    portal.say("Tverskaya 12")
    assert "How big is the pothole?" in portal.last_bot_text()
    portal.press("Up to a car wheel")
    portal.say("Deep pothole by the bus stop")
    assert "Deep pothole by the bus stop" in portal.last_bot_text()
    portal.press("Yes, send it")
    receipt = portal.bot_messages.filter(has_text="request number")
    expect(receipt).to_have_count(1)
    filed = receipt.locator(".cb-text").inner_text()
    request_id = filed.split("request number ")[1][:6]
    request = stack.open311(f"requests/{request_id}.json").json()[0]
    assert request["service_code"] == "pothole"
    assert "Tverskaya" in request["address"]
    # The citizen's turns show with times; Esc closes and gives focus back to the launcher.
    expect(portal.user_messages.locator(".cb-text", has_text=re.compile("^Pothole$"))
           ).to_have_count(1)
    expect(portal.user_messages.last.locator("time")).to_have_text(re.compile(r"\d\d:\d\d"))
    page.keyboard.press("Escape")
    expect(portal.panel).to_be_hidden()
    assert focused_label(page) == "Open chat with the city assistant"
    assert portal.errors == []


def test_a_russian_citizen_on_the_russian_page_files_a_pothole(
    context: BrowserContext, stack: Stack
) -> None:
    """The portal's default page is Russian: the widget, the greeting, the buttons and the
    city's own questions are Russian, and the request reaches the city in the citizen's words."""
    portal = Portal(context.new_page(), stack, language="ru").open()
    portal.launch()
    expect(portal.input).to_have_attribute("placeholder", "Напишите вопрос…")
    expect(portal.page.get_by_role("button", name="Закрыть чат")).to_be_visible()
    expect(portal.bot_messages.first).to_contain_text("Я citybot")
    expect(portal.bot_messages.first.get_by_role("button", name="Сообщить о проблеме")).to_be_visible()

    portal.say("на Тверской 12 яма прямо у подъезда")
    assert "Какого размера яма?" in portal.last_bot_text()
    portal.press("Примерно с колесо автомобиля")
    portal.say("глубокая яма у остановки, машины объезжают по встречке")
    assert "Отправить его в город?" in portal.last_bot_text()
    portal.press("Да, отправить")
    receipt = portal.bot_messages.filter(has_text="номер заявки")
    expect(receipt).to_have_count(1)
    request_id = re.search(r"\d{6}", receipt.locator(".cb-text").inner_text()).group()
    request = stack.open311(f"requests/{request_id}.json").json()[0]
    assert request["service_code"] == "pothole"
    assert "глубокая яма у остановки" in request["description"]
    assert portal.session()["session_id"]
    assert portal.errors == []


def test_history_survives_a_reload(portal: Portal) -> None:
    portal.launch()
    portal.say("When is the hot water back on Tverskaya 12?")
    said = portal.bot_messages.count()
    session = portal.session()
    portal.page.reload()
    portal.launcher.click()
    expect(portal.user_messages.filter(has_text="hot water back")).to_have_count(1)
    expect(portal.bot_messages).to_have_count(said)
    assert portal.session()["session_id"] == session["session_id"]  # the same conversation


def test_location_from_the_browser_finds_the_nearest_office(portal: Portal) -> None:
    portal.launch()
    portal.press("Nearest service centre")
    assert "Where are you?" in portal.last_bot_text()
    before = portal.bot_messages.count()
    portal.page.get_by_role("button", name="Share my location").last.click()
    portal.wait_for_answer(before)
    expect(portal.bot_messages.filter(has_text="The nearest public service centre to you")
           ).to_have_count(1)
    expect(portal.user_messages.last).to_contain_text("Location shared")


def test_markup_from_the_server_is_shown_as_text(portal: Portal, stack: Stack) -> None:
    portal.launch()
    portal.say(XSS)  # the citizen's own text, echoed back in the transcript
    post_bot_message(stack, portal.session()["session_id"],
                     f"{XSS} and <b>bold</b> see https://example.org/page?a=1&b=2")
    reply = portal.bot_messages.filter(has_text="onerror")
    expect(reply).to_have_count(1)
    assert reply.locator(".cb-text").inner_text().startswith(XSS)
    assert portal.page.locator("#citybot-widget img[src='x']").count() == 0
    assert portal.page.locator("#citybot-widget b").count() == 0
    link = reply.get_by_role("link")
    expect(link).to_have_attribute("href", "https://example.org/page?a=1&b=2")
    expect(link).to_have_attribute("rel", re.compile("noopener"))
    expect(portal.user_messages.filter(has_text=XSS)).to_have_count(1)
    assert portal.errors == []  # no alert() ran


def test_a_notification_reaches_the_open_widget_and_a_closed_one_later(
    context: BrowserContext, stack: Stack
) -> None:
    portal = Portal(context.new_page(), stack).open()
    portal.launch()
    session = portal.session()["session_id"]
    post_bot_message(stack, session, "Your request 123456 has been closed: the pothole is fixed.")
    expect(portal.bot_messages.filter(has_text="pothole is fixed")).to_have_count(1)
    expect(portal.page.locator("#citybot-widget .cb-announcer")).to_contain_text("pothole is fixed")

    portal.page.close()  # the citizen left; the city writes again
    post_bot_message(stack, session, "A planned outage starts tomorrow at 10:00.")
    later = Portal(context.new_page(), stack).open()
    badge = later.page.locator("#citybot-widget .cb-badge")
    expect(badge).to_have_text(re.compile("1"))
    later.launcher.click()
    expect(later.bot_messages.filter(has_text="A planned outage starts")).to_have_count(1)


@pytest.mark.parametrize(("language", "button"), [("en", "Report a problem"),
                                                    ("ru", "Сообщить о проблеме")])
def test_accessibility_scan_is_clean(
    context: BrowserContext, stack: Stack, language: str, button: str
) -> None:
    """axe on each language's page with the widget open, in that language: no violation of any
    impact (minor ones included)."""
    portal = Portal(context.new_page(), stack, language=language).open()
    portal.launch()
    portal.press(button)
    # Evaluated, not added as a <script>: the portal's Content-Security-Policy forbids inline code.
    portal.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    results = portal.page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}));
    }""")
    assert results == [], json.dumps(results, indent=1, ensure_ascii=False)


def test_screenshots_desktop_and_phone(context: BrowserContext, stack: Stack) -> None:
    """Saved into docs/ for people to look at (and checked to be what a citizen sees)."""
    DOCS.mkdir(parents=True, exist_ok=True)
    portal = Portal(context.new_page(), stack).open()
    portal.launch()
    portal.press("Report a problem")
    portal.press("Pothole")
    portal.page.screenshot(path=str(DOCS / "widget-desktop.png"))
    phone = context.browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                        has_touch=True, color_scheme="dark")
    try:
        page = Portal(phone.new_page(), stack).open()
        page.launch()
        page.press("Nearest service centre")
        box = page.panel.bounding_box()
        assert box and box["width"] >= PHONE["width"] - 1  # full screen on a phone
        page.page.screenshot(path=str(DOCS / "widget-phone-dark.png"))
    finally:
        phone.close()


def test_the_widget_reconnects_after_a_rasa_restart_and_nothing_is_lost(
    portal: Portal, stack: Stack
) -> None:
    portal.launch()
    portal.say("hello")
    stack.stop_process("rasa")
    expect(portal.panel).to_have_attribute("data-state", "offline")
    expect(portal.page.locator("#citybot-widget .cb-status")).to_contain_text("reconnecting")
    # Written while offline: kept, shown as sending, delivered after the reconnect.
    portal.input.fill("I want to report a problem")
    portal.input.press("Enter")
    expect(portal.page.locator("#citybot-widget .cb-msg.cb-pending")).to_have_count(1)
    stack.start_process("rasa")
    expect(portal.panel).to_have_attribute("data-state", "online", timeout=90_000)
    expect(portal.bot_messages.filter(has_text="What kind of problem")).to_have_count(1)
    expect(portal.page.locator("#citybot-widget .cb-msg.cb-pending")).to_have_count(0)
    expect(portal.user_messages.filter(has_text="I want to report a problem")).to_have_count(1)
    portal.press("Pothole")
    assert "Where is it?" in portal.last_bot_text()


def test_traffic_fines_with_payment_links_and_the_keep_buttons(portal: Portal, stack: Stack) -> None:
    portal.launch()
    portal.say("do I have unpaid traffic fines?")
    assert "registration certificate" in portal.last_bot_text()
    portal.say("77 УВ 123456")
    city = stack.city_api("fines", vehicle_certificate="77УВ123456").json()
    listing = portal.bot_messages.filter(has_text="unpaid fines")
    expect(listing).to_have_count(1)
    for fine in city["items"]:  # each payment page is a link the citizen can open
        expect(listing.get_by_role("link", name=fine["payment_url"])).to_have_count(1)
    portal.press("No, thanks")
    assert "not kept the number" in portal.last_bot_text()
    assert portal.errors == []


def test_a_gp_booked_with_the_slot_and_yes_buttons(portal: Portal, stack: Stack) -> None:
    from bot.sandbox.clinics import policy_of  # the sandbox's 56th seeded patient: this test's

    policy = policy_of(56)
    for made in stack.city_api("appointments", policy_number=policy).json()["items"]:
        requests.delete(f"{stack.sandbox}/api/v1/appointments/{made['id']}",
                        params={"policy_number": policy}, timeout=10).raise_for_status()
    portal.launch()
    portal.say("I need an appointment with a GP")
    assert "policy number" in portal.last_bot_text()
    portal.say(policy)
    slots = portal.bot_messages.last.get_by_role("button")
    expect(slots).to_have_count(6)
    latest = slots.last.inner_text().strip()  # no slot begins while the test presses it
    portal.press(latest)
    assert "Shall I book this appointment?" in portal.last_bot_text()
    portal.press("Yes, book it")
    [appointment] = stack.city_api("appointments", policy_number=policy).json()["items"]
    assert appointment["doctor"] in latest
    expect(portal.bot_messages.filter(has_text="you are booked")).to_have_count(1)
    expect(portal.bot_messages.filter(has_text=f"room {appointment['room']}")).not_to_have_count(0)
    portal.press("No, thanks")
    assert "not kept the policy number" in portal.last_bot_text()
    assert portal.errors == []


def test_a_new_fine_arrives_in_the_open_widget_unasked_and_stays_in_its_history(
    context: BrowserContext, stack: Stack
) -> None:
    """Service 8 in the widget: subscribed with the buttons, the city fines the vehicle, the
    notifier (run here on an injected clock, at noon) tells the open widget; the news shows as
    the assistant speaking first, never as something the citizen wrote, also after a reload."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from bot.sandbox.fines_seed import NEVER_FINED
    from bot.vehicles import shown_certificate

    portal = Portal(context.new_page(), stack).open()
    portal.launch()
    portal.say("let me know when my car gets a new traffic fine")
    assert "registration certificate" in portal.last_bot_text()
    portal.say(shown_certificate(NEVER_FINED))
    portal.press("Yes, subscribe")
    assert "Done" in portal.last_bot_text()
    fined = requests.post(f"{stack.sandbox}/sandbox/fines",
                          json={"vehicle_certificate": NEVER_FINED}, timeout=10)
    assert fined.status_code == 201, fined.text
    offence = fined.json()["offence"]
    zone = ZoneInfo(stack.settings().city_timezone)
    noon = datetime.combine(stack.settings().city_today() + timedelta(days=1), time(12), zone)
    said_before = portal.user_messages.count()
    try:
        stack.notify(noon)
        expect(portal.bot_messages.filter(has_text=offence)).to_have_count(1)
        assert portal.user_messages.count() == said_before  # nothing put in the citizen's mouth
        again = Portal(context.new_page(), stack).open()
        again.launcher.click()
        expect(again.bot_messages.filter(has_text=offence)).to_have_count(1)
        expect(again.user_messages.filter(has_text="EXTERNAL")).to_have_count(0)
        assert portal.errors == [] and again.errors == []
    finally:
        portal.say("stop all notifications")


def test_a_poll_vote_by_buttons_reads_the_results_as_plain_text(
    portal: Portal, stack: Stack
) -> None:
    portal.launch()
    portal.say("which city polls are open?")
    city = stack.city_api("polls").json()["items"]
    poll = city[-1]
    portal.press(f"Vote: {poll['title']}")
    assert poll["question"] in portal.last_bot_text()
    chosen = poll["options"][-1]
    portal.press(chosen["text"])
    assert f"Your answer: {chosen['text']}." in portal.last_bot_text()
    portal.press("Yes, send my vote")
    standing = portal.bot_messages.filter(has_text="How the votes stand now")
    expect(standing).to_have_count(1)
    for result in stack.city_api(f"polls/{poll['id']}").json()["results"]:
        expect(standing).to_contain_text(f"{result['text']}: ")
    assert "%" not in standing.inner_text()
    assert portal.errors == []
