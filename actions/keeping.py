"""A detail the city needs again (a vehicle certificate, a health insurance policy), kept for
next time only with the citizen's yes (``bot.saved``), and deleted by ``forget_me``.

A form that uses such a detail asks, once the city has answered, whether it may be kept (naming
the one it would replace), and after the form keeps it on a yes. Its ``<form>_kept`` slot tells
when nothing is to be asked: the detail shown is the one kept, taken from what was kept
(:data:`USED_KEPT`: the citizen typed nothing, and is told so) or typed and the same
(:data:`SAME_AS_KEPT`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import store
from bot.saved import keep, saved

USED_KEPT, SAME_AS_KEPT = "used", "same"


@dataclass(frozen=True)
class Keeping:
    """How one form keeps one detail: the ``bot.saved`` kind, the form's slots (``slot`` holds
    the detail, ``kept_slot`` the value above, ``remember_slot`` the citizen's answer), how the
    detail is shown, and the responses, named ``utter_ask_<prefix>_remember`` /
    ``utter_ask_<prefix>_replace`` / ``utter_<prefix>_kept_note`` / ``utter_<prefix>_remembered``
    / ``utter_<prefix>_not_remembered``, which name the detail as ``{<field>}`` (and the one
    kept as ``{kept}``)."""

    kind: str
    slot: str
    kept_slot: str
    remember_slot: str
    prefix: str
    field: str
    shown: Callable[[str], str]

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Whether the detail may be kept for next time (or replace the one kept)."""
        value = self.shown(str(tracker.get_slot(self.slot) or ""))
        kept = await saved(await store(), tracker.sender_id, self.kind)
        if kept:
            dispatcher.utter_message(response=f"utter_ask_{self.prefix}_replace",
                                     **{self.field: value, "kept": self.shown(kept)})
        else:
            dispatcher.utter_message(response=f"utter_ask_{self.prefix}_remember",
                                     **{self.field: value})

    async def settle(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     answered: bool) -> None:
        """After the form: when the city ``answered``, keep the detail on a yes and say what
        became of it (nothing when it is the one kept and the citizen typed it)."""
        kept = tracker.get_slot(self.kept_slot)
        if not answered or kept == SAME_AS_KEPT:
            return
        if kept == USED_KEPT:
            dispatcher.utter_message(response=f"utter_{self.prefix}_kept_note")
        elif tracker.get_slot(self.remember_slot) is True:
            value = str(tracker.get_slot(self.slot) or "")
            await keep(await store(), tracker.sender_id, self.kind, value)
            dispatcher.utter_message(response=f"utter_{self.prefix}_remembered",
                                     **{self.field: self.shown(value)})
        else:
            dispatcher.utter_message(response=f"utter_{self.prefix}_not_remembered")
