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
from rasa.core.actions.forms import FormAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    FollowupAction,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_fixes
from connectors.telegram_output import TelegramOutput

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


def tracker(language: str | None = None, *turn: object) -> DialogueStateTracker:
    slots = [TextSlot("language", mappings=[{}])]
    events = [SlotSet("language", language)] if language else []
    return DialogueStateTracker.from_events("citizen-1", [*events, *turn], slots=slots)


A_TURN = (ActionExecuted("action_listen"), UserUttered("big", {"name": "inform"}),
          SlotSet("language", "en"))


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


async def run(url: str, language: str | None = None, *turn: object) -> list:
    action = RemoteAction("action_check_status", EndpointConfig(url))
    nlg = TemplatedNaturalLanguageGenerator(RESPONSES)
    return await rasa_fixes.Apologising(action).run(
        CollectingOutputChannel(), nlg, tracker(language, *turn), Domain.empty())


@pytest.mark.parametrize(("answer", "language", "said"), [
    (None, None, SORRY),  # the action server is down
    (None, "ru", SORRY_RU),
    (web.Response(status=502, text="Bad Gateway"), None, SORRY),  # a proxy in front of it
])
async def test_an_action_that_cannot_run_apologises_and_ends_the_turn(
        action_server, answer, language, said) -> None:
    events = await run(await action_server(answer), language)
    assert events == [BotUttered(said, events[0].data, events[0].metadata),
                      FollowupAction("action_listen")]


async def test_the_slots_are_given_back_their_values_of_before_the_message(
        action_server) -> None:
    """What the slot mappings read from the message is undone: the check never ran, and the
    citizen saying it again must set the slot again (a change is what gets checked)."""
    events = await run(await action_server(web.Response(status=500)), "ru", *A_TURN)
    assert [type(e) for e in events] == [SlotSet, BotUttered, FollowupAction]
    assert events[0] == SlotSet("language", "ru")
    assert events[1].text == SORRY  # what the slot said when the apology was chosen


async def test_outside_a_turn_no_slot_is_given_back(action_server) -> None:
    """An action of the session start runs before the citizen's message is logged."""
    listened = (*A_TURN, BotUttered("hello"), ActionExecuted("action_listen"))
    events = await run(await action_server(None), None, *listened)
    assert [type(e) for e in events] == [BotUttered, FollowupAction]


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


async def test_a_form_whose_check_cannot_run_fails_whole(action_server) -> None:
    """The form does not go on to ask its next question: the turn is the apology alone, and
    the form still waits for the same answer."""
    form = FormAction("problem_report_form", EndpointConfig(await action_server(None)))
    domain = Domain.from_dict({
        "actions": ["validate_problem_report_form"],
        "slots": {"problem_size": {"type": "text", "mappings": [
            {"type": "from_text", "conditions": [
                {"active_loop": "problem_report_form", "requested_slot": "problem_size"}]}]}},
        "forms": {"problem_report_form": {"required_slots": ["problem_size"]}},
        "responses": {**RESPONSES, "utter_ask_problem_size": [{"text": "How big is it?"}]},
    })
    asked = DialogueStateTracker.from_events("citizen-1", [
        ActionExecuted("action_listen"), UserUttered("pothole", {"name": "report_problem"}),
        ActionExecuted("problem_report_form"), ActiveLoop("problem_report_form"),
        SlotSet("requested_slot", "problem_size"), BotUttered("How big is it?"),
        ActionExecuted("action_listen"), UserUttered("big", {"name": "inform"}),
        SlotSet("problem_size", "big"),
    ], slots=domain.slots)
    events = await rasa_fixes.Apologising(form).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), asked,
        domain)
    assert [type(e) for e in events] == [SlotSet, BotUttered, FollowupAction]
    asked.update_with_events(events, domain)
    assert asked.get_slot("problem_size") is None  # the unchecked answer is not kept
    assert asked.active_loop_name == "problem_report_form"
    assert asked.get_slot("requested_slot") == "problem_size"


async def test_after_a_failed_action_rasa_listens(monkeypatch, action_server) -> None:
    """Rasa's processor with the fix installed: the apology is sent and the next action is
    listening (the turn ends), with the slots as before the message."""
    install(monkeypatch)
    domain = Domain.from_dict({"actions": ["action_check_status"], "responses": RESPONSES,
                               "slots": {"language": {"type": "text", "mappings": []}}})
    processor = MessageProcessor.__new__(MessageProcessor)  # _run_action needs its domain only
    processor.domain = domain
    output = CollectingOutputChannel()
    turn = tracker("ru", *A_TURN)
    action = RemoteAction("action_check_status", EndpointConfig(await action_server(None)))
    await MessageProcessor._run_action(
        processor, action, turn, output, TemplatedNaturalLanguageGenerator(RESPONSES),
        PolicyPrediction.for_action_name(domain, "action_check_status"))
    assert [m["text"] for m in output.messages] == [SORRY]
    assert turn.followup_action == "action_listen"
    assert turn.get_slot("language") == "ru"


def install(monkeypatch) -> None:
    """rasa_fixes.install(), undone after the test."""
    monkeypatch.setattr(MessageProcessor, "_run_action", MessageProcessor._run_action)
    monkeypatch.setattr(MessageProcessor, "handle_message", MessageProcessor.handle_message)
    monkeypatch.setattr(MessageProcessor, "_handle_message_with_tracker",
                        MessageProcessor._handle_message_with_tracker)
    monkeypatch.setattr(Agent, "_create_tracker_store", Agent._create_tracker_store)
    monkeypatch.setattr(rasa_fixes, "_installed", False)
    rasa_fixes.install()


def test_install_changes_rasa_once(monkeypatch) -> None:
    install(monkeypatch)
    patched = MessageProcessor._run_action
    rasa_fixes.install()
    assert MessageProcessor._run_action is patched
    store: TrackerStore = Agent._create_tracker_store(BrokenStore(Domain.empty()), Domain.empty())
    assert store._on_tracker_store_error is not None


class Parsed(Exception):
    """The processor went on to understand the message (a new one)."""


async def test_a_message_whose_id_the_conversation_holds_is_answered_from_it(monkeypatch):
    """A resend (same id) is not handled again: what was said to it then is said again; a new
    id is handled as usual."""
    install(monkeypatch)
    conversation = DialogueStateTracker.from_events("anna", [
        ActionExecuted("action_listen"),
        UserUttered("hello", message_id="m-1"),
        BotUttered("Hi Anna", {"buttons": [{"title": "Report", "payload": "/report"}]}),
        BotUttered("What can I do?"),
        ActionExecuted("action_listen"),
        UserUttered("bye", message_id="m-2"),
        BotUttered("Bye"),
        ActionExecuted("action_listen"),
    ])
    processor = MessageProcessor.__new__(MessageProcessor)

    async def fetch(*_args, **_kwargs) -> DialogueStateTracker:
        return conversation

    async def parse(*_args, **_kwargs) -> None:
        raise Parsed

    processor.fetch_tracker_and_update_session = fetch
    processor.parse_message = parse
    output = CollectingOutputChannel()
    answer = await processor.handle_message(UserMessage("hello", output, "anna", message_id="m-1"))
    assert [(m["text"], m.get("buttons")) for m in answer] == [
        ("Hi Anna", [{"title": "Report", "payload": "/report"}]), ("What can I do?", None)]
    with pytest.raises(Parsed):
        await processor.handle_message(UserMessage("hello", output, "anna", message_id="m-3"))
    assert len(conversation.events) == 8  # nothing was added to the conversation


async def test_a_channel_that_pushed_its_answers_is_not_answered_twice(monkeypatch):
    """Telegram's second attempt at an update (another server's pick-up) finds the turn taken
    and says nothing: the first attempt pushed the answers as it ran."""
    install(monkeypatch)
    conversation = DialogueStateTracker.from_events("anna", [
        ActionExecuted("action_listen"), UserUttered("hello", message_id="m-1"),
        BotUttered("Hi Anna"), ActionExecuted("action_listen")])
    processor = MessageProcessor.__new__(MessageProcessor)

    async def fetch(*_args, **_kwargs) -> DialogueStateTracker:
        return conversation

    processor.fetch_tracker_and_update_session = fetch
    telegram = TelegramOutput(bot=None, sender=None, ledger=None)  # sending anything would fail
    assert await processor.handle_message(
        UserMessage("hello", telegram, "anna", message_id="m-1")) is None
    output = CollectingOutputChannel()
    await processor.handle_message(UserMessage("hello", output, "anna", message_id="m-1"))
    assert [m["text"] for m in output.messages] == ["Hi Anna"]  # what the REST channel gets
    assert len(conversation.events) == 4


def test_earlier_replies_are_those_of_the_message_up_to_the_next() -> None:
    events = [UserUttered("a", message_id="1"), BotUttered("x"), ActionExecuted("action_listen"),
              UserUttered("b", message_id="2"), ActionExecuted("action_listen")]
    assert [r["text"] for r in rasa_fixes.earlier_replies(events, "1")] == ["x"]
    assert rasa_fixes.earlier_replies(events, "2") == []
    assert rasa_fixes.earlier_replies(events, "3") is None
