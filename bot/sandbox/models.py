"""The sandbox city's tables (SQLAlchemy 2.0 style declarative models on 1.4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    LargeBinary,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declarative_base

Base = declarative_base()


class District(Base):
    __tablename__ = "districts"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(80), nullable=False, unique=True)
    # The Russian name; NULL only in a database seeded before names were given in Russian.
    name_ru: Mapped[str | None] = Column(String(80))


class Street(Base):
    __tablename__ = "streets"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(120), nullable=False)
    name_ru: Mapped[str | None] = Column(String(120))
    district_id: Mapped[int] = Column(ForeignKey("districts.id"), nullable=False)


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = Column(Integer, primary_key=True)
    street_id: Mapped[int] = Column(ForeignKey("streets.id"), nullable=False, index=True)
    house: Mapped[str] = Column(String(16), nullable=False)
    zipcode: Mapped[str] = Column(String(6), nullable=False)
    lat: Mapped[float] = Column(Float, nullable=False)
    lon: Mapped[float] = Column(Float, nullable=False)


class Facility(Base):
    __tablename__ = "facilities"

    id: Mapped[int] = Column(Integer, primary_key=True)
    type: Mapped[str] = Column(String(20), nullable=False, index=True)
    name: Mapped[str] = Column(String(160), nullable=False)
    # NULL only in a database seeded before facilities were named in Russian (or for a name
    # that fits none of the city's patterns): then the English name is shown.
    name_ru: Mapped[str | None] = Column(String(160))
    address_id: Mapped[int] = Column(ForeignKey("addresses.id"), nullable=False)
    phone: Mapped[str] = Column(String(32), nullable=False)
    # {"mon": "08:00-20:00", ..., "sun": None}
    opening_hours: Mapped[dict] = Column(JSON, nullable=False)
    # Citizens per hour of an average open hour; None where there is no queue to speak of.
    queue_base: Mapped[int | None] = Column(Integer)


class Service(Base):
    """One entry of the Open311 catalogue with its service definition."""

    __tablename__ = "services"

    code: Mapped[str] = Column(String(40), primary_key=True)
    name: Mapped[str] = Column(String(120), nullable=False)
    description: Mapped[str] = Column(Text, nullable=False)
    type: Mapped[str] = Column(String(12), nullable=False)
    keywords: Mapped[str] = Column(String(400), nullable=False)
    group: Mapped[str] = Column(String(80), nullable=False)
    agency: Mapped[str] = Column(String(120), nullable=False)
    resolution_days: Mapped[int] = Column(Integer, nullable=False)
    attributes: Mapped[list] = Column(JSON, nullable=False)
    # The texts in other languages, by language: {"ru": {"name", "description", "keywords",
    # "group", "agency", "attributes": {code: {"description", "datatype_description", "values":
    # {key: name}}}}}. NULL only in a database seeded before the catalogue was given in Russian.
    translations: Mapped[dict | None] = Column(JSON)


class ServiceRequest(Base):
    __tablename__ = "service_requests"

    id: Mapped[str] = Column(String(12), primary_key=True)
    service_code: Mapped[str] = Column(ForeignKey("services.code"), nullable=False, index=True)
    status: Mapped[str] = Column(String(8), nullable=False, index=True)
    status_notes: Mapped[str | None] = Column(Text)
    description: Mapped[str | None] = Column(Text)
    agency_responsible: Mapped[str] = Column(String(120), nullable=False)
    service_notice: Mapped[str | None] = Column(Text)
    requested_datetime: Mapped[datetime] = Column(DateTime, nullable=False, index=True)
    updated_datetime: Mapped[datetime] = Column(DateTime, nullable=False, index=True)
    expected_datetime: Mapped[datetime | None] = Column(DateTime)
    address: Mapped[str | None] = Column(Text)
    address_id: Mapped[int | None] = Column(ForeignKey("addresses.id"))
    zipcode: Mapped[str | None] = Column(String(6))
    lat: Mapped[float | None] = Column(Float)
    lon: Mapped[float | None] = Column(Float)
    media_url: Mapped[str | None] = Column(Text)
    attributes: Mapped[dict] = Column(JSON, nullable=False, default=dict)
    # Who filed it (GeoReport optional fields); never shown in request lists.
    reporter: Mapped[dict] = Column(JSON, nullable=False, default=dict)
    token: Mapped[str | None] = Column(String(40), unique=True)
    # Seeded history stays as it is; the clock moves only requests filed through the API.
    moved_by_clock: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    ticks: Mapped[int] = Column(Integer, nullable=False, default=0)


class MeterAccount(Base):
    __tablename__ = "meter_accounts"

    account: Mapped[str] = Column(String(10), primary_key=True)
    address_id: Mapped[int] = Column(ForeignKey("addresses.id"), nullable=False)
    # The flat the account belongs to: what the holder knows besides the number (issue 13).
    flat: Mapped[str | None] = Column(String(8), nullable=True)


class Meter(Base):
    __tablename__ = "meters"
    __table_args__ = (UniqueConstraint("account", "kind"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    account: Mapped[str] = Column(ForeignKey("meter_accounts.account"), nullable=False)
    kind: Mapped[str] = Column(String(4), nullable=False)
    serial: Mapped[str] = Column(String(20), nullable=False)


class Reading(Base):
    """A cumulative meter reading; one per account, kind and month (a resubmission replaces)."""

    __tablename__ = "readings"
    __table_args__ = (UniqueConstraint("account", "kind", "month"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    account: Mapped[str] = Column(ForeignKey("meter_accounts.account"), nullable=False, index=True)
    kind: Mapped[str] = Column(String(4), nullable=False)
    month: Mapped[str] = Column(String(7), nullable=False)
    value: Mapped[float] = Column(Float, nullable=False)
    taken_on: Mapped[datetime] = Column(DateTime, nullable=False)


class Outage(Base):
    __tablename__ = "outages"

    id: Mapped[int] = Column(Integer, primary_key=True)
    kind: Mapped[str] = Column(String(12), nullable=False)
    district_id: Mapped[int] = Column(ForeignKey("districts.id"), nullable=False, index=True)
    streets: Mapped[list] = Column(JSON, nullable=False)
    starts_at: Mapped[datetime] = Column(DateTime, nullable=False)
    ends_at: Mapped[datetime] = Column(DateTime, nullable=False)
    reason: Mapped[str] = Column(Text, nullable=False)
    # NULL only in a database seeded before outages were explained in Russian.
    reason_ru: Mapped[str | None] = Column(Text)


class IdempotentAnswer(Base):
    """The first answer to a POST carrying an ``Idempotency-Key`` header."""

    __tablename__ = "idempotent_answers"

    scope: Mapped[str] = Column(String(60), primary_key=True)
    key: Mapped[str] = Column(String(200), primary_key=True)
    status: Mapped[int] = Column(Integer, nullable=False)
    body: Mapped[dict | list] = Column(JSON, nullable=False)
    created_at: Mapped[datetime] = Column(DateTime, nullable=False)


class Media(Base):
    """A photo a citizen attached to a report, served back at ``/media/{id}`` (its media_url)."""

    __tablename__ = "media"

    id: Mapped[str] = Column(String(40), primary_key=True)
    content_type: Mapped[str] = Column(String(80), nullable=False)
    data: Mapped[bytes] = Column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = Column(DateTime, nullable=False, default=datetime.utcnow)


class Doctor(Base):
    """A doctor of a polyclinic (a facility of type clinic) seeing one specialty, mornings and
    afternoons in turn (``bot.sandbox.clinics`` makes the slots from this)."""

    __tablename__ = "doctors"

    id: Mapped[int] = Column(Integer, primary_key=True)
    clinic_id: Mapped[int] = Column(ForeignKey("facilities.id"), nullable=False, index=True)
    specialty: Mapped[str] = Column(String(20), nullable=False)
    name: Mapped[str] = Column(String(80), nullable=False)
    name_ru: Mapped[str] = Column(String(80), nullable=False)
    room: Mapped[str] = Column(String(8), nullable=False)
    # 0: the morning shift on even days (by date ordinal), the afternoon on odd; 1: the reverse.
    shift: Mapped[int] = Column(Integer, nullable=False)


class Patient(Base):
    """A patient by the compulsory health insurance policy, attached to one polyclinic."""

    __tablename__ = "patients"

    policy: Mapped[str] = Column(String(16), primary_key=True)
    initials: Mapped[str] = Column(String(12), nullable=False)
    initials_ru: Mapped[str] = Column(String(12), nullable=False)
    address_id: Mapped[int] = Column(ForeignKey("addresses.id"), nullable=False)
    clinic_id: Mapped[int] = Column(ForeignKey("facilities.id"), nullable=False)


class Appointment(Base):
    """A booked slot; the unique slot id is what stops two patients getting one slot."""

    __tablename__ = "appointments"

    id: Mapped[int] = Column(Integer, primary_key=True)
    slot_id: Mapped[str] = Column(String(24), nullable=False, unique=True)
    doctor_id: Mapped[int] = Column(ForeignKey("doctors.id"), nullable=False, index=True)
    # NULL: taken by someone the sandbox does not model (the test hook's "someone else").
    policy: Mapped[str | None] = Column(ForeignKey("patients.policy"), index=True)
    starts_at: Mapped[datetime] = Column(DateTime, nullable=False)
    created_at: Mapped[datetime] = Column(DateTime, nullable=False)


class Poll(Base):
    """A citizens' poll ("Active Citizen"): open from ``opens_on`` to ``closes_on`` inclusive
    (Moscow dates)."""

    __tablename__ = "polls"

    id: Mapped[int] = Column(Integer, primary_key=True)
    title: Mapped[str] = Column(String(160), nullable=False)
    title_ru: Mapped[str] = Column(String(160), nullable=False)
    question: Mapped[str] = Column(Text, nullable=False)
    question_ru: Mapped[str] = Column(Text, nullable=False)
    opens_on: Mapped[date] = Column(Date, nullable=False)
    closes_on: Mapped[date] = Column(Date, nullable=False)


class PollOption(Base):
    __tablename__ = "poll_options"

    id: Mapped[int] = Column(Integer, primary_key=True)
    poll_id: Mapped[int] = Column(ForeignKey("polls.id"), nullable=False, index=True)
    position: Mapped[int] = Column(Integer, nullable=False)
    text: Mapped[str] = Column(String(200), nullable=False)
    text_ru: Mapped[str] = Column(String(200), nullable=False)
    # Votes cast before the sandbox existed, as a count: thousands of rows would say no more.
    seeded_votes: Mapped[int] = Column(Integer, nullable=False, default=0)


class PollVote(Base):
    """One citizen's vote; the unique (poll, citizen) pair is the one-vote rule."""

    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "citizen"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    poll_id: Mapped[int] = Column(ForeignKey("polls.id"), nullable=False)
    option_id: Mapped[int] = Column(ForeignKey("poll_options.id"), nullable=False)
    citizen: Mapped[str] = Column(String(128), nullable=False)
    created_at: Mapped[datetime] = Column(DateTime, nullable=False)


class Vehicle(Base):
    """A registered vehicle, known to the city by its registration certificate (СТС)."""

    __tablename__ = "vehicles"

    # Canonical: "77УВ123456" (bot.vehicles.normalise_certificate).
    certificate: Mapped[str] = Column(String(10), primary_key=True)
    plate: Mapped[str] = Column(String(9), nullable=False)
    make_model: Mapped[str] = Column(String(80), nullable=False)


class Fine(Base):
    """A traffic fine: one ruling (постановление) against a vehicle."""

    __tablename__ = "fines"

    # The ruling's 20-digit payment identifier (УИН), what a citizen pays by.
    id: Mapped[str] = Column(String(20), primary_key=True)
    certificate: Mapped[str] = Column(ForeignKey("vehicles.certificate"), nullable=False,
                                      index=True)
    ruled_on: Mapped[date] = Column(Date, nullable=False)
    # When the city recorded it (naive UTC): what a feed of new fines reads.
    created_at: Mapped[datetime] = Column(DateTime, nullable=False, index=True)
    article: Mapped[str] = Column(String(12), nullable=False)
    offence: Mapped[str] = Column(Text, nullable=False)
    offence_ru: Mapped[str] = Column(Text, nullable=False)
    # A house the city knows, or else a stretch of road in words (MKAD, 41st km).
    address_id: Mapped[int | None] = Column(ForeignKey("addresses.id"))
    place: Mapped[str | None] = Column(Text)
    place_ru: Mapped[str | None] = Column(Text)
    amount: Mapped[int] = Column(Integer, nullable=False)
    # Set once, when paid: the receipt shows them again on a repeated payment.
    paid_at: Mapped[datetime | None] = Column(DateTime)
    paid_amount: Mapped[int | None] = Column(Integer)


class CityEvent(Base):
    """One entry of the city's events feed (``GET /api/v1/events``): appended, never changed.

    The id is the feed's cursor. AUTOINCREMENT on SQLite so that an id is never handed out
    twice, even after the last row is gone; a serial never repeats on PostgreSQL anyway.
    """

    __tablename__ = "city_events"
    __table_args__ = (UniqueConstraint("once_key"), {"sqlite_autoincrement": True})

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = Column(String(32), nullable=False)
    # When the city recorded it (naive UTC, like every other table).
    occurred_at: Mapped[datetime] = Column(DateTime, nullable=False)
    data: Mapped[dict] = Column(JSON, nullable=False)
    # Set for an event the city tells of at most once (a month's meter window): the unique
    # constraint makes "once" hold even if two writers race.
    once_key: Mapped[str | None] = Column(String(80))
