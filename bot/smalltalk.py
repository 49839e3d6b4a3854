"""Small talk read from the words, for messages the NLU could not place or misplaced: closing
words added to something else ("they're out now. thanks", "ok thank you, bye", "have a good
evening"), and questions about what the assistant is for ("hmm ok. what can you help me with
then")."""

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


_WHAT_FOR = re.compile(
    r"\bwhat (?:are|r) (?:you|u)(?: even| exactly)? (?:for|good for|able to do)\b"
    r"|\bwhat (?:is|'s) (?:this|citybot|this bot|this chat)(?: even)? (?:for|good for)\b"
    r"|\bwhat (?:can|could|do) (?:you|u)(?: even| actually)? (?:do|help)\b"
    r"|\bwhat can i (?:ask|use you for|do here)\b"
    r"|\bhow (?:can|could) (?:you|u) help\b",
    re.IGNORECASE,
)


def asks_what_i_do(text: str) -> bool:
    """Whether the message asks what the assistant is for or can do."""
    return bool(_WHAT_FOR.search(text or ""))
