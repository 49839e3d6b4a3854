"""The REST channel takes a message only with the Rasa API token, and only a well-formed one
(issue 13: the stock channel let anyone on the published port speak as any sender)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.config import Settings
from connectors.rest import TEXT_CHARS, TokenRestInput

TOKEN = "the-rasa-api-token"
SORRY = "Sorry, something went wrong on my side."
SORRY_RU = "Извините, у меня что-то пошло не так."
RESPONSES = {"utter_internal_error": [
    {"text": SORRY},
    {"text": SORRY_RU, "condition": [{"type": "slot", "name": "language", "value": "ru"}]},
]}


@pytest.fixture
async def rest(monkeypatch) -> AsyncIterator[tuple[str, list[UserMessage]]]:
    """The channel served on loopback; Rasa's agent stood in for by an echo that keeps what
    it was given."""
    heard: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        heard.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"heard {message.text}")
        if "fail" in message.text or "сбой" in message.text:
            raise RuntimeError("the tracker store is down")  # as Rasa's does (bot.rasa_fixes)

    # Sanic rewrites its HTTP classes at start; in test mode it keeps the originals, so more
    # than one app can start in one process.
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = Sanic(f"rest-{uuid.uuid4().hex}")
    channel = TokenRestInput(Settings(rasa_token=TOKEN))
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/rest")
    app.ctx.agent = SimpleNamespace(domain=SimpleNamespace(responses=RESPONSES))
    server = await app.create_server(host="127.0.0.1", port=0, return_asyncio_server=True)
    await server.startup()
    await server.after_start()
    port = server.server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/webhooks/rest/webhook", heard
    server.close()
    await server.wait_closed()


async def _post(url: str, body: object = None, *, data: bytes | None = None,
                **headers: str) -> tuple[int, object]:
    async with aiohttp.ClientSession() as http, http.post(
        url, json=body if data is None else None, data=data, headers=headers
    ) as resp:
        return resp.status, await resp.json()


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer guessed", "Basic dGhlLXJhc2E="])
async def test_a_message_without_the_token_is_refused_and_heard_by_nobody(rest, authorization):
    url, heard = rest
    headers = {"Authorization": authorization} if authorization else {}
    status, body = await _post(url, {"sender": "123456789", "message": "forget me"}, **headers)
    assert status == 401 and body["error"] == "unauthorized"
    assert heard == []


async def test_with_the_token_a_message_is_answered_as_the_rest_channel(rest):
    url, heard = rest
    status, body = await _post(
        url, {"sender": "bench-1", "message": "hello", "input_channel": "telegram"},
        Authorization=f"Bearer {TOKEN}",
    )
    assert status == 200 and body == [{"recipient_id": "bench-1", "text": "heard hello"}]
    status, _ = await _post(f"{url}?token={TOKEN}", {"sender": "bench-1", "message": "again"})
    assert status == 200
    assert [(m.sender_id, m.text, m.input_channel) for m in heard] == [
        ("bench-1", "hello", "rest"), ("bench-1", "again", "rest")
    ]


@pytest.mark.parametrize(("text", "apology"), [
    ("this will fail", SORRY), ("у вас опять сбой на сервере", SORRY_RU)])
async def test_a_turn_rasa_could_not_finish_is_answered_with_an_apology_only(
        rest, text, apology):
    """Nothing of a failed turn was stored: what it had said is replaced by the apology, in
    the language the citizen wrote."""
    url, heard = rest
    status, body = await _post(url, {"sender": "s-1", "message": text},
                               Authorization=f"Bearer {TOKEN}")
    assert status == 200 and body == [{"recipient_id": "s-1", "text": apology}]
    assert [m.text for m in heard] == [text]


@pytest.mark.parametrize(("body", "status", "code"), [
    ([1, 2], 400, "bad_request"),
    ("hello", 400, "bad_request"),
    ({"message": "hi"}, 400, "bad_sender"),
    ({"sender": "", "message": "hi"}, 400, "bad_sender"),
    ({"sender": 42, "message": "hi"}, 400, "bad_sender"),
    ({"sender": "s" * 129, "message": "hi"}, 400, "bad_sender"),
    ({"sender": "a", "message": None}, 400, "bad_message"),
    ({"sender": "a", "message": ["hi"]}, 400, "bad_message"),
    ({"sender": "a", "message": "x" * (TEXT_CHARS + 1)}, 413, "bad_message"),
    ({"sender": "a", "message": "hi", "metadata": "x"}, 400, "bad_request"),
    ({"sender": "a", "message": "hi", "message_id": 7}, 400, "bad_message_id"),
    ({"sender": "a", "message": "hi", "message_id": ""}, 400, "bad_message_id"),
    ({"sender": "a", "message": "hi", "message_id": "m" * 129}, 400, "bad_message_id"),
])
async def test_a_malformed_body_gets_a_clear_4xx(rest, body, status, code):
    url, heard = rest
    got, answer = await _post(url, body, Authorization=f"Bearer {TOKEN}")
    assert (got, answer["error"]) == (status, code)
    assert heard == []


async def test_a_body_that_is_not_json_gets_a_400(rest):
    url, heard = rest
    status, answer = await _post(url, data=b"\xff\xfe{not json", Authorization=f"Bearer {TOKEN}")
    assert (status, answer["error"]) == (400, "bad_request") and heard == []


async def test_the_longest_telegram_message_is_still_taken(rest):
    url, heard = rest
    status, _ = await _post(url, {"sender": "a", "message": "я" * TEXT_CHARS},
                            Authorization=f"Bearer {TOKEN}")
    assert status == 200 and len(heard[0].text) == TEXT_CHARS


async def test_with_no_token_anywhere_the_channel_is_closed(tmp_path):
    channel = TokenRestInput(Settings(var_dir=tmp_path, rasa_token=""))
    # The token is made once under var/ (bot.supervisor.rasa_token), never empty.
    assert len(channel.token()) >= 32


async def test_the_callers_message_id_is_the_messages_id(rest):
    """A client that may send a message again gives it an id (a resend is then answered from
    the conversation, not handled twice: bot.rasa_fixes); without one, each message gets its
    own."""
    url, heard = rest
    for body in ({"sender": "s-2", "message": "hello", "message_id": "m-42"},
                 {"sender": "s-2", "message": "again"}, {"sender": "s-2", "message": "more"}):
        status, _ = await _post(url, body, Authorization=f"Bearer {TOKEN}")
        assert status == 200
    assert heard[0].message_id == "m-42"
    assert len({m.message_id for m in heard}) == 3
