"""The domain's responses, read by a channel that must speak without Rasa's turn: a command
menu, a flood warning, an apology for a turn that failed."""

from __future__ import annotations

from typing import Any

from bot.language import DEFAULT

Variants = dict[str, list[dict[str, Any]]]

INTERNAL_ERROR = "utter_internal_error"
# Said when the domain cannot be read (no model loaded yet): better than silence.
FALLBACK_APOLOGY = "Sorry, something went wrong on my side; please try again in a moment."


def variation_language(variant: dict[str, Any]) -> str:
    """The language a response variation is for: its condition on the language slot, else
    the default."""
    for condition in variant.get("condition") or []:
        if condition.get("name") == "language":
            return str(condition.get("value"))
    return DEFAULT


def of_agent(agent: Any) -> Variants:
    """The responses of the agent's domain (none before a model is loaded)."""
    return dict(getattr(getattr(agent, "domain", None), "responses", None) or {})


def say(responses: Variants, name: str, language: str = DEFAULT,
        channel: str | None = None) -> str:
    """The text of response ``name`` in ``language`` (its variation with the condition on the
    language slot; English has none), the channel's own variation first; "" if it has none."""
    variants = [v for v in responses.get(name) or []
                if variation_language(v) == language] or (responses.get(name) or [])
    ordered = sorted(variants, key=lambda v: v.get("channel") != channel)
    for variant in ordered:
        if variant.get("channel") in (None, channel) and variant.get("text"):
            return str(variant["text"])
    return ""
