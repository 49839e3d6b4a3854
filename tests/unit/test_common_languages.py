"""Numbers and weekday names go through Babel in the conversation's language (docs/languages.md,
"Responses"), English exactly as it was written by hand before."""

from __future__ import annotations

import pytest

from actions.common import quantity, weekday


def _by_hand(value: float) -> str:
    """How English texts wrote a reading before Babel (actions/meters.py)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


@pytest.mark.parametrize(("value", "english", "russian"), [
    (154.8, "154.8", "154,8"),
    (50.0, "50", "50"),
    (0.0, "0", "0"),
    (2.675, "2.675", "2,675"),
    (0.0004, "0", "0"),
    (0.0005, "0.001", "0,001"),  # rounded as Python rounds the float (Decimal would say 0)
    (12.3456, "12.346", "12,346"),
    (1234.5, "1234.5", "1234,5"),  # a reading is never grouped ("1,234.5", "1 234,5")
    (1234567.891, "1234567.891", "1234567,891"),
])
def test_a_quantity_is_written_the_languages_way(value, english, russian):
    assert quantity(value, "en") == english == _by_hand(value)
    assert quantity(value, "ru") == russian
    assert quantity(value) == english


def test_english_quantities_are_what_they_were():
    values = [0.1 * n + 0.0001 * n * n for n in range(0, 20000, 7)]
    assert [quantity(v, "en") for v in values] == [_by_hand(v) for v in values]


def test_weekdays_are_named_in_english_as_before():
    assert [weekday(n, "en") for n in range(7)] == [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert weekday(5) == "Saturday"


def test_weekdays_are_named_in_russian_with_a_capital_as_a_line_opens_with_them():
    assert [weekday(n, "ru") for n in range(7)] == [
        "Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье"]
