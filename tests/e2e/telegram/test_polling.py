"""A citizen in Telegram, long polling: commands, buttons, location, photo, long and odd messages."""

from __future__ import annotations

import re

import requests

from tests.e2e.telegram.conftest import POLLING_TOKEN, Citizen, TelegramStack, calls, text_of

NEAR_TVERSKAYA = (55.7601, 37.6186)
PHOTO = b"\xff\xd8\xff\xe0 a pothole, photographed"


def sent_to(token: str, chat_id: int, method: str) -> list[dict]:
    return [c["body"] for c in calls(token)["calls"]
            if c["method"] == method and str(c["body"].get("chat_id")) == str(chat_id)]


def test_start_greets_with_what_the_bot_can_do_and_the_menu_is_registered(citizen: Citizen):
    citizen.say("/start")
    replies = citizen.replies()
    assert "I can report a problem" in text_of(replies)
    titles = [row[0]["text"] for row in replies[-1]["reply_markup"]["inline_keyboard"]]
    assert "Report a problem" in titles
    registered = calls(POLLING_TOKEN)
    menu = {c["command"]: c["description"] for c in registered["commands"]}
    assert set(menu) == {"start", "help", "stop", "language"}
    assert menu["help"] == "What I can do"
    russian = {c["command"]: c["description"] for c in registered["commands_by_language"]["ru"]}
    assert set(russian) == set(menu)
    assert russian["help"] == "Что я умею"  # the menu a Russian Telegram app shows


def test_pothole_report_with_buttons_a_shared_location_and_a_photo(
    citizen: Citizen, telegram: TelegramStack
):
    citizen.say("I want to report a problem")
    assert "What kind of problem" in text_of(citizen.replies())

    question = citizen.press("Pothole")
    replies = citizen.replies()
    # The answered question keeps the choice and loses its keyboard; the button stops spinning.
    answered = next(m for m in citizen.messages() if m["message_id"] == question["message_id"])
    assert "✓ <i>Pothole</i>" in answered["text"] and answered.get("reply_markup") is None
    assert [c for c in calls(POLLING_TOKEN)["calls"] if c["method"] == "answerCallbackQuery"]
    # Where is it? -- with a button that shares the citizen's location.
    ask_place = replies[-1]
    assert "Where is it?" in ask_place["text"]
    assert ask_place["raw_reply_markup"]["keyboard"][0][0]["request_location"] is True

    citizen.share_location(*NEAR_TVERSKAYA)
    assert "How big is the pothole?" in text_of(citizen.replies())

    citizen.send_photo("pothole-photo-1", PHOTO)
    replies = citizen.replies()
    assert "photo is attached" in text_of(replies)
    assert "How big is the pothole?" in replies[-1]["text"]  # the question still stands

    citizen.press("Up to a car wheel")
    assert "describe the problem" in text_of(citizen.replies())

    citizen.say("deep pothole <near> the bus stop & kiosk")
    confirm = citizen.replies()[-1]
    # Sent as HTML, escaped: the citizen reads exactly what they wrote.
    assert "&lt;near&gt; the bus stop &amp; kiosk" in confirm["text"]
    assert "the place you shared (55.76010, 37.61860)" in confirm["text"]
    sent = sent_to(POLLING_TOKEN, citizen.chat_id, "sendMessage")
    assert all(body.get("parse_mode") == "HTML" for body in sent)

    citizen.press("Yes, send it")
    filed = text_of(citizen.replies())
    assert "request number" in filed
    request_id = filed.split("request number ")[1][:6]

    request = telegram.stack.open311(f"requests/{request_id}.json").json()[0]
    assert request["service_code"] == "pothole"
    assert (request["lat"], request["long"]) == NEAR_TVERSKAYA
    assert request["media_url"], request
    assert requests.get(request["media_url"], timeout=5).content == PHOTO
    # "typing..." was shown while the bot worked.
    assert sent_to(POLLING_TOKEN, citizen.chat_id, "sendChatAction")

    # The answered confirmation cannot be pressed again.
    citizen.press_message(confirm, "/affirm")
    assert citizen.silence() == []


def test_a_citizen_with_a_russian_telegram_is_answered_in_russian_and_files_a_report(
    russian_citizen: Citizen, telegram: TelegramStack
):
    """Telegram's language_code picks Russian before a word is typed; the report is filed with
    the citizen's Russian description; /language switches, and English stays English."""
    citizen = russian_citizen
    citizen.say("/start")
    replies = citizen.replies()
    assert "Здравствуйте! Я citybot" in text_of(replies)
    titles = [row[0]["text"] for row in replies[-1]["reply_markup"]["inline_keyboard"]]
    assert titles[0] == "Сообщить о проблеме"

    citizen.press("Сообщить о проблеме")
    assert "Яма на дороге" in [row[0]["text"] for row in
                               citizen.replies()[-1]["reply_markup"]["inline_keyboard"]]
    citizen.press("Яма на дороге")
    ask_place = citizen.replies()[-1]
    assert "Где это?" in ask_place["text"]
    assert ask_place["raw_reply_markup"]["keyboard"][0][0]["text"] == "📍 Отправить геопозицию"
    citizen.share_location(*NEAR_TVERSKAYA)
    assert "Какого размера яма?" in text_of(citizen.replies())
    citizen.press("Больше колеса автомобиля")
    assert "Опишите, пожалуйста, проблему" in text_of(citizen.replies())
    citizen.say("яма во всю полосу, машины объезжают по встречке")
    assert "Отправить его в город?" in citizen.replies()[-1]["text"]
    citizen.press("Да, отправить")
    filed = text_of(citizen.replies())
    assert "номер заявки" in filed
    request_id = re.search(r"\d{6}", filed).group()
    request = telegram.stack.open311(f"requests/{request_id}.json").json()[0]
    assert request["service_code"] == "pothole"
    assert request["description"].startswith("яма во всю полосу")

    citizen.say("/help")
    help_ru = citizen.replies()
    assert "Вот что я умею" in text_of(help_ru)
    assert "Сообщить о проблеме" in [row[0]["text"] for row in
                                     help_ru[-1]["reply_markup"]["inline_keyboard"]]
    assert not re.search(r"[A-Za-z]{4,}", text_of(help_ru).replace("citybot", "")), help_ru

    citizen.say("/language")
    switched = text_of(citizen.replies())
    assert re.search(r"[A-Za-z]{4,}", switched) and not re.search(r"[А-Яа-я]", switched), switched
    citizen.say("/help")
    assert "Here is what I can do" in text_of(citizen.replies())


def test_nearest_office_from_a_deep_link_and_a_shared_location(citizen: Citizen):
    citizen.say("/start office")
    ask = citizen.replies()[-1]
    assert "Where are you?" in ask["text"]
    assert ask["raw_reply_markup"]["keyboard"][0][0]["request_location"] is True

    citizen.share_location(*NEAR_TVERSKAYA)
    replies = citizen.replies()
    assert "The nearest public service centre to you:" in text_of(replies)
    assert replies[-1]["raw_reply_markup"] == {"remove_keyboard": True}


def test_a_reply_longer_than_telegram_allows_arrives_in_pieces_cut_between_paragraphs(
    citizen: Citizen, telegram: TelegramStack
):
    citizen.say("hello")
    citizen.replies()
    paragraphs = [f"Paragraph {n}:" + " the city says" * 60 for n in range(12)]
    long_text = "\n\n".join(paragraphs)
    assert len(long_text) > 8192
    # An operator's reply from the console: Rasa sends it to the chat's latest channel.
    resp = requests.post(
        f"{telegram.stack.rasa}/conversations/{citizen.chat_id}/tracker/events",
        params={"token": telegram.stack.token, "output_channel": "latest",
                "execute_side_effects": "true"},
        json=[{"event": "bot", "text": long_text}],
        timeout=30,
    )
    resp.raise_for_status()
    pieces = [m["text"] for m in citizen.replies()]
    assert len(pieces) >= 3
    assert all(len(p) <= 4096 for p in pieces)
    assert all(p.startswith("Paragraph ") for p in pieces)
    assert "\n\n".join(pieces) == long_text


def test_a_sticker_gets_a_polite_answer_and_changes_nothing(
    citizen: Citizen, telegram: TelegramStack
):
    citizen.say("I want to report a problem")
    citizen.replies()
    before = telegram.stack.tracker(str(citizen.chat_id))["events"]

    citizen.send_sticker()
    assert "I understand text, locations and photos" in text_of(citizen.replies())
    after = telegram.stack.tracker(str(citizen.chat_id))["events"]
    assert len(after) == len(before)
    assert telegram.stack.tracker(str(citizen.chat_id))["active_loop"]["name"] == (
        "problem_report_form"
    )


def test_a_notification_triggered_through_rasa_reaches_the_chat(
    citizen: Citizen, telegram: TelegramStack
):
    citizen.say("hello")
    citizen.replies()
    resp = requests.post(
        f"{telegram.stack.rasa}/conversations/{citizen.chat_id}/trigger_intent",
        params={"token": telegram.stack.token, "output_channel": "latest"},
        json={"name": "help"},
        timeout=30,
    )
    resp.raise_for_status()
    assert "Here is what I can do" in text_of(citizen.replies())


def test_traffic_fines_from_a_deep_link_with_the_keep_question_as_buttons(
    citizen: Citizen, telegram: TelegramStack
):
    citizen.say("/start fines")
    assert "registration certificate" in text_of(citizen.replies())
    citizen.say("77 UV 123456")
    replies = citizen.replies()
    city = telegram.stack.city_api("fines", vehicle_certificate="77УВ123456").json()
    shown = text_of(replies)
    assert f"{len(city['items'])} unpaid fines, " in shown
    assert all(fine["payment_url"] in shown for fine in city["items"])
    citizen.press("Yes, keep it")
    assert "I'll keep 77 УВ 123456" in text_of(citizen.replies())
    citizen.say("any new fines?")
    assert "I used the certificate you asked me to keep" in text_of(citizen.replies())


def test_a_dentist_booked_by_pressing_the_slot_and_the_yes_buttons(
    citizen: Citizen, telegram: TelegramStack
):
    from bot.sandbox.clinics import policy_of  # the sandbox's 55th seeded patient: this test's

    policy, city = policy_of(55), telegram.stack
    for made in city.city_api("appointments", policy_number=policy).json()["items"]:
        requests.delete(f"{city.sandbox}/api/v1/appointments/{made['id']}",
                        params={"policy_number": policy}, timeout=10).raise_for_status()
    citizen.say("I'd like to book a dentist, please")
    assert "policy number" in text_of(citizen.replies())
    citizen.say(policy)
    offer = citizen.replies()[-1]
    slots = [row[0]["text"] for row in offer["reply_markup"]["inline_keyboard"]]
    [clinic] = city.city_api("clinics", policy_number=policy).json()["items"]
    expected = city.city_api(f"clinics/{clinic['id']}/slots", specialty="dentist",
                             limit=6).json()["items"]
    assert len(slots) == len(expected) and expected[-1]["doctor"] in slots[-1]
    citizen.press(slots[-1])  # the latest: no slot begins while the test presses it
    assert "Shall I book this appointment?" in text_of(citizen.replies())
    citizen.press("Yes, book it")
    booked = text_of(citizen.replies())
    [appointment] = city.city_api("appointments", policy_number=policy).json()["items"]
    assert appointment["slot_id"] == expected[-1]["id"]
    assert "you are booked" in booked and f"room {appointment['room']}" in booked
    citizen.press("No, thanks")
    assert "not kept the policy number" in text_of(citizen.replies())


def test_subscribed_in_the_chat_a_new_fine_arrives_there_unasked_once(
    citizen: Citizen, telegram: TelegramStack
):
    """Service 8 through Telegram: subscribed with buttons, the city fines the vehicle, and the
    notifier (run here on an injected clock, at noon) tells the chat once, across a restart."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from bot.sandbox.fines_seed import NEVER_FINED
    from bot.vehicles import shown_certificate

    city = telegram.stack
    citizen.say("please notify me about new traffic fines")
    assert "registration certificate" in text_of(citizen.replies())
    citizen.say(shown_certificate(NEVER_FINED))
    assert "between 22:00 and 08:00" in text_of(citizen.replies())
    citizen.press("Yes, subscribe")
    assert "Done" in text_of(citizen.replies())
    fined = requests.post(f"{city.sandbox}/sandbox/fines",
                          json={"vehicle_certificate": NEVER_FINED}, timeout=10)
    assert fined.status_code == 201, fined.text
    zone = ZoneInfo(city.settings().city_timezone)
    noon = datetime.combine(city.settings().city_today() + timedelta(days=1), time(12), zone)
    try:
        city.notify(noon)
        told = text_of(citizen.replies())
        assert fined.json()["offence"] in told and "stop notifications" in told
        city.notify(noon + timedelta(minutes=5))  # a restart: nothing twice
        assert citizen.silence() == []
    finally:
        citizen.say("stop all notifications")
        assert "notifications" in text_of(citizen.replies())


def test_a_poll_vote_by_buttons_with_the_results_as_plain_text(
    citizen: Citizen, telegram: TelegramStack
):
    citizen.say("what city polls can I vote in?")
    listing = text_of(citizen.replies())
    city = telegram.stack.city_api("polls").json()["items"]
    assert all(poll["title"] in listing for poll in city)
    poll = city[-1]
    citizen.press(f"Vote: {poll['title']}")
    assert poll["question"] in text_of(citizen.replies())
    chosen = poll["options"][0]
    citizen.press(chosen["text"])
    assert f"Your answer: {chosen['text']}." in text_of(citizen.replies())
    citizen.press("Yes, send my vote")
    shown = text_of(citizen.replies())
    assert "your vote has been counted" in shown
    for result in telegram.stack.city_api(f"polls/{poll['id']}").json()["results"]:
        assert re.search(rf"^{re.escape(result['text'])}: [\d,]+ votes?, [\d.]+ per cent\.$",
                         shown, re.MULTILINE), result["text"]
    assert "%" not in shown
