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


_GREETING_FIRST = re.compile(r"\s*(?:hi|hello|hey|good (?:morning|afternoon|evening)|privet)\b",
                             re.IGNORECASE)


def farewell(text: str) -> bool:
    """Whether greeting words say goodbye ("have a good evening"), not hello ("hi, have a nice
    day" still greets)."""
    return closing(text) == "goodbye" and not _GREETING_FIRST.match(text or "")


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


# A question about the assistant itself that ends there: "what can you do about the pothole" or
# "how can you help with my meter readings" ask about a matter, not about the assistant.
_WHAT_FOR = re.compile(
    r"\b(?:what(?: is|'s|’s|s) (?:this|citybot|this bot|this chat)(?: even)? (?:for|good for)"
    r"|what (?:are|r) (?:you|u)(?: even| exactly)? (?:for|good for|able to do)"
    r"|what (?:else )?(?:can|could|do) (?:you|u|this bot|citybot)(?: even| actually)? "
    r"(?:do|help(?: me)?(?: with)?)"
    r"|what can i (?:ask|use you for|do here)"
    r"|how (?:can|could) (?:you|u) help(?: me)?)"
    r"(?: (?:then|exactly|here|for me|anyway))?\s*[?!.]*\s*$",
    re.IGNORECASE,
)


def asks_what_i_do(text: str) -> bool:
    """Whether the message ends by asking what the assistant is for or can do."""
    return bool(_WHAT_FOR.search(text or ""))
