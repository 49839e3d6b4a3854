"""The notifier's news said in the conversation: each ``EXTERNAL_*`` intent the notifier
(bot/notify) triggers through Rasa's external events is answered by :class:`ActionNotify`, in the
subscriber's language, ending with how to stop (docs/notifications.md)."""

from __future__ import annotations

import calendar
import logging
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    SETTINGS,
    day,
    in_language,
    language_in,
    language_of,
    latest_intent,
    moment,
    render,
    store,
)
from actions.fines import citation, money
from actions.notifications import target_label
from bot.notify.notices import INTENTS
from bot.notify.words import subscriber_language
from bot.vehicles import discount, normalise_certificate, shown_certificate

log = logging.getLogger(__name__)


def _entities(tracker: Tracker) -> dict[str, Any]:
    return {str(e.get("entity")): e.get("value")
            for e in (tracker.latest_message or {}).get("entities") or []}


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _number(value: Any) -> int | None:
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def outage_notice(news: dict[str, Any], domain: dict[str, Any], address: str) -> str:
    """A planned outage at the subscriber's house: what, from when to when, why."""
    language = language_in(domain)
    kind = str(news.get("outage_kind") or "")
    return render(domain, "utter_notify_outage", address=address,
                  kind=render(domain, f"utter_outage_{kind}") or kind,
                  start=moment(_when(news.get("starts_at")), language),
                  end=moment(_when(news.get("ends_at")), language),
                  reason=str(news.get("reason") or "").strip())


def report_notice(news: dict[str, Any], domain: dict[str, Any]) -> str:
    """A change to a request the subscriber reported: the city's note, and whether it is
    closed now."""
    status = "closed" if news.get("request_status") == "closed" else "open"
    notes = str(news.get("status_notes") or "").strip() or render(domain, "utter_status_no_notes")
    service = str(news.get("service_name") or "").strip()
    return render(domain, f"utter_notify_request_{status}", request_id=news.get("request_id"),
                  service=f" ({service})" if service else "", notes=notes.rstrip(". "))


def _day_of(month: date, number: int | None, default: int) -> date:
    """The month's day ``number`` (a window "to the 31st" ends with a shorter month)."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=max(1, min(number or default, last)))


def meter_notice(news: dict[str, Any], domain: dict[str, Any]) -> str:
    """The month's window for meter readings: its first and last day."""
    language = language_in(domain)
    month = _day(f"{news.get('month')}-01")
    if month is None:
        return render(domain, "utter_notify_meter_reminder_open")
    closes = _day(news.get("closes_on")) or _day_of(month, _number(news.get("closes_day")), 31)
    return render(domain, "utter_notify_meter_reminder",
                  month=format_date(month, "LLLL y", locale=language),
                  opens=day(_day_of(month, _number(news.get("opens_day")), 1), language),
                  closes=day(closes, language))


def fine_notice(news: dict[str, Any], domain: dict[str, Any], today: date) -> str:
    """A new fine for the subscriber's vehicle: what, under which article, how much, and the
    half price while the law allows it."""
    language = language_in(domain)
    amount = _number(news.get("amount")) or 0
    ruled_on = _day(news.get("ruled_on"))
    article = str(news.get("article") or "")
    certificate = str(news.get("vehicle_certificate") or "")
    text = render(domain, "utter_notify_fine",
                  certificate=shown_certificate(certificate)
                  if normalise_certificate(certificate) else certificate,
                  offence=str(news.get("offence") or "").strip(),
                  article=citation(article, domain) if article else "",
                  amount=money(amount, domain), ruled_on=day(ruled_on, language))
    half = discount(article, amount, ruled_on, today) if ruled_on and amount else None
    if half is not None:
        text = " ".join([text, render(domain, "utter_notify_fine_discount",
                                      discounted=money(half.amount, domain),
                                      until=day(half.until, language))])
    return " ".join([text, render(domain, "utter_notify_fine_how_to_pay")])


class ActionNotify(Action):
    """Say the news of an ``EXTERNAL_*`` intent in the subscriber's language, ending with how to
    stop. No slot is touched: a form in progress goes on after it."""

    def name(self) -> str:
        return "action_notify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        news = _entities(tracker)
        language = await subscriber_language(await store(), news.get("notification_id"))
        domain = in_language(domain, language or language_of(tracker))
        intent = latest_intent(tracker)
        if intent == INTENTS["outages"]:
            label = await target_label("outages", str(news.get("address_id") or ""), domain)
            text = outage_notice(news, domain, label)
        elif intent == INTENTS["reports"]:
            text = report_notice(news, domain)
        elif intent == INTENTS["meter_reminder"]:
            text = meter_notice(news, domain)
        elif intent == INTENTS["fines"]:
            text = fine_notice(news, domain, SETTINGS.city_today())
        else:
            log.warning("action_notify ran for %s, which is no notification", intent)
            return []
        dispatcher.utter_message(text="\n".join([text, render(domain,
                                                               "utter_notify_how_to_stop")]))
        return []
