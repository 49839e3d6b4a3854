"""Two of Rasa 3.6's failure behaviours changed for the citybot Rasa server.

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
  message: the citizen is left with silence. Here a custom action that cannot run (the
  action server down, an error inside it, no answer in time) answers with
  ``utter_internal_error`` and ends the turn; its events are lost as before, so the
  conversation is where it was and the citizen's next message is taken from there.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, NoReturn

from connectors.responses import INTERNAL_ERROR

log = logging.getLogger(__name__)

_installed = False


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


async def run_or_apologise(original: Any, action: Any, output_channel: Any, nlg: Any,
                           tracker: Any, domain: Any) -> list[Any]:
    """``RemoteAction.run``, answering ``utter_internal_error`` (and listening) when the
    action server cannot run the action. A rejection (a form's slot refused) stays Rasa's."""
    from rasa.core.actions.action import ActionExecutionRejection, create_bot_utterance
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import FollowupAction
    from rasa.shared.exceptions import RasaException

    try:
        return list(await original(action, output_channel, nlg, tracker, domain))
    except ActionExecutionRejection:
        raise
    except (RasaException, asyncio.TimeoutError) as exc:
        log.error("custom action %s could not run (%s): the citizen is asked to try again",
                  action.name(), exc or type(exc).__name__)
    message = await nlg.generate(INTERNAL_ERROR, tracker, output_channel.name())
    said = [create_bot_utterance(message)] if message else []
    return [*said, FollowupAction(ACTION_LISTEN_NAME)]


def install() -> None:
    """Make both changes (once) in this process, before Rasa loads its agent."""
    global _installed  # noqa: PLW0603 - a process-wide change to Rasa's classes, made once
    if _installed:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent

    original = RemoteAction.run

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any,
                  domain: Any) -> list[Any]:
        return await run_or_apologise(original, self, output_channel, nlg, tracker, domain)

    RemoteAction.run = run  # type: ignore[method-assign]
    Agent._create_tracker_store = staticmethod(strict_tracker_store)  # noqa: SLF001
    _installed = True
