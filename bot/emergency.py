"""Recognising an emergency in a citizen's message: people in danger get 112 before any form."""

from __future__ import annotations

import re

_DANGER = re.compile(
    r"\b(?:trapped|stuck)\b.{0,60}\b(?:inside|in (?:it|there|the (?:lift|elevator))|between floors|"
    r"with (?:my|a|an|the|our|some|two|three|\w+ (?:kid|child|neighbour|neighbor|son|daughter)))"
    r"|\b(?:someone|somebody|people|person|child|kid|neighbou?r|man|woman|my \w+)\b.{0,40}"
    r"\b(?:trapped|stuck (?:inside|in)|injured|hurt|bleeding|unconscious|electrocuted|fell through)"
    r"|\b(?:can'?t|cannot|unable to) (?:get up|move|breathe|get out)\b|\bhit (?:his|her|their) head\b"
    r"|\bsmell(?:s|ing)? (?:of )?gas\b|\bgas (?:leak|smell)\b|\bfire\b|\bburning\b|\bflames?\b"
    r"|\bsmoke (?:is )?(?:coming|pouring)\b"
    r"|\bsparking\b.{0,30}\bwires?\b|\bbare (?:live )?wires?\b|\blive wires?\b",
    re.IGNORECASE | re.DOTALL,
)
_NOT_NOW = re.compile(r"\b(?:nobody|no one|noone|not)\b.{0,20}\b(?:trapped|stuck|inside|hurt)\b",
                      re.IGNORECASE)


def is_emergency(text: str) -> bool:
    """Whether someone may be in danger now (trapped, hurt, gas, fire, live wires)."""
    text = text or ""
    return bool(_DANGER.search(text)) and not _NOT_NOW.search(text)
