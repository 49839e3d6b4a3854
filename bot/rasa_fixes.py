"""Three of Rasa 3.6's failure behaviours changed for the citybot Rasa server.

Rasa Open Source 3.6 is the last open-source release, so these are made here, at the one
place a citybot Rasa server starts (:mod:`bot.rasa_server`), not waited for upstream. Both
came out of the fault harness (``tests/faults``, docs/faults.md):

- **The tracker store fails loudly.** Rasa wraps every tracker store in
  ``FailSafeTrackerStore``: a failed read returns no conversation, so a citizen halfway
  through a report is answered as if they had just arrived, and a failed write goes to an
  in-memory store nobody reads; the turn is answered and lost. Here the store's own hook for
  errors re-raises them: the turn fails as a whole and is not stored, and each channel tells
  the citizen to try again (Telegram tries again itself: docs/telegram.md).
- **An action server that cannot run an action says so.** Rasa logs "Encountered an
  exception while running action", drops the action's events and ends the turn with no
  message: the citizen is left with silence. Here an action the processor runs that fails (a
  custom action whose server is down, answers 5xx - :mod:`bot.actionserver` does for a bug -
  or does not answer in time; a form whose check cannot run) answers with
  ``utter_internal_error`` and ends the turn, and the slots get back the values they had
  before the message: Rasa kept what its slot mappings had read from it while the action that
  checks those slots never ran, so a form took the unchecked answer, or none, when the citizen
  said it again (the fault harness saw reports confirmed without their size). The message
  stays in the conversation, answered by the apology. (``UserUtteranceReverted`` would not
  do: Rasa folds a form's turns together when it replays a conversation, and the revert then
  takes back the whole form.)
- **A message is handled once.** A client that got no answer (its server died, the answer was
  lost on the way) sends the message again with the same id, possibly to another server. Rasa
  would take it as a new message: a second turn, perhaps a second report. Here a message whose
  id the conversation already holds is not handled again; what was said to it then is sent
  again. The check runs under the conversation's lock (Redis with several servers), so a resend
  that arrives while the first attempt still runs waits for it and is then answered from it.
  An output channel that pushes its answers as the turn runs rather than returning them
  (Telegram's) says ``answers_again = False``: a second attempt through it is silent, since the
  first pushed the answers itself (:data:`ANSWERS_AGAIN`).
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from bot.responses import INTERNAL_ERROR

log = logging.getLogger(__name__)

_installed = False

# An output channel's attribute: False when a message already handled is not answered again.
ANSWERS_AGAIN = "answers_again"


def _raise(error: Exception) -> NoReturn:
    raise error


def strict_tracker_store(store: Any, domain: Any) -> Any:
    """What Rasa's ``Agent`` makes of its tracker store: the fail-safe wrapper, with the
    wrapper's error hook raising instead of falling back to memory."""
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore

    if store is None:
        store = InMemoryTrackerStore(domain)
    else:
        store.domain = domain
    return FailSafeTrackerStore(store, on_tracker_store_error=_raise)


class Apologising:
    """An action as Rasa's processor runs it; when it fails (a custom action its server cannot
    run, a form whose check cannot run, no answer in time), the slots get back their values of
    before the citizen's message, ``utter_internal_error`` is said and the turn ends there
    (``FollowupAction(action_listen)``).
    Everything else is the action's own. A rejection (a form's slot refused) stays Rasa's.

    Only the action the processor runs is wrapped: a form whose check fails must fail whole,
    not go on to ask its next question."""

    def __init__(self, action: Any) -> None:
        self.action = action

    def __getattr__(self, name: str) -> Any:
        return getattr(self.action, name)

    async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Any]:
        from rasa.core.actions.action import ActionExecutionRejection, create_bot_utterance
        from rasa.shared.core.constants import ACTION_LISTEN_NAME
        from rasa.shared.core.events import FollowupAction

        try:
            return list(await self.action.run(output_channel, nlg, tracker, domain) or [])
        except ActionExecutionRejection:
            raise
        except Exception:  # noqa: BLE001 - Rasa would log it and say nothing; we apologise
            log.exception("action %s failed: the slots are as before the citizen's message, "
                          "and the citizen is asked to try again", self.action.name())
        message = await nlg.generate(INTERNAL_ERROR, tracker, output_channel.name())
        said = [create_bot_utterance(message)] if message else []
        return [*slots_before_the_message(tracker), *said, FollowupAction(ACTION_LISTEN_NAME)]


def slots_before_the_message(tracker: Any) -> list[Any]:
    """``SlotSet`` events giving back the values the slots had before the citizen's latest
    message, for those changed since (by Rasa's slot mappings, or by actions of the turn that
    did run); none outside a turn (an action of ``action_session_start`` runs before the
    message is logged)."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = list(tracker.events)
    for at in range(len(events) - 1, -1, -1):
        if isinstance(events[at], UserUttered):
            break
        if isinstance(events[at], ActionExecuted) and events[at].action_name == ACTION_LISTEN_NAME:
            return []
    else:
        return []
    changed = {e.key for e in events[at + 1:] if isinstance(e, SlotSet)}
    if not changed:
        return []
    before = DialogueStateTracker.from_events(
        tracker.sender_id, events[:at], slots=list(tracker.slots.values()))
    return [SlotSet(name, before.get_slot(name)) for name in sorted(changed)
            if before.get_slot(name) != tracker.get_slot(name)]


class AlreadyHandled(Exception):
    """The message's id is in the conversation: its turn is over (``replies``: what was said)."""

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        super().__init__("message already handled")
        self.replies = replies


def earlier_replies(events: Any, message_id: str) -> list[dict[str, Any]] | None:
    """What the bot said after the user message ``message_id`` (None: no such message)."""
    from rasa.shared.core.events import BotUttered, UserUttered

    replies: list[dict[str, Any]] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.append(event.message())
    return replies


async def answer_again(message: Any, replies: list[dict[str, Any]]) -> Any:
    """Send a handled message's replies to its channel again; what Rasa's ``handle_message``
    returns."""
    from rasa.core.channels.channel import CollectingOutputChannel

    output = message.output_channel
    if getattr(output, ANSWERS_AGAIN, True) is False:
        log.info("message %s of %s was handled before: not answered again",
                 message.message_id, message.sender_id)
        replies = []
    else:
        log.info("message %s of %s was handled before: its %d replies are sent again",
                 message.message_id, message.sender_id, len(replies))
    for reply in replies:
        await output.send_response(message.sender_id, reply)
    return output.messages if isinstance(output, CollectingOutputChannel) else None


def install() -> None:
    """Make the three changes (once) in this process, before Rasa loads its agent."""
    global _installed  # noqa: PLW0603 - a process-wide change to Rasa's classes, made once
    if _installed:
        return
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor

    run_action = MessageProcessor._run_action  # noqa: SLF001

    async def _run_action(self: Any, action: Any, *args: Any, **kwargs: Any) -> bool:
        return await run_action(self, Apologising(action), *args, **kwargs)

    MessageProcessor._run_action = _run_action  # type: ignore[method-assign]  # noqa: SLF001

    with_tracker = MessageProcessor._handle_message_with_tracker  # noqa: SLF001
    handle_message = MessageProcessor.handle_message

    async def _handle_message_with_tracker(self: Any, message: Any, tracker: Any) -> None:
        replies = earlier_replies(tracker.events, message.message_id)
        if replies is not None:
            raise AlreadyHandled(replies)
        await with_tracker(self, message, tracker)

    async def _handle_message(self: Any, message: Any) -> Any:
        try:
            return await handle_message(self, message)
        except AlreadyHandled as seen:
            return await answer_again(message, seen.replies)

    MessageProcessor._handle_message_with_tracker = _handle_message_with_tracker  # noqa: SLF001
    MessageProcessor.handle_message = _handle_message  # type: ignore[method-assign]
    Agent._create_tracker_store = staticmethod(strict_tracker_store)  # noqa: SLF001
    _installed = True
