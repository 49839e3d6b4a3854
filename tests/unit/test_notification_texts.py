"""Notifications in the citizen's words: which kind a message names (English, Russian, Russian
in Latin letters), which subscriptions an "unsubscribe" ends, and the news said per kind in the
subscriber's language, with the city's dates and amounts written the language's way."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.common import in_language, is_news
from actions.news import fine_notice, meter_notice, outage_notice, report_notice
from actions.notifications import channel_text, since, what_text
from bot.config import ROOT
from bot.notify.subscriptions import SubscriptionView, subscribe
from bot.notify.words import (
    ALL,
    asks_to_be_told,
    kind_in,
    kinds_in,
    names_notifications,
    notification_key,
    option_of,
    says_all,
    subscriber_language,
    to_end,
)
from bot.store import Delivery, Store

# Until the lead merges the service's domain fragment into domain.yml, its responses are read
# from the fragment (the merged domain.yml wins once they are there).
FRAGMENT = Path("/work/exp/domain_notifications.yml")


def _domain() -> dict[str, Any]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    if "utter_notify_fine" not in domain["responses"] and FRAGMENT.exists():
        fragment = yaml.safe_load(FRAGMENT.read_text(encoding="utf-8"))
        domain["responses"] = {**domain["responses"], **fragment["responses"]}
    return domain


DOMAIN = _domain()
EN, RU = in_language(DOMAIN, "en"), in_language(DOMAIN, "ru")


# ------------------------------------------------------------------ kinds from words


@pytest.mark.parametrize(("text", "kind"), [
    ("send me alerts about hot water outages at pokrovka 5", "outages"),
    ("warn me about electricity cuts at tverskaya 12", "outages"),
    ("give me a heads up before they cut the water", "outages"),
    ("notify me when heating is switched off at prospekt mira 71", "outages"),
    ("tell me when the status of my report changes", "reports"),
    ("let me know when my pothole report gets an update", "reports"),
    ("let me know when the pothole is fixed", "reports"),
    ("monthly reminder for water meter readings please", "meter_reminder"),
    ("remind me to send hot water meter readings", "meter_reminder"),
    ("alert me if i get a new traffic fine", "fines"),
    ("turn on fine alerts", "fines"),
    ("notify me of new fines", "fines"),
    ("уведомляйте меня об отключениях", "outages"),
    ("пришлите мне сообщение когда будут отключать горячую воду", "outages"),
    ("предупреждайте заранее об отключении света", "outages"),
    ("пишите мне когда по моей заявке что-то меняется", "reports"),
    ("уведомлять об изменении статуса обращения", "reports"),
    ("напоминание о показаниях счетчиков каждый месяц", "meter_reminder"),
    ("хочу напоминалку про показания воды", "meter_reminder"),
    ("отключить напоминания", "meter_reminder"),
    ("уведомляйте о штрафах гибдд", "fines"),
    ("napominaite peredavat pokazaniya", "meter_reminder"),
    ("uvedomlyaite o shtrafah", "fines"),
])
def test_the_kind_is_read_from_the_words(text: str, kind: str) -> None:
    assert kind_in(text) == kind


@pytest.mark.parametrize("text", [
    "subscribe to notifications", "turn on notifications", "notifications please",
    "fine, subscribe me",  # "fine" alone is "okay", not traffic fines
    "подпишите на уведомления", "отключите уведомления",  # turning notifications off names no outage
    "включите пуш уведомления по моему адресу", "/subscribe_notifications",
])
def test_words_that_name_no_kind_leave_it_to_be_asked(text: str) -> None:
    assert kind_in(text) is None


def test_several_kinds_are_asked_about_not_guessed() -> None:
    text = "i want all the notifications: outages, reports, fines"
    assert kinds_in(text) == ["outages", "reports", "fines"]
    assert kind_in(text) is None


@pytest.mark.parametrize(("text", "everything"), [
    ("stop all notifications", True), ("unsubscribe from everything", True),
    ("отписаться от всех уведомлений", True), ("отпишите меня от всего", True),
    ("unsubscribe", False), ("отключите уведомления", False),
])
def test_all_is_read_from_the_words(text: str, everything: bool) -> None:
    assert says_all(text) is everything


@pytest.mark.parametrize(("text", "about"), [
    ("stop notifications", True), ("stop the alerts", True), ("стоп уведомления", True),
    ("хватит слать напоминалки", True), ("stop", False), ("стоп", False),
    ("stop the report", False),
])
def test_a_stop_about_the_notifications_is_told_from_a_stop_of_the_form(
        text: str, about: bool) -> None:
    assert names_notifications(text) is about


# ------------------------------------------------------------------ which subscriptions end


def _view(id: int, kind: str, target: str | None = None) -> SubscriptionView:
    return SubscriptionView(id=id, kind=kind, target=target, channel="telegram", language="en",
                            created_at=datetime(2026, 12, 1, 9))  # type: ignore[arg-type]


HOME, DACHA = _view(1, "outages", "101"), _view(2, "outages", "202")
READINGS, CAR = _view(3, "meter_reminder"), _view(4, "fines", "77УВ123456")
MINE = [HOME, DACHA, READINGS, CAR]


def test_a_kind_named_ends_that_kind_only() -> None:
    assert to_end(MINE, "stop reminding me about meter readings").end == (READINGS,)
    assert to_end(MINE, "не хочу получать уведомления о штрафах").end == (CAR,)


def test_a_certificate_named_narrows_the_fines() -> None:
    other = _view(5, "fines", "97ОР135790")
    assert to_end([CAR, other], "stop fine alerts for 97 OP 135790").end == (other,)


def test_two_of_a_kind_are_asked_about_unless_all_is_said() -> None:
    asked = to_end(MINE, "no more outage alerts please")
    assert asked.end == () and asked.ask == (HOME, DACHA) and asked.named == ("outages",)
    assert to_end(MINE, "stop all the outage alerts").end == (HOME, DACHA)


def test_all_ends_everything_and_one_subscription_is_the_one_meant() -> None:
    assert to_end(MINE, "stop all notifications").end == tuple(MINE)
    assert to_end([CAR], "unsubscribe").end == (CAR,)
    assert to_end(MINE, "unsubscribe").ask == tuple(MINE)


def test_a_kind_the_citizen_does_not_have_ends_nothing_and_says_so() -> None:
    choice = to_end([READINGS], "stop notifying me about fines")
    assert choice.end == () and choice.ask == () and choice.named == ("fines",)


def test_a_button_names_its_subscription_exactly() -> None:
    assert option_of(DACHA) == "outages:202" and option_of(READINGS) == "meter_reminder"
    assert to_end(MINE, "", option_of(DACHA)).end == (DACHA,)
    assert to_end(MINE, "", "outages").end == (HOME, DACHA)
    assert to_end(MINE, "", ALL).end == tuple(MINE)
    assert to_end([HOME], "", option_of(DACHA)).end == ()  # ended meanwhile


# ------------------------------------------------------------------ the news, per kind


def test_a_planned_outage_in_english_and_russian() -> None:
    news = {"outage_kind": "hot_water", "starts_at": "2026-12-10T10:00:00+03:00",
            "ends_at": "2026-12-10T18:00:00+03:00", "reason": "Repair of a heating main"}
    english = outage_notice(news, EN, "Pokrovka Street, 5")
    assert english == ("Planned outage at Pokrovka Street, 5: Hot water, from 10 December 2026, "
                       "10:00 to 10 December 2026, 18:00. Reason: Repair of a heating main")
    russian = outage_notice({**news, "reason": "Ремонт тепломагистрали"}, RU, "Покровка, 5")
    assert russian.startswith("Плановое отключение по адресу Покровка, 5: Горячая вода, "
                              "с 10 декабря 2026, 10:00 по 10 декабря 2026, 18:00.")
    assert "Причина: Ремонт тепломагистрали" in russian


def test_an_outage_time_in_utc_is_told_on_the_citys_clock() -> None:
    news = {"outage_kind": "electricity", "starts_at": "2026-12-10T07:00:00+00:00",
            "ends_at": "2026-12-10T09:00:00Z", "reason": ""}
    assert "from 10 December 2026, 10:00 to 10 December 2026, 12:00" in outage_notice(
        news, EN, "x")


def test_a_report_change_says_the_citys_note_and_whether_it_is_closed() -> None:
    news = {"request_id": "100234", "request_status": "open", "status_notes": "Crew assigned",
            "service_name": "Pothole"}
    assert report_notice(news, EN) == ("News on your request 100234 (Pothole): Crew assigned. "
                                       "The request is still open.")
    closed = {**news, "request_status": "closed", "status_notes": "Отремонтировано.",
              "service_name": "Яма на дороге"}
    assert report_notice(closed, RU) == ("Новости по вашей заявке 100234 (Яма на дороге): "
                                         "Отремонтировано. Заявка закрыта.")
    assert "No notes from the crew yet. The request is still open." in report_notice(
        {**news, "status_notes": "", "service_name": ""}, EN)


def test_the_meter_reminder_names_the_month_and_the_window() -> None:
    news = {"month": "2026-12", "opens_day": 15, "closes_day": 25, "closes_on": "2026-12-25"}
    assert meter_notice(news, EN).startswith(
        "Reminder: the city takes water meter readings for December 2026 from 15 December 2026 "
        "to 25 December 2026.")
    assert meter_notice(news, RU).startswith(
        "Напоминание: показания счётчиков воды за декабрь 2026 принимаются с 15 декабря 2026 "
        "по 25 декабря 2026.")


def test_a_window_to_the_31st_ends_with_a_shorter_month() -> None:
    news = {"month": "2026-02", "opens_day": 1, "closes_day": 31}
    assert "to 28 February 2026" in meter_notice(news, EN)


def test_a_new_fine_with_its_discount_while_it_lasts() -> None:
    news = {"fine_id": "18810177261203000001", "article": "12.9.2", "amount": 500,
            "ruled_on": "2026-12-03", "vehicle_certificate": "77УВ123456",
            "offence": "Speeding by 20-40 km/h"}
    english = fine_notice(news, EN, date(2026, 12, 3))
    assert english.startswith("New traffic fine for the vehicle with certificate 77 УВ 123456: "
                              "Speeding by 20-40 km/h (article 12.9, part 2), 500 roubles, "
                              "ruled on 3 December 2026.")
    assert "Paid by 23 December 2026, it is half: 250 roubles." in english
    assert english.endswith('write "check my fines".')
    russian = fine_notice({**news, "offence": "Превышение скорости на 20-40 км/ч",
                           "amount": 1500}, RU, date(2026, 12, 3))
    assert "(ч. 2 ст. 12.9 КоАП РФ), 1\xa0500 ₽, постановление от 3 декабря 2026." in russian
    assert "половина: 750 ₽" in russian
    late = fine_notice(news, EN, date(2027, 1, 10))
    assert "half" not in late


def test_a_fine_without_a_discount_by_law_has_none() -> None:
    news = {"article": "12.8.1", "amount": 30000, "ruled_on": "2026-12-03",
            "vehicle_certificate": "77УВ123456", "offence": "Drink driving"}
    assert "half" not in fine_notice(news, EN, date(2026, 12, 3))


# ------------------------------------------------------------------ the subscription, said


def test_the_confirmation_names_what_and_where() -> None:
    assert what_text("fines", "77 УВ 123456", EN) == (
        "news of new traffic fines for the vehicle with certificate 77 УВ 123456")
    assert "по адресу Покровка, 5" in what_text("outages", "Покровка, 5", RU)
    assert channel_text("telegram", EN) == "here in Telegram"
    assert channel_text("webchat", RU) == "сюда, в чат на городском портале"
    assert channel_text("rest", EN) == channel_text(None, EN) == "in this chat"


def test_since_is_the_citys_date() -> None:
    # 22:30 UTC on 1 December is already 2 December in Moscow
    assert since(datetime(2026, 12, 1, 22, 30), "en") == "2 December 2026"
    assert since(datetime(2026, 12, 1, 22, 30), "ru") == "2 декабря 2026"


def test_news_is_told_apart_from_the_citizens_words() -> None:
    class Seen:
        def __init__(self, message: dict[str, Any]) -> None:
            self.latest_message = message

    assert is_news(Seen({"text": "EXTERNAL: EXTERNAL_fine_issued",
                             "metadata": {"is_external": True}}))
    assert not is_news(Seen({"text": "external alerts please", "metadata": {}}))


# ------------------------------------------------------------------ the subscriber's language


def test_a_notification_id_names_its_delivery() -> None:
    assert notification_key("n42") == 42
    assert notification_key("42") is None and notification_key(None) is None
    assert notification_key("nx") is None


async def test_news_is_told_in_the_language_the_citizen_subscribed_in(store: Store) -> None:
    boris = await subscribe(store, "boris", "fines", "77УВ123456", language="ru")
    async with store.session() as session, session.begin():
        delivery = Delivery(subscription_id=boris.id, sender_id="boris", event_key="events:1",
                            intent="EXTERNAL_fine_issued", payload={}, status="sending",
                            occurred_at=datetime(2026, 12, 3), due_at=datetime(2026, 12, 3))
        session.add(delivery)
    assert await subscriber_language(store, f"n{delivery.id}") == "ru"
    assert await subscriber_language(store, f"n{delivery.id + 1}") is None
    assert await subscriber_language(store, None) is None


@pytest.mark.parametrize(("text", "told"), [
    ("keep me posted about heating outages on my street", True),
    ("notify me if the electricity goes off at petrovka 5", True),
    ("присылайте мне сообщения об отключениях воды", True),
    ("tell me when the hot water comes back", False),  # the lookup
    ("is there hot water at petrovka 5 tomorrow?", False),
    ("когда дадут горячую воду", False),
])
def test_asking_to_be_told_later_is_told_from_a_lookup(text: str, told: bool) -> None:
    assert asks_to_be_told(text) is told
