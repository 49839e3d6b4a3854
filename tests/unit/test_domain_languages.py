"""Every response of the domain speaks English and Russian, the two in step."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest
import yaml

from bot.config import ROOT

RESPONSES: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def _language(variant: dict[str, Any]) -> str:
    said = [c["value"] for c in variant.get("condition") or [] if c.get("name") == "language"]
    return said[0] if said else "en"


def _shape(variant: dict[str, Any]) -> tuple[Any, ...]:
    """What must not change between languages: channel, placeholders, button payloads."""
    fields = {f for _, f, _, _ in string.Formatter().parse(variant.get("text") or "") if f}
    payloads = [b.get("payload") for b in variant.get("buttons") or []]
    return variant.get("channel"), frozenset(fields), tuple(payloads)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_each_response_has_russian_variations_shaped_like_the_english(name):
    variants = RESPONSES[name]
    english = [_shape(v) for v in variants if _language(v) == "en"]
    russian = [_shape(v) for v in variants if _language(v) == "ru"]
    assert english, f"{name} has no English (unconditioned) variation"
    assert sorted(russian, key=repr) == sorted(english, key=repr), name
    for variant in variants:
        if _language(variant) == "ru":
            words = re.sub(r"\{\w+\}", "", variant["text"])
            assert _CYRILLIC.search(words) or not re.search(r"[a-z]", words, re.IGNORECASE), (
                f"{name}: Russian text not in Russian")
            for button in variant.get("buttons") or []:
                assert _CYRILLIC.search(button["title"]), f"{name}: button {button['title']!r}"


@pytest.mark.parametrize("name", sorted(n for n in RESPONSES if n.startswith("utter_faq/")
                                         and n != "utter_faq/no_curated_answer"))
def test_russian_faq_answers_cite_the_russian_page_of_their_topic(name):
    topic = name.removeprefix("utter_faq/")
    for variant in RESPONSES[name]:
        page = "/ru/faq/" if _language(variant) == "ru" else "/faq/"
        assert variant["text"].rstrip().endswith(f"{{portal_url}}{page}{topic}"), name
