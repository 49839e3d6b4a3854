"""Service 1 end to end: a citizen reports a problem and gets a number the city knows."""

from __future__ import annotations

import re

from tests.integration.conftest import Stack, buttons, texts


def request_number(messages: list[dict]) -> str:
    match = re.search(r"request number (\d+)", texts(messages))
    assert match, f"no request number in: {texts(messages)!r}"
    return match.group(1)




def test_pothole_report_gets_a_number_the_city_knows(healthy_city: Stack, sender: str) -> None:
    text = f"there is a deep pothole outside tverskaya 12, my tyre burst on it ({sender})"
    asked = healthy_city.say(sender, text)
    assert "How big is the pothole" in texts(asked)
    choice = buttons(asked)[2]
    confirm = healthy_city.say(sender, choice["payload"])
    assert "Tverskaya Street, 12" in texts(confirm)
    assert "Shall I send it" in texts(confirm)
    done = healthy_city.say(sender, "yes")
    number = request_number(done)
    assert "Roads" in texts(done)  # the responsible agency is told

    filed = healthy_city.open311(f"requests/{number}.json")
    assert filed.status_code == 200
    request = filed.json()[0]
    assert request["description"] == text
    assert request["service_code"] == "pothole"
    assert "Tverskaya Street" in request["address"]


def test_an_option_typed_instead_of_pressed_is_understood(healthy_city: Stack, sender: str) -> None:
    text = f"pothole outside tverskaya 12, the size of a wheel, nearly lost a tyre ({sender})"
    asked = healthy_city.say(sender, text)
    assert "How big is the pothole" in texts(asked)
    nonsense = healthy_city.say(sender, "can you cook borscht")  # not an option: asked again
    assert "How big is the pothole" in texts(nonsense)
    typed = healthy_city.say(sender, buttons(asked)[1]["title"])  # "Up to a car wheel"
    assert "Shall I send it" in texts(typed)
    # The size is a required attribute: the city files nothing without a valid one.
    number = request_number(healthy_city.say(sender, "yes"))
    assert healthy_city.open311(f"requests/{number}.json").json()[0]["description"] == text


def test_unknown_address_offers_did_you_mean_buttons(healthy_city: Stack, sender: str) -> None:
    healthy_city.say(sender, "I want to report graffiti")
    asked = healthy_city.say(sender, "tverskaya")
    assert "Did you mean" in texts(asked) or "house" in texts(asked)
    options = buttons(asked)
    assert options and all("Tverskaya" in b["title"] for b in options)
    chosen = healthy_city.say(sender, options[0]["payload"])
    assert "describe the problem" in texts(chosen)


def test_confirmation_no_files_nothing(healthy_city: Stack, sender: str) -> None:
    text = f"the street light is out at pokrovka 5, whole block is dark {sender}"
    healthy_city.say(sender, text)
    reply = healthy_city.say(sender, "/inform{\"option\":\"one\"}")
    assert "Shall I send it" in texts(reply)
    cancelled = healthy_city.say(sender, "no")
    assert "not sent anything" in texts(cancelled)
    found = healthy_city.open311("requests.json", service_code="streetlight").json()
    assert not [r for r in found if sender in (r.get("description") or "")]


def test_stop_leaves_the_form_and_files_nothing(healthy_city: Stack, sender: str) -> None:
    healthy_city.say(sender, "report a problem")
    healthy_city.say(sender, "graffiti")
    stopped = healthy_city.say(sender, "stop")
    assert "stopped" in texts(stopped)
    tracker = healthy_city.tracker(sender)
    assert not (tracker.get("active_loop") or {}).get("name")


def test_why_do_you_need_this_explains_and_asks_again(healthy_city: Stack, sender: str) -> None:
    healthy_city.say(sender, "I need to report an overflowing bin")
    reply = healthy_city.say(sender, "why do you need that?")
    said = texts(reply)
    assert "exact place" in said  # the address explanation
    assert "street and house number" in said  # and the question again


def test_category_button_goes_straight_to_the_next_question(healthy_city: Stack, sender: str) -> None:
    asked = healthy_city.say(sender, "i want to report a problem")
    pothole = next(b for b in buttons(asked) if b["title"] == "Pothole")
    reply = healthy_city.say(sender, pothole["payload"])
    assert [m.get("text") for m in reply] == [
        'Where is it? Please give the street and house number, for example "Tverskaya 12".'
    ]


def test_category_and_address_alone_are_not_taken_as_the_description(
    healthy_city: Stack, sender: str
) -> None:
    reply = texts(healthy_city.say(sender, "graffiti outside pokrovka 5"))
    assert "describe the problem" in reply
    assert healthy_city.tracker(sender)["slots"]["problem_address"] == "Pokrovka Street, 5"


def test_a_correction_at_an_option_question_changes_the_place_and_asks_again(
    healthy_city: Stack, sender: str
) -> None:
    assert "How big is the pothole" in texts(healthy_city.say(sender, "pothole outside tverskaya 12"))
    corrected = texts(healthy_city.say(sender, "no wait, it is arbat 10 not tverskaya 12"))
    assert "choose one of the options" not in corrected  # a correction is no wrong answer
    assert "How big is the pothole" in corrected
    assert "describe the problem" in texts(healthy_city.say(sender, '/inform{"option": "medium"}'))
    confirm = texts(healthy_city.say(sender, "deep hole right by the crossing"))
    assert "Arbat Street, 10" in confirm and "Shall I send it" in confirm
