"""Closing words a citizen adds to something else ("they're out now. thanks", "ok thank you,
bye"): for a message the NLU could not place, they are what needs an answer."""

from __future__ import annotations

import re

from bot.textparse import asks_something

_BYE = re.compile(r"\b(?:bye|goodbye|bye-bye|see you|see ya|good night|have a (?:good|nice|great) "
                  r"(?:one|day|evening|night|weekend))\b", re.IGNORECASE)
_THANKS = re.compile(r"\b(?:thanks|thank you|thank u|thx|cheers|much appreciated|"
                     r"spasibo)\b", re.IGNORECASE)


def closing(text: str) -> str | None:
    """``"goodbye"`` or ``"thank"`` when the message ends the exchange with those words and asks
    nothing; None otherwise."""
    if asks_something(text):
        return None
    if _BYE.search(text or ""):
        return "goodbye"
    if _THANKS.search(text or ""):
        return "thank"
    return None
