"""Reading a period out of what a citizen wrote ("tomorrow", "next week", "on 12 december"), in
English or Russian ("завтра", "на следующей неделе", "12 декабря", "с субботы").

Single days (a date with its month, "tomorrow", "послезавтра", "in 3 days") are read by
dateparser, which knows both languages' month names and relative days and needs no download;
weekdays, weeks, weekends, months and periods "since" a day, which dateparser has no notion of,
are read here. ``today`` is always passed in: nothing here reads the clock.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta

import dateparser
from dateutil.relativedelta import relativedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)


# Russian weekdays in any case and number ("в субботу", "по субботам", "с субботы", "в суботу"),
# their abbreviations ("в сб") and chat spellings in Latin letters ("v subbotu"); not
# "субботник", "Пятницкая" (a street) or "60 вт" (watts).
_RUSSIAN_WEEKDAYS = tuple(re.compile(pattern) for pattern in (
    r"\bпонедельник(?:а|у|ом|е|и|ов|ам|ами|ах)?\b|(?<!\w)пн\b|\bponedel'?nik(?:a|u|am)?\b",
    r"\bвторник(?:а|у|ом|е|и|ов|ам|ами|ах)?\b|(?<!\w)(?<!\d )вт\b|\bvtornik(?:a|u|am)?\b",
    r"\bсред(?:а|у|ы|е|ой|ам|ами|ах)\b|(?<!\w)ср\b|\bsred(?:a|u|y|am)\b",
    r"\bчетверг(?:а|у|ом|е|и|ов|ам|ами|ах)?\b|(?<!\w)чт\b|\bchetverg(?:a|u|am)?\b",
    r"\bпятниц(?:а|у|ы|е|ей|ам|ами|ах)\b|(?<!\w)пт\b|\bpyatni(?:ts|c)(?:a|u|y|e|am)\b",
    r"\bсубб?от(?:а|у|ы|е|ой|ам|ами|ах)\b|(?<!\w)сб\b|\bsubb?ot(?:a|u|y|e|am)\b",
    r"\bвоскрес[еи]н(?:ье|ья|ью|ьем|ьям|ьями|ьях|ие|ия|ию|ием|иям)\b|(?<!\w)вс\b"
    r"|\bvoskresen'?(?:ye|ie|ya|ia|yu|iu|e|ya|yam|jam)\b",
))
# "Среда" is also the environment ("городская среда", "окружающей среды").
_ENVIRONMENT = re.compile(r"\b(?:окружающ|городск|природн|жил|комфортн|безбарьерн|доступн|"
                          r"цифров|образовательн|благоприятн|водн)\w*\s+сред\w*|\bсред\w*\s+обитани\w*")


def weekday_in(text: str) -> int | None:
    """The weekday a text names ("sat", "on saturdays", "в субботу", "по сб"), Monday 0, or None."""
    t = (text or "").lower()
    for number, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name[:3]}(?:{name[3:]})?s?\b", t):
            return number
    t = _ENVIRONMENT.sub(" ", t.replace("ё", "е"))
    for number, pattern in enumerate(_RUSSIAN_WEEKDAYS):
        if pattern.search(t):
            return number
    return None


LANGUAGES = ["en", "ru"]

# Words for days as Muscovites type them, spelled so dateparser knows them: misspellings and
# Russian typed in Latin letters.
_SPELLINGS = {
    "зафтра": "завтра", "завтро": "завтра", "послезафтра": "послезавтра",
    "севодня": "сегодня", "сегодна": "сегодня", "седня": "сегодня",
    "zavtra": "завтра", "poslezavtra": "послезавтра", "segodnya": "сегодня",
    "segodnja": "сегодня", "sevodnya": "сегодня", "sevodnja": "сегодня",
}
_SPELLING = re.compile(r"\b(?:" + "|".join(_SPELLINGS) + r")\b")


def _plain(text: str) -> str:
    """Lower case, ё as е, days spelled as dateparser knows them."""
    t = (text or "").lower().replace("ё", "е")
    return _SPELLING.sub(lambda m: _SPELLINGS[m.group(0)], t)


def _dateparser(text: str, today: date, **settings: object) -> date | None:
    """What dateparser reads in a short span, relative to ``today`` (never the clock)."""
    parsed = dateparser.parse(text, languages=LANGUAGES, settings={
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False, **settings,
    })
    return parsed.date() if parsed else None


_COUNT = (r"(?:\d{1,2}|a|one|two|three|four|five|six|seven|eight|nine|ten|"
          r"один|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять)")
_RELATIVE_DAY = re.compile(
    r"\b(?:(?:the\s+)?day\s+after\s+tomorrow|tomorrow|today|tonight|послезавтра|завтра|сегодня"
    rf"|(?:in|через)\s+{_COUNT}\s+(?:days?|дн(?:я|ей)|день))\b")


def relative_day(text: str, today: date) -> date | None:
    """The day a text names relative to today ("tomorrow", "послезавтра", "через 2 дня")."""
    match = _RELATIVE_DAY.search(_plain(text))
    if not match:
        return None
    if match.group(0) in ("tonight",):
        return today
    return _dateparser(match.group(0), today)


_ORDINAL = r"(?:st|nd|rd|th|-?(?:го|ого|е|ое|й))?"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?([^\W\d_]{{3,9}})\b\.?"
                        r"(?:\s+(\d{4})\b)?")
_MONTH_DAY = re.compile(rf"\b([^\W\d_]{{3,9}})\b\.?\s+(\d{{1,2}}){_ORDINAL}\b(?:,?\s+(\d{{4}})\b)?")


# "улица 8 Марта", "ул. 1 Мая": a street, not a date.
_STREET_BEFORE = re.compile(r"(?:\bулиц\w*|\bул|\bпроезд\w*|\bпереул\w*|\bпер|\bплощад\w*|"
                            r"\bпросп\w*|\bпр|\bбульвар\w*|\bшоссе)\.?\s*$")
_STREET_AFTER = re.compile(r"^\s*(?:ул\b|улиц\w*|пр\b|просп\w*|проезд\w*|переул\w*|площад\w*)")


@functools.lru_cache(maxsize=1)
def _month_names() -> dict[str, int]:
    """The months' names and abbreviations in both languages ("dec", "декабря", "мар"), as
    dateparser's language data has them."""
    from dateparser.languages.loader import default_loader

    names: dict[str, int] = {}
    for language in LANGUAGES:
        info = default_loader.get_locale(language).info
        for number, month in enumerate(MONTHS, start=1):
            for name in info.get(month) or []:
                names[name.lower().replace("ё", "е")] = number
    return names


def _month(word: str) -> int | None:
    """The month a word names ("декабря", "dec", "sept"), or None."""
    word = word.lower().rstrip(".")
    if word in _month_names():
        return _month_names()[word]
    for number, name in enumerate(MONTHS, start=1):  # English prefixes ("sept", "decem")
        if len(word) >= 3 and name.startswith(word):
            return number
    return None


def _date(day: int, word: str, year: str | None, today: date) -> date | None:
    """The day of a month named in words, read by dateparser: in the year said, else this year
    or next year (whichever is not past)."""
    month = _month(word)
    if month is None:
        return None
    read = _dateparser(f"{day} {word} {year or today.year}", today,
                       REQUIRE_PARTS=["day", "month", "year"])
    if read is None or read.month != month:
        return None if year else _on(day, month, today)
    return read if year or read >= today else _on(read.day, read.month, today)


def date_in(text: str, today: date) -> date | None:
    """The first date a text names with its month ("on 12 december", "december 3rd",
    "12 дек", "12-го декабря"), or None."""
    t = _plain(text)
    found = [(m.start(), m.end(), int(m.group(1)), m.group(2), m.group(3))
             for m in _DAY_MONTH.finditer(t)]
    found += [(m.start(), m.end(), int(m.group(2)), m.group(1), m.group(3))
              for m in _MONTH_DAY.finditer(t)]
    for start, end, day, word, year in sorted(found):
        if _STREET_BEFORE.search(t[:start]) or _STREET_AFTER.match(t[end:]):
            continue  # "улица 8 Марта"
        if _month(word) is not None:
            return _date(day, word, year, today)
    return None


# "с 5 по 10 декабря", "from 5 to 10 december", "5-10 декабря", "с 28 ноября по 3 декабря".
_RANGE = re.compile(
    r"(?:\b(?:с|со|from|between)\s+(?P<day>\d{1,2})(?:\s+(?P<month>[^\W\d_]{3,9})\.?)?\s+"
    r"(?:по|до|to|till|until|and)"
    r"|\b(?P<day2>\d{1,2})(?:\s+(?P<month2>[^\W\d_]{3,9})\.?)?\s*[-–—])"
    r"\s*(?P<last>\d{1,2})\s+(?:of\s+)?(?P<last_month>[^\W\d_]{3,9})\b")


def _range(text: str, today: date) -> tuple[date, date] | None:
    """The first and last day of "с 5 по 10 декабря", "from 5 to 10 december", "5-10 дек"."""
    for match in _RANGE.finditer(_plain(text)):
        end = _date(int(match["last"]), match["last_month"], None, today)
        if end is None:
            continue
        first_day = int(match["day"] or match["day2"])
        named = match["month"] or match["month2"]
        month = _month(named) if named else end.month
        if month is None:
            continue
        try:
            start = date(end.year, month, first_day)
        except ValueError:
            return None
        if start > end:
            try:
                start = date(end.year - 1, month, first_day)
            except ValueError:
                return None
        return start, end
    return None


def _on(day: int, month: int, today: date) -> date | None:
    """That day this year, or next year if it has passed."""
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return None
    if candidate < today:
        try:
            candidate = date(today.year + 1, month, day)
        except ValueError:
            return None
    return candidate


_SINCE = re.compile(r"\b(?:since|from last|for the last|ever since|starting)\s+(?:last\s+)?(\w+)")
# Russian "since": "с субботы", "с прошлой пятницы", "со вчерашнего дня", "с самого утра".
# "С понедельника отключат" is from a day ahead: a word for the future says it is not since.
_SINCE_RU = re.compile(r"\b(?:с|со)\s+(?:самого\s+|прошл\w+\s+|позапрошл\w+\s+|эт(?:ой|ого)\s+)?"
                       r"([^\W\d_]+)(?=(?:\s+([^\W\d_]+))?)")
# (Near the day: "нет воды с субботы, когда дадут" still asks since saturday.)
_FUTURE_RU = re.compile(r"\b(?:отключат|отключим|перекроют|(?:будут|будет)\s+(?:\w+\s+)?отключ\w*|"
                        r"отключени\w+\s+будет|планир\w*|запланир\w*|начн(?:ут|ется|ем)|"
                        r"собира\w*|след(?:ующ\w*|ущ\w*)?|будущ\w*)\b")
_TOMORROW_BEFORE = re.compile(r"\b(?:завтра|послезавтра)\s+$")
_SINCE_DATE = re.compile(rf"\b(?:since|с|со)\s+(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?([^\W\d_]{{3,9}})\b")
_ORDINALS_RU = {"втор": 2, "трет": 3, "четверт": 4, "пят": 5, "шест": 6, "седьм": 7, "восьм": 8,
                "девят": 9, "десят": 10}
_COUNTS_RU = {"один": 1, "одну": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5,
              "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10}
# "уже третий день", "3-й день", "вторые сутки": the first of them was N-1 days ago.
_NTH_DAY = re.compile(r"\b(?:(\d{1,2})\s*-?\s*(?:й|ий|ой|ый|и|е|ие|ые)|(" + "|".join(_ORDINALS_RU)
                      + r")(?:ий|ой|ый|ьи|ие|ые|и|ы)?)\s+(?:день|дня|сутки|суток)\b")
# "уже 3 дня", "уже неделю", "уже две недели", "уже сутки", "три дня подряд".
_DAYS_ON = re.compile(
    r"\bуже\s+(?:(\d{1,2}|" + "|".join(_COUNTS_RU) + r")\s+)?(день|дня|дней|сутки|суток|"
    r"недел[юиь]|месяц(?:а|ев)?)\b|\b(\d{1,2}|" + "|".join(_COUNTS_RU)
    + r")\s+(день|дня|дней|суток|недел[юиь])\s+подряд\b")


def _back_to(number: int, today: date) -> date:
    """The last such weekday before today (a week ago on the same weekday)."""
    return today - timedelta(days=(today.weekday() - number) % 7 or 7)


def _since_russian(t: str, today: date) -> tuple[date, date] | None:
    for match in _SINCE_RU.finditer(t):
        if _FUTURE_RU.search(t[max(0, match.start() - 40):match.end() + 40]) or \
                _TOMORROW_BEFORE.search(t[:match.start()]):
            continue  # "с понедельника отключат", "завтра с утра": from a day ahead
        word, following = match.group(1), match.group(2) or ""
        if word in ("утра", "утречка", "обеда", "полудня", "сегодня", "сегодняшнего"):
            return today, today
        if word in ("вчера", "вчерашнего", "ночи", "вечера"):
            return today - timedelta(days=1), today
        if word in ("позавчера", "позавчерашнего"):
            return today - timedelta(days=2), today
        if word == "выходных":
            return _back_to(5, today), today
        if word == "начала" and following.startswith("недел"):
            return today - timedelta(days=today.weekday()), today
        if word == "начала" and following.startswith("месяц"):
            return today.replace(day=1), today
        if word.startswith("недел"):
            return today - timedelta(days=7), today
        number = weekday_in(word)
        if number is not None:
            return _back_to(number, today), today
    match = _NTH_DAY.search(t)
    if match:
        nth = int(match.group(1)) if match.group(1) else _ORDINALS_RU[match.group(2)]
        if 1 <= nth <= 31:
            return today - timedelta(days=nth - 1), today
    match = _DAYS_ON.search(t)
    if match:
        count, unit = (match.group(1), match.group(2)) if match.group(2) else match.group(3, 4)
        count = 1 if not count else int(count) if count.isdigit() else _COUNTS_RU[count]
        if unit.startswith("месяц"):
            return today - relativedelta(months=count), today
        return today - timedelta(days=count * (7 if unit.startswith("недел") else 1)), today
    return None


def _since_date(t: str, today: date) -> tuple[date, date] | None:
    """"since 20 november", "с 20 ноября": up to today when that day is past (else it is a
    day ahead the period starts on, not a "since")."""
    if _range(t, today):
        return None
    match = _SINCE_DATE.search(t)
    month = _month(match.group(2)) if match else None
    if not match or month is None:
        return None
    try:
        day = date(today.year, month, int(match.group(1)))
    except ValueError:
        return None
    return (day, today) if day <= today else None


def since_period(t: str, today: date) -> tuple[date, date] | None:
    """A period that began in the past and goes on: "since saturday", "since this morning",
    "с субботы", "со вчерашнего дня", "уже третий день"."""
    t = _plain(t)
    match = _SINCE.search(t)
    if not match:
        return _since_russian(t, today) or _since_date(t, today)
    word = match.group(1)
    if word in ("morning", "this", "today", "tonight", "noon", "lunchtime", "breakfast"):
        return today, today
    if word in ("yesterday", "last", "night", "evening"):
        return today - timedelta(days=1), today
    for number, name in enumerate(WEEKDAYS):
        if word in (name, name[:3]):
            back = (today.weekday() - number) % 7 or 7
            return today - timedelta(days=back), today
    if word in ("week", "monday's"):
        return today - timedelta(days=7), today
    return _since_date(t, today)


_WEEKEND_RU = re.compile(r"\bвыходн(?:ые|ых|ым|ыми)\b")
_NEXT_RU = re.compile(r"\b(?:след(?:ующ\w*|ущ\w*)?|будущ\w*)\.?\s+")
_NEXT_WEEK_RU = re.compile(r"\b(?:след(?:ующ\w*|ущ\w*)?|будущ\w*)\.?\s+недел\w*")
_THIS_WEEK_RU = re.compile(r"\bэт(?:ой|у|а)\s+недел\w*|\bна\s+неделе\b|\bдо\s+конца\s+недели\b")
_NEXT_MONTH_RU = re.compile(r"\b(?:след(?:ующ\w*|ущ\w*)?|будущ\w*)\.?\s+месяц\w*")
_THIS_MONTH_RU = re.compile(r"\bэт(?:ом|от)\s+месяц\w*|\bдо\s+конца\s+месяца\b")


def _named_period(t: str, today: date) -> tuple[date, date] | None:
    """Weekends, weeks and months ("next week", "в эти выходные", "в этом месяце")."""
    if "weekend" in t or _WEEKEND_RU.search(t):
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if "next" in t or _NEXT_RU.search(t):
            saturday += timedelta(days=7)
        return saturday, saturday + timedelta(days=1)
    if "next week" in t or _NEXT_WEEK_RU.search(t):
        monday = today + timedelta(days=7 - today.weekday())
        return monday, monday + timedelta(days=6)
    if "this week" in t or _THIS_WEEK_RU.search(t):
        return today, today + timedelta(days=6 - today.weekday())
    last = (today.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if "next month" in t or _NEXT_MONTH_RU.search(t):
        first = last + timedelta(days=1)
        return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if "this month" in t or _THIS_MONTH_RU.search(t):
        return today, last
    return None


def parse_period(text: str, today: date) -> tuple[date, date] | None:
    """The first and last day meant, or None when the text names no period.

    A period "since" a day is the past up to today; a bare day name is the next such day.
    """
    t = _plain(text)
    since = since_period(t, today)
    if since:
        return since
    dated = _range(t, today)
    if dated:
        return dated
    day = relative_day(t, today)
    if day:
        return day, day
    named = _named_period(t, today)
    if named:
        return named
    day = date_in(t, today)
    if day:
        return day, day
    number = weekday_in(t)
    if number is not None:
        day = today + timedelta(days=(number - today.weekday()) % 7)
        return day, day
    match = re.search(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b", t)
    if match:
        day = _on(int(match.group(1)), int(match.group(2)), today)
        return (day, day) if day else None
    return None
