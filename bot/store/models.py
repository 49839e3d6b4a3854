"""Tables shared by the action server, the console and the notifier (SQLAlchemy 2.0 style)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Report(Base):
    """A problem report the citizen confirmed: the outbox row and, once filed, its receipt.

    ``key`` is the idempotency key of one confirmation: a retried action finds the row and
    never files twice.
    """

    __tablename__ = "reports"

    id = Column(Integer, primary_key=True)
    key = Column(String(128), nullable=False, unique=True)
    sender_id = Column(String(255), nullable=False, index=True)
    service_code = Column(String(64), nullable=False)
    service_name = Column(String(255), nullable=False, default="")
    payload = Column(JSON, nullable=False)
    status = Column(String(16), nullable=False, default="pending")  # pending|filed|rejected
    request_id = Column(String(64), nullable=True)
    token = Column(String(128), nullable=True)
    service_notice = Column(Text, nullable=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Handoff(Base):
    """A conversation handed to a person; the bot stays silent while it is open."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    reason = Column(Text, nullable=False, default="")
    last_message = Column(Text, nullable=True)
    status = Column(String(16), nullable=False, default="open")  # open|released
    created_at = Column(DateTime, nullable=False, default=utcnow)
    released_at = Column(DateTime, nullable=True)


class TelegramClaim(Base):
    """Something a Telegram bot has handled once: an update, or the keyboard of a question.

    Telegram re-delivers an update it thinks failed and a citizen can press two buttons of one
    keyboard; the row (written before the work) makes the second arrival a no-op, also after a
    restart. ``key`` is ``update:<update_id>`` or ``keyboard:<chat_id>:<message_id>``.
    """

    __tablename__ = "telegram_claims"
    __table_args__ = (UniqueConstraint("bot_id", "key", name="uq_telegram_claim"),)

    id = Column(Integer, primary_key=True)
    bot_id = Column(BigInteger, nullable=False)
    key = Column(String(96), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class TelegramCallback(Base):
    """A button payload longer than Telegram's 64-byte callback_data, kept under a short key."""

    __tablename__ = "telegram_callbacks"

    key = Column(String(32), primary_key=True)
    payload = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
