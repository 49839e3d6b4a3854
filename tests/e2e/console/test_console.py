"""Staff use the console in a real Chromium: a reviewer corrects the assistant and finds
Russian conversations, an operator answers a citizen whose widget is open in another browser,
an admin reads the audit log.

Each main page is saved into docs/screenshots/ on the way (at 1280x800, like the widget's).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml
from playwright.sync_api import expect

from tests.e2e.console.conftest import NONSENSE, PASSWORD, RUSSIAN_CONVERSATION, Console
from tests.e2e.web.conftest import Portal

ASKS_FOR_A_PERSON = "I want to talk to a person"
OPERATOR_REPLY = "Hello, this is Oleg from the city. How can I help?"


def test_a_wrong_password_is_refused_and_a_reviewer_sees_only_their_pages(
    open_console: Callable[[], Console], staff: dict[str, str]
) -> None:
    console = open_console()
    console.goto("/conversations")
    page = console.page
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)conversations$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    console.shoot("console-login.png", full_page=False)

    console.fill_login(staff["reviewer"], "not the password at all")
    expect(page.get_by_role("alert")).to_contain_text("That name and password did not work")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)

    console.fill_login(staff["reviewer"], PASSWORD)
    expect(page).to_have_url(re.compile(r"/conversations$"))  # where the visit was heading
    expect(page.get_by_role("banner")).to_contain_text(staff["reviewer"])
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(nav).to_have_text(["Conversations", "Analytics"])  # no Handoffs, no Admin

    for path in ("/admin", "/handoffs"):
        assert console.goto(path) == 403, path
        expect(page.get_by_role("heading", name="This page is not part of your role")
               ).to_be_visible()
    assert console.errors == []


def test_a_reviewer_filters_to_low_confidence_corrects_an_intent_and_exports_it(
    open_console: Callable[[], Console], staff: dict[str, str], conversations: dict[str, str],
    tmp_path: Path,
) -> None:
    console = open_console().log_in(staff["reviewer"])
    page = console.page
    session_id = conversations["confused"]
    rows = page.get_by_role("table").get_by_role("row")
    confused = rows.filter(has=page.locator(f'a[href="/conversations/{session_id}"]'))
    hot_water = rows.filter(has_text="hot water back")
    expect(confused).to_have_count(1)
    expect(confused).to_contain_text(re.compile(r"low 0\.\d\d"))
    expect(hot_water).to_have_count(1)
    expect(hot_water).not_to_contain_text(re.compile(r"low \d"))
    expect(confused).to_contain_text("English")  # the language column
    expect(page.get_by_text("0 corrections awaiting export")).to_be_visible()
    console.shoot("console-list.png")

    page.get_by_label("Confidence below").fill("0.5")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"confidence=0\.5"))
    expect(page.get_by_label("Confidence below")).to_have_value("0.5")  # kept in the form
    expect(confused).to_have_count(1)
    expect(hot_water).to_have_count(0)
    expect(rows.filter(has_text="parking permit")).to_have_count(0)
    console.shoot("console-filter.png")

    confused.get_by_role("link", name=NONSENSE).click()  # the first message opens it
    expect(page.get_by_role("heading", name=f"Conversation {session_id}")).to_be_visible()
    turn = page.get_by_role("listitem").filter(has_text=NONSENSE).filter(
        has=page.get_by_role("button", name="Save correction"))
    expect(turn).to_have_count(1)
    expect(turn).to_contain_text(re.compile("fallback|low confidence"))
    # Open already on a fallback, the message itself as the example to check.
    expect(turn.get_by_label(re.compile("^Example"))).to_have_value(NONSENSE)
    turn.get_by_label("Intent").select_option("out_of_scope")
    turn.get_by_role("button", name="Save correction").click()
    expect(turn).to_contain_text(f"Corrected to out_of_scope by {staff['reviewer']}")
    console.shoot("console-transcript.png")

    console.nav("Conversations")
    expect(page.get_by_text("1 correction awaiting export")).to_be_visible()
    expect(page.get_by_role("button", name="Export Русский (YAML)")).to_be_disabled()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Export English (YAML)").click()
    download = downloading.value
    assert download.suggested_filename == "corrections-en.yml"
    saved = tmp_path / "corrections-en.yml"
    download.save_as(saved)
    nlu = yaml.safe_load(saved.read_text(encoding="utf-8"))["nlu"]
    examples = {block["intent"]: block["examples"].splitlines() for block in nlu}
    assert examples == {"out_of_scope": [f"- {NONSENSE}"]}

    page.reload()  # exported now: nothing left to export
    expect(page.get_by_text("0 corrections awaiting export")).to_be_visible()
    expect(page.get_by_role("button", name="Export English (YAML)")).to_be_disabled()
    assert console.errors == []


def test_a_reviewer_finds_russian_conversations_by_language_and_cyrillic_search(
    open_console: Callable[[], Console], staff: dict[str, str], conversations: dict[str, str],
) -> None:
    console = open_console().log_in(staff["reviewer"])
    page = console.page
    rows = page.get_by_role("table").get_by_role("row")
    russian = rows.filter(has=page.locator('a[href="/conversations/rest-citizen-ru"]'))
    expect(russian).to_contain_text("Русский")

    page.get_by_label("Language").select_option(label="Русский")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"language=ru"))
    expect(russian).to_have_count(1)
    expect(rows.filter(has_text="parking permit")).to_have_count(0)

    page.get_by_label("Search what citizens wrote").fill("ЯМА")  # written "яма"
    page.get_by_role("button", name="Filter").click()
    expect(russian).to_have_count(1)
    expect(russian).to_contain_text(RUSSIAN_CONVERSATION[0])

    console.nav("Analytics")
    languages = page.get_by_role("region", name="Per language").get_by_role("row")
    expect(languages.filter(has_text="Русский")).to_have_count(1)
    expect(languages.filter(has_text="English")).to_have_count(1)
    assert console.errors == []


def test_an_operator_takes_a_citizen_answers_on_their_widget_and_hands_back(
    open_console: Callable[[], Console], citizen: Portal, staff: dict[str, str]
) -> None:
    citizen.say(ASKS_FOR_A_PERSON)
    assert "passing the conversation to a person" in citizen.last_bot_text()

    console = open_console().log_in(staff["operator"])
    page = console.page
    console.nav("Handoffs")
    waiting = page.get_by_role("row").filter(has_text=ASKS_FOR_A_PERSON)
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text(re.compile(r"\d+ min"))
    waiting.get_by_role("button", name="Take").click()

    session_id = citizen.session()["session_id"]
    expect(page.get_by_role("heading", name=f"Citizen {session_id}")).to_be_visible()
    expect(page.get_by_text(f"taken by {staff['operator']}")).to_be_visible()
    # Once an operator has taken it, the assistant stays quiet (the message is handled,
    # unanswered, and the operator reads it).
    said = citizen.bot_messages.count()
    citizen.input.fill("Is anyone there?")
    citizen.input.press("Enter")
    expect(citizen.user_messages.filter(has_text="Is anyone there?")).to_have_count(1)
    expect(citizen.page.locator("#citybot-widget .cb-msg.cb-pending")).to_have_count(0)
    expect(citizen.bot_messages).to_have_count(said)
    transcript = page.get_by_role("region", name="Conversation")
    page.reload()
    expect(transcript).to_contain_text("Is anyone there?")

    page.get_by_label("Your message reaches the citizen on their channel").fill(OPERATOR_REPLY)
    page.get_by_role("button", name="Send").click()
    expect(citizen.bot_messages.filter(has_text=OPERATOR_REPLY)).to_have_count(1)
    expect(transcript).to_contain_text(OPERATOR_REPLY)
    console.shoot("console-handoffs.png")

    page.get_by_role("button", name="Hand back to the assistant").click()
    expect(page).to_have_url(re.compile(r"/handoffs$"))
    expect(waiting).to_have_count(0)
    citizen.say("hello")
    assert "I'm citybot" in citizen.last_bot_text()  # the assistant answers again
    assert console.errors == []
    assert citizen.errors == []


def test_an_admin_sees_every_page_the_staff_and_the_audit_log(
    open_console: Callable[[], Console], staff: dict[str, str]
) -> None:
    console = open_console().log_in(staff["admin"])
    page = console.page
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(nav).to_have_text(["Conversations", "Analytics", "Handoffs", "Admin"])
    console.nav("Admin")
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()
    accounts = page.get_by_role("region", name="Staff").get_by_role("row")
    for role, name in staff.items():
        expect(accounts.filter(has_text=name)).to_contain_text(role)
        expect(accounts.filter(has_text=name)).to_contain_text("active")
    audit = page.get_by_role("region", name="Audit log").get_by_role("row")
    expect(audit.filter(has_text="login").filter(has_text=staff["admin"]).first).to_be_visible()
    console.shoot("console-admin.png")
    assert console.errors == []
