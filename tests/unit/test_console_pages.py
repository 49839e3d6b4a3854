"""The console's conversation pages over HTTP, on a tracker database written by Rasa's store."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.store import AuditEvent, Store
from tests.unit.test_console_conversations import (  # noqa: F401 - fixtures used by name
    ANNA,
    BORIS,
    GLEB,
    VERA,
    at,
    rasa_store,
    save,
    start,
    tracker_path,
    user,
)
from tests.unit.test_console_http import console, csrf_token, log_in  # noqa: F401

ROW_LINK = re.compile(r'href="/conversations/([^"?]+)"')
XSS = "<script>alert(1)</script> near <img src=x onerror=alert(2)>"


async def seeded_console(client: TestClient, rasa_store, name: str) -> TestClient:  # noqa: F811
    for sender, events in (("gleb", GLEB), ("anna", ANNA), ("boris", BORIS), ("vera", VERA)):
        await save(rasa_store, sender, events)
    await save(rasa_store, "xss", [*start(at(30)), user(XSS, "report_problem", 0.9, at(31))])
    resp = await log_in(client, name)
    assert resp.status == 302, await resp.text()
    return client


async def listed(client: TestClient, query: str = "") -> list[str]:
    resp = await client.get(f"/conversations{query}")
    assert resp.status == 200
    return list(dict.fromkeys(ROW_LINK.findall(await resp.text())))  # a row links twice


async def audit_actions(store: Store) -> list[tuple[str, str, str]]:
    async with store.session() as session:
        rows = (await session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars()
        return [(e.staff_name, e.action, e.target) for e in rows]


async def test_the_list_is_newest_first_filtered_and_masked(console, rasa_store) -> None:  # noqa: F811
    client = await seeded_console(console, rasa_store, "rita")
    assert await listed(client) == ["xss", "vera", "boris", "anna", "gleb"]
    page = await (await client.get("/conversations")).text()
    assert "+7 916 123-45-67" not in page and "••••" in page  # Anna's phone number
    assert await listed(client, "?fallback=yes") == ["boris"]
    assert await listed(client, "?confidence=0.6") == ["boris"]
    assert await listed(client, "?channel=webchat") == ["vera"]
    assert await listed(client, "?q=pothole") == ["anna"]
    assert await listed(client, "?handoff=yes&channel=rest") == []
    assert await listed(client, "?confidence=nonsense") == await listed(client)  # ignored, no 5xx


async def test_markup_from_a_citizen_is_shown_as_text(console, rasa_store) -> None:  # noqa: F811
    client = await seeded_console(console, rasa_store, "rita")
    for path in ("/conversations", "/conversations/xss"):
        page = await (await client.get(path)).text()
        assert "<script>alert(1)" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


async def test_a_transcript_shows_what_the_assistant_understood(
    console, rasa_store, store  # noqa: F811
) -> None:
    client = await seeded_console(console, rasa_store, "rita")
    page = await (await client.get("/conversations/boris")).text()
    # The fallback's own confidence is its threshold; the best real guess is what tells.
    assert "asdf qwerty" in page and "nlu_fallback" in page and "0.31" in page
    assert "best guess find_office" in page and "is-fallback" in page
    # Correcting a fallback starts from the best guess, not from the top of the list.
    assert '<option value="find_office" selected>' in page
    assert "handed to a person" in page
    anna = await (await client.get("/conversations/anna")).text()
    assert "problem_report_form" in anna and "problem_category=pothole" in anna
    assert "+7 916 123-45-67" not in anna
    # A reviewer cannot reveal: the parameter is ignored.
    assert "+7 916 123-45-67" not in await (await client.get("/conversations/anna?reveal=1")).text()
    assert (await client.get("/conversations/nobody")).status == 404
    assert ("rita", "viewed", "boris") in await audit_actions(store)
    assert not [a for a in await audit_actions(store) if a[1] == "revealed"]


async def test_an_admin_reveals_and_it_is_recorded(console, rasa_store, store) -> None:  # noqa: F811
    client = await seeded_console(console, rasa_store, "ada")
    assert "+7 916 123-45-67" not in await (await client.get("/conversations/anna")).text()
    assert "+7 916 123-45-67" in await (await client.get("/conversations/anna?reveal=1")).text()
    assert ("ada", "revealed", "anna") in await audit_actions(store)


async def test_a_reviewer_marks_reviewed_and_tags(console, rasa_store, store) -> None:  # noqa: F811
    client = await seeded_console(console, rasa_store, "rita")
    form = {"reviewed": "1", "tags": "intent-miss  Greeting", "note": "should be find_office"}
    refused = await client.post("/conversations/boris/review", data=form, allow_redirects=False)
    assert refused.status == 403  # no CSRF token
    token = await csrf_token(client, "/conversations/boris")
    saved = await client.post("/conversations/boris/review", data={**form, "csrf_token": token},
                              allow_redirects=False)
    assert saved.status == 303
    page = await (await client.get("/conversations/boris")).text()
    assert "Reviewed by rita" in page and "should be find_office" in page
    assert await listed(client, "?reviewed=yes") == ["boris"]
    assert await listed(client, "?tag=intent-miss") == ["boris"]
    assert "boris" not in await listed(client, "?reviewed=no")
    assert ("rita", "reviewed", "boris") in await audit_actions(store)


async def test_an_operator_cannot_review(console, rasa_store) -> None:  # noqa: F811
    client = await seeded_console(console, rasa_store, "otto")
    token = await csrf_token(client, "/conversations/boris")
    resp = await client.post("/conversations/boris/review",
                             data={"reviewed": "1", "csrf_token": token}, allow_redirects=False)
    assert resp.status == 403
    assert "Save review" not in await (await client.get("/conversations/boris")).text()


async def test_quick_views_find_yesterdays_fallbacks(console, rasa_store) -> None:  # noqa: F811
    from datetime import datetime, timedelta
    from html import unescape
    from zoneinfo import ZoneInfo

    # Noon in the city yesterday and today: whole days whatever the hour the test runs.
    noon = datetime.now(ZoneInfo("Europe/Moscow")).replace(hour=12, minute=0, second=0)
    yesterday, today = (noon - timedelta(days=1)).timestamp(), noon.timestamp()
    await save(rasa_store, "fell-yesterday",
               [*start(yesterday), user("blorf zzkq", "nlu_fallback", 0.3, yesterday)])
    await save(rasa_store, "fine-yesterday",
               [*start(yesterday + 60), user("hello", "greet", 0.99, yesterday + 60)])
    await save(rasa_store, "fell-today",
               [*start(today), user("qwop", "nlu_fallback", 0.3, today)])
    assert (await log_in(console, "rita")).status == 302
    page = await (await console.get("/conversations")).text()
    links = dict((label, unescape(href)) for href, label in
                 re.findall(r'<a class="button button-small" href="([^"]+)"[^>]*>([^<]+)</a>', page))
    assert set(links) >= {"Today", "Yesterday", "Fell back yesterday",
                          "Low confidence, not reviewed", "Handed off"}
    assert await listed(console, links["Fell back yesterday"][len("/conversations"):]) == [
        "fell-yesterday"
    ]
    assert await listed(console, links["Yesterday"][len("/conversations"):]) == [
        "fine-yesterday", "fell-yesterday"
    ]
    assert await listed(console, links["Today"][len("/conversations"):]) == ["fell-today"]
    current = await (await console.get(links["Fell back yesterday"])).text()
    assert 'aria-current="true">Fell back yesterday' in current
