"""The operators' handoff steps over HTTP that need no Rasa: who may close, and the closing
message (closing itself, on the real stack: tests/integration/test_console_handoff.py)."""

from __future__ import annotations

import yaml
from aiohttp.test_utils import TestClient

from bot.config import ROOT
from bot.console.handoffs import closing_message, conversation_language, take
from bot.handoff import open_handoff, open_handoffs
from bot.store import Store
from bot.store.models import ConversationIndex, utcnow
from tests.unit.test_console_http import console, csrf_token, log_in  # noqa: F401


async def logged_in(client: TestClient, name: str) -> TestClient:
    assert (await log_in(client, name)).status == 302
    return client


async def close(client: TestClient, handoff_id: int, with_token: bool = True):
    data = {"csrf_token": await csrf_token(client, "/conversations")} if with_token else {}
    return await client.post(f"/handoffs/{handoff_id}/close", data=data, allow_redirects=False)


async def test_only_the_operator_who_took_it_can_close(console, store: Store) -> None:  # noqa: F811
    waiting = await open_handoff(store, "anna", reason="human_handoff", last_message="a person")
    client = await logged_in(console, "otto")
    refused = await close(client, waiting.id)
    assert refused.status == 409  # nobody took it
    assert "Take the conversation first" in await refused.text()
    await take(store, waiting.id, "ada")
    refused = await close(client, waiting.id)
    assert refused.status == 409  # someone else has it
    assert "Take the conversation first" in await refused.text()
    assert (await close(client, 999)).status == 409
    assert [h.id for h in await open_handoffs(store)] == [waiting.id]


async def test_reviewers_cannot_close_and_a_close_needs_the_csrf_token(
    console, store: Store  # noqa: F811
) -> None:
    waiting = await open_handoff(store, "anna", reason="human_handoff", last_message="a person")
    await take(store, waiting.id, "otto")
    reviewer = await logged_in(console, "rita")
    assert (await close(reviewer, waiting.id)).status == 403
    await reviewer.post("/logout", data={"csrf_token": await csrf_token(reviewer, "/conversations")})
    operator = await logged_in(console, "otto")
    assert (await close(operator, waiting.id, with_token=False)).status == 403
    assert [h.id for h in await open_handoffs(store)] == [waiting.id]


async def test_the_handoff_page_offers_close_beside_hand_back(console, store: Store) -> None:  # noqa: F811
    waiting = await open_handoff(store, "anna", reason="human_handoff", last_message="a person")
    await take(store, waiting.id, "otto")
    page = await (await (await logged_in(console, "otto")).get(f"/handoffs/{waiting.id}")).text()
    assert f'action="/handoffs/{waiting.id}/hand-back"' in page
    assert f'action="/handoffs/{waiting.id}/close"' in page


def test_the_closing_message_is_the_domains_response_in_the_citizens_language() -> None:
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    english, russian = (v["text"] for v in responses["utter_handoff_closed"])
    assert closing_message() == closing_message("en") == english
    assert closing_message("ru") == russian
    assert "closed" in english and "завершил" in russian


async def test_the_conversations_language_is_the_indexs(store: Store) -> None:
    async with store.session() as session, session.begin():
        for sender, language in (("pyotr", "ru"), ("anna", "en"), ("nobody-knows", None)):
            session.add(ConversationIndex(
                sender_id=sender, channel="webchat", started_at=utcnow(), last_at=utcnow(),
                first_message="", language=language, last_event_id=1))
    assert await conversation_language(store, "pyotr") == "ru"
    assert await conversation_language(store, "anna") == "en"
    assert await conversation_language(store, "nobody-knows") == "en"
    assert await conversation_language(store, "never-indexed") == "en"


def test_the_command_line_keeps_the_handoff_open_when_rasa_cannot_resume(tmp_path) -> None:
    """`citybot handoff release` as the console: the handoff is released only once Rasa
    answers this citizen again (else the conversation would stay paused with none open)."""
    import argparse
    import asyncio

    from bot.cli import cmd_handoff
    from bot.config import Settings

    settings = Settings(var_dir=tmp_path, database_url="", rasa_url="http://127.0.0.1:1",
                        rasa_token="t")

    async def with_store(step):  # noqa: ANN001, ANN202
        store = await Store(settings.app_database_url).ready()
        try:
            return await step(store)
        finally:
            await store.close()

    asyncio.run(with_store(lambda store: open_handoff(
        store, "anna", reason="human_handoff", last_message="help")))
    released = cmd_handoff(settings, argparse.Namespace(action="release", sender_id="anna"))
    assert released == 1
    still = asyncio.run(with_store(open_handoffs))
    assert [h.sender_id for h in still] == ["anna"]  # an operator can try again
