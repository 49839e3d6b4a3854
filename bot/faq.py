"""When an FAQ question gets a curated answer: the response selector must be sure of a topic."""

from __future__ import annotations

import re
from typing import Any

# The response selector's confidence below which no curated answer is given (docs/conversations.md).
CONFIDENCE = 0.6
# A trained topic without a curated answer: questions about other authorities' services
# (vehicle registration, hunting licences, visas...), answered with "no official answer".
NO_ANSWER_TOPIC = "faq/no_curated_answer"


def selected(parse: dict[str, Any]) -> tuple[str, float]:
    """The FAQ topic the response selector picked for a parsed message, and its confidence."""
    picked = (((parse.get("response_selector") or {}).get("faq") or {}).get("response")) or {}
    return picked.get("intent_response_key") or "", float(picked.get("confidence") or 0.0)


def surely_unanswered(parse: dict[str, Any]) -> bool:
    """Whether the response selector is sure the question is one with no curated answer."""
    topic, confidence = selected(parse)
    return topic == NO_ANSWER_TOPIC and confidence >= CONFIDENCE


def curated_topic(parse: dict[str, Any]) -> str | None:
    """The FAQ topic ("faq/passport") to answer a parsed message with, or None to say that
    there is no official answer."""
    topic, confidence = selected(parse)
    if not topic or topic == NO_ANSWER_TOPIC or confidence < CONFIDENCE:
        return None
    return topic


_FOLLOW_UP = re.compile(
    r"^\s*(?:and|also|what about|how about|а|и|а если|а как|а что)\b"
    r"|\b(?:it|that|this|they|them|those|these|there"
    r"|это|этого|этом|этим|эта|эти|там|туда|тут|его|её|ее|их|они|него|неё|нее)\b",
    re.IGNORECASE,
)


def is_follow_up(text: str) -> bool:
    """Whether a short question leans on what was just said ("is there a fee for that?",
    "and old batteries?", "from what age do they take kids?", "а это платно?")."""
    text = (text or "").strip()
    return 0 < len(text.split()) <= 12 and bool(_FOLLOW_UP.search(text))


_WORD = re.compile(r"[a-zа-яё]{4,}")
# Words too common in questions and answers to tie a question to an answer.
_COMMON = frozenset(
    "what when where which about have need does there this that with your from they them will "
    "would could should city portal official source answer question please know tell much many "
    "also just some only want like been into more than other then "
    "когда какой какая какие можно нужно надо если меня мне есть было будет этот чтобы "
    "сколько только тоже ещё еще очень через после".split()
)
STEM = 5


def _stems(text: str) -> set[str]:
    return {w[:STEM] for w in _WORD.findall((text or "").lower()) if w not in _COMMON}


def asks_about_answer(question: str, answer: str) -> bool:
    """Whether a short question asks about something the answer just given speaks of ("can I
    pay at the post office?" after the utility bill answer, which names the post office)."""
    words = (question or "").split()
    if not 0 < len(words) <= 12 or "?" not in question:
        return False
    return bool(_stems(question) & _stems(answer))


# Words that ask where something is, not about an answer ("where is the nearest post office?").
_LOCATING = re.compile(
    r"\b(?:where|nearest|closest|near me|nearby|address|open|hours"
    r"|где|куда|ближайш\w*|рядом|адрес\w*|открыт\w*|часы работы|работает)\b",
    re.IGNORECASE)


def asks_where(text: str) -> bool:
    """Whether a message asks where something is or when it opens (an office search)."""
    return bool(_LOCATING.search(text or ""))
