"""The water meter reading rules shared by the sandbox city and the assistant."""

from __future__ import annotations

from datetime import date

import pytest

from bot.meters import (
    IMPLAUSIBLY_HIGH,
    LOWER_THAN_PREVIOUS,
    check_reading,
    window_state,
)


def test_reading_a_little_above_last_month_is_fine():
    assert check_reading(100.0, 104.5, 50) is None
    assert check_reading(100.0, 100.0, 50) is None


def test_reading_lower_than_last_month_is_refused():
    assert check_reading(100.0, 99.9, 50) == LOWER_THAN_PREVIOUS


def test_reading_more_than_the_monthly_maximum_above_last_is_refused():
    assert check_reading(100.0, 150.0, 50) is None
    assert check_reading(100.0, 150.1, 50) == IMPLAUSIBLY_HIGH


def test_not_a_number_is_never_plausible():
    assert check_reading(100.0, float("nan"), 50) == LOWER_THAN_PREVIOUS


def test_window_is_open_from_the_opening_to_the_closing_day_inclusive():
    assert window_state(date(2026, 11, 15), 15, 25) == (True, date(2026, 12, 15))
    assert window_state(date(2026, 11, 25), 15, 25) == (True, date(2026, 12, 15))


def test_before_the_window_it_opens_this_month():
    assert window_state(date(2026, 11, 14), 15, 25) == (False, date(2026, 11, 15))


def test_after_the_window_it_opens_next_month_even_across_the_year():
    assert window_state(date(2026, 11, 26), 15, 25) == (False, date(2026, 12, 15))
    assert window_state(date(2026, 12, 31), 15, 25) == (False, date(2027, 1, 15))


def test_window_to_the_31st_covers_the_end_of_short_months():
    assert window_state(date(2027, 2, 28), 1, 31) == (True, date(2027, 3, 1))


def test_nonsense_window_is_an_error():
    with pytest.raises(ValueError):
        window_state(date(2026, 11, 1), 25, 15)
