"""Service 9, citizen polls, through Rasa's REST channel against the sandbox city's seeded polls
(bot/sandbox/polls.py: four open, one closed): the open polls listed with a button each, a vote
by buttons counted once per citizen with the results as plain text, and every way a choice or
the city can fail. What the replies must say is read from the city's API, before and after."""

from __future__ import annotations

import re

from tests.integration.conftest import Stack, buttons, texts

# Signs a screen reader reads out or skips, and bars drawn with block characters.
NOT_FOR_READING = re.compile(r"[%█▓▒░■□▌▐]")


def _loop(stack: Stack, sender: str) -> str | None:
    return (stack.tracker(sender).get("active_loop") or {}).get("name")


def _polls(stack: Stack, status: str = "open", language: str = "en") -> list[dict]:
    return stack.city_api("polls", status=status, lang=language).json()["items"]


def _poll(stack: Stack, poll_id: int, language: str = "en") -> dict:
    """One poll with its results, as the city has it now."""
    return stack.city_api(f"polls/{poll_id}", lang=language).json()


def _press(stack: Stack, sender: str, reply: list[dict], title: str) -> list[dict]:
    """Press the button ``title`` of a reply (what a client sends is its payload)."""
    [button] = [b for b in buttons(reply) if b["title"] == title]
    return stack.say(sender, button["payload"])


def _choose(stack: Stack, sender: str, poll: dict, option: dict) -> str:
    """Start a vote naming the poll by its title and type the option's text; the confirmation
    question asked."""
    asked = texts(stack.say(sender, f"I want to vote in the poll {poll['title']}"))
    assert poll["question"] in asked
    return texts(stack.say(sender, option["text"]))


def _result_lines(poll: dict) -> list[str]:
    """How the assistant must read the city's results: "Lindens: 4,121 votes, 33.4 per cent."."""
    def votes(n: int) -> str:
        return f"{n:,} vote" + ("" if n == 1 else "s")

    def per_cent(value: float) -> str:
        return f"{value:.1f}".removesuffix(".0") + " per cent"

    return [f"{r['text']}: {votes(r['votes'])}, {per_cent(r['percent'])}." for r in poll["results"]]


def test_open_polls_are_listed_with_their_questions_and_a_vote_button_each(
    healthy_city: Stack, sender: str
) -> None:
    reply = healthy_city.say(sender, "what city polls are open right now?")
    shown = texts(reply)
    city = _polls(healthy_city)
    assert len(city) >= 2
    for poll in city:
        assert poll["title"] in shown and poll["question"] in shown
    for poll in _polls(healthy_city, "closed"):
        assert poll["title"] not in shown
    assert [b["title"] for b in buttons(reply)] == [f"Vote: {p['title']}" for p in city]
    assert _loop(healthy_city, sender) is None


def test_a_vote_by_buttons_is_counted_once_with_the_results_as_plain_text(
    healthy_city: Stack, sender: str
) -> None:
    listing = healthy_city.say(sender, "show me the city polls")
    poll = _polls(healthy_city)[0]
    before = _poll(healthy_city, poll["id"])
    asked = _press(healthy_city, sender, listing, f"Vote: {poll['title']}")
    assert poll["question"] in texts(asked)
    assert [b["title"] for b in buttons(asked)] == [o["text"] for o in poll["options"]]
    chosen = poll["options"][1]
    confirm = _press(healthy_city, sender, asked, chosen["text"])
    assert f"Your answer: {chosen['text']}." in texts(confirm)
    assert [b["title"] for b in buttons(confirm)] == ["Yes, send my vote", "No, don't send it"]
    assert _poll(healthy_city, poll["id"])["votes_total"] == before["votes_total"]  # not yet
    done = texts(_press(healthy_city, sender, confirm, "Yes, send my vote"))
    after = _poll(healthy_city, poll["id"])
    assert after["votes_total"] == before["votes_total"] + 1
    counted = {r["option_id"]: r["votes"] for r in after["results"]}
    assert counted[chosen["id"]] == {r["option_id"]: r["votes"] for r in before["results"]}[
        chosen["id"]] + 1
    assert "your vote has been counted" in done
    for line in _result_lines(after):
        assert line in done.splitlines()
    assert not NOT_FOR_READING.search(done)
    assert _loop(healthy_city, sender) is None


def test_a_second_vote_in_the_same_poll_is_refused_politely_with_the_results(
    healthy_city: Stack, sender: str
) -> None:
    poll = _polls(healthy_city)[1]
    first, second = poll["options"][0], poll["options"][1]
    assert f"Your answer: {first['text']}." in _choose(healthy_city, sender, poll, first)
    assert "your vote has been counted" in texts(healthy_city.say(sender, "yes"))
    counted = _poll(healthy_city, poll["id"])["votes_total"]

    assert f"Your answer: {second['text']}." in _choose(healthy_city, sender, poll, second)
    reply = texts(healthy_city.say(sender, "yes"))
    assert "You have already voted in this poll: each person has one vote." in reply
    assert f"Your answer was: {first['text']}." in reply
    after = _poll(healthy_city, poll["id"])
    assert after["votes_total"] == counted
    for line in _result_lines(after):
        assert line in reply.splitlines()
    assert _loop(healthy_city, sender) is None


def test_a_choice_that_is_no_option_gets_the_options_again(
    healthy_city: Stack, sender: str
) -> None:
    poll = _polls(healthy_city)[0]
    before = _poll(healthy_city, poll["id"])["votes_total"]
    healthy_city.say(sender, f"I'd like to vote in the poll {poll['title']}")
    wrong = healthy_city.say(sender, "a fountain please")
    assert "That is not one of this poll's answers." in texts(wrong)
    assert [b["title"] for b in buttons(wrong)] == [o["text"] for o in poll["options"]]
    assert _loop(healthy_city, sender) == "vote_form"
    confirm = texts(healthy_city.say(sender, "2"))  # typed: the second option
    assert f"Your answer: {poll['options'][1]['text']}." in confirm
    assert "I have not sent your vote" in texts(healthy_city.say(sender, "no"))
    assert _poll(healthy_city, poll["id"])["votes_total"] == before
    assert _loop(healthy_city, sender) is None


def test_which_poll_is_asked_with_buttons_and_answered_by_its_number(
    healthy_city: Stack, sender: str
) -> None:
    reply = healthy_city.say(sender, "i want to vote")
    city = _polls(healthy_city)
    assert "Which poll would you like to vote in?" in texts(reply)
    assert [b["title"] for b in buttons(reply)] == [p["title"] for p in city]
    asked = healthy_city.say(sender, "2")
    assert city[1]["question"] in texts(asked)
    assert [b["title"] for b in buttons(asked)] == [o["text"] for o in city[1]["options"]]
    assert "Nothing was sent" in texts(healthy_city.say(sender, "stop"))
    assert _loop(healthy_city, sender) is None


def test_three_answers_that_name_no_poll_stop_the_vote(healthy_city: Stack, sender: str) -> None:
    healthy_city.say(sender, "i want to vote")
    for text in ("vote in the poll about ice rinks", "vote in the poll about bridges"):
        reply = healthy_city.say(sender, text)
        assert "couldn't tell which poll you mean" in texts(reply)
        assert _loop(healthy_city, sender) == "vote_form"
    last = healthy_city.say(sender, "vote in the poll about the cinema")
    assert "Three answers in a row did not match" in texts(last)
    assert "Talk to a person" in [b["title"] for b in buttons(last)]
    assert _loop(healthy_city, sender) is None


def test_a_closed_poll_is_not_votable_and_its_final_results_are_shown(
    healthy_city: Stack, sender: str
) -> None:
    closed = _polls(healthy_city, "closed")[0]
    before = _poll(healthy_city, closed["id"])
    reply = healthy_city.say(sender, f"I want to vote in the poll {closed['title']}")
    shown = texts(reply)
    assert f"Voting has ended in this poll: {closed['title']}." in shown
    assert "The final results, " in shown
    for line in _result_lines(before):
        assert line in shown.splitlines()
    assert "Which poll would you like to vote in?" in shown
    assert [b["title"] for b in buttons(reply)] == [p["title"] for p in _polls(healthy_city)]
    healthy_city.say(sender, "stop")
    assert _poll(healthy_city, closed["id"])["votes_total"] == before["votes_total"]


def test_a_city_error_is_a_polite_answer_and_ends_the_form(healthy_city: Stack, sender: str) -> None:
    healthy_city.fault("error", "/api/v1/polls")
    reply = texts(healthy_city.say(sender, "I want to vote in the city poll"))
    assert "The city's service is not answering" in reply
    assert _loop(healthy_city, sender) is None


def test_a_city_that_hangs_gets_a_polite_answer(healthy_city: Stack, sender: str) -> None:
    healthy_city.fault("hang", "/api/v1/polls", seconds=600)
    reply = texts(healthy_city.say(sender, "show me the city polls"))
    assert "The city's service is not answering" in reply


def test_a_vote_the_city_failed_to_take_is_said_honestly_and_can_be_cast_again(
    healthy_city: Stack, sender: str
) -> None:
    poll = _polls(healthy_city)[2]
    before = _poll(healthy_city, poll["id"])["votes_total"]
    _choose(healthy_city, sender, poll, poll["options"][0])
    healthy_city.fault("error", f"/api/v1/polls/{poll['id']}/votes")
    reply = texts(healthy_city.say(sender, "yes"))
    assert "can't tell whether your vote was counted" in reply
    assert "your vote has been counted" not in reply
    healthy_city.fault("ok")
    assert _poll(healthy_city, poll["id"])["votes_total"] == before
    _choose(healthy_city, sender, poll, poll["options"][0])
    assert "your vote has been counted" in texts(healthy_city.say(sender, "yes"))
    assert _poll(healthy_city, poll["id"])["votes_total"] == before + 1


def test_why_an_answer_is_needed_is_explained_and_the_options_asked_again(
    healthy_city: Stack, sender: str
) -> None:
    poll = _polls(healthy_city)[0]
    healthy_city.say(sender, f"I want to vote in the poll {poll['title']}")
    reply = healthy_city.say(sender, "why do you need to know that?")
    assert "anonymous code" in texts(reply)
    assert [b["title"] for b in buttons(reply)] == [o["text"] for o in poll["options"]]
    assert _loop(healthy_city, sender) == "vote_form"


def test_polls_in_russian(healthy_city: Stack, sender: str) -> None:
    listing = healthy_city.say(sender, "какие сейчас идут голосования?")
    city = _polls(healthy_city, language="ru")
    shown = texts(listing)
    for poll in city:
        assert poll["title"] in shown
    assert "Голосование открыто до" in shown
    poll = city[0]
    asked = _press(healthy_city, sender, listing, f"Голосовать: {poll['title']}")
    assert f"Опрос: {poll['title']}. {poll['question']}" in texts(asked)
    chosen = poll["options"][0]
    confirm = _press(healthy_city, sender, asked, chosen["text"])
    assert f"Ваш ответ: {chosen['text']}." in texts(confirm)
    done = texts(_press(healthy_city, sender, confirm, "Да, отправить голос"))
    assert "ваш голос учтён" in done
    after = _poll(healthy_city, poll["id"], "ru")
    for result in after["results"]:
        assert re.search(rf"^{re.escape(result['text'])}: [\d\xa0]+ голос(а|ов)?, [\d,]+ "
                         r"процент(а|ов)?\.$", done, re.MULTILINE), result["text"]
    for english in ("votes", "per cent", "Poll:", "Your answer", "Vote:"):
        assert english not in done + texts(asked) + texts(confirm)
