"""Which language a conversation is in: English or Russian, chosen from the citizen's own words.

A citizen's language is read from the script of their words (Cyrillic is Russian, Latin is
English) and, for Russian typed in Latin letters ("privet, yama na tverskoy"), from a lexicon of
common Russian chat words compared by a transliteration-blind key. A message decides the
language only with enough words of it: a one-word reply ("да", "ok", "12") never flips a
conversation that is already in the other language. The channel's hint (Telegram's
``language_code``, the portal page's ``<html lang>``) chooses until the citizen's words do.
docs/nlu.md has the measurements behind the rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.nlu.morph import in_cyrillic, lemmas, morph, spelled_back
from bot.vehicles import without_certificates

Language = Literal["en", "ru"]
LANGUAGES: tuple[Language, ...] = ("en", "ru")
DEFAULT: Language = "en"
# The languages the trained model understands, so the ones a conversation may be in (both have
# their training data in data/nlu and their responses in domain.yml: docs/languages.md).
OFFERED: tuple[Language, ...] = ("en", "ru")

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)

# The lemmas of common Russian chat words (no street names, no words that are also English).
_CHAT_LEMMAS = frozenset("""
привет здравствуйте здравствовать здрасьте добрый день вечер утро спасибо благодарить
пожалуйста пока свидание хорошо ладно конечно нет ага угу ничто почему зачем когда где куда
откуда сколько какой который что кто как можно нужно надо нужный хотеть мочь помочь помощь
подсказать сказать рассказать узнать сообщить пожаловаться жалоба заявка номер проблема яма
дорога асфальт фонарь свет мусор контейнер дерево упасть детский площадка снег сосулька
застрять протечка течь вода горячий холодный отопление электричество отключение отключить
дать счётчик счетчик показание передать подать документ прописка регистрация поликлиника
больница ближайший улица проспект переулок дом подъезд двор квартира район москва оператор
человек живой поговорить соединить позвать сотрудник сейчас сегодня завтра вчера уже неделя
давно опять снова очень сильно большой огромный совсем вообще тоже только если или потому
весь всё я мы вы ты он она они это этот здесь там тут работать открытый закрыть понять
русский английский язык уметь делать сделать починить работа
""".split())


# Two-letter words say which language they are only from these lists ("na", "ty" / "at", "is").
_SHORT_RUSSIAN = frozenset("na ne ty ya vy po za iz ot ko li ih im".split())
_SHORT_ENGLISH = frozenset("a i an at be by go he if in is it me my no of on or so to up us we".split())


_LEMMA_WORD = re.compile(r"[^\W_]+")
Words = Sequence[frozenset[str]]


def lemma_words(text: str) -> list[tuple[int, frozenset[str]]]:
    """(position, dictionary forms) of each word of the text (digits are words too)."""
    return [(m.start(), lemmas(m.group())) for m in _LEMMA_WORD.finditer(text)]


def find_words(words: Words, wanted: Words) -> int | None:
    """Where the wanted words follow one another in ``words`` (each word sharing a dictionary
    form with the wanted one), or None."""
    if not wanted:
        return None
    for start in range(len(words) - len(wanted) + 1):
        if all(words[start + i] & word for i, word in enumerate(wanted)):
            return start
    return None


def mentioned(text: str, phrase: str,
              words: list[tuple[int, frozenset[str]]] | None = None) -> int | None:
    """Where the text names the phrase (whole words; a Russian phrase in any grammatical form:
    "на арбате" names "Арбат"), or None. ``words``: the text's :func:`lemma_words`, when
    already at hand."""
    if _CYRILLIC.search(phrase):
        words = lemma_words(text) if words is None else words
        at = find_words([forms for _, forms in words], [forms for _, forms in lemma_words(phrase)])
        return None if at is None else words[at][0]
    found = re.search(rf"\b{re.escape(phrase.lower())}\b", text.lower())
    return None if found is None else found.start()


def _known(cyrillic: str) -> bool:
    return morph().word_is_known(cyrillic) and any(
        p.normal_form in _CHAT_LEMMAS for p in morph().parse(cyrillic)[:2])


@functools.lru_cache(maxsize=4096)
def _typed_in_latin(word: str) -> bool:
    """A Latin word counts as Russian when, spelled back into Cyrillic, pymorphy3 reads it as a
    form of a common chat word ("goryachuyu" -> горячий); only those words count, so that English
    words spelled back ("water" -> ватер) do not."""
    word = word.lower()
    if len(word) < 3 or not word.isascii():
        return word in _SHORT_RUSSIAN
    return any(_known(cyrillic) for cyrillic in spelled_back(word))


def _counts(word: str) -> bool:
    """Whether a word says anything about the language (short Latin words mostly do not)."""
    return len(word) > 2 or not word.isascii() or word.lower() in _SHORT_RUSSIAN | _SHORT_ENGLISH


def russian_words(text: str) -> int:
    """How many words of the text are Russian: in Cyrillic, or common ones in Latin letters."""
    return sum(1 for word in _WORD.findall(text or "")
               if _CYRILLIC.search(word) or _typed_in_latin(word))


def words_of(text: str) -> tuple[int, int]:
    """(Russian words, other words) of a text; digits and punctuation are neither. A message of
    Russian typed in Latin letters counts as the Cyrillic the NLU reads it as."""
    text = without_certificates(text or "")
    text = (in_cyrillic(text) or (text,))[0]
    words = [w for w in _WORD.findall(text or "") if _counts(w)]
    russian = russian_words(text)
    return russian, len(words) - russian


@dataclass(frozen=True)
class Reading:
    """What a message says about its language: the likelier one, and whether that is decided
    (enough words of it to switch a conversation that was in the other language)."""

    language: Language | None
    decided: bool


def read(text: str) -> Reading:
    """The language of one message. Two words of a language, and more of it than of the other,
    decide; a single word only suggests; no words (numbers, emoji) say nothing."""
    russian, other = words_of(text)
    if russian == 0 and other == 0:
        return Reading(None, False)
    if russian > other:
        return Reading("ru", russian >= 2)
    if other > russian:
        # Latin words beside Cyrillic ones are mostly street names ("на Tverskaya 12"): a
        # Russian word among English ones keeps the message English only when outnumbered.
        return Reading("en", other >= 2)
    return Reading(None, False)


def from_hint(hint: str | None) -> Language | None:
    """A channel's language hint ("ru", "ru-RU", "en-GB", "uk") as one of ours, or None."""
    code = (hint or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None  # type: ignore[return-value]


def choose(current: Language | None, text: str, hint: str | None = None,
           offered: tuple[Language, ...] | None = None) -> Language:
    """The conversation's language after a message: the citizen's words when they decide (or
    when nothing was chosen yet), else what was chosen, else the channel's hint, else English."""
    offered = offered or OFFERED
    reading = read(text)
    if reading.language in offered and (reading.decided or current is None):
        return reading.language  # type: ignore[return-value]
    hinted = from_hint(hint)
    return current or (hinted if hinted in offered else None) or DEFAULT
