"""Rasa's text in Telegram's shape: escaped HTML and pieces that fit."""

from __future__ import annotations

from connectors.telegram import TelegramInput
from connectors.telegram_format import answered_html, split_text, to_html, utf16_len
from bot.config import Settings


def test_an_address_with_angle_brackets_and_ampersands_is_escaped():
    assert to_html("Tverskaya <12> & Co") == "Tverskaya &lt;12&gt; &amp; Co"


def test_a_short_text_is_one_piece():
    assert split_text("Hello!") == ["Hello!"]


def test_a_long_text_is_cut_between_paragraphs():
    paragraphs = [("word " * 300).strip() for _ in range(5)]  # 1499 characters each
    pieces = split_text("\n\n".join(paragraphs), limit=4096)
    assert pieces == ["\n\n".join(paragraphs[:2]), "\n\n".join(paragraphs[2:4]), paragraphs[4]]


def test_an_overlong_paragraph_is_cut_between_lines_then_words():
    lines = "\n".join(["line of the paragraph"] * 10)
    assert all(len(p) <= 50 for p in split_text(lines, limit=50))
    assert "\n".join(split_text(lines, limit=50)) == lines
    words = " ".join(["word"] * 40)
    assert " ".join(split_text(words, limit=30)) == words


def test_length_is_counted_as_telegram_does_in_utf16_units():
    assert utf16_len("📍") == 2
    assert all(utf16_len(p) <= 10 for p in split_text("📍" * 12, limit=10))


def test_the_answered_question_shows_the_choice_escaped():
    assert answered_html("Shall I send it?", "Yes & send") == (
        "Shall I send it?\n\n✓ <i>Yes &amp; send</i>"
    )


def test_commands_and_deep_links_become_payloads_of_the_domain():
    channel = TelegramInput(Settings(telegram_token="1:x"))
    assert channel._command("/start") == "/greet"
    assert channel._command("/start report") == "/report_problem"
    assert channel._command("/start office") == "/find_office"
    assert channel._command("/start no-such-link") == "/greet"
    assert channel._command("/help@citybot_bot") == "/help"
    assert channel._command("/language") == "/change_language"
    assert channel._command("/whatever") == "/help"


def test_a_blank_stretch_where_a_text_is_cut_is_never_a_message_of_its_own():
    """Telegram refuses a blank message ("message text is empty"), and the turn would fail."""
    assert split_text("xxxx\n\n \n\nyyyy", limit=5) == ["xxxx", "yyyy"]
    assert split_text("ab " + "\t" * 8 + " cd", limit=3) == ["ab", "cd"]
