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
