"""A service request's texts in the language asked for.

A request row keeps what the city wrote, in English: the agency's name, the filing notice, the
status notes. The city's own fixed phrases are known here in Russian too (the notes the filing
desk, the clock and the seeded history write, every agency and notice of the catalogue), so an
answer in Russian says them in Russian. Anything else, such as a note a member of staff typed or
the citizen's own description, is shown as it was written, as a real city would.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.sandbox.catalogue import RUSSIAN, service_notice, translation
from bot.sandbox.geo import Gazetteer
from bot.sandbox.models import Service, ServiceRequest

RECEIVED = "Received"

# Every note the city itself writes on a request, in Russian.
STATUS_NOTES_RU = {
    RECEIVED: "Заявка принята",
    "Under review": "На рассмотрении",
    "Crew assigned": "Назначена бригада",
    "Scheduled for repair": "Ремонт запланирован",
    "Repaired": "Отремонтировано",
    "Resolved": "Проблема устранена",
    "Work completed": "Работы выполнены",
}


class Phrasebook:
    """The catalogue's and the city's words for requests in one language."""

    def __init__(self, services: Iterable[Service], language: str,
                 gazetteer: Gazetteer | None = None) -> None:
        self.language = language
        self._gazetteer = gazetteer
        self._names: dict[str, str] = {}
        self._agencies: dict[str, str] = {}
        self._notices: dict[str, str] = {}
        for service in services:
            said = translation(service.translations, language)
            name = said.get("name") or service.name
            agency = said.get("agency") or service.agency
            self._names[service.code] = name
            self._agencies.setdefault(service.agency, agency)
            english = service_notice(service.name, service.agency, service.resolution_days)
            self._notices[english] = service_notice(name, agency, service.resolution_days,
                                                    language)

    @classmethod
    async def load(cls, session: AsyncSession, language: str,
                   gazetteer: Gazetteer | None = None) -> Phrasebook:
        return cls((await session.scalars(select(Service))).all(), language, gazetteer)

    def service_name(self, code: str) -> str:
        return self._names.get(code, code)

    def agency(self, text: str) -> str:
        return self._agencies.get(text, text)

    def notice(self, text: str | None) -> str | None:
        return None if text is None else self._notices.get(text, text)

    def status_notes(self, text: str | None) -> str | None:
        if text is None or self.language != RUSSIAN:
            return text
        return STATUS_NOTES_RU.get(text, text)

    def address(self, row: ServiceRequest) -> str | None:
        """The address as the city labels that house in the language, when the request's
        address is the city's own label of it; else as it was given."""
        place = (self._gazetteer.get(row.address_id)
                 if self._gazetteer is not None and row.address_id is not None else None)
        if place is None or row.address != place.label:
            return row.address
        return place.label_in(self.language)
