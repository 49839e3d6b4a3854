"""Numbers and identifiers out of what citizens type."""

from __future__ import annotations

import pytest

from bot.textparse import parse_account, parse_meter_readings, parse_number, parse_request_id


@pytest.mark.parametrize(
    ("text", "number"),
    [("123.4", 123.4), ("00456,7", 456.7), ("it shows 102 now", 102.0),
     ("45,25 m3", 45.25), ("45m3", 45.0)],
)
def test_a_single_number_is_read_with_a_decimal_point_or_comma(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["abc", "", "1 and 2", "12345678"])
def test_no_number_or_several_numbers_read_as_none(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("hot 45.2 cold 102", {"hot": 45.2, "cold": 102.0}),
        ("cold: 100,5; hot 50", {"cold": 100.5, "hot": 50.0}),
        ("HOT water is 45", {"hot": 45.0}),
        ("гвс 12,5 хвс 30", {"hot": 12.5, "cold": 30.0}),
    ],
)
def test_meter_readings_are_read_by_their_labels(text, readings):
    assert parse_meter_readings(text) == readings


def test_readings_without_labels_are_not_guessed():
    assert parse_meter_readings("45.2 and 102") == {}


@pytest.mark.parametrize(
    "text", ["7700 000 001", "7700000001", "my account is 7700-000-001", "770 000 0001."]
)
def test_a_ten_digit_account_is_read_with_or_without_separators(text):
    assert parse_account(text) == "7700000001"


@pytest.mark.parametrize("text", ["770000001", "77000000012", "no account here"])
def test_anything_but_ten_digits_is_not_an_account(text):
    assert parse_account(text) is None


@pytest.mark.parametrize(
    "text", ["#100234", "SR-100234", "request 100234", "sr100234", "what about № 100234?"]
)
def test_a_request_id_is_read_with_or_without_its_prefix(text):
    assert parse_request_id(text) == "100234"


def test_text_without_a_request_id_reads_as_none():
    assert parse_request_id("my request from yesterday") is None


SIZES = [("small", "Smaller than a shoe box"), ("medium", "Up to a car wheel"),
         ("large", "Larger than a car wheel")]
LIGHTS = [("one", "One light"), ("several", "Several lights in a row")]
SIGNAL = [("dark", "It is dark"), ("flashing", "It is flashing yellow"),
          ("stuck", "It is stuck on one colour")]
YES_NO = [("yes", "Yes"), ("no", "No")]


@pytest.mark.parametrize(("answer", "options", "key"), [
    ("I said, bigger than a car wheel", SIZES, "large"),
    ("up to a car wheel", SIZES, "medium"),
    ("tiny", SIZES, "small"),
    ("just one", LIGHTS, "one"),
    ("the whole row", LIGHTS, "several"),
    ("flashing yellow like I said", SIGNAL, "flashing"),
    ("nobody", YES_NO, "no"),
    ("yes, my neighbour is inside", YES_NO, "yes"),
])
def test_a_typed_answer_that_means_an_option_is_that_option(answer, options, key):
    from bot.textparse import best_option

    assert best_option(answer, options) == key


@pytest.mark.parametrize("answer", ["can you cook borscht", "about the size of a wheel", ""])
def test_an_answer_that_fits_no_single_option_is_none(answer):
    from bot.textparse import best_option

    assert best_option(answer, SIZES) is None


def test_a_batch_reference_is_a_token_not_a_request_number():
    from bot.textparse import parse_token

    pasted = "any news? the reference was 71C6C8888AB80D1BE8C8346353AE69D6."
    assert parse_token(pasted) == "71c6c8888ab80d1be8c8346353ae69d6"
    assert parse_request_id("5b82c2c6c345a15a9d803b8d75494ee5") is None  # no digits cut out
    assert parse_token("status of 100234") is None


# The same questions as the city words them in Russian; a Russian conversation matches both.
RU_SIZES = [("small", "Меньше обувной коробки"), ("medium", "Примерно с колесо автомобиля"),
            ("large", "Больше колеса автомобиля")]
RU_LIGHTS = [("one", "Один фонарь"), ("several", "Несколько фонарей подряд")]
RU_SIGNAL = [("dark", "Не горит"), ("flashing", "Мигает жёлтым"),
             ("stuck", "Завис на одном цвете")]
RU_YES_NO = [("yes", "Да"), ("no", "Нет")]
RU_LEAK = [("street", "На улице"), ("stairwell", "В подъезде"), ("apartment", "В квартире")]
RU_BLOCKING = [("road", "Проезжую часть"), ("pavement", "Тротуар"),
               ("nothing", "Ничего, но это опасно")]


@pytest.mark.parametrize(("answer", "options", "key"), [
    ("больше колеса", RU_SIZES + SIZES, "large"),
    ("Больше колеса автомобиля", RU_SIZES + SIZES, "large"),
    ("огромная", RU_SIZES + SIZES, "large"),
    ("размером с колесо", RU_SIZES + SIZES, "medium"),
    ("совсем маленькая", RU_SIZES + SIZES, "small"),
    ("Up to a car wheel", RU_SIZES + SIZES, "medium"),  # an English button left in history
    ("bigger than a car wheel", RU_SIZES + SIZES, "large"),
    ("только один", RU_LIGHTS + LIGHTS, "one"),
    ("три штуки", RU_LIGHTS + LIGHTS, "several"),
    ("мигает желтым", RU_SIGNAL + SIGNAL, "flashing"),  # е for ё
    ("не горит", RU_SIGNAL + SIGNAL, "dark"),
    ("завис на красном", RU_SIGNAL + SIGNAL, "stuck"),
    ("да, там человек", RU_YES_NO + YES_NO, "yes"),
    ("нет, никого", RU_YES_NO + YES_NO, "no"),
    ("у меня в квартире", RU_LEAK, "apartment"),
    ("дорогу", RU_BLOCKING + [("road", "The road")], "road"),
    ("перекрыло тротуар", RU_BLOCKING, "pavement"),
])
def test_a_typed_russian_answer_means_its_option_in_either_language(answer, options, key):
    from bot.textparse import best_option

    assert best_option(answer, options) == key


@pytest.mark.parametrize(("answer", "options"), [
    ("не знаю когда", RU_YES_NO),  # "да" inside "когда" is no yes
    ("горит только красный", RU_SIGNAL + SIGNAL),  # "горит" is in two options
])
def test_a_russian_answer_that_fits_no_single_option_is_none(answer, options):
    from bot.textparse import best_option

    assert best_option(answer, options) is None


def test_the_question_and_the_problem_count_for_no_russian_option():
    from bot.textparse import best_option

    ignore = "Яма на дороге яма выбоина Какого размера яма?"
    assert best_option("яма большая, размером больше колеса", RU_SIZES, ignore=ignore) == "large"
    assert best_option("огромная яма", RU_SIZES, ignore=ignore) == "large"
