"""An admin deletes a conversation from its transcript page: gone from Rasa's tracker store and
every console table, recorded in the audit log; nobody else can."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.console.index import _forgettable_tables
from bot.console.handoffs import take
from bot.handoff import open_handoff
from bot.store import AuditEvent, HandoffClaim, Store
from tests.unit.test_console_conversations import (  # noqa: F401 - fixtures used by name
    ANNA,
    BORIS,
    event_count,
    rasa_store,
    tracker_path,
)
from tests.unit.test_console_http import console, csrf_token, log_in  # noqa: F401
from tests.unit.test_console_pages import audit_actions, listed, seeded_console

DELETE_FORM = re.compile(r'<form method="post" action="/conversations/anna/delete"')


async def rows_of(store: Store, sender_id: str) -> dict[str, int]:
    """Rows naming ``sender_id`` in each console table (only those that have any)."""
    found = {}
    async with store.session() as session:
        for table in _forgettable_tables():
            count = await session.scalar(
                select(func.count()).select_from(table).where(table.c.sender_id == sender_id))
            if count:
                found[table.name] = count
    return found


async def claims(store: Store) -> int:
    async with store.session() as session:
        return await session.scalar(select(func.count()).select_from(HandoffClaim))


async def post_delete(client: TestClient, sender_id: str = "anna", **form: str):
    token = await csrf_token(client, "/conversations/boris")
    return await client.post(f"/conversations/{sender_id}/delete",
                             data={"confirm": "1", "csrf_token": token, **form},
                             allow_redirects=False)


async def test_an_admin_deletes_a_conversation_everywhere(
    console, rasa_store, store, tracker_path  # noqa: F811
) -> None:
    client = await seeded_console(console, rasa_store, "ada")
    page = await (await client.get("/conversations/anna")).text()
    assert DELETE_FORM.search(page) and "I understand this cannot be undone" in page
    # Review, tag and an open handoff an operator has taken: all of it goes with the conversation.
    token = await csrf_token(client, "/conversations/anna")
    await client.post("/conversations/anna/review",
                      data={"reviewed": "1", "tags": "privacy", "csrf_token": token})
    handoff = await open_handoff(store, "anna", reason="human_handoff", last_message="help")
    await take(store, handoff.id, "otto")
    assert set(await rows_of(store, "anna")) >= {
        "conversation_index", "conversation_texts", "conversation_reviews", "conversation_tags",
        "handoffs"}

    resp = await post_delete(client)
    assert resp.status == 303 and resp.headers["Location"] == "/conversations?deleted=1"
    assert event_count(tracker_path, "anna") == 0
    assert event_count(tracker_path, "boris") == len(BORIS)
    assert await rows_of(store, "anna") == {}
    assert await claims(store) == 0  # no handoff left open, nor taken
    assert "The conversation was deleted." in await (await client.get(resp.headers["Location"])).text()
    assert "anna" not in await listed(client)
    assert (await client.get("/conversations/anna")).status == 404
    assert (await client.get("/conversations?q=pothole")).status == 200
    assert await listed(client, "?q=pothole") == []
    async with store.session() as session:
        deleted = (await session.execute(
            select(AuditEvent).where(AuditEvent.action == "deleted"))).scalar_one()
    assert (deleted.staff_name, deleted.target, deleted.detail) == ("ada", "anna",
                                                                     {"events": len(ANNA)})
    assert "<code>deleted</code>" in await (await client.get("/admin")).text()


async def test_reviewers_and_operators_cannot_delete(
    console, rasa_store, store, tracker_path  # noqa: F811
) -> None:
    client = await seeded_console(console, rasa_store, "rita")
    for name in ("rita", "otto"):
        if name != "rita":
            await client.post("/logout", data={"csrf_token": await csrf_token(client, "/conversations")})
            assert (await log_in(client, name)).status == 302
        assert not DELETE_FORM.search(await (await client.get("/conversations/anna")).text())
        assert (await post_delete(client)).status == 403, name
    assert event_count(tracker_path, "anna") == len(ANNA)
    assert "conversation_index" in await rows_of(store, "anna")
    assert not [a for a in await audit_actions(store) if a[1] == "deleted"]


async def test_deleting_needs_the_csrf_token_and_the_confirmation(
    console, rasa_store, store, tracker_path  # noqa: F811
) -> None:
    client = await seeded_console(console, rasa_store, "ada")
    await client.get("/conversations/anna")
    forged = await client.post("/conversations/anna/delete", data={"confirm": "1"},
                               allow_redirects=False)
    assert forged.status == 403
    unconfirmed = await post_delete(client, confirm="")
    assert unconfirmed.status == 400
    assert "I understand this cannot be undone" in await unconfirmed.text()
    assert event_count(tracker_path, "anna") == len(ANNA)
    assert "conversation_index" in await rows_of(store, "anna")


async def test_deleting_an_unknown_conversation_is_not_found(
    console, rasa_store, store  # noqa: F811
) -> None:
    client = await seeded_console(console, rasa_store, "ada")
    assert (await post_delete(client, "nobody")).status == 404
    assert not [a for a in await audit_actions(store) if a[1] == "deleted"]
