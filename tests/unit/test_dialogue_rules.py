"""Reading emergencies, corrections and past periods out of what citizens write."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.corrections import is_correction, negated, swapped_house, wrong_detail
from bot.emergency import is_emergency
from bot.handoff import within_hours
from bot.when import parse_period

MONDAY = date(2026, 11, 30)


@pytest.mark.parametrize("text", [
    "help! the lift is stuck between floors with my neighbour inside, Petrovka 20",
    "my kid is stuck in the elevator",
    "i smell gas in the stairwell",
    "someone got hurt on the broken swing",
    "there are live wires hanging from the pole",
])
def test_people_in_danger_are_an_emergency(text):
    assert is_emergency(text)


@pytest.mark.parametrize("text", [
    "the lift is broken", "lift stuck, nobody inside", "pothole at arbat 10",
    "the lift has been stuck for two days", "the traffic light is dark",
])
def test_ordinary_problems_are_not_an_emergency(text):
    assert not is_emergency(text)


def test_a_correction_is_recognised_with_what_it_corrects():
    assert is_correction("no wait, it's Arbat 10 not 12")
    assert swapped_house("no wait, it's Arbat 10 not 12") == "10"
    assert is_correction("it's not about lights, it's a water leak")
    assert wrong_detail("no, the address is wrong. It's Arbat 10") == "address"
    assert not is_correction("deep hole next to the bus stop")


def test_a_negated_category_is_not_the_one_meant():
    text = "it's not about lights, it's a water leak"
    assert negated(text, text.index("lights"))
    assert not negated(text, text.index("water"))


def test_since_a_day_is_the_past_up_to_today():
    assert parse_period("no cold water since saturday, why?", MONDAY) == (date(2026, 11, 28), MONDAY)
    assert parse_period("since this morning", MONDAY) == (MONDAY, MONDAY)
    assert parse_period("since yesterday", MONDAY) == (date(2026, 11, 29), MONDAY)
    assert parse_period("on saturday", MONDAY) == (date(2026, 12, 5), date(2026, 12, 5))


def test_operator_hours():
    assert within_hours("08:00-20:00", time(9, 30))
    assert not within_hours("08:00-20:00", time(20, 0))
    assert not within_hours("08:00-20:00", time(7, 59))


@pytest.mark.parametrize(("text", "follows"), [
    ("is there a fee for that?", True),
    ("and old batteries?", True),
    ("from what age do they take kids?", True),
    ("how do i get a passport", False),
    ("what is the weather in moscow", False),
])
def test_a_question_that_leans_on_the_last_answer_is_a_follow_up(text, follows):
    from bot.faq import is_follow_up

    assert is_follow_up(text) is follows


@pytest.mark.parametrize(("text", "answer"), [
    ("no don't submit yet, I want to double check", False),
    ("nope", False),
    ("yes send it pls", True),
    ("ok go ahead", True),
    ("the address is wrong", None),
    ("ambulance is here now. yes, please report the ice so nobody else falls", True),
    ("i called them already. yes please send the report as well", True),
    ("hmm on second thought dont send it, my neighbour already called the council", False),
    ("I pressed no by mistake, please send it", True),
    ("no one is inside", False),
    ("yes, but no, don't send it", None),
    ("thank you for sorting that out", None),
])
def test_a_plain_yes_or_no_is_read_when_the_nlu_is_unsure(text, answer):
    from bot.corrections import yes_or_no

    assert yes_or_no(text) is answer


def test_the_number_said_to_be_wrong_is_left_out_of_the_address():
    from bot.corrections import without_negated_numbers

    assert without_negated_numbers("oh wait... it's Tverskaya 14 not 12") == "oh wait... it's Tverskaya 14"
    assert without_negated_numbers("arbat 10, not 12") == "arbat 10"
    assert without_negated_numbers("pokrovka 5") == "pokrovka 5"


@pytest.mark.parametrize(("text", "asks"), [
    ("how long will it take to fix?", True),
    ("what's the status of 100234", True),
    ("tell me the opening hours", True),
    ("in front of the bakery, right where the buses stop", False),
    ("small but deep, right where cyclists ride along the kerb", False),
    ("lol ok. arbat 15", False),
])
def test_a_question_is_told_from_a_statement(text, asks):
    from bot.textparse import asks_something

    assert asks_something(text) is asks


UTILITY = ("You can pay on the city portal, in a bank or banking app, at a post office or at a "
           "payment terminal using the payer code on the bill.")


@pytest.mark.parametrize(("question", "about"), [
    ("can i pay at the post office?", True),
    ("what about a terminal in the supermarket?", True),
    ("thanks, will pay at the post office then", False),  # no question
    ("how do i get a visa?", False),                      # nothing the answer speaks of
])
def test_a_question_about_what_the_answer_speaks_of_follows_it(question, about):
    from bot.faq import asks_about_answer

    assert asks_about_answer(question, UTILITY) is about


def test_the_selector_sure_of_no_curated_answer_is_told_apart():
    from bot.faq import curated_topic, surely_unanswered

    def parse(topic, confidence):
        return {"response_selector": {"faq": {"response": {
            "intent_response_key": topic, "confidence": confidence}}}}

    assert surely_unanswered(parse("faq/no_curated_answer", 0.9))
    assert not surely_unanswered(parse("faq/no_curated_answer", 0.3))
    assert not surely_unanswered(parse("faq/passport", 0.9))
    assert curated_topic(parse("faq/passport", 0.9)) == "faq/passport"
    assert curated_topic(parse("faq/no_curated_answer", 0.9)) is None


@pytest.mark.parametrize(("text", "said"), [
    ("they're out now, the firemen opened the doors. thanks", "thank"),
    ("ok thank you, bye", "goodbye"),
    ("have a good evening", "goodbye"),
    ("thanks, but how long will it take?", None),
    ("the chain snapped on the swing", None),
])
def test_closing_words_said_with_something_else_are_read(text, said):
    from bot.smalltalk import closing

    assert closing(text) == said



@pytest.mark.parametrize(("text", "asks"), [
    ("what are you for exactly?", True),
    ("hmm ok. what can you help me with then", True),
    ("what is this bot for", True),
    ("how could you help me", True),
    ("what's this for", True),
    ("what else can you do", True),
    ("what are you doing to fix the road", False),
    ("what can i do about the noise from next door", False),
    ("what is this fee for", False),
    ("what can you do about the pothole", False),  # a matter, not the assistant
    ("how can you help with my meter readings", False),
    ("what do you do with my data", False),
])
def test_a_question_about_what_the_assistant_does_is_read(text, asks):
    from bot.smalltalk import asks_what_i_do

    assert asks_what_i_do(text) is asks


@pytest.mark.parametrize(("text", "leaving"), [
    ("have a good evening", True),
    ("have a nice day, bye", True),
    ("hi, have a nice day", False),  # a greeting first
    ("good evening", False),
])
def test_greeting_words_that_say_goodbye_are_a_farewell(text, leaving):
    from bot.smalltalk import farewell

    assert farewell(text) is leaving


@pytest.mark.parametrize(("text", "where"), [
    ("where is the nearest post office?", True),
    ("is the post office open on sunday?", True),
    ("can i pay at the post office?", False),
])
def test_an_office_search_is_told_from_a_question_about_an_answer(text, where):
    from bot.faq import asks_where

    assert asks_where(text) is where
