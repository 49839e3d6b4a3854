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
