"""The web chat protocol's rules without a socket: frames, session tokens, history, liveness."""

from __future__ import annotations

import asyncio
import json

import pytest

from connectors.webchat import HEARTBEAT_SECONDS, Connection, Hub, closing_reason
from connectors.webchat_protocol import (
    FRAME_BYTES,
    LOCATION_TEXT,
    FrameError,
    Ping,
    SessionRequest,
    SessionSigner,
    Utterance,
    bot_frame,
    dumps,
    handled_ids,
    history,
    parse_frame,
)


def code_of(raw: str | bytes) -> str:
    with pytest.raises(FrameError) as refused:
        parse_frame(raw)
    return refused.value.code


def test_frames_the_widget_sends() -> None:
    assert parse_frame('{"type": "ping"}') == Ping()
    assert parse_frame('{"type": "session_request", "session_id": null, "lang": "ru"}') == (
        SessionRequest(None, None, "ru")
    )
    assert parse_frame('{"type": "session_request", "lang": "fr"}').lang == "en"
    said = parse_frame('{"type": "user_uttered", "id": "a1", "text": "  pothole  "}')
    assert said == Utterance("a1", "pothole")
    button = parse_frame(json.dumps(
        {"type": "user_uttered", "id": "a2", "payload": '/inform{"size":"large"}', "title": "Large"}
    ))
    assert button.text == '/inform{"size":"large"}' and button.title == "Large" and not button.hidden
    start = parse_frame('{"type": "user_uttered", "id": "a3", "payload": "/greet"}')
    assert start.hidden and start.metadata("en")["webchat"] == {"lang": "en", "hidden": True}
    where = parse_frame('{"type": "location", "id": "a4", "latitude": 55.7, "longitude": "37.6"}')
    assert where.text == LOCATION_TEXT
    assert where.metadata("ru")["location"] == {"lat": 55.7, "lon": 37.6}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{oops", "bad_json"),
        ("42", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        ('{"type": "dance"}', "bad_message"),
        ('{"type": "user_uttered", "text": "no id"}', "bad_message"),
        ('{"type": "user_uttered", "id": "' + "x" * 65 + '", "text": "hi"}', "bad_message"),
        ('{"type": "user_uttered", "id": "a", "text": "   "}', "bad_message"),
        ('{"type": "user_uttered", "id": "a", "text": 5}', "bad_message"),
        ('{"type": "user_uttered", "id": "a", "payload": "greet"}', "bad_message"),
        ('{"type": "user_uttered", "id": "a", "text": "' + "y" * 1001 + '"}', "bad_message"),
        ('{"type": "location", "id": "a", "latitude": "north", "longitude": 1}', "bad_message"),
        ('{"type": "location", "id": "a", "latitude": 10, "longitude": 181}', "bad_message"),
        ('{"type": "session_request", "session_id": 7}', "bad_message"),
        ('{"type": "user_uttered", "id": "a", "text": "' + "z" * FRAME_BYTES + '"}', "too_large"),
        (b"z" * (FRAME_BYTES + 1), "too_large"),
    ],
)
def test_frames_refused(raw: str | bytes, code: str) -> None:
    assert code_of(raw) == code


def test_a_refused_message_keeps_its_id_for_the_widget() -> None:
    with pytest.raises(FrameError) as refused:
        parse_frame('{"type": "user_uttered", "id": "keep-me", "text": ""}')
    assert refused.value.frame()["id"] == "keep-me"
    with pytest.raises(FrameError) as refused:
        parse_frame(json.dumps({"type": "user_uttered", "id": "big-1", "text": "x" * FRAME_BYTES}))
    assert refused.value.code == "too_large" and refused.value.id == "big-1"


def test_session_tokens() -> None:
    now = [1_800_000_000.0]
    signer = SessionSigner("secret", max_age_seconds=3600, clock=lambda: now[0])
    session = signer.new_session()
    token = signer.token(session)
    assert session.startswith("web-") and signer.verify(session, token)
    assert not signer.verify(signer.new_session(), token)  # another conversation's token
    assert not SessionSigner("other", 3600, clock=lambda: now[0]).verify(session, token)
    issued, _, mac = token.partition(".")
    assert not signer.verify(session, f"{int(issued) + 1}.{mac}")  # the time is signed too
    assert not signer.verify(session, "garbage")
    assert not signer.verify(session, f"\u00b2.{mac}")  # a digit to isdigit(), not to int()
    assert not signer.verify(session, f"{issued}.ü{mac[1:]}")
    assert not signer.verify("../etc", token)
    now[0] += 3601
    assert not signer.verify(session, token)  # expired
    assert signer.verify(session, signer.token(session))  # a fresh one is given on resume


def test_bot_frames_keep_buttons_images_and_custom() -> None:
    frame = bot_frame(
        {"text": "Size?", "buttons": [{"title": "Large", "payload": "/inform"}, "junk"],
         "image": "https://city.example/a.png", "custom": {"request_location": "📍"}},
        ts=12.34567, id="s1",
    )
    assert frame == {
        "type": "bot_uttered", "id": "s1", "text": "Size?", "ts": 12.346,
        "buttons": [{"title": "Large", "payload": "/inform"}],
        "image": "https://city.example/a.png", "custom": {"request_location": "📍"},
    }


def test_history_from_tracker_events() -> None:
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": 1},
        {"event": "user", "text": "/greet", "message_id": "h",
         "metadata": {"webchat": {"hidden": True}}, "timestamp": 2},
        {"event": "bot", "text": "Hello!", "data": {"buttons": [{"title": "Report",
                                                              "payload": "/report_problem"}]},
         "timestamp": 3},
        {"event": "user", "text": "/report_problem", "message_id": "b",
         "metadata": {"webchat": {"title": "Report"}}, "timestamp": 4},
        {"event": "user", "text": "/inform", "message_id": "l",
         "metadata": {"location": {"lat": 55.7, "lon": 37.6}}, "timestamp": 5},
        {"event": "user", "text": "/start", "message_id": "t", "timestamp": 6},  # Telegram command
        {"event": "user", "text": "<img src=x onerror=alert(1)>", "message_id": "x",
         "timestamp": 7},
        {"event": "bot", "text": None, "data": {}, "timestamp": 8},  # nothing to show
    ]
    shown = history(events)
    assert [(m["from"], m.get("text")) for m in shown] == [
        ("bot", "Hello!"), ("user", "Report"), ("user", ""),
        ("user", "<img src=x onerror=alert(1)>"),
    ]
    assert shown[0]["buttons"][0]["title"] == "Report"
    assert shown[2]["location"] == {"latitude": 55.7, "longitude": 37.6}
    assert [m["ts"] for m in shown] == sorted(m["ts"] for m in shown)
    assert len(history(events, limit=2)) == 2
    assert handled_ids(events) == {"h", "b", "l", "t", "x"}


class FakeSocket:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))


class GoneSocket:
    async def send(self, text: str) -> None:
        raise ConnectionResetError("gone")


def test_hub_sends_to_every_tab_and_claims_each_message_once() -> None:
    async def go() -> None:
        hub = Hub()
        one, two, gone = (Connection(FakeSocket()), Connection(FakeSocket()),
                          Connection(GoneSocket()))
        sender = "web-" + "a" * 20
        for conn in (one, two, gone):
            conn.sender_id = sender
            hub.attach(conn, {"old"})
        assert await hub.broadcast(sender, {"type": "pong"}, skip=two) == 1
        assert one.ws.sent == [{"type": "pong"}] and two.ws.sent == []
        assert hub.claim(sender, "old") is False  # in the tracker already
        assert hub.claim(sender, "new") is True
        running = hub.claim(sender, "new")  # sent again while its turn runs: wait for it
        assert isinstance(running, asyncio.Future) and not running.done()
        hub.finish(sender, "new", ok=True)
        assert running.result() is True and hub.claim(sender, "new") is False
        assert hub.claim(sender, "lost") is True
        hub.finish(sender, "lost", ok=False)  # dropped or failed: may be sent again
        assert hub.claim(sender, "lost") is True
        for conn in (one, two, gone):
            hub.detach(conn)
        assert hub.sockets == {} and hub.handled == {}

    asyncio.run(go())


class StalledSocket:
    def __init__(self) -> None:
        self.failed = False

    async def send(self, text: str) -> None:
        await asyncio.sleep(3600)

    def fail_connection(self, code: int, reason: str) -> None:
        self.failed = True


def test_a_stalled_tab_is_dropped_instead_of_holding_up_the_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import connectors.webchat as webchat

    monkeypatch.setattr(webchat, "SEND_SECONDS", 0.05)

    async def go() -> None:
        hub = Hub()
        ok, stalled = Connection(FakeSocket()), Connection(StalledSocket())
        for conn in (ok, stalled):
            conn.sender_id = "web-" + "b" * 20
            hub.attach(conn, set())
        assert await hub.broadcast(ok.sender_id, {"type": "pong"}) == 1
        assert ok.ws.sent == [{"type": "pong"}] and stalled.ws.failed

    asyncio.run(go())


def test_quiet_sockets_are_closed() -> None:
    conn = Connection(FakeSocket())
    start = conn.last_frame
    assert closing_reason(start + 10, conn, idle_seconds=900) is None
    assert closing_reason(start + HEARTBEAT_SECONDS + 1, conn, idle_seconds=900) == "heartbeat"
    conn.last_frame = start + 899  # pings keep it alive, but the citizen has gone quiet
    assert closing_reason(start + 901, conn, idle_seconds=900) == "idle"


def test_numbers_too_big_for_a_float_are_refused_not_raised() -> None:
    huge = "1" + "0" * 400  # valid JSON, an int float() cannot hold
    raw = '{"type": "location", "id": "a", "latitude": ' + huge + ', "longitude": 0}'
    assert code_of(raw) == "bad_message"
    signer = SessionSigner("secret", max_age_seconds=3600)
    assert not signer.verify(signer.new_session(), f"{huge}.mac")


def test_ids_are_only_the_documented_characters() -> None:
    assert code_of('{"type": "user_uttered", "id": "a\\n", "text": "hi"}') == "bad_message"
    signer = SessionSigner("secret", max_age_seconds=3600)
    session = signer.new_session() + "\n"
    assert not signer.verify(session, signer.token(session))


def test_lone_surrogates_from_the_widget_become_replacement_characters() -> None:
    # JSON.stringify escapes a lone surrogate (half an emoji cut off) instead of failing.
    said = parse_frame(json.dumps({"type": "user_uttered", "id": "a", "text": "hi \ud83d!"}))
    assert said.text == "hi \ufffd!"
    button = parse_frame(json.dumps(
        {"type": "user_uttered", "id": "b", "payload": "/inform\udc00", "title": "\udfffOK"}
    ))
    assert (button.text, button.title) == ("/inform\ufffd", "\ufffdOK")
    pair = parse_frame('{"type": "user_uttered", "id": "c", "text": "\\ud83d\\ude00"}')
    assert pair.text == "\U0001f600"  # a whole pair is an emoji, kept


def test_frames_to_the_widget_are_valid_utf8_whatever_rasa_says() -> None:
    frame = {"type": "bot_uttered", "text": "Адрес: \ud800 \U0001f600"}
    sent = dumps(frame)
    sent.encode()  # a WebSocket text frame is UTF-8: this must not raise
    assert json.loads(sent) == frame
    assert "Адрес" in dumps({"text": "Адрес"})  # readable text stays unescaped


def test_a_notification_shows_as_the_assistant_speaking_first() -> None:
    """The notifier's external event is stored as a user event ("EXTERNAL: ..."): the history
    shows only the assistant's message it led to."""
    from rasa.shared.core.events import UserUttered

    sent = UserUttered.create_external("EXTERNAL_outage_planned", [], "webchat").as_dict()
    shown = history([sent, {"event": "bot", "text": "Hot water off on 3 December",
                            "timestamp": sent["timestamp"] + 1}])
    assert [(m["from"], m.get("text")) for m in shown] == [("bot", "Hot water off on 3 December")]
