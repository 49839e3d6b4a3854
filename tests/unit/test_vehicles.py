"""Vehicle registration certificate numbers and the fine discount, shared by city and assistant."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.vehicles import (
    DISCOUNT_DAYS,
    LATIN_TO_CYRILLIC,
    Discount,
    discount,
    discount_allowed,
    find_certificate,
    is_canonical,
    normalise_certificate,
    shown_certificate,
)

DIGITS = "0123456789"
CYRILLIC = "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
canonical_numbers = st.builds(
    lambda region, letters, number: region + letters + number,
    st.text(DIGITS, min_size=2, max_size=2),
    st.text(CYRILLIC, min_size=2, max_size=2),
    st.text(DIGITS, min_size=6, max_size=6),
)
separators = st.sampled_from(["", " ", "-", " - ", "  ", "\u00a0"])


@given(canonical_numbers)
def test_a_canonical_number_is_shown_with_spaces_and_read_back(number):
    shown = shown_certificate(number)
    assert shown == f"{number[:2]} {number[2:4]} {number[4:]}"
    assert normalise_certificate(shown) == number
    assert normalise_certificate(number) == number
    assert is_canonical(number)


@given(canonical_numbers, separators, separators, st.booleans())
def test_any_spacing_and_case_between_the_parts_reads_the_same(number, first, second, lower):
    letters = number[2:4].lower() if lower else number[2:4]
    assert normalise_certificate(f" {number[:2]}{first}{letters}{second}{number[4:]} ") == number


@given(canonical_numbers, st.text(st.characters(codec="utf-8", exclude_categories=("Nd",)),
                                  max_size=20),
       st.text(st.characters(codec="utf-8", exclude_categories=("Nd",)), max_size=20))
def test_a_number_is_found_between_any_words(number, before, after):
    # Unless the words glue more digits to it or letters between its parts, which they cannot:
    # they have no digits, and the number's parts are written together here.
    assert find_certificate(f"{before} {shown_certificate(number)} {after}") == number


def test_latin_lookalikes_are_the_cyrillic_letters_they_look_like():
    assert normalise_certificate("77 AB 123456") == "77АВ123456"
    assert normalise_certificate("77 xy 123456") == "77ХУ123456"
    assert normalise_certificate("77 HP 123456") == "77НР123456"  # H is Н, not Х


def test_other_latin_letters_are_transliterated():
    assert normalise_certificate("77 uv 123456") == "77УВ123456"
    assert normalise_certificate("77 DG 123456") == "77ДГ123456"
    assert normalise_certificate("77 ls 123456") == "77ЛС123456"
    assert normalise_certificate("77 zf 123456") == "77ЗФ123456"
    assert normalise_certificate("77 rn 123456") == "77РН123456"


def test_every_latin_letter_reads_as_a_cyrillic_one():
    assert set(LATIN_TO_CYRILLIC) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert all("А" <= letter <= "Я" for letter in LATIN_TO_CYRILLIC.values())


def test_yo_is_read_as_ye():
    assert normalise_certificate("77 ёж 123456") == "77ЕЖ123456"


@pytest.mark.parametrize("text", [
    "", "77УВ12345", "77УВ1234567", "7УВ123456", "777УВ123456", "77У123456", "77УВЖ123456",
    "77 УВ 123 456", "my sts is 77 uv 123456", "77УВ123456 please", "77_УВ_123456",
    "٧٧УВ123456",  # Arabic-Indic digits are digits to \d, not on a certificate
    "77У1123456",
])
def test_anything_but_one_whole_number_is_not_normalised(text):
    assert normalise_certificate(text) is None


@pytest.mark.parametrize(("text", "number"), [
    ("my sts is 77 uv 123456", "77УВ123456"),
    ("СТС 77 УВ 123456 проверь штрафы", "77УВ123456"),
    ("77-ув-123456", "77УВ123456"),
    ("штрафы по стс 99ак765432?", "99АК765432"),
    ("(77 УВ 123456)", "77УВ123456"),
])
def test_a_number_is_found_inside_a_sentence(text, number):
    assert find_certificate(text) == number


@pytest.mark.parametrize("text", [
    "call 177 УВ 123456",  # the region is part of a longer number
    "77 УВ 1234567",  # and so is the serial
    "77 УВЖ 123456",
    "no number here", "",
])
def test_a_number_inside_a_longer_one_is_not_found(text):
    assert find_certificate(text) is None


def test_showing_something_that_is_no_number_is_an_error():
    assert shown_certificate("77 uv 123456") == "77 УВ 123456"
    with pytest.raises(ValueError):
        shown_certificate("77 УВ 12345")


RULED = date(2026, 11, 10)


def test_the_discount_is_half_price_up_to_the_twentieth_day_after_the_ruling():
    last_day = RULED + timedelta(days=DISCOUNT_DAYS)
    assert discount("12.9.2", 500, RULED, RULED) == Discount(250, last_day)
    assert discount("12.9.2", 500, RULED, last_day) == Discount(250, last_day)
    assert discount("12.9.2", 500, RULED, last_day + timedelta(days=1)) is None


def test_the_discount_crosses_a_year_end():
    ruled = date(2026, 12, 20)
    assert discount("12.12.1", 1000, ruled, date(2027, 1, 9)) == Discount(500, date(2027, 1, 9))
    assert discount("12.12.1", 1000, ruled, date(2027, 1, 10)) is None


def test_half_of_an_odd_amount_is_rounded_up():
    assert discount("12.9.2", 501, RULED, RULED) == Discount(251, RULED + timedelta(days=20))


@pytest.mark.parametrize("article", ["12.8.1", "12.8.3", "12.9.6", "12.9.7", "12.12.3",
                                     "12.15.5", "12.16.3.1", "12.24", "12.26.1", "12.27.3",
                                     "12.1.1.1"])
def test_offences_the_law_excludes_have_no_discount(article):
    assert not discount_allowed(article)
    assert discount(article, 30000, RULED, RULED) is None


@pytest.mark.parametrize("article", ["12.9.2", "12.9.3", "12.12.1", "12.16.3", "12.16.5",
                                     "12.1.1", "12.6", "12.2.1", "12.37.2", "12.5.3.1"])
def test_other_offences_have_the_discount(article):
    assert discount_allowed(article)


def test_an_offence_code_reads_as_article_and_part():
    from bot.vehicles import article_and_part

    assert article_and_part("12.9.2") == ("12.9", "2")
    assert article_and_part("12.5.3.1") == ("12.5", "3.1")
    assert article_and_part("12.6") == ("12.6", None)
