"""Periods citizens name when they ask about outages."""

from datetime import date

import pytest

from bot.when import parse_period

WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("any outages today", (date(2026, 11, 25), date(2026, 11, 25))),
        ("hot water tomorrow?", (date(2026, 11, 26), date(2026, 11, 26))),
        ("this weekend", (date(2026, 11, 28), date(2026, 11, 29))),
        ("next week at pokrovka 5", (date(2026, 11, 30), date(2026, 12, 6))),
        ("on friday", (date(2026, 11, 27), date(2026, 11, 27))),
        ("on monday", (date(2026, 11, 30), date(2026, 11, 30))),
        ("on 12 december", (date(2026, 12, 12), date(2026, 12, 12))),
        ("december 3rd", (date(2026, 12, 3), date(2026, 12, 3))),
        ("on 5 march", (date(2027, 3, 5), date(2027, 3, 5))),
        ("01.12", (date(2026, 12, 1), date(2026, 12, 1))),
        ("next month", (date(2026, 12, 1), date(2026, 12, 31))),
    ],
)
def test_named_periods_are_read(text, expected):
    assert parse_period(text, WEDNESDAY) == expected


@pytest.mark.parametrize("text", ["outages at tverskaya 12", "31.02", "", "house 12 flat 5"])
def test_no_period_or_impossible_dates_give_none(text):
    assert parse_period(text, WEDNESDAY) is None


def test_a_weekday_is_named_in_a_question():
    from bot.when import weekday_in

    assert weekday_in("is it open on saturday?") == 5
    assert weekday_in("open sundays?") == 6
    assert weekday_in("open in the evening?") is None


# Russian, typed as Muscovites do; the same Wednesday.

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("есть отключения сегодня", (date(2026, 11, 25), date(2026, 11, 25))),
        ("горячая вода завтра будет", (date(2026, 11, 26), date(2026, 11, 26))),
        ("а зафтра", (date(2026, 11, 26), date(2026, 11, 26))),
        ("zavtra na arbate", (date(2026, 11, 26), date(2026, 11, 26))),
        ("послезавтра", (date(2026, 11, 27), date(2026, 11, 27))),
        ("через 2 дня", (date(2026, 11, 27), date(2026, 11, 27))),
        ("в субботу", (date(2026, 11, 28), date(2026, 11, 28))),
        ("в сб на покровке 5", (date(2026, 11, 28), date(2026, 11, 28))),
        ("в суботу", (date(2026, 11, 28), date(2026, 11, 28))),
        ("по воскресеньям", (date(2026, 11, 29), date(2026, 11, 29))),
        ("во вторник", (date(2026, 12, 1), date(2026, 12, 1))),
        ("в среду", (date(2026, 11, 25), date(2026, 11, 25))),
        ("12 декабря", (date(2026, 12, 12), date(2026, 12, 12))),
        ("отключение 12-го декабря на тверской 12", (date(2026, 12, 12), date(2026, 12, 12))),
        ("5 марта", (date(2027, 3, 5), date(2027, 3, 5))),
        ("в субботу 12 декабря", (date(2026, 12, 12), date(2026, 12, 12))),
        ("с 5 по 10 декабря", (date(2026, 12, 5), date(2026, 12, 10))),
        ("с 28 ноября по 3 декабря", (date(2026, 11, 28), date(2026, 12, 3))),
        ("5-10 дек", (date(2026, 12, 5), date(2026, 12, 10))),
        ("на следующей неделе на покровке 5", (date(2026, 11, 30), date(2026, 12, 6))),
        ("на след неделе", (date(2026, 11, 30), date(2026, 12, 6))),
        ("на этой неделе", (date(2026, 11, 25), date(2026, 11, 29))),
        ("в выходные", (date(2026, 11, 28), date(2026, 11, 29))),
        ("на следующих выходных", (date(2026, 12, 5), date(2026, 12, 6))),
        ("в этом месяце", (date(2026, 11, 25), date(2026, 11, 30))),
        ("в следующем месяце", (date(2026, 12, 1), date(2026, 12, 31))),
        ("с понедельника отключат воду", (date(2026, 11, 30), date(2026, 11, 30))),
        ("завтра с утра", (date(2026, 11, 26), date(2026, 11, 26))),
    ],
)
def test_russian_periods_are_read(text, expected):
    assert parse_period(text, WEDNESDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("нет воды с субботы", (date(2026, 11, 21), WEDNESDAY)),
        ("нет воды с субботы когда дадут", (date(2026, 11, 21), WEDNESDAY)),
        ("с понедельника нет горячей воды", (date(2026, 11, 23), WEDNESDAY)),
        ("со среды", (date(2026, 11, 18), WEDNESDAY)),
        ("с прошлой пятницы", (date(2026, 11, 20), WEDNESDAY)),
        ("уже третий день нет воды", (date(2026, 11, 23), WEDNESDAY)),
        ("вторые сутки без света", (date(2026, 11, 24), WEDNESDAY)),
        ("уже 3 дня", (date(2026, 11, 22), WEDNESDAY)),
        ("уже неделю", (date(2026, 11, 18), WEDNESDAY)),
        ("со вчерашнего дня", (date(2026, 11, 24), WEDNESDAY)),
        ("с утра", (WEDNESDAY, WEDNESDAY)),
        ("с 20 ноября", (date(2026, 11, 20), WEDNESDAY)),
        ("since 20 november", (date(2026, 11, 20), WEDNESDAY)),
    ],
)
def test_a_russian_period_since_a_day_runs_up_to_today(text, expected):
    from bot.when import since_period

    assert since_period(text, WEDNESDAY) == expected


@pytest.mark.parametrize("text", [
    "субботник во дворе",           # not saturday
    "отключения на пятницкой 3",    # a street, not friday
    "отключения на улице 8 марта",  # a street, not a date
    "лампа на 60 вт",               # watts, not tuesday
    "благоустройство городской среды",
    "с мужем с ребенком",
    "уже 2 часа нет света",
    "дом 12 корпус 3 кв 45",
    "open 24 hours",
])
def test_russian_words_that_name_no_period_give_none(text):
    assert parse_period(text, WEDNESDAY) is None


def test_a_russian_weekday_is_named_in_a_question():
    from bot.when import weekday_in

    assert weekday_in("работает ли мфц в субботу") == 5
    assert weekday_in("открыто по воскресеньям?") == 6
    assert weekday_in("в пт работаете") == 4
    assert weekday_in("субботник") is None


def test_a_day_named_from_today_in_either_language():
    from bot.when import relative_day

    assert relative_day("is it open tomorrow", WEDNESDAY) == date(2026, 11, 26)
    assert relative_day("а завтра работает", WEDNESDAY) == date(2026, 11, 26)
    assert relative_day("послезавтра", WEDNESDAY) == date(2026, 11, 27)
    assert relative_day("the day after tomorrow", WEDNESDAY) == date(2026, 11, 27)
    assert relative_day("в субботу", WEDNESDAY) is None


def test_the_clock_is_never_read():
    """Every day is counted from the ``today`` passed in, however far from the real date."""
    long_ago = date(2001, 2, 28)
    assert parse_period("завтра", long_ago) == (date(2001, 3, 1), date(2001, 3, 1))
    assert parse_period("12 декабря", long_ago) == (date(2001, 12, 12), date(2001, 12, 12))
    assert parse_period("через 2 дня", long_ago) == (date(2001, 3, 2), date(2001, 3, 2))


def test_an_office_question_asks_about_the_day_named():
    from actions.places import _asked_day

    assert _asked_day("работает ли в субботу", WEDNESDAY) == "sat"
    assert _asked_day("а завтра открыто", WEDNESDAY) == "thu"
    assert _asked_day("послезавтра работаете", WEDNESDAY) == "fri"
    assert _asked_day("is it open tomorrow", WEDNESDAY) == "thu"
    assert _asked_day("где ближайший мфц", WEDNESDAY) is None
