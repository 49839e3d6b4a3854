"""The sandbox city's tables (SQLAlchemy 2.0 style declarative models on 1.4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    LargeBinary,
    Column,
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
