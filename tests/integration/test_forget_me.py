"""A citizen's "forget me" on the real stack: their conversation leaves Rasa's tracker store and
the staff console within seconds, and the assistant goes on answering them from a fresh start."""

from __future__ import annotations

import sqlite3

from bot.config import load_settings
from bot.console.staff import add_staff
from bot.store import Store
from tests.integration.conftest import Stack, texts, wait_until
from tests.integration.test_console_handoff import (
    PASSWORD,
    Operator,
    console_url,
    handoff_and_audit,
)
from tests.integration.test_webchat import run

ADMIN = "privacy-admin"


def user_texts(sender: str) -> list[str]:
    """What the citizen wrote, as Rasa's tracker store holds it (read straight from its table)."""
    with sqlite3.connect(load_settings().var_dir / "tracker.db") as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' "
                            "ORDER BY id", (sender,)).fetchall()
    return [data for (data,) in rows]


async def add_admin() -> None:
    store = await Store(load_settings().app_database_url).ready()
    try:
        await add_staff(store, ADMIN, "admin", PASSWORD)
    finally:
        await store.close()


async def console_view(stack: Stack, sender: str) -> tuple[bool, int, str]:
    """Whether a search for ``sender`` lists the conversation, and its transcript page."""
    admin = Operator(console_url(stack))
    try:
        await admin.log_in(ADMIN)
        listed = f"/conversations/{sender}" in await admin.page(f"/conversations?q={sender}")
        async with admin.http.get(f"{admin.base}/conversations/{sender}") as resp:
            return listed, resp.status, await resp.text()
    finally:
        await admin.http.close()


def test_forget_me_deletes_the_conversation_everywhere(healthy_city: Stack, sender: str) -> None:
    run(add_admin())
    healthy_city.say(sender, f"graffiti all over the wall at pokrovka 5 ({sender})")
    healthy_city.say(sender, "yes")
    assert any(sender in text for text in user_texts(sender))
    listed, status, page = run(console_view(healthy_city, sender))
    assert listed and status == 200 and "pokrovka 5" in page

    forgot = texts(healthy_city.say(sender, "please delete all my data"))
    assert "deleted the details and report history" in forgot
    # Settled within seconds: nothing the citizen wrote is left in the tracker or the console.
    assert wait_until(lambda: user_texts(sender) == [], timeout=20), user_texts(sender)
    listed, status, page = run(console_view(healthy_city, sender))
    # (404, or the page of the fresh session when the console indexed it after the deletion)
    assert not listed and status in (200, 404) and "pokrovka" not in page
    _, audited = run(handoff_and_audit(sender))
    assert ("citizen", "deleted") in audited

    # The assistant answers from a fresh start, and the tracker keeps only what comes now.
    assert "Please send its number" in texts(healthy_city.say(sender, "status of my reports"))
    assert texts(healthy_city.say(sender, "hello")).startswith("Hello")
    stored = user_texts(sender)
    assert len(stored) == 2 and not any("pokrovka" in data for data in stored)
