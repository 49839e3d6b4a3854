"""The learning loop: reviewers correct what the assistant understood; corrections become NLU
training data in the format of ``data/nlu/`` (Rasa 3 YAML), to merge and retrain.

A correction is the intent a message should have had and the message annotated with its
entities (``there's a pothole on [Tverskaya 12](address)``), one per message, in the language of
the message (:func:`language_of`). Exporting writes one language's pending corrections grouped
by intent, for that language's training data (:func:`nlu_dir`: English in ``data/nlu/``,
Russian in ``data/nlu/ru/``), and marks them exported.
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
from bot.language import DEFAULT, LANGUAGES, choose
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
    """The intents the training data of any language has (retrieval intents as
    ``faq/topic``), sorted."""
    found: set[str] = set()
    for path in sorted(data_dir.rglob("*.yml")):
        found.update(_INTENT_LINE.findall(path.read_text(encoding="utf-8")))
    return tuple(sorted(found))


def nlu_dir(language: str, data_dir: Path = NLU_DATA) -> Path:
    """Where a language's training data lives: its own folder (``data/nlu/ru/``), or, for
    English while it has none, the top of ``data/nlu/``."""
    own = data_dir / language
    return data_dir if language == DEFAULT and not own.is_dir() else own


def language_of(text: str, conversation: str | None) -> str:
    """The language whose training data a corrected message belongs to: the message's own
    words when they decide (:func:`bot.language.choose`: two words of a language), else the
    conversation's language at that turn, else English. A one-word "да" in a Russian
    conversation is Russian; an English sentence in one where Russian was asked for, English."""
    return choose(conversation if conversation in LANGUAGES else None, text)


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
    intent: str, example: str, by: str, language: str | None = None,
) -> Correction:
    """Record (or replace, while not exported) the correction of one message; ``language``:
    the conversation's at that turn (:func:`language_of` decides the correction's)."""
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
        found.language = language_of(text, language)
        found.corrected_by, found.corrected_at, found.exported_at = by, utcnow(), None
    return found


async def for_conversation(store: Store, sender_id: str) -> dict[int, Correction]:
    async with store.session() as session:
        rows = await session.scalars(
            sa.select(Correction).where(Correction.sender_id == sender_id)
        )
        return {row.event_id: row for row in rows}


def _language(correction: Correction) -> str:
    # Corrections made before languages were kept: their own words, or English.
    return correction.language or language_of(correction.text, None)


async def pending_count(store: Store) -> int:
    async with store.session() as session:
        return int(await session.scalar(
            sa.select(sa.func.count()).select_from(Correction)
            .where(Correction.exported_at.is_(None))
        ) or 0)


async def pending_by_language(store: Store) -> dict[str, int]:
    """How many corrections await export in each language (every one of
    :data:`bot.language.LANGUAGES`, 0 included)."""
    counts = dict.fromkeys(LANGUAGES, 0)
    async with store.session() as session:
        for correction in await session.scalars(
            sa.select(Correction).where(Correction.exported_at.is_(None))
        ):
            language = _language(correction)
            counts[language] = counts.get(language, 0) + 1
    return counts


def _display(path: Path) -> str:
    try:
        return f"{path.relative_to(ROOT)}/"
    except ValueError:
        return f"{path}/"


def to_yaml(corrections: Iterable[Correction], language: str | None = None) -> str:
    """Rasa 3.1 NLU training data: one block per intent, examples in a literal block; with a
    ``language``, a comment first says where it goes."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for correction in corrections:
        if correction.example not in by_intent[correction.intent]:
            by_intent[correction.intent].append(correction.example)
    lines = []
    if language:
        lines += [f"# Corrections from the staff console, language {language}: merge each "
                  f"intent's examples into its file in {_display(nlu_dir(language))}"]
    lines += ['version: "3.1"', "", "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in by_intent[intent]]
    return "\n".join(lines) + "\n"


def file_name(language: str) -> str:
    """What an export of one language is called ("corrections-ru.yml")."""
    return f"corrections-{language}.yml"


async def export(store: Store, language: str, *, mark: bool = True) -> tuple[str, int]:
    """One language's pending corrections as NLU YAML for its training data (and how many);
    ``mark``: they are exported now. The other languages' stay pending."""
    if language not in LANGUAGES:
        raise CorrectionError(f"{language!r} is not a language of the training data.")
    async with store.session() as session, session.begin():
        rows = [row for row in await session.scalars(
            sa.select(Correction).where(Correction.exported_at.is_(None))
            .order_by(Correction.intent, Correction.id)
            .with_for_update()
        ) if _language(row) == language]
        text = to_yaml(rows, language)
        if mark:
            now = utcnow()
            for row in rows:
                row.exported_at = now
    return text, len(rows)
