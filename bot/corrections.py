"""Reading a citizen's correction of something already said ("no wait, it's Arbat 10 not 12")."""

from __future__ import annotations

import re

# Words that mark a message as correcting an earlier detail rather than answering the question.
_CUE = re.compile(
    r"\b(?:no+|nope|wait|actually|sorry|oops|i mean|i meant|correction|wrong|mistake|"
    r"instead|rather|not\s+\d+|change|changed)\b|\bnot\b.*\bbut\b|\bit'?s not\b|\bnot about\b",
    re.IGNORECASE,
)
_NEGATED_BEFORE = re.compile(r"\bnot\s+(?:about\s+|a\s+|an\s+|the\s+|any\s+)*$", re.IGNORECASE)
# Which detail a citizen says is wrong ("the address is wrong", "wrong category").
_SLOT_WORDS = {
    "address": re.compile(r"\b(?:address|street|house|place|location|number)\b", re.IGNORECASE),
    "category": re.compile(r"\b(?:category|kind|type|problem)\b", re.IGNORECASE),
    "description": re.compile(r"\b(?:description|text|wording|words)\b", re.IGNORECASE),
}
_HOUSE_SWAP = re.compile(r"\b(\d{1,3}[a-z]?)\b(?:\s*,)?\s+(?:not|instead of)\s+\d{1,3}[a-z]?\b",
                         re.IGNORECASE)


def is_correction(text: str) -> bool:
    """Whether the message reads as a correction ("no wait", "it's 10 not 12", "I meant")."""
    return bool(_CUE.search(text or ""))


def negated(text: str, start: int) -> bool:
    """Whether the span starting at ``start`` is what the citizen says it is *not*."""
    return bool(_NEGATED_BEFORE.search((text or "")[:start]))


def wrong_detail(text: str) -> str | None:
    """The detail a citizen says is wrong, without giving the right one: address, category,
    description, or None."""
    found = [name for name, words in _SLOT_WORDS.items() if words.search(text or "")]
    return found[0] if len(found) == 1 else None


def swapped_house(text: str) -> str | None:
    """The house number in "it's 10 not 12" (the street stays as it was)."""
    match = _HOUSE_SWAP.search(text or "")
    return match.group(1) if match else None


_NEGATED_NUMBER = re.compile(r"[,;]?\s*\b(?:not|instead of)\s+(?:number\s+|house\s+)?\d{1,3}[a-z]?\b",
                             re.IGNORECASE)


def without_negated_numbers(text: str) -> str:
    """The text without the number it says is wrong ("Tverskaya 14 not 12" -> "Tverskaya 14")."""
    return _NEGATED_NUMBER.sub("", text or "").strip()


_YES = re.compile(r"^\W*(?:yes|yeah|yep|yup|sure|ok|okay|send it|submit|go ahead|correct|right)\b",
                  re.IGNORECASE)
_NO = re.compile(r"^\W*(?:no|nope|nah|don'?t|do not|cancel|not yet|hold on|wait)\b", re.IGNORECASE)
# Inside a longer message ("ambulance is here now. yes, please report the ice"): a yes or a no
# counts when it is the only one said.
_YES_ANYWHERE = re.compile(
    r"\b(?:yes|yeah|yep|yup|go ahead|send it|send the report|(?:please|do) (?:send|report|file|"
    r"submit)|submit it|file it|report it)\b", re.IGNORECASE)
_NO_ANYWHERE = re.compile(
    r"\b(?:no|nope|nah|cancel|not yet|(?:don'?t|do not|never)\s+(?:send|submit|file|report)\w*"
    r"(?:\s+(?:it|that|this|the report))?)\b", re.IGNORECASE)
# A "no" that is only talked about ("I pressed no by mistake") is no answer.
_NO_MENTIONED = re.compile(r"\b(?:pressed|clicked|hit|tapped|said|chose)\s+(?:the\s+)?\"?no\b\"?",
                           re.IGNORECASE)


def yes_or_no(text: str) -> bool | None:
    """A plain reading of an answer to a yes/no question when the NLU is unsure ("no don't
    submit yet, I want to double check" -> False); None when it is neither, or both."""
    rest = _NO_MENTIONED.sub(" ", text or "")
    no = _NO.search(text or "") or _NO_ANYWHERE.search(rest)
    yes = _YES.search(text or "") or _YES_ANYWHERE.search(_NO_ANYWHERE.sub(" ", rest))
    if no and not yes:
        return False
    if yes and not no:
        return True
    return None
