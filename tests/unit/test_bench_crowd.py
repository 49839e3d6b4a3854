"""bench.crowd: simulated citizens answer what the assistant asks and stop at the end; a crowd
counts a turn that gets nothing back as lost and an error frame as an error (driven here by a
scripted in-process send, the real servers being the bench's own business)."""

from __future__ import annotations

import asyncio
import random

from bench import crowd, report
from bench.crowd import ANSWERED, ERROR, LOST, ChannelError, Crowd, Meters, Report


def test_a_reporter_answers_each_question_and_stops_at_the_request_number():
    script = Report(random.Random(3))
    opening = script.opening()
    assert opening.city and script.address.split()[-1].isdigit()
    assert script.answer("How big is the pothole?").text.startswith("/inform")
    assert script.answer('Where is it? Please give the street and house number').text == script.address
    assert script.answer("Please check your report:\n...\nShall I send it to the city?").text == "yes"
    assert script.answer("Thank you! Your report is filed with the city: request number 100412.") is None


def test_a_reporter_gives_up_after_eight_unanswerable_questions():
    script = Report(random.Random(1))
    script.opening()
    answers = [script.answer("Where is it?") for _ in range(9)]
    assert all(answers[:8]) and answers[8] is None


def test_a_meter_reader_sends_more_than_last_month(monkeypatch):
    monkeypatch.setattr(crowd, "FLAT_OF", lambda account: f"flat-of-{account}")
    script = Meters(random.Random(5))
    script.opening()
    assert script.answer("Please send your water meter account number").text == script.account
    assert script.answer("And the number of your flat?").text == f"flat-of-{script.account}"
    hot = float(script.answer("What does the hot water meter show now, in m³? (Last month: 68.2)").text)
    assert 68.7 <= hot <= 71.2
    assert script.answer("... Shall I submit them?").text == "yes"
    assert script.answer("Your readings are accepted.") is None


def test_addresses_and_wordings_vary_between_citizens():
    rng = random.Random(0)
    texts = {crowd.Status(rng).opening().text for _ in range(200)}
    assert len(texts) > 150  # a parse cache would see few repeats, as with real people


def test_a_crowd_counts_lost_and_failed_turns():
    replies = iter(["How big is the pothole?", "", "boom"])

    async def send(text: str) -> list[str]:
        reply = next(replies, "Where is it?")
        if reply == "boom":
            raise ChannelError("error frame")
        return [reply] if reply else []

    async def open_channel():
        async def close() -> None:
            return None
        return send, close

    run = Crowd(1, 0.05, [(Report, 1)], seed=2)
    asyncio.run(run.run(open_channel))
    outcomes = [t.outcome for t in run.turns]
    assert outcomes[:2] == [ANSWERED, LOST]  # an empty answer ends that conversation
    assert ERROR in outcomes
    figures = report.figures(run)
    assert figures["lost"] >= 1 and figures["errors"] >= 1
    assert figures["answered"] == outcomes.count(ANSWERED)
