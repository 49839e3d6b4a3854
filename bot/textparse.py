"""Reading numbers and identifiers out of what citizens type ("hot 45,2 cold 102")."""

from __future__ import annotations

import re

from bot.nlu.morph import lemma

_NUMBER = re.compile(r"(?<![\d.,])(\d{1,7}(?:[.,]\d{1,3})?)(?![\d])")
_KIND_NUMBER = re.compile(
    r"\b(hot|cold|гвс|хвс|горяч\w*|холодн\w*)\b[^\d]{0,20}?(\d{1,7}(?:[.,]\d{1,3})?)",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(r"(?<!\d)(\d[\d\s-]{8,14}\d)(?!\d)")
# "m3"/"м3" after a number is the unit, not a second number ("45,2 m3").
_CUBIC_METRES = re.compile(r"(?<![^\W\d])[mм]3(?!\d)", re.IGNORECASE)
_REQUEST_ID = re.compile(r"(?<![\w])(?:sr-?|#|№)?\s*(\d{4,10})(?![\w])", re.IGNORECASE)
# A reference the city gives for reports it files later in batches (Open311 token).
_TOKEN = re.compile(r"(?<![0-9a-f])([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                    r"[0-9a-f]{12})(?![0-9a-f])", re.IGNORECASE)


def parse_number(text: str) -> float | None:
    """The single number in ``text`` (decimal comma allowed), or None if none or several."""
    found = _NUMBER.findall(_CUBIC_METRES.sub(" ", text or ""))
    if len(found) != 1:
        return None
    return float(found[0].replace(",", "."))


def parse_meter_readings(text: str) -> dict[str, float]:
    """Readings labelled with their meter: ``{"hot": 45.2, "cold": 102.0}``."""
    readings: dict[str, float] = {}
    for label, value in _KIND_NUMBER.findall(text or ""):
        kind = "hot" if label.lower().startswith(("hot", "гвс", "горяч")) else "cold"
        readings.setdefault(kind, float(value.replace(",", ".")))
    return readings


def parse_account(text: str) -> str | None:
    """A meter account number written with or without spaces or dashes."""
    for match in _ACCOUNT.findall(text or ""):
        digits = re.sub(r"\D", "", match)
        if len(digits) == 10:
            return digits
    digits = re.sub(r"\D", "", text or "")
    return digits if len(digits) == 10 else None


# A flat as people write it: "flat 12", "apt. 7b", "кв. 12", "квартира 45а", "кв12".
_FLAT_LABELLED = re.compile(
    r"(?<![^\W\d_])(?:flat|apt|apartment|kv|кв|квартир[аеуы]?)\.?\s*(?:no\.?|№|#)?\s*"
    r"(\d{1,4}[a-zа-я]?)(?![\w])",
    re.IGNORECASE,
)
# One short number standing alone (not a decimal, not part of a longer one).
_FLAT_BARE = re.compile(r"(?<![\w.,])(\d{1,4}[a-zа-я]?)(?![\w]|[.,]\d)", re.IGNORECASE)


def parse_flat(text: str, *, bare: bool = False) -> str | None:
    """A flat number ("12", "45а"), labelled ("flat 12", "кв. 12"); with ``bare``, also the one
    number of a message ("12", "№ 7", "it's 106") that names no meter, as the answer to "what
    is your flat number?"."""
    text = text or ""
    match = _FLAT_LABELLED.search(text)
    if match:
        return match.group(1).lower()
    if not bare or _KIND_NUMBER.search(text) or len(re.findall(r"\d+", text)) != 1:
        return None
    found = _FLAT_BARE.findall(text)
    return found[0].lower() if len(found) == 1 else None


def parse_token(text: str) -> str | None:
    """A batch service's reference ("722686e0…", 32 hex digits) pasted back by a citizen."""
    match = _TOKEN.search(text or "")
    return match.group(1).lower() if match else None


def parse_request_id(text: str) -> str | None:
    match = _REQUEST_ID.search(text or "")
    return match.group(1) if match else None


_FILLER = frozenset(
    "i i'd id want wanna would like to need report reporting a an the there there's theres is "
    "are please problem issue with about my it its it's this that of for in on at new make "
    "file submit complain complaint can you help me outside near next opposite behind by "
    "house".split()
)
# Russian, by dictionary form: greetings, "у нас тут", "хочу сообщить о проблеме", "пожаловаться
# на", prepositions of place.
_RUSSIAN_FILLER = frozenset(
    "здравствуйте здравствуй здравствовать здрасьте привет добрый день утро вечер уважаемый "
    "у я мы вы мой наш свой тут там вот здесь это этот такой один хотеть бы сообщить "
    "пожаловаться жаловаться жалоба заявка подать оставить написать сделать просить принять "
    "помочь проблема вопрос о про повод насчет можно пожалуйста нужно надо есть быть "
    "в на с к по за перед возле около рядом напротив и а но ли дом".split()
)


_QUESTION = re.compile(
    r"\?|^\W*(?:how|what|what's|whats|when|where|where's|why|who|which|whose|can|could|is|are|do|"
    r"does|did|will|would|should|may|shall|tell me|show me|i want to|i'd like to|i need to|"
    r"please (?:check|find|tell|show))\b"
    # Russian, often without "?": a question word first (after "а", "ну", "спасибо", ...), a
    # request to tell or check, or the particle "ли" ("будет ли вода", "можно ли")
    r"|^\W*(?:(?:а|и|ну|так|ок|окей|ладно|хорошо|понятно|ясно|спасибо|спс|да|нет|извините|"
    r"простите|пожалуйста)\W+)*(?:как|когда|где|куда|откуда|сколько|почему|зачем|отчего|что(?![-\w])|"
    r"чего|кто(?![-\w])|кому|какой|какая|какое|какие|каким|какую|каких|который|которая|чей|чья|"
    r"можно|нельзя|могу|можете|могли бы|подскажите|скажите|расскажите|покажите|проверьте|"
    r"уточните|узнайте|объясните|я\s+хочу\s+узнать|хочу\s+узнать|хотел[аи]?\s+бы\s+узнать|"
    r"kak|kogda|gde|skolko|pochemu|zachem|mozhno|podskazhite)(?![-\w])"
    r"|(?<!\bто )(?<!\w)ли\b", re.IGNORECASE)


def asks_something(text: str) -> bool:
    """Whether a message asks a question or for something ("how long will it take?", "tell me
    the status"), rather than telling ("right where the buses stop")."""
    return bool(_QUESTION.search(text or ""))


def describes_problem(text: str) -> bool:
    """Whether a first message says more than "I want to report X" (then it is the description)."""
    words = re.findall(r"[\w']+", (text or "").lower())
    return len([w for w in words if w not in _FILLER
                and (w.isascii() or lemma(w) not in _RUSSIAN_FILLER)]) >= 3


# Words people use for an option that its title says otherwise ("bigger than a car wheel").
_OPTION_SYNONYMS = {
    "bigger": "larger", "big": "larger", "huge": "larger", "enormous": "larger",
    "smaller": "smaller", "tiny": "smaller", "little": "smaller",
    "single": "one", "1": "one", "just": "", "only": "", "many": "several", "lots": "several",
    "few": "several", "multiple": "several", "two": "several", "2": "several", "3": "several",
    "blinking": "flashing", "flickering": "flashing", "off": "dark", "out": "dark",
    "sidewalk": "pavement", "pavements": "pavement", "flat": "apartment",
    "yep": "yes", "yeah": "yes", "nope": "no", "nobody": "no", "noone": "no",
}
# Russian words, by dictionary form, folded into the same words: a Russian answer then means
# the option whichever language its title is in ("больше колеса" -> "larger", "во дворе" -> yard).
_RUSSIAN_OPTION_SYNONYMS = {
    **dict.fromkeys(["большой", "огромный", "крупный", "громадный", "широкий"], "larger"),
    **dict.fromkeys(["маленький", "небольшой", "мелкий", "крошечный"], "smaller"),
    **dict.fromkeys(["один", "одиночный", "единственный"], "one"),
    **dict.fromkeys(["несколько", "много", "два", "три", "ряд"], "several"),
    **dict.fromkeys(["мигать", "моргать", "мигающий", "мерцать"], "flashing"),
    **dict.fromkeys(["погаснуть", "темный", "выключиться"], "dark"),
    **dict.fromkeys(["зависнуть", "застыть", "переключаться"], "stuck"),
    **dict.fromkeys(["цвет", "красный", "зеленый"], "colour"),
    **dict.fromkeys(["тротуар", "пешеходный"], "pavement"),
    **dict.fromkeys(["дорога", "проезжий", "проезжать"], "road"),
    "двор": "yard", "крыша": "roof", "сосулька": "roof", "улица": "street",
    "подъезд": "stairwell", "квартира": "apartment", "урна": "litter", "контейнер": "container",
    **dict.fromkeys(["да", "ага", "угу", "конечно"], "yes"),
    **dict.fromkeys(["нет", "никто", "никого"], "no"),
    **dict.fromkeys(["только", "лишь", "просто"], ""),
}
_OPTION_FILLER = frozenset(
    "i said like the a an it is its it's i'd say as told you already to of up than was there "
    "in on please well um uh yes no "
    # Russian, by dictionary form
    "я мы вы у же уже ну вот это этот так как говорить сказать в во на по и а то там тут "
    "пожалуйста ведь не быть".split()
)


def _option_word(word: str) -> str:
    """A word of an answer or a title as options compare it: a Russian one by its dictionary
    form, then any synonym."""
    if word.isascii():
        return _OPTION_SYNONYMS.get(word, word)
    folded = lemma(word)
    return _RUSSIAN_OPTION_SYNONYMS.get(folded, folded)


def _option_words(text: str, *, keep_yes_no: bool = False) -> set[str]:
    words = {_option_word(w) for w in re.findall(r"[\w']+", (text or "").lower())}
    filler = _OPTION_FILLER - ({"yes", "no"} if keep_yes_no else set())
    return {w for w in words if w and w not in filler}


def _plain(text: str) -> str:
    return (text or "").strip().lower().replace("ё", "е").strip(".!? ")


def _says(text: str, words: str) -> bool:
    """Whether the words are in the text as whole words ("да" is not in "когда")."""
    return bool(words) and re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


def best_option(
    answer: str, options: list[tuple[str, str]], *, ignore: str = ""
) -> str | None:
    """The key of the option a typed answer means ("I said, bigger than a car wheel" -> large).

    ``options`` are (key, title) pairs; a key may come with several titles (the option's title
    in each language). An exact key or title wins; else a title inside the answer; else the
    option sharing most words with it (Russian words by dictionary form, synonyms folded), if
    only one does. Words of ``ignore`` (the question, the kind of problem) count for no option.
    """
    wanted = _plain(answer)
    if not wanted:
        return None
    for key, title in options:
        if wanted in (key.lower(), _plain(title)):
            return key
    inside = list(dict.fromkeys(key for key, title in options if _says(wanted, _plain(title))))
    if len(inside) == 1:
        return inside[0]
    yes_no = {key.lower() for key, _ in options} <= {"yes", "no"}
    said = _option_words(wanted, keep_yes_no=yes_no) - _option_words(ignore)
    shared: dict[str, int] = {}
    for key, title in options:
        words = _option_words(title, keep_yes_no=yes_no) | {key.lower()}
        shared[key] = max(shared.get(key, 0), len(said & words))
    scored = sorted(((count, key) for key, count in shared.items()), reverse=True)
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    return None
