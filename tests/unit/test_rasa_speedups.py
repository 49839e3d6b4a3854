"""bot.rasa_speedups: CITYBOT_SPEEDUPS names the changes the Rasa server makes (the bench turns
them off to compare)."""

import pytest

from bot.rasa_speedups import ALL, chosen


@pytest.mark.parametrize("value", [None, "", "all", " all "])
def test_every_change_by_default(value):
    assert chosen(value) == set(ALL)


def test_none_or_some():
    assert chosen("none") == set()
    assert chosen("runner") == {"runner"}
    assert chosen("parse, runner") == {"parse", "runner"}


def test_an_unknown_name_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown batching.*known: runner, parse, validation"):
        chosen("runner,batching")
