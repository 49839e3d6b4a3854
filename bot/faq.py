"""When an FAQ question gets a curated answer: the response selector must be sure of a topic."""

from __future__ import annotations

import re
from typing import Any

# The response selector's confidence below which no curated answer is given (docs/conversations.md).
CONFIDENCE = 0.6
# A trained topic without a curated answer: questions about other authorities' services
# (vehicle registration, hunting licences, visas...), answered with "no official answer".
NO_ANSWER_TOPIC = "faq/no_curated_answer"


def curated_topic(parse: dict[str, Any]) -> str | None:
    """The FAQ topic ("faq/passport") to answer a parsed message with, or None to say that
    there is no official answer."""
    selected = (((parse.get("response_selector") or {}).get("faq") or {}).get("response")) or {}
    topic = selected.get("intent_response_key") or ""
    if not topic or topic == NO_ANSWER_TOPIC or (selected.get("confidence") or 0.0) < CONFIDENCE:
        return None
    return topic


_FOLLOW_UP = re.compile(
    r"^\s*(?:and|also|what about|how about)\b|\b(?:it|that|this|they|them|those|these|there)\b",
    re.IGNORECASE,
)


def is_follow_up(text: str) -> bool:
    """Whether a short question leans on what was just said ("is there a fee for that?",
    "and old batteries?", "from what age do they take kids?")."""
    text = (text or "").strip()
    return 0 < len(text.split()) <= 12 and bool(_FOLLOW_UP.search(text))
