"""The Rasa API client's ``trigger_intent`` and ``conversation_events`` against a stand-in for Rasa's HTTP API: what is
sent, and how each way of failing is reported."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.notify.delivery import refusal
from bot.rasa_api import RasaApi, RasaApiError

from .conftest import RASA_TOKEN, FakeRasa


def rasa_at(url: str, http: aiohttp.ClientSession, token: str = RASA_TOKEN,
            timeout: float = 30.0) -> RasaApi:
    return RasaApi(url, token, http, timeout=timeout)


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_the_intent_goes_with_its_entities_token_and_channel(rasa: FakeRasa, http):
    await rasa_at(rasa.url, http).trigger_intent(
        "telegram:1 2", "EXTERNAL_fine_issued", {"amount": 500, "offence": "Speeding"}, "telegram")
    (call,) = rasa.calls
    assert call.sender_id == "telegram:1 2"  # quoted in the path, as it was
    assert call.params == {"token": RASA_TOKEN, "output_channel": "telegram"}
    assert call.body["name"] == "EXTERNAL_fine_issued"
    assert call.entities == {"amount": 500, "offence": "Speeding"}
    events = await rasa_at(rasa.url, http).conversation_events("telegram:1 2")
    assert events[-1]["parse_data"]["intent"]["name"] == "EXTERNAL_fine_issued"


async def test_without_a_channel_the_latest_one_is_used(rasa: FakeRasa, http):
    await rasa_at(rasa.url, http).trigger_intent("anna", "EXTERNAL_meter_reminder", {}, None)
    assert rasa.calls[0].params["output_channel"] == "latest"


async def test_a_blocked_bot_is_a_refusal_for_good(rasa: FakeRasa, http):
    rasa.answers["anna"] = "blocked"
    with pytest.raises(RasaApiError) as caught:
        await rasa_at(rasa.url, http).trigger_intent("anna", "EXTERNAL_fine_issued", {},
                                                     "telegram")
    error = caught.value
    assert (error.status, error.reason, error.maybe_done) == (500, "ConversationError", False)
    assert refusal(error) == "Forbidden: bot was blocked by the user"
    assert rasa.events.get("anna") is None  # Rasa stores no turn that failed


@pytest.mark.parametrize("status, reason, message", [
    (500, "ConversationError", "An unexpected error occurred. Error: Timed out"),
    (404, "NotFound", "The intent EXTERNAL_fine_issued does not exist in the domain."),
    (403, "NotAuthorized", "User is not authorized."),
    (500, "ConversationError", "An unexpected error occurred. Error: Chat not found"),
])
def test_only_the_channels_own_refusals_are_for_good(status, reason, message):
    error = RasaApiError(message, status=status, reason=reason)
    assert (refusal(error) is not None) == (message.endswith("Chat not found"))


async def test_a_wrong_token_is_an_error_rasa_answered(rasa: FakeRasa, http):
    with pytest.raises(RasaApiError) as caught:
        await rasa_at(rasa.url, http, token="wrong").trigger_intent(
            "anna", "EXTERNAL_fine_issued", {}, None)
    assert (caught.value.status, caught.value.maybe_done) == (403, False)
    assert refusal(caught.value) is None


async def test_nobody_listening_is_not_done(http):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RasaApiError) as caught:
        await rasa_at(f"http://127.0.0.1:{port}", http).trigger_intent(
            "anna", "EXTERNAL_fine_issued", {}, None)
    assert (caught.value.status, caught.value.maybe_done) == (None, False)


async def test_no_answer_in_time_may_have_been_done(rasa: FakeRasa, http):
    rasa.answers["anna"] = "slow"
    with pytest.raises(RasaApiError) as caught:
        await rasa_at(rasa.url, http, timeout=0.3).trigger_intent(
            "anna", "EXTERNAL_fine_issued", {}, None)
    assert caught.value.maybe_done is True
    assert len(rasa.events["anna"]) == 1  # and indeed it was


async def test_a_broken_answer_may_have_been_done(aiohttp_server, http):
    async def hang_up(request: web.Request) -> web.StreamResponse:
        await request.read()
        request.transport.close()  # the connection drops without an answer
        return web.Response()

    app = web.Application()
    app.router.add_post("/conversations/{sender}/trigger_intent", hang_up)
    server = await aiohttp_server(app)
    with pytest.raises(RasaApiError) as caught:
        await rasa_at(str(server.make_url("")).rstrip("/"), http).trigger_intent(
            "anna", "EXTERNAL_fine_issued", {}, None)
    assert (caught.value.status, caught.value.maybe_done) == (None, True)
