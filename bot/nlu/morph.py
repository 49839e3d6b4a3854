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


_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# Two-letter words that are Russian in chat spelling ("na tverskoy", "ty bot")
_SHORT_RUSSIAN = frozenset("na ne ty ya vy po za iz ot ko li ih im vo do mne".split())
# English words that Russian typed in Latin letters does not have: one of them and the message is
# English, however many of its words spell back into Russian ones ("is it better to rent" would
# read "ис ит беттер то рент", every word of it in pymorphy3's dictionary).
_ENGLISH = frozenset("""
the an is are was were be been am you he she it we they me my your his her its our their this
that these those of in on at for with from by about as into over after before up down out off
how what why when where who which does did have has had can could will would should may might
must not yes or and but if then than too very just all any some more most other such only own
same both each few many much now here there again once best like get got let make need want
know time real someone person please thanks thank bye ok okay hi hello new day per way good
""".split())
Span = tuple[int, int, int, int]  # start and end in the typed text, then in the Cyrillic one


def _russian_spelling(word: str) -> str | None:
    """The word's Cyrillic spelling when it is one pymorphy3 knows, else None."""
    if word.lower() in _SHORT_RUSSIAN:
        return spelled_back(word)[0]
    if len(word) < 3:
        return None
    plain, soft = spelled_back(word)
    for cyrillic in (plain, soft):
        if morph().word_is_known(cyrillic):
            return cyrillic
    return None


def in_cyrillic(text: str) -> tuple[str, list[Span]] | None:
    """The text spelled in Cyrillic with each word's span before and after, when it is Russian
    typed in Latin letters; None for anything else (English, Cyrillic, numbers)."""
    if _CYRILLIC.search(text):
        return None
    words = list(_LATIN_WORD.finditer(text))
    if any(w.group().lower() in _ENGLISH for w in words):
        return None
    counted = [w for w in words if len(w.group()) > 2 or w.group().lower() in _SHORT_RUSSIAN]
    russian = [w for w in counted if _russian_spelling(w.group())]
    if len(russian) < 2 or len(russian) * 5 < len(counted) * 3:  # two words and 60 % at least
        return None
    # Two long words alone may be English loanwords ("report a problem": репорт, проблем): three
    # words, or a short Russian one among them ("ty bot"), make it Russian.
    if len(russian) < 3 and not any(w.group().lower() in _SHORT_RUSSIAN for w in russian):
        return None
    pieces, spans, at, shift = [], [], 0, 0
    for word in words:
        cyrillic = _russian_spelling(word.group()) or spelled_back(word.group())[0]
        pieces += [text[at:word.start()], cyrillic]
        start = word.start() + shift
        spans.append((word.start(), word.end(), start, start + len(cyrillic)))
        shift += len(cyrillic) - len(word.group())
        at = word.end()
    pieces.append(text[at:])
    return "".join(pieces), spans
