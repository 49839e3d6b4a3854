"""Russian words' dictionary forms (pymorphy3), for the NLU pipeline and the dialogue alike.

It lives with the pipeline's components because the tokenizer's lemmas are what a trained model
counts: a change here is a training input (``bot.training.INPUTS``).
"""

from __future__ import annotations

import functools
import re

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def morph():  # type: ignore[no-untyped-def]
    """The one Russian morphological analyser of a process (its dictionaries load in a second)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@functools.lru_cache(maxsize=8192)
def lemmas(word: str) -> frozenset[str]:
    """Every dictionary form a word can be a form of, itself included ("ямы" -> {"ямы", "ям",
    "яма"}), lower case with ё as е; a word that is not Cyrillic is only itself. Sets, because
    the likeliest reading is not always the meant one ("ямы" reads first as a plural of "ям")."""
    word = word.lower().replace("ё", "е")
    if not _CYRILLIC.search(word):
        return frozenset({word})
    return frozenset({word, *(p.normal_form.replace("ё", "е") for p in morph().parse(word))})


@functools.lru_cache(maxsize=8192)
def lemma(word: str) -> str:
    """The likeliest dictionary form of a Cyrillic word ("колеса" -> "колесо", "больше" ->
    "большой"), lower case with ё as е; any other word lower-cased as it is."""
    word = word.lower().replace("ё", "е")
    if not _CYRILLIC.search(word):
        return word
    return morph().parse(word)[0].normal_form.replace("ё", "е")


# Russian typed in Latin letters ("kogda dadut goryachuyu vodu"): each word spelled back into
# Cyrillic the usual chat ways ("zh", "kh", "sh", "ch", "ya", "yu", "-iy"/"-yy"/"-oy" endings).
_BACK = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"),
    ("ya", "я"), ("ja", "я"), ("yu", "ю"), ("ju", "ю"), ("yo", "ё"), ("ye", "е"),
    ("yy", "ый"), ("yi", "ый"),  # "iy", "oy", "ay" before a consonant: _Y_AS_J
    ("y", "ы"), ("j", "й"), ("x", "кс"), ("w", "в"), ("'", "ь"), ("a", "а"), ("b", "б"),
    ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"), ("k", "к"),
    ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"),
    ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("c", "ц"), ("q", "к"),
)
_BACK_RE = re.compile("|".join(re.escape(latin) for latin, _ in _BACK))
_BACK_MAP = dict(_BACK)
_Y_AS_J = re.compile(r"(?<=[aeiou])y(?![aeiou])")
# chat spelling drops the soft sign ("bolshoe" for большое, "umeesh" for умеешь)
_SOFT = re.compile(r"([лнтдсзрмш])(?=[бвгджзклмнпрстфхцчшщ]|$)")


@functools.lru_cache(maxsize=8192)
def spelled_back(word: str) -> tuple[str, str]:
    """A word typed in Latin letters spelled back into Cyrillic: as typed, then with the soft
    signs chat spelling drops put back ("umeesh" -> ("умееш", "умеешь"))."""
    cyrillic = _BACK_RE.sub(lambda m: _BACK_MAP[m.group(0)], _Y_AS_J.sub("j", word.lower()))
    return cyrillic, _SOFT.sub(r"\1ь", cyrillic)
