"""Russian addresses as citizens write them: any grammatical case, street-kind words and their
abbreviations, house numbers with корпус and строение.

pymorphy3 reads every word's possible lemmas and grammatical forms. A query word matches a word
of a street's Russian name when the two share a lemma: fully when the query word can be a form
of the name word (the same gender for an adjective: "Тверской" is a form of "Тверская", not of
the masculine "Тверской" after "на", which asks for the prepositional case), a little less when
it only shares the lemma ("Тверская" against "Тверской бульвар"). Anything else is compared
letter by letter in transliteration, like the English search.

The sandbox does not model корпус/строение (nor flats, entrances, floors): they are read and
dropped, so "Тверская 12к2" finds house 12.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pymorphy3

# A street-kind word's lemma, or its abbreviation (hyphens dropped), -> the canonical kind
# (the same kinds as the English STREET_TYPES).
KINDS = {
    **dict.fromkeys(["улица", "ул"], "street"),
    **dict.fromkeys(["проспект", "пр", "просп", "прт", "пркт"], "avenue"),
    **dict.fromkeys(["переулок", "пер"], "lane"),
    **dict.fromkeys(["бульвар", "бр", "бул", "бульв"], "boulevard"),
    **dict.fromkeys(["площадь", "пл"], "square"),
    **dict.fromkeys(["набережная", "наб"], "embankment"),
    **dict.fromkeys(["проезд", "прд"], "passage"),
    **dict.fromkeys(["шоссе", "ш", "шос"], "highway"),
}
# Words that say nothing about the street: as written, and by lemma.
FILLERS = {"д", "вл", "г", "гор", "рн", "рф", "кв", "и", "а", "мкр"}
FILLER_LEMMAS = {"дом", "домик", "владение", "здание", "город", "москва", "адрес", "район",
                 "округ", "россия", "номер", "жить", "мой", "наш", "я", "это", "вот", "рядом"}
# A preposition -> the cases it asks for (where the street word's form should be).
PREPOSITIONS = {
    **dict.fromkeys(["на", "в", "во"], frozenset({"loct", "loc2"})),
    **dict.fromkeys(["у", "около", "возле", "напротив", "от", "до", "близ", "вдоль", "из"],
                    frozenset({"gent", "gen2"})),
    **dict.fromkeys(["по", "к", "ко"], frozenset({"datv"})),
    **dict.fromkeys(["с", "со", "за", "под", "над", "перед", "между"],
                    frozenset({"ablt", "gent"})),
}
# "Б. Дмитровка", "М. Бронная": one-letter abbreviations of a name's first word.
ABBREVIATED = {"б": "большой", "бол": "большой", "м": "малый", "мал": "малый", "ср": "средний",
               "н": "нижний", "ниж": "нижний", "верх": "верхний", "нов": "новый",
               "стар": "старый"}
ORDINALS = {word: n for n, word in enumerate(  # lemmas, ё written е like every lemma here
    "первый второй третий четвертый пятый шестой седьмой восьмой девятый десятый".split(),
    start=1)}

CYRILLIC_LETTER = re.compile(r"[а-яё]", re.IGNORECASE)
# Cyrillic to Latin letters, the way the English search reads Russian typed in Cyrillic.
TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
    strict=True,
))
# "12/1" is house 12 (a corner house's second number belongs to the other street).
CORNER = re.compile(r"(\d+)\s*[/\\]\s*\d+")
HYPHENATED = re.compile(r"(?<![а-я])(пр-к?т|пр-д|б-р|р-н)(?![а-я])")
# "2-я", "2-й", "2-ой", "2я": an ordinal, part of a street's name ("2-я Брестская"), no house.
ORDINAL = re.compile(r"(?<![\d/])(\d{1,2})(?:-(?:ая|ой|ий|ый|ое|ого|ому|ом|ую|ые|ых|я|й|е|го|му"
                     r"|м|ю|х)|(?:ая|ой|ий|ый|я|й))(?![а-я\d])")
# What follows a house number and is not modelled: корпус, строение, flat, entrance, floor.
UNIT = re.compile(r"(\d+[а-я]?)\s*,?\s*(?:корпус|корп|кор|к|строение|строен|стр|ст|с|квартира|"
                  r"кв|офис|оф|подъезд|помещение|пом|этаж|эт)\.?\s*\d+[а-я]?(?![а-я\d])")
TOKEN = re.compile(r"#\d+|\d+[а-яa-z]?(?![а-яa-z\d])|\d+|[а-я]+|[a-z]+")
HOUSE = re.compile(r"^(\d+)[а-яa-z]?$")


def has_cyrillic(text: str) -> bool:
    return CYRILLIC_LETTER.search(text) is not None


def normalise(text: str) -> str:
    return text.lower().replace("ё", "е")


def translit(word: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in word)


@dataclass(frozen=True)
class Word:
    """One word of a query or of a street's Russian name, as pymorphy3 reads it."""

    text: str                  # lower case, ё as е; "#2" for an ordinal
    latin: str                 # transliterated, for letter-by-letter comparison
    lemmas: frozenset[str]     # every lemma it can have, and itself
    forms: tuple[tuple[str, str | None, str | None], ...] = ()  # (lemma, gender, case)
    cases: frozenset[str] | None = None  # query words: the cases a preposition before asks for
    gender: str | None = None  # name words: an adjective's gender in its nominative form
    inflects: bool = True      # name words: False for fixed genitives ("Гиляровского")
    neutral: bool = False      # query words: an abbreviation ("Б."), agrees with anything


@dataclass(frozen=True)
class Parsed:
    """Street words, street kind and house number of a Russian address."""

    words: tuple[Word, ...]
    kind: str | None
    house: int | None


class RussianReader:
    """Reads Russian addresses and scores them against streets' Russian names."""

    def __init__(self, latin_kinds: dict[str, str], latin_fillers: set[str]) -> None:
        # Latin words among Russian ones ("Тверская street 12") read as in English.
        self._latin_kinds = latin_kinds
        self._latin_fillers = latin_fillers
        self._morph = pymorphy3.MorphAnalyzer(lang="ru")
        self._cache: dict[str, tuple[tuple[str, str | None, str | None], ...]] = {}

    def _forms(self, word: str) -> tuple[tuple[str, str | None, str | None], ...]:
        forms = self._cache.get(word)
        if forms is None:
            if len(self._cache) > 20_000:
                self._cache.clear()
            forms = tuple((normalise(p.normal_form), p.tag.gender, p.tag.case)
                          for p in self._morph.parse(word))
            self._cache[word] = forms
        return forms

    def parse(self, text: str) -> Parsed:
        """The street words, kind and house of ``text`` ("ул. Тверская, д. 12к2")."""
        text = CORNER.sub(r"\1", normalise(text))
        text = HYPHENATED.sub(lambda m: " " + m.group(1).replace("-", "") + " ", text)
        text = ORDINAL.sub(lambda m: f" #{int(m.group(1))} ", text)
        while True:
            shorter = UNIT.sub(r"\1", text)
            if shorter == text:
                break
            text = shorter
        words: list[Word] = []
        kind = None
        house = None
        cases: frozenset[str] | None = None
        for token in TOKEN.findall(text):
            if token.startswith("#"):
                words.append(Word(token, token, frozenset({token})))
                continue
            match = HOUSE.match(token)
            if match:
                house = int(match.group(1))
                cases = None  # a preposition before the house says nothing about what follows
                continue
            if token.isascii():
                if token in self._latin_kinds:
                    kind = self._latin_kinds[token]
                elif token not in self._latin_fillers:
                    words.append(Word(token, token, frozenset({token}), cases=cases))
                continue
            if token in PREPOSITIONS:
                cases = PREPOSITIONS[token]
                continue
            if token in KINDS:
                kind = KINDS[token]
                continue
            if token in FILLERS:
                continue
            if token in ABBREVIATED:
                lemma = ABBREVIATED[token]
                words.append(Word(token, translit(lemma), frozenset({lemma}), neutral=True))
                continue
            forms = self._forms(token)
            lemma = forms[0][0]
            if lemma in KINDS:
                kind = KINDS[lemma]
                continue
            if lemma in FILLER_LEMMAS:
                continue
            words.append(self._word(token, forms, cases))
        return Parsed(tuple(words), kind, house)

    def _word(self, token: str, forms: tuple[tuple[str, str | None, str | None], ...],
              cases: frozenset[str] | None) -> Word:
        for lemma, _, _ in forms:
            if lemma in ORDINALS:
                text = f"#{ORDINALS[lemma]}"
                return Word(text, text, frozenset({text}))
        return Word(token, translit(token), frozenset({token, *(f[0] for f in forms)}),
                    forms, cases=cases)

    def name(self, name: str) -> tuple[tuple[Word, ...], str | None]:
        """The words and kind of a street's (or district's) Russian name."""
        parsed = self.parse(name)
        words = []
        for word in parsed.words:
            if word.forms:
                word = Word(word.text, word.latin, word.lemmas, word.forms,
                            gender=self._adjective_gender(word.text),
                            inflects=any(case == "nomn" for _, _, case in word.forms))
            words.append(word)
        return tuple(words), parsed.kind

    def _adjective_gender(self, word: str) -> str | None:
        """The gender of an adjective in its nominative form ("тверская": femn), else None."""
        for parse in self._morph.parse(word):
            if "ADJF" in parse.tag and parse.tag.case == "nomn" and parse.tag.number == "sing":
                return parse.tag.gender
        return None


def word_score(query: Word, name: Word) -> float:
    """How well a query word stands for a word of a street's name, 0..1."""
    if query.text.startswith("#") or name.text.startswith("#"):
        return 1.0 if query.text == name.text else 0.0
    if query.lemmas & name.lemmas:
        if name.gender is None or query.neutral:
            return 1.0 if query.text == name.text or name.inflects else 0.95
        agreeing = {case for lemma, gender, case in query.forms
                    if lemma in name.lemmas and gender == name.gender}
        if not agreeing:
            return 0.95
        if query.cases is None or agreeing & query.cases:
            return 1.0
        return 0.97
    return ratio(query.latin, name.latin)


@functools.lru_cache(maxsize=65_536)
def ratio(a: str, b: str) -> float:
    """difflib's similarity of two strings, remembered (street names repeat query after query)."""
    return difflib.SequenceMatcher(None, a, b).ratio()


def name_score(words: Iterable[Word], kind: str | None, name_words: tuple[Word, ...],
               name_kind: str | None) -> float:
    """How well the query's street words (and kind) name a street, 0..1 (like the English)."""
    words = tuple(words)
    if not words or not name_words:
        return 0.0
    best = [max(word_score(word, name_word) for name_word in name_words) for word in words]
    coverage = min(1.0, len(words) / len(name_words))
    score = sum(best) / len(best) * (0.85 + 0.15 * coverage)
    if kind and name_kind and kind != name_kind:
        score *= 0.9
    return score
