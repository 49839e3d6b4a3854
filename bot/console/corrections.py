"""The learning loop: reviewers correct what the assistant understood; corrections become NLU
training data in the format of ``data/nlu/`` (Rasa 3 YAML), to merge and retrain.

A correction is the intent a message should have had and the message annotated with its
entities (``there's a pothole on [Tverskaya 12](address)``), one per message; exporting writes
the pending ones grouped by intent and marks them exported.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.config import ROOT
from bot.store import Correction, Store
from bot.store.models import utcnow

NLU_DATA = ROOT / "data" / "nlu"
_INTENT_LINE = re.compile(r"^\s*-\s*intent:\s*([\w/-]+)\s*$", re.MULTILINE)
_INTENT = re.compile(r"^[A-Za-z_][\w-]*(?:/[\w-]+)?$")
# [value](entity) or [value](entity:synonym), as in data/nlu/.
_ANNOTATION = re.compile(r"\[([^\[\]\n]+)\]\(([A-Za-z_][\w-]*)(?::[^()\n]+)?\)")
EXAMPLE_CHARS = 1000


class CorrectionError(ValueError):
    """What is wrong with a correction, in words for the reviewer."""


@lru_cache(maxsize=1)
def known_intents(data_dir: Path = NLU_DATA) -> tuple[str, ...]:
    """The intents the training data has (retrieval intents as ``faq/topic``), sorted."""
    found: set[str] = set()
    for path in sorted(data_dir.glob("*.yml")):
        found.update(_INTENT_LINE.findall(path.read_text(encoding="utf-8")))
    return tuple(sorted(found))


def annotate(text: str, entities: Iterable[Mapping[str, Any]]) -> str:
    """``text`` with the extracted entities marked up in Rasa's training format."""
    marks = sorted(
        (e for e in entities
         if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
         and 0 <= e["start"] < e["end"] <= len(text) and e.get("entity")),
        key=lambda e: e["start"],
    )
    out, at = [], 0
    for entity in marks:
        if entity["start"] < at:
            continue  # overlapping extractors: keep the first
        out += [text[at:entity["start"]], f"[{text[entity['start']:entity['end']]}]({entity['entity']})"]
        at = entity["end"]
    return "".join(out) + text[at:]


def plain(example: str) -> str:
    """The message an annotated example stands for."""
    return _ANNOTATION.sub(lambda m: m.group(1), example)


def check(intent: str, example: str, text: str) -> tuple[str, str]:
    """A correction made safe to store and export, or CorrectionError."""
    intent, example = intent.strip(), " ".join(example.split())
    if not _INTENT.match(intent) or intent not in known_intents():
        raise CorrectionError(f"{intent!r} is not an intent of the training data.")
    if not example or len(example) > EXAMPLE_CHARS:
        raise CorrectionError("The example is empty or too long.")
    if "\n" in example or example.startswith(("-", "#", "/")):
        raise CorrectionError("The example cannot start with '-', '#' or '/'.")
    if plain(example) != " ".join(text.split()):
        raise CorrectionError(
            "The example must be the citizen's message itself, with entities marked as "
            "[words](entity)."
        )
    return intent, example


async def save(
    store: Store, *, sender_id: str, event_id: int, text: str, predicted: str | None,
    intent: str, example: str, by: str,
) -> Correction:
    """Record (or replace, while not exported) the correction of one message."""
    intent, example = check(intent, example, text)
    async with store.session() as session, session.begin():
        found = await session.scalar(
            sa.select(Correction).where(
                Correction.sender_id == sender_id, Correction.event_id == event_id
            )
        )
        if found is None:
            found = Correction(sender_id=sender_id, event_id=event_id, text=text)
            session.add(found)
        found.predicted_intent, found.intent, found.example = predicted, intent, example
        found.corrected_by, found.corrected_at, found.exported_at = by, utcnow(), None
    return found


async def for_conversation(store: Store, sender_id: str) -> dict[int, Correction]:
    async with store.session() as session:
        rows = await session.scalars(
            sa.select(Correction).where(Correction.sender_id == sender_id)
        )
        return {row.event_id: row for row in rows}


async def pending_count(store: Store) -> int:
    async with store.session() as session:
        return int(await session.scalar(
            sa.select(sa.func.count()).select_from(Correction)
            .where(Correction.exported_at.is_(None))
        ) or 0)


def to_yaml(corrections: Iterable[Correction]) -> str:
    """Rasa 3.1 NLU training data: one block per intent, examples in a literal block."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for correction in corrections:
        if correction.example not in by_intent[correction.intent]:
            by_intent[correction.intent].append(correction.example)
    lines = ['version: "3.1"', "", "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in by_intent[intent]]
    return "\n".join(lines) + "\n"


async def export(store: Store, *, mark: bool = True) -> tuple[str, int]:
    """The pending corrections as NLU YAML (and how many); ``mark``: they are exported now."""
    async with store.session() as session, session.begin():
        rows = list(await session.scalars(
            sa.select(Correction).where(Correction.exported_at.is_(None))
            .order_by(Correction.intent, Correction.id)
            .with_for_update()
        ))
        text = to_yaml(rows)
        if mark:
            now = utcnow()
            for row in rows:
                row.exported_at = now
    return text, len(rows)
