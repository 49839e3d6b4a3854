"""Conversations live in the SQL tracker store: a restarted Rasa server carries on."""

from __future__ import annotations

from tests.integration.conftest import Stack, texts


def test_a_half_finished_report_survives_a_rasa_restart(healthy_city: Stack, sender: str) -> None:
    healthy_city.say(sender, "i want to report graffiti")
    asked = texts(healthy_city.say(sender, "pokrovka 5"))
    assert "describe the problem" in asked

    healthy_city.stop_process("rasa")
    healthy_city.start_process("rasa")

    tracker = healthy_city.tracker(sender)
    assert tracker["slots"]["problem_address"] == "Pokrovka Street, 5"
    assert (tracker.get("active_loop") or {}).get("name") == "problem_report_form"
    confirm = texts(healthy_city.say(sender, "spray paint tags all over the front door"))
    assert "Graffiti at Pokrovka Street, 5" in confirm
