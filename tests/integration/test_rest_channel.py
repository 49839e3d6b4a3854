"""The REST channel as shipped (credentials.yml) on the published Rasa port: nobody without the
API token speaks through it, in particular not as a widget session or a Telegram chat (issue 13:
a REST message showed up in another person's widget history)."""

from __future__ import annotations

import requests

from tests.integration.conftest import Stack
from tests.integration.test_webchat import run, widget


def _user_texts(stack: Stack, sender: str) -> list[str]:
    events = stack.tracker(sender)["events"]
    return [e.get("text") for e in events if e["event"] == "user"]


def test_without_the_token_nobody_speaks_as_a_widget_session(healthy_city: Stack) -> None:
    async def open_session() -> str:
        async with widget(healthy_city) as w:
            await w.say("hello")
            return w.session_id

    session = run(open_session())
    before = _user_texts(healthy_city, session)
    for headers in ({}, {"Authorization": "Bearer not-the-token"}):
        resp = requests.post(f"{healthy_city.rasa}/webhooks/rest/webhook", headers=headers,
                             json={"sender": session, "message": "forget me"}, timeout=30)
        assert resp.status_code == 401 and resp.json()["error"] == "unauthorized"
    assert _user_texts(healthy_city, session) == before


def test_with_the_token_the_tests_and_the_bench_still_get_in(healthy_city: Stack,
                                                            sender: str) -> None:
    said = healthy_city.say(sender, "what is the status of request 100001")
    assert said and "100001" in " ".join(m.get("text", "") for m in said)
    assert "what is the status of request 100001" in _user_texts(healthy_city, sender)


def test_a_typed_session_start_is_answered(healthy_city: Stack, sender: str) -> None:
    """Found by the REST fuzz: "/session_start" typed as text started a session and said
    nothing."""
    healthy_city.say(sender, "hello")
    for text in ("/session_start", "/session_start {{7*7}}"):
        assert "What can I do for you?" in " ".join(
            m.get("text", "") for m in healthy_city.say(sender, text))
