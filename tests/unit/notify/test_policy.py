"""Quiet hours, the daily cap and urgent news, on the city's clock (pure: the time is given)."""

from __future__ import annotations

from datetime import time, timedelta

from bot.notify.policy import Decision, Policy, parse_hours

from .conftest import MOSCOW, moscow, utc

POLICY = Policy(MOSCOW, daily_cap=5)


def test_daytime_sends():
    assert POLICY.decide(moscow(2, 8), sent_today=0) == Decision("send")
    assert POLICY.decide(moscow(2, 21, 59), sent_today=4) == Decision("send")


def test_late_evening_holds_until_eight_next_morning():
    decision = POLICY.decide(moscow(2, 22), sent_today=0)
    assert (decision.verdict, decision.until) == ("hold", utc(moscow(3, 8)))


def test_small_hours_hold_until_eight_the_same_morning():
    decision = POLICY.decide(moscow(3, 3, 30), sent_today=0)
    assert (decision.verdict, decision.until) == ("hold", utc(moscow(3, 8)))


def test_an_outage_starting_before_the_morning_is_urgent_at_night():
    early = POLICY.decide(moscow(2, 23), sent_today=0, deadline=utc(moscow(3, 7)))
    assert early == Decision("send")
    # Hot water off at 09:59 would leave under two hours' notice if told at 08:00.
    assert POLICY.decide(moscow(2, 23), sent_today=0, deadline=utc(moscow(3, 9, 59))).verdict == (
        "send")


def test_an_outage_later_tomorrow_waits_for_the_morning():
    decision = POLICY.decide(moscow(2, 23), sent_today=0, deadline=utc(moscow(3, 14)))
    assert (decision.verdict, decision.until) == ("hold", utc(moscow(3, 8)))


def test_the_sixth_message_of_a_day_waits_for_the_next_morning():
    decision = POLICY.decide(moscow(2, 12), sent_today=5)
    assert (decision.verdict, decision.until, decision.why) == (
        "hold", utc(moscow(3, 8)), "daily cap")


def test_an_urgent_outage_passes_the_cap():
    assert POLICY.decide(moscow(2, 12), sent_today=5, deadline=utc(moscow(2, 18))).verdict == (
        "send")


def test_news_that_is_over_is_not_sent():
    decision = POLICY.decide(moscow(2, 12), sent_today=0, expires_at=utc(moscow(2, 11)))
    assert decision.verdict == "expire"


def test_the_city_day_is_moscow_midnight_to_midnight():
    start, end = POLICY.day(moscow(2, 0, 30))
    assert (start, end) == (utc(moscow(2, 0)), utc(moscow(3, 0)))
    assert end - start == timedelta(days=1)


def test_other_quiet_hours_are_read_from_text():
    assert parse_hours("23:30-07:00") == (time(23, 30), time(7))
    policy = Policy(MOSCOW, quiet=parse_hours("00:00-06:00"))
    assert policy.decide(moscow(2, 23), sent_today=0).verdict == "send"
    assert policy.decide(moscow(3, 5), sent_today=0).until == utc(moscow(3, 6))
