"""bot.rasa_fixes: a tracker store that fails fails the turn (never a fresh, empty conversation
or a write to memory), and a custom action that cannot run answers ``utter_internal_error``
(never silence). The action server is a real one on loopback: answering 502, refusing 400, or
not there at all."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, FollowupAction, SlotSet
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_fixes

SORRY = "Sorry, something went wrong on my side."
SORRY_RU = "Извините, у меня что-то пошло не так."
RESPONSES = {"utter_internal_error": [
    {"text": SORRY},
    {"text": SORRY_RU, "condition": [{"type": "slot", "name": "language", "value": "ru"}]},
]}


class BrokenStore(InMemoryTrackerStore):
    """A tracker store whose database does not answer."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        raise OSError("database is locked")

    async def save(self, tracker: DialogueStateTracker) -> None:
        raise OSError("database is locked")


def tracker(language: str | None = None) -> DialogueStateTracker:
    slots = [TextSlot("language", mappings=[{}])]
    events = [SlotSet("language", language)] if language else []
    return DialogueStateTracker.from_events("citizen-1", events, slots=slots)


async def test_a_tracker_store_that_fails_fails_the_turn_and_nothing_goes_to_memory() -> None:
    store = rasa_fixes.strict_tracker_store(BrokenStore(Domain.empty()), Domain.empty())
    with pytest.raises(OSError, match="locked"):
        await store.retrieve("citizen-1")
    with pytest.raises(OSError, match="locked"):
        await store.get_or_create_tracker("citizen-1")
    with pytest.raises(OSError, match="locked"):
        await store.save(tracker())
    assert await store.fallback_tracker_store.retrieve("citizen-1") is None


async def test_a_tracker_store_that_works_is_used_as_before() -> None:
    domain = Domain.from_dict(
        {"slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}})
    store = rasa_fixes.strict_tracker_store(InMemoryTrackerStore(domain), domain)
    await store.save(tracker("ru"))
    kept = await store.retrieve("citizen-1")
    assert kept is not None and kept.get_slot("language") == "ru"


@pytest.fixture
async def action_server() -> AsyncIterator[Callable[[web.Response | None], str]]:
    """An action server on loopback answering what the test says; ``None``: no server at all
    (a port nothing listens on)."""
    runners: list[web.AppRunner] = []

    async def serving(answer: web.Response | None) -> str:
        if answer is None:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            return f"http://127.0.0.1:{port}/webhook"

        async def webhook(_: web.Request) -> web.Response:
            return answer

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/webhook"

    yield serving
    for runner in runners:
        await runner.cleanup()


async def run(url: str, language: str | None = None) -> list:
    action = RemoteAction("action_check_status", EndpointConfig(url))
    nlg = TemplatedNaturalLanguageGenerator(RESPONSES)
    return await rasa_fixes.run_or_apologise(
        RemoteAction.run, action, CollectingOutputChannel(), nlg, tracker(language),
        Domain.empty())


@pytest.mark.parametrize(("answer", "language", "said"), [
    (None, None, SORRY),  # the action server is down
    (None, "ru", SORRY_RU),
    (web.Response(status=502, text="Bad Gateway"), None, SORRY),  # a proxy in front of it
])
async def test_an_action_that_cannot_run_apologises_and_ends_the_turn(
        action_server, answer, language, said) -> None:
    events = await run(await action_server(answer), language)
    assert [type(e) for e in events] == [BotUttered, FollowupAction]
    assert events[0].text == said
    assert events[1].action_name == "action_listen"


async def test_an_action_that_runs_is_left_alone(action_server) -> None:
    url = await action_server(web.json_response(
        {"events": [{"event": "slot", "name": "language", "value": "en"}], "responses": []}))
    events = await run(url)
    assert events == [SlotSet("language", "en")]


async def test_a_rejection_stays_rasas(action_server) -> None:
    """A 400 from the action server is a form refusing a slot: Rasa's policies pick another
    action; it is not an outage."""
    url = await action_server(web.json_response(
        {"action_name": "action_check_status", "error": "not now"}, status=400))
    with pytest.raises(ActionExecutionRejection):
        await run(url)


def test_install_changes_rasa_once(monkeypatch) -> None:
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)
    monkeypatch.setattr(Agent, "_create_tracker_store", Agent._create_tracker_store)
    monkeypatch.setattr(rasa_fixes, "_installed", False)
    rasa_fixes.install()
    patched = RemoteAction.run
    rasa_fixes.install()
    assert RemoteAction.run is patched
    store: TrackerStore = Agent._create_tracker_store(BrokenStore(Domain.empty()), Domain.empty())
    assert store._on_tracker_store_error is not None
