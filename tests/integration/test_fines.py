"""Service 4, traffic fines, through Rasa's REST channel against the sandbox city's seeded
vehicles (bot/sandbox/fines_seed.py): the fines shown with their discount and payment link,
the certificate kept only with consent, and every way a number or the city can fail."""

from __future__ import annotations

import re

from bot.sandbox.fines_seed import ALL_PAID, FINED, ONE_FINE
from bot.vehicles import shown_certificate
from tests.integration.conftest import Stack, buttons, texts

# A well-formed certificate no vehicle of the sandbox has.
UNKNOWN = "12 АВ 000000"


def _loop(stack: Stack, sender: str) -> str | None:
    return (stack.tracker(sender).get("active_loop") or {}).get("name")


def _api_fines(stack: Stack, certificate: str, language: str = "en") -> dict:
    return stack.city_api("fines", vehicle_certificate=certificate, lang=language).json()


def test_fines_are_listed_with_discount_and_payment_link_then_not_kept(
    healthy_city: Stack, sender: str
) -> None:
    asked = texts(healthy_city.say(sender, "do I have any unpaid traffic fines for my car?"))
    assert "registration certificate" in asked
    # Latin letters, spaced as on the card: read as the same certificate
    reply = healthy_city.say(sender, "77 UV 123456")
    shown = texts(reply)
    city = _api_fines(healthy_city, FINED)
    assert len(city["items"]) >= 2
    assert f"{len(city['items'])} unpaid fines, " in shown
    for fine in city["items"]:
        assert fine["payment_url"] in shown
        assert fine["offence"] in shown
    discounted = [f for f in city["items"] if f["discount_amount"] is not None]
    assert discounted, "the seed has a fine inside its discount"
    assert re.search(rf"{discounted[0]['discount_amount']:,} roubles, if paid by", shown)
    assert "Shall I keep the certificate number" in shown
    assert [b["title"] for b in buttons(reply)] == ["Yes, keep it", "No, thanks"]
    assert "not kept the number" in texts(healthy_city.say(sender, "no thanks"))
    assert _loop(healthy_city, sender) is None
    again = texts(healthy_city.say(sender, "any fines on my car?"))
    assert "registration certificate" in again  # not kept: asked again


def test_a_kept_certificate_is_used_next_time_and_forget_me_deletes_it(
    healthy_city: Stack, sender: str
) -> None:
    first = texts(healthy_city.say(sender, f"check fines for {shown_certificate(ONE_FINE)}"))
    assert "1 unpaid fine," in first
    assert "I'll keep" in texts(healthy_city.say(sender, "yes"))
    again = texts(healthy_city.say(sender, "check my traffic fines please"))
    assert "1 unpaid fine," in again
    assert "I used the certificate you asked me to keep" in again
    assert "Shall I keep" not in again
    healthy_city.say(sender, "forget me")
    after = texts(healthy_city.say(sender, "check my traffic fines please"))
    assert "registration certificate" in after and "unpaid fine" not in after


def test_a_vehicle_without_unpaid_fines_is_told_so(healthy_city: Stack, sender: str) -> None:
    healthy_city.say(sender, "any fines for my car")
    reply = texts(healthy_city.say(sender, shown_certificate(ALL_PAID)))
    assert "has no unpaid traffic fines" in reply


def test_a_malformed_number_is_explained_and_asked_again_then_stops(
    healthy_city: Stack, sender: str
) -> None:
    healthy_city.say(sender, "i want to check my fines")
    wrong = texts(healthy_city.say(sender, "77 УВ 12345"))
    assert "doesn't look like a certificate number" in wrong
    assert _loop(healthy_city, sender) == "fines_form"
    not_found = texts(healthy_city.say(sender, UNKNOWN))
    assert f"no vehicle with certificate {UNKNOWN}" in not_found
    last = healthy_city.say(sender, "7 7 УВ")
    assert "Three numbers in a row could not be used" in texts(last)
    assert "Talk to a person" in [b["title"] for b in buttons(last)]
    assert _loop(healthy_city, sender) is None


def test_a_city_error_is_a_polite_answer_and_ends_the_form(healthy_city: Stack, sender: str) -> None:
    healthy_city.fault("error", "/api/v1/fines")
    healthy_city.say(sender, "check my fines")
    reply = texts(healthy_city.say(sender, shown_certificate(FINED)))
    assert "The city's service is not answering" in reply
    assert "Shall I keep" not in reply
    assert _loop(healthy_city, sender) is None


def test_a_city_that_hangs_gets_a_polite_answer(healthy_city: Stack, sender: str) -> None:
    healthy_city.fault("hang", "/api/v1/fines", seconds=600)
    reply = texts(healthy_city.say(sender, f"fines for {shown_certificate(FINED)}?"))
    assert "The city's service is not answering" in reply


def test_fines_in_russian(healthy_city: Stack, sender: str) -> None:
    asked = texts(healthy_city.say(sender, "проверьте, пожалуйста, штрафы гибдд на мою машину"))
    assert "свидетельства о регистрации" in asked
    shown = texts(healthy_city.say(sender, "77ув123456"))
    city = _api_fines(healthy_city, FINED, "ru")
    assert f"{len(city['items'])} неоплаченных штраф" in shown
    for english in ("roubles", "Pay:", "registration certificate", "article", "Shall I"):
        assert english not in shown
    for fine in city["items"]:
        assert fine["offence"] in shown
    assert "со скидкой 50 %" in shown and "₽" in shown
    assert "Сохранить номер свидетельства" in shown
    assert "не сохранил" in texts(healthy_city.say(sender, "нет"))


def test_a_certificate_out_of_the_blue_shows_that_vehicles_fines(
    healthy_city: Stack, sender: str
) -> None:
    # its Cyrillic letters say nothing of the language (bot.language): answered in English
    reply = texts(healthy_city.say(sender, shown_certificate(ONE_FINE)))
    assert "1 unpaid fine," in reply


def test_a_certificate_after_a_status_answer_is_no_request_number(
    healthy_city: Stack, sender: str
) -> None:
    """Its six digits read as a request number ("123456"): the certificate comes first."""
    assert "100001" in texts(healthy_city.say(sender, "status of request 100001"))
    reply = texts(healthy_city.say(sender, shown_certificate(FINED)))
    assert "unpaid fines, " in reply and "123456" not in reply.replace("77 УВ 123456", "")


def test_a_second_vehicle_asks_to_replace_the_kept_one_and_the_same_one_asks_nothing(
    healthy_city: Stack, sender: str
) -> None:
    healthy_city.say(sender, f"fines for {shown_certificate(ONE_FINE)}")
    healthy_city.say(sender, "yes")
    same = texts(healthy_city.say(sender, f"any fines for {shown_certificate(ONE_FINE)}"))
    assert "1 unpaid fine," in same and "Shall I keep" not in same
    other = healthy_city.say(sender, f"and for {shown_certificate(FINED)}?")
    assert "Shall I keep 77 УВ 123456 instead?" in texts(other)
    assert "I keep the certificate 97 ОР 135790" in texts(other)
    healthy_city.say(sender, "no")
    kept = texts(healthy_city.say(sender, "my fines please"))
    assert "1 unpaid fine," in kept  # still the first vehicle


def test_a_wrong_number_at_the_keeping_question_looks_up_the_new_one(
    healthy_city: Stack, sender: str
) -> None:
    healthy_city.say(sender, f"fines for {shown_certificate(ONE_FINE)}")
    reply = texts(healthy_city.say(sender, f"oops, my car is {shown_certificate(FINED)}"))
    assert "Certificate 77 УВ 123456:" in reply and "Shall I keep the certificate number 77 УВ 123456" in reply
