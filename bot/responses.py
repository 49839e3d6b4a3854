"""The domain's responses, for whoever must speak without Rasa's turn: a channel's command menu,
flood warning or apology for a turn that failed (from the served model's domain), and the
console's closing message to a citizen (from domain.yml). One home, so every sentence a citizen
reads comes from the domain and in their language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.config import ROOT
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


@lru_cache(maxsize=1)
def of_domain(path: Path = ROOT / "domain.yml") -> Variants:
    """The responses of the domain file (for a process without Rasa's agent: the console)."""
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {})


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
