"""Doctor's appointments on the city JSON API: polyclinics, free slots, booking, cancelling.

Errors come through the one tree of ``bot.city.errors``: the city's refusals as
:class:`CityRejected` with its code (400 ``bad_policy_number``/``bad_specialty``, 409
``slot_taken``/``already_booked``, 422 ``not_attached``), anything it does not know as
:class:`CityNotFound` (an unknown patient, a slot that is gone or has passed, someone else's
appointment), a 2xx body that cannot be read as :class:`CityProtocolError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from bot.city.errors import CityProtocolError
from bot.city.http import CityHTTP
from bot.city.reading import json_object, listed


def _text(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if value is None or value == "" or isinstance(value, dict | list):
        raise CityProtocolError(f"{what} has no {key}")
    return str(value)


def _moment(data: dict[str, Any], key: str, what: str) -> datetime:
    """A W3C datetime with its offset (the city's Moscow time, kept as it said it)."""
    try:
        moment = datetime.fromisoformat(str(data[key]).replace("Z", "+00:00"))
    except (KeyError, ValueError) as exc:
        raise CityProtocolError(f"{what} has no readable {key}") from exc
    if moment.tzinfo is None:
        raise CityProtocolError(f"{what}'s {key} has no UTC offset")
    return moment


def _items(body: Any, what: str) -> list[Any]:
    return listed(json_object(body, what), "items", what)


@dataclass(frozen=True)
class Specialty:
    code: str
    name: str


@dataclass(frozen=True)
class Clinic:
    id: str
    name: str
    address: str
    district: str = ""
    phone: str | None = None
    opening_hours: dict[str, str | None] = field(default_factory=dict)
    specialties: tuple[Specialty, ...] = ()
    distance_m: float | None = None

    @classmethod
    def from_json(cls, data: Any) -> Clinic:
        data = json_object(data, "a polyclinic")
        hours = data.get("opening_hours") or {}
        specialties = data.get("specialties") or []
        if not isinstance(hours, dict) or not isinstance(specialties, list):
            raise CityProtocolError("a polyclinic's hours or specialties are unreadable")
        distance = data.get("distance_m")
        return cls(
            id=_text(data, "id", "a polyclinic"),
            name=_text(data, "name", "a polyclinic"),
            address=str(data.get("address") or ""),
            district=str(data.get("district") or ""),
            phone=str(data["phone"]) if data.get("phone") else None,
            opening_hours={str(day): (str(span) if span else None)
                           for day, span in hours.items()},
            specialties=tuple(
                Specialty(_text(s, "code", "a specialty"),
                          str(s.get("name") or s["code"]))
                for s in (json_object(item, "a specialty") for item in specialties)),
            distance_m=float(distance) if isinstance(distance, int | float) else None,
        )


@dataclass(frozen=True)
class Slot:
    """A free slot; ``start`` and ``end`` carry the city's offset (Moscow time)."""

    id: str
    start: datetime
    end: datetime
    specialty: str
    doctor: str
    room: str = ""
    specialty_name: str = ""
    clinic_id: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Slot:
        data = json_object(data, "a slot")
        specialty = _text(data, "specialty", "a slot")
        return cls(
            id=_text(data, "id", "a slot"),
            start=_moment(data, "start", "a slot"),
            end=_moment(data, "end", "a slot"),
            specialty=specialty,
            doctor=_text(data, "doctor", "a slot"),
            room=str(data.get("room") or ""),
            specialty_name=str(data.get("specialty_name") or specialty),
            clinic_id=None if data.get("clinic_id") is None else str(data["clinic_id"]),
        )


@dataclass(frozen=True)
class Appointment:
    id: str
    start: datetime
    end: datetime
    specialty: str
    doctor: str
    clinic: Clinic
    room: str = ""
    specialty_name: str = ""
    slot_id: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Appointment:
        data = json_object(data, "an appointment")
        specialty = _text(data, "specialty", "an appointment")
        return cls(
            id=_text(data, "id", "an appointment"),
            start=_moment(data, "start", "an appointment"),
            end=_moment(data, "end", "an appointment"),
            specialty=specialty,
            doctor=_text(data, "doctor", "an appointment"),
            clinic=Clinic.from_json(data.get("clinic")),
            room=str(data.get("room") or ""),
            specialty_name=str(data.get("specialty_name") or specialty),
            slot_id=None if data.get("slot_id") is None else str(data["slot_id"]),
        )


def _start(value: date | datetime | None) -> str | None:
    """``from`` as the city reads it: a date, or a datetime (without offset: Moscow time)."""
    return None if value is None else value.isoformat()


class HealthClient:
    """Typed calls of the city's appointment service. ``language`` ("ru") names polyclinics,
    addresses, specialties and doctors in Russian; left out, the city answers in English."""

    def __init__(self, http: CityHTTP, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def _call(self, method: str, path: str, params: dict[str, Any] | None = None,
                    **options: Any) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        return await self._http.request(method, f"{self._base}/{path}", params=clean,
                                        **options)

    async def clinics(
        self,
        *,
        address_id: str | None = None,
        district: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        policy: str | None = None,
        language: str | None = None,
    ) -> list[Clinic]:
        """The polyclinics serving a place, nearest first; with ``policy``, the patient's own
        (the only one they can book at)."""
        body = await self._call("GET", "clinics", {
            "address_id": address_id, "district": district, "lat": lat, "lon": lon,
            "policy_number": policy, "lang": language})
        return [Clinic.from_json(item) for item in _items(body, "the polyclinics")]

    async def clinic(self, clinic_id: str, *, language: str | None = None) -> Clinic:
        body = await self._call("GET", f"clinics/{quote(str(clinic_id), safe='')}",
                                {"lang": language})
        return Clinic.from_json(body)

    async def slots(
        self,
        clinic_id: str,
        specialty: str,
        *,
        start: date | datetime | None = None,
        limit: int = 5,
        language: str | None = None,
    ) -> list[Slot]:
        """The next free slots of a specialty at a polyclinic, earliest first."""
        body = await self._call("GET", f"clinics/{quote(str(clinic_id), safe='')}/slots", {
            "specialty": specialty, "from": _start(start), "limit": limit, "lang": language})
        return [Slot.from_json(item) for item in _items(body, "the slots")]

    async def book(self, slot_id: str, policy: str, *, idempotency_key: str,
                   language: str | None = None) -> Appointment:
        """Book a slot; the key makes a retried booking count once (and answer the same)."""
        body = await self._call(
            "POST", "appointments", {"lang": language},
            json_body={"slot_id": slot_id, "policy_number": policy},
            headers={"Idempotency-Key": idempotency_key}, idempotent=True)
        return Appointment.from_json(body)

    async def appointments(self, policy: str, *, language: str | None = None
                           ) -> list[Appointment]:
        """A patient's appointments still to come, earliest first."""
        body = await self._call("GET", "appointments",
                                {"policy_number": policy, "lang": language})
        return [Appointment.from_json(item) for item in _items(body, "the appointments")]

    async def cancel(self, appointment_id: str, policy: str, *,
                     language: str | None = None) -> Appointment:
        """Cancel a patient's appointment; the one cancelled. Not retried: a repeat of a
        cancellation that went through would read as not found."""
        body = await self._call(
            "DELETE", f"appointments/{quote(str(appointment_id), safe='')}",
            {"policy_number": policy, "lang": language})
        return Appointment.from_json(body)
