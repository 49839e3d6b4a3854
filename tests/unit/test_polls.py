"""Who votes and what their words choose (bot/polls.py): a stable, non-reversible citizen for
each chat, and the poll and option a citizen's words name, in English and in Russian, matched
against the sandbox city's own seeded polls."""

from __future__ import annotations

from datetime import date

import pytest

from bot.city.polls import Poll, PollOption
from bot.polls import (
    chosen_option,
    option_named,
    citizen_id,
    has_own_words,
    named_poll,
    poll_of_option,
    position,
)
from bot.sandbox.polls import build_polls, status

TODAY = date(2026, 5, 10)
KEY = b"a test key"


def _polls(language: str) -> list[Poll]:
    """The sandbox's seeded polls as the city's API gives them in ``language``."""
    rows, options = build_polls(TODAY)
    suffix = "_ru" if language == "ru" else ""
    return [
        Poll(id=str(row["id"]), title=row[f"title{suffix}"], question=row[f"question{suffix}"],
             options=tuple(PollOption(o["id"], o[f"text{suffix}"]) for o in options
                           if o["poll_id"] == row["id"]),
             status=status(row["opens_on"], row["closes_on"], TODAY))
        for row in rows
    ]


ENGLISH, RUSSIAN = _polls("en"), _polls("ru")
TREES, METRO, LIBRARY, PLAYGROUND, BOULEVARD = (poll.id for poll in ENGLISH)


def _open(polls: list[Poll]) -> list[Poll]:
    return [poll for poll in polls if poll.status == "open"]


# ------------------------------------------------------------------------- the citizen


def test_a_chat_is_the_same_citizen_every_time_and_no_other_chat_is() -> None:
    first = citizen_id("telegram", "5551234", KEY)
    assert citizen_id("telegram", "5551234", KEY) == first
    assert citizen_id("telegram", "5551235", KEY) != first
    assert citizen_id("webchat", "5551234", KEY) != first  # another channel, another person
    assert citizen_id("telegram", "5551234", b"another key") != first


def test_the_citizen_says_nothing_of_the_chat_and_fits_the_citys_limit() -> None:
    citizen = citizen_id("telegram", "5551234", KEY)
    assert citizen.startswith("cb1-") and len(citizen) == 68 <= 128
    assert "5551234" not in citizen and "telegram" not in citizen
    int(citizen.removeprefix("cb1-"), 16)  # hex digits only


def test_a_message_without_a_channel_is_still_one_citizen() -> None:
    assert citizen_id(None, "abc", KEY) == citizen_id(None, "abc", KEY) == citizen_id(
        "unknown", "abc", KEY)
    assert citizen_id(None, "abc", KEY) != citizen_id("rest", "abc", KEY)


# ---------------------------------------------------------------------------- the poll


@pytest.mark.parametrize(("text", "poll"), [
    ("vote in the poll about the metro station", METRO),
    ("is there a poll about naming the new metro station", METRO),
    ("vote in the library poll", LIBRARY),
    ("Trees for Sokolniki Park", TREES),
    ("the trees in sokolniki", TREES),
    ("i want to vote on the playground in my yard", PLAYGROUND),
    ("vote for the pedestrian zone", BOULEVARD),  # closed: named all the same
    ("проголосовать в опросе про деревья в Сокольниках", TREES),
    ("опрос про метро", METRO),
    ("про библиотеку на арбате", LIBRARY),
    ("голосование про Тверской бульвар", BOULEVARD),
])
def test_a_poll_is_named_by_its_title_or_its_questions_words(text: str, poll: str) -> None:
    polls = RUSSIAN if any("а" <= c <= "я" for c in text.lower()) else ENGLISH
    found = named_poll(text, polls)
    assert found is not None and found.id == poll


@pytest.mark.parametrize("text", [
    "i want to vote", "how do i vote in the city poll", "vote in the latest poll",
    "i want to vote in the poll about the school stadium", "хочу проголосовать",
    "хочу проголосовать в опросе про велодорожки", "what polls are open",
])
def test_words_that_name_no_poll_name_none(text: str) -> None:
    assert named_poll(text, RUSSIAN if text[0] > "z" else ENGLISH) is None


def test_an_option_said_alone_names_its_poll_too() -> None:
    found = poll_of_option("vote for the sports ground renovation", _open(ENGLISH))
    assert found is not None and (found[0].id, found[1].text) == (PLAYGROUND, "Sports ground")
    found = poll_of_option("голосую за липы", _open(RUSSIAN))
    assert found is not None and (found[0].id, found[1].text) == (TREES, "Липы")
    assert poll_of_option("vote on the new benches", _open(ENGLISH)) is None


# -------------------------------------------------------------------------- the option


@pytest.mark.parametrize(("text", "chosen"), [
    ("2", "Maples"), ("option 2", "Maples"), ("the second one", "Maples"), ("number 3", "Birches"),
    ("fourth", "Rowans"), ("one", "Lindens"), ("Maples", "Maples"), ("maples please", "Maples"),
    ("i like birches", "Birches"), ("a fountain please", None), ("22", None), ("yes", None),
])
def test_an_option_is_chosen_by_its_words_or_its_place(text: str, chosen: str | None) -> None:
    trees = ENGLISH[0]
    found = chosen_option(text, trees.options, ignore=f"{trees.title} {trees.question}")
    assert (found.text if found else None) == chosen


@pytest.mark.parametrize(("text", "chosen"), [
    ("вариант 2", "Клёны"), ("второй", "Клёны"), ("за второй вариант", "Клёны"),
    ("клёны", "Клёны"), ("берёзы наверное", "Берёзы"), ("рябину", "Рябины"),
    ("первый вариант", "Липы"), ("фонтан", None),
])
def test_a_russian_option_is_chosen_in_any_form_of_its_words(text: str, chosen: str | None) -> None:
    trees = RUSSIAN[0]
    found = chosen_option(text, trees.options, ignore=f"{trees.title} {trees.question}")
    assert (found.text if found else None) == chosen


def test_words_of_the_question_choose_no_option_and_an_exact_no_is_an_option() -> None:
    library = ENGLISH[2]
    ignore = f"{library.title} {library.question}"
    assert chosen_option("opening hours", library.options, ignore=ignore) is None
    found = chosen_option("keep the hours", library.options, ignore=ignore)
    assert found is not None and found.text == "Keep the hours as they are"
    boulevard = ENGLISH[4]
    found = chosen_option("No", boulevard.options)
    assert found is not None and found.text == "No"
    found = chosen_option("no, only on sundays", boulevard.options)
    assert found is not None and found.text == "Only on Sundays"


def test_a_place_is_only_a_place_when_nothing_else_is_said() -> None:
    assert position("2", 4) == 2 and position("#2", 4) == 2 and position("№ 3", 4) == 3
    assert position("the 2nd", 4) == 2 and position("second option", 4) == 2
    assert position("5", 4) is None and position("0", 4) is None
    assert position("2 or 3", 4) is None and position("the park 2", 4) is None
    assert position("третий", 4) == 3 and position("пятый", 4) is None


def test_a_message_about_polls_in_general_has_no_words_of_its_own() -> None:
    assert not has_own_words("which polls are there?")
    assert not has_own_words("какие есть опросы")
    assert has_own_words("the poll about ice rinks") and has_own_words("опрос про катки")


def test_an_option_typed_word_for_word_or_by_its_number_is_named_for_sure() -> None:
    metro = next(poll for poll in RUSSIAN if poll.id == METRO)
    last = metro.options[-1]
    assert option_named(last.text.lower(), metro.options) == last
    assert option_named(str(len(metro.options)), metro.options) == last
    assert option_named("бесплатное мороженое для всех", metro.options) is None
    assert option_named("стоп", metro.options) is None
