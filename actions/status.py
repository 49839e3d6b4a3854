"""Service 2: the status of a reported problem."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    city,
    day,
    language_in,
    latest_entity,
    latest_text,
    localized,
    render,
    store,
)
from actions.report import sent_after_all
from bot.city import CityError, CityNotFound, CityUnavailable
from bot.filing import recent_reports, resolve_tokens
from bot.store import Report
from bot.textparse import parse_request_id, parse_token


class ActionCheckRequestStatus(Action):
    """Status of one request by number; without a number, the citizen's own recent reports."""

    def name(self) -> str:
        return "action_check_request_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        domain = localized(domain, tracker)
        after_all = await sent_after_all(dispatcher, tracker)
        if after_all is not None:
            return after_all
        request_id = parse_request_id(
            latest_entity(tracker, "request_id") or latest_text(tracker)
        )
        done = [SlotSet("pending_service", None), SlotSet("request_id", None),
                SlotSet("last_service", "check_request_status")]
        token = parse_token(latest_text(tracker))
        if token:
            await self._by_token(dispatcher, token, domain)
            return done
        if request_id:
            await self._one(dispatcher, request_id, domain)
            return done
        reports = await recent_reports(await store(), tracker.sender_id)
        await resolve_tokens(await store(), city().open311, reports)
        if not reports:
            dispatcher.utter_message(response="utter_ask_request_id")
            return [SlotSet("pending_service", "check_request_status")]
        statuses, names = await asyncio.gather(
            asyncio.gather(*(_current_status(r, domain) for r in reports)),
            _service_names(language_in(domain)),
        )
        lines = [render(domain, "utter_my_requests_header")]
        for report, status in zip(reports, statuses):
            line = report.status if report.request_id or report.status != "filed" else "token"
            lines.append(
                render(
                    domain,
                    f"utter_my_request_line_{line}",
                    request_id=report.request_id,
                    service_name=names.get(report.service_code) or report.service_name,
                    status=status,
                    reason=report.last_error,
                )
            )
        dispatcher.utter_message(text="\n".join(lines))
        return done

    async def _by_token(
        self, dispatcher: CollectingDispatcher, token: str, domain: dict[str, Any]
    ) -> None:
        """A batch reference: the request it became, or that it has no number yet."""
        try:
            request_id = await city().open311.request_id_for_token(token)
        except CityNotFound:
            dispatcher.utter_message(response="utter_token_not_found")
            return
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return
        if request_id:
            await self._one(dispatcher, request_id, domain)
        else:
            dispatcher.utter_message(response="utter_token_no_number_yet")

    async def _one(
        self, dispatcher: CollectingDispatcher, request_id: str, domain: dict[str, Any]
    ) -> None:
        try:
            request = await city().open311.get_request(request_id, language=language_in(domain))
        except CityNotFound:
            dispatcher.utter_message(response="utter_request_not_found", request_id=request_id)
            return
        except CityUnavailable:
            dispatcher.utter_message(response="utter_city_unavailable")
            return
        names = await _service_names(language_in(domain))
        dispatcher.utter_message(
            response=f"utter_request_status_{'closed' if request.status == 'closed' else 'open'}",
            request_id=request.id or request_id,
            service_name=(names.get(request.service_code or "") or request.service_name
                          or request.service_code or "-"),
            address=request.address or "-",
            notes=request.status_notes or render(domain, "utter_status_no_notes"),
        )
        dispatcher.utter_message(
            response="utter_request_status_dates",
            requested=day(request.requested, language_in(domain)),
            updated=day(request.updated, language_in(domain)),
            agency=request.agency_responsible or "-",
        )


async def _service_names(language: str) -> dict[str, str]:
    """Service code -> name as the catalogue gives it in the conversation's language ({} when
    the city cannot say): the city names a request's service in its own language, and a saved
    report keeps the name in the language it was made in."""
    try:
        return {service.code: service.name for service in await city().catalogue.services(language)}
    except CityError:
        return {}


async def _current_status(report: Report, domain: dict[str, Any]) -> str:
    """The city's word for a filed report's status now ("-" when it cannot say)."""
    if report.status != "filed" or not report.request_id:
        return "-"
    try:
        current = await city().open311.get_request(report.request_id)
    except (CityNotFound, CityUnavailable):
        return "-"
    return render(domain, f"utter_status_word_{current.status}") or current.status
