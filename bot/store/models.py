"""Tables shared by the action server, the console and the notifier (SQLAlchemy 2.0 style)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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
    status = Column(String(16), nullable=False, default="open")  # open|released|closed
    created_at = Column(DateTime, nullable=False, default=utcnow)
    released_at = Column(DateTime, nullable=True)


class SavedDetail(Base):
    """A detail the citizen agreed the assistant may keep for next time (a vehicle certificate
    for fines), one per kind; ``forget_me`` deletes them with the rest."""

    __tablename__ = "saved_details"
    __table_args__ = (UniqueConstraint("sender_id", "kind"),)

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    value = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class TelegramClaim(Base):
    """Something a Telegram bot has handled once: an update, or the keyboard of a question.

    Telegram re-delivers an update it thinks failed and a citizen can press two buttons of one
    keyboard; the row (written before the work) makes the second arrival a no-op, also after a
    restart. ``key`` is ``update:<update_id>`` or ``keyboard:<chat_id>:<message_id>``.

    An update's row also keeps the update itself (``payload``, its JSON) until its turn is over
    (``done_at``): it is written before the update is confirmed to Telegram, so a crash between
    the two loses nothing, and a restart hands on what was received and not finished.
    """

    __tablename__ = "telegram_claims"
    __table_args__ = (UniqueConstraint("bot_id", "key", name="uq_telegram_claim"),)

    id = Column(Integer, primary_key=True)
    bot_id = Column(BigInteger, nullable=False)
    key = Column(String(96), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    payload = Column(Text, nullable=True)
    done_at = Column(DateTime, nullable=True)


class TelegramCallback(Base):
    """A button payload longer than Telegram's 64-byte callback_data, kept under a short key."""

    __tablename__ = "telegram_callbacks"

    key = Column(String(32), primary_key=True)
    payload = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


# ---- Staff console: an incremental index over Rasa's tracker store (bot/console/index.py)


class ConversationIndex(Base):
    """One conversation of Rasa's tracker store, folded from its events for the console's list.

    Token columns (``intents``, ``forms_*``) hold space-separated names with a space on each
    side (" greet report_problem ") so a filter matches a whole name with one LIKE.
    """

    __tablename__ = "conversation_index"
    __table_args__ = (
        # Every list filter comes with "newest first": (filter, last_at) indexes answer both.
        Index("ix_conversation_index_channel_last", "channel", "last_at"),
        Index("ix_conversation_index_fallback_last", "had_fallback", "last_at"),
        Index("ix_conversation_index_handoff_last", "handed_off", "last_at"),
        Index("ix_conversation_index_language_last", "language", "last_at"),
    )

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, unique=True)
    channel = Column(String(64), nullable=False, default="")  # input_channel of the first message
    started_at = Column(DateTime, nullable=False)  # naive UTC, like every time here
    last_at = Column(DateTime, nullable=False, index=True)
    first_message = Column(Text, nullable=False, default="")
    turns = Column(Integer, nullable=False, default=0)  # citizen messages
    events = Column(Integer, nullable=False, default=0)
    services = Column(String(512), nullable=False, default="")  # "report_problem,find_office"
    intents = Column(Text, nullable=False, default="")
    had_fallback = Column(Boolean, nullable=False, default=False)
    min_confidence = Column(Float, nullable=True, index=True)
    handed_off = Column(Boolean, nullable=False, default=False)
    forms_started = Column(String(512), nullable=False, default="")
    forms_confirmed = Column(String(512), nullable=False, default="")
    forms_filed = Column(String(512), nullable=False, default="")
    active_form = Column(String(64), nullable=True)
    # The ``language`` slot's latest value ("en", "ru"); None until the assistant set it.
    language = Column(String(8), nullable=True)
    fold_state = Column(JSON, nullable=False, default=dict)  # the indexer's memory between events
    last_event_id = Column(BigInteger, nullable=False, default=0)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class ConversationText(Base):
    """Everything the citizen wrote in one conversation, case-folded (ё as е), for the console's
    search: folded in Python, so that a LIKE finds Cyrillic in any case on SQLite too."""

    __tablename__ = "conversation_texts"

    sender_id = Column(String(255), primary_key=True)
    text = Column(Text, nullable=False, default="")


class ConversationDay(Base):
    """One conversation's activity on one day of the city's calendar, for the console's analytics.

    Written by the conversation indexer with the index. ``messages`` counts what the citizen
    wrote that day; ``fallback`` and ``handoff`` tell whether a turn of that day fell back or
    asked for a person; ``language`` is the conversation's language as that day left it.
    """

    __tablename__ = "conversation_days"
    __table_args__ = (
        UniqueConstraint("sender_id", "day", name="uq_conversation_day"),
        # Covers the analytics queries: a period's rows are read from the index alone.
        Index("ix_conversation_days_day_channel", "day", "channel", "sender_id", "messages",
              "fallback", "handoff"),
        # The same for one language's figures.
        Index("ix_conversation_days_day_language", "day", "language", "channel", "sender_id",
              "messages", "fallback", "handoff"),
    )

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False)
    day = Column(Date, nullable=False)
    channel = Column(String(64), nullable=False, default="")
    messages = Column(Integer, nullable=False, default=0)
    fallback = Column(Boolean, nullable=False, default=False)
    handoff = Column(Boolean, nullable=False, default=False)
    language = Column(String(8), nullable=True)


class IntentDay(Base):
    """How many of a conversation's messages on one day were classified as one intent."""

    __tablename__ = "intent_days"
    __table_args__ = (
        UniqueConstraint("sender_id", "day", "intent", name="uq_intent_day"),
        Index("ix_intent_days_day_intent", "day", "intent", "messages"),
    )

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False)
    day = Column(Date, nullable=False)
    intent = Column(String(100), nullable=False)
    messages = Column(Integer, nullable=False, default=0)


class FormDay(Base):
    """A conversation reached a stage of a service form (started, confirmed, filed) on a day."""

    __tablename__ = "form_days"
    __table_args__ = (
        UniqueConstraint("sender_id", "day", "form", "stage", name="uq_form_day"),
        Index("ix_form_days_day_form", "day", "form", "stage", "sender_id"),
    )

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False)
    day = Column(Date, nullable=False)
    form = Column(String(64), nullable=False)
    stage = Column(String(16), nullable=False)  # started | confirmed | filed


class IndexState(Base):
    """How far an indexer has read a source (``key``: "tracker" for the conversation index)."""

    __tablename__ = "index_state"

    key = Column(String(32), primary_key=True)
    last_event_id = Column(BigInteger, nullable=False, default=0)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class ConversationReview(Base):
    """A reviewer's verdict on a conversation: reviewed or not, by whom, and a note."""

    __tablename__ = "conversation_reviews"

    sender_id = Column(String(255), primary_key=True)
    reviewed = Column(Boolean, nullable=False, default=False, index=True)
    reviewed_by = Column(String(64), nullable=True)
    reviewed_at = Column(DateTime, nullable=True)
    note = Column(Text, nullable=False, default="")
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class ConversationTag(Base):
    """One tag a reviewer put on a conversation."""

    __tablename__ = "conversation_tags"
    __table_args__ = (
        UniqueConstraint("sender_id", "tag", name="uq_conversation_tag"),
        Index("ix_conversation_tags_tag_sender", "tag", "sender_id"),
    )

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False)
    tag = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Staff(Base):
    """A city staff member using the console; disabled, never deleted (the audit log names them)."""

    __tablename__ = "staff"

    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False, unique=True)
    role = Column(String(16), nullable=False)  # operator|reviewer|admin
    password_hash = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    disabled = Column(Boolean, nullable=False, default=False)


class StaffSession(Base):
    """A console login; ``id`` is the SHA-256 of its cookie token (a leaked table opens nothing)."""

    __tablename__ = "staff_sessions"

    id = Column(String(64), primary_key=True)
    staff_id = Column(
        Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False, index=True)
    last_seen = Column(DateTime, nullable=False, default=utcnow)


class LoginAttempt(Base):
    """One console login attempt, kept a day for throttling by name and by address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_name_at", "name", "at"),
        Index("ix_login_attempts_remote_at", "remote", "at"),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False)
    remote = Column(String(64), nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)
    ok = Column(Boolean, nullable=False)


class AuditEvent(Base):
    """Who did what to which conversation or account (viewed, revealed, corrected, deleted...)."""

    __tablename__ = "audit_events"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    # No foreign key: the name is copied so the record stands on its own.
    staff_id = Column(Integer, nullable=True)
    staff_name = Column(String(64), nullable=False, default="")
    action = Column(String(32), nullable=False, index=True)
    target = Column(String(255), nullable=False, default="")
    detail = Column(JSON, nullable=False, default=dict)


class Correction(Base):
    """A reviewer's correction of one citizen message: the intent it should have had and the
    message annotated with its entities in Rasa's training format (``[Tverskaya 12](address)``).

    One per message (``sender_id`` + tracker ``event_id``); exported once as NLU training data,
    into the training data of its ``language`` (None: corrected before languages were kept;
    read from the text when exported).
    """

    __tablename__ = "corrections"
    __table_args__ = (UniqueConstraint("sender_id", "event_id", name="uq_correction_message"),)

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    event_id = Column(BigInteger, nullable=False)
    text = Column(Text, nullable=False)
    predicted_intent = Column(String(128), nullable=True)
    intent = Column(String(128), nullable=False)
    example = Column(Text, nullable=False)
    language = Column(String(8), nullable=True)
    corrected_by = Column(String(64), nullable=False)
    corrected_at = Column(DateTime, nullable=False, default=utcnow)
    exported_at = Column(DateTime, nullable=True, index=True)


class HandoffClaim(Base):
    """The operator who took a waiting conversation: one per handoff (the primary key makes a
    second operator's take fail), so two operators never answer the same citizen."""

    __tablename__ = "handoff_claims"

    handoff_id = Column(Integer, primary_key=True)
    staff_name = Column(String(64), nullable=False)
    taken_at = Column(DateTime, nullable=False, default=utcnow)


# ---- Notifications (bot/notify): what citizens subscribed to, and each message owed to them


class Subscription(Base):
    """A citizen's wish to be told of something: planned outages at an address (``target``: the
    city's address id), status changes of their own reports, the monthly meter-reading reminder,
    new fines for a vehicle (``target``: its canonical certificate, ``77УВ123456``).

    One row per (citizen, kind, target): subscribing twice is one subscription, and subscribing
    again after "stop" opens the same row again. ``target`` is "" for none, not NULL, because a
    unique constraint treats NULLs as all different (on SQLite and PostgreSQL alike).
    ``channel`` is the Rasa channel the citizen used ("telegram", "webchat"), where messages go.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("sender_id", "kind", "target", name="uq_subscription"),
        Index("ix_subscriptions_kind_target", "kind", "target", "ended_at"),
    )

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    kind = Column(String(16), nullable=False)  # outages|reports|meter_reminder|fines
    target = Column(String(64), nullable=False, default="")
    language = Column(String(8), nullable=False, default="en")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    ended_at = Column(DateTime, nullable=True)
    end_reason = Column(Text, nullable=True)


class Delivery(Base):
    """One message owed to one subscription for one event: written before it is sent (the
    outbox), unique per (subscription, event key) so an event reaches a subscription at most once.

    ``status``: pending (to send at ``due_at``), held (quiet hours or the daily cap: at
    ``due_at``), sending (handed to Rasa, answer not yet known), sent, failed, cancelled (the
    citizen unsubscribed first), expired (no longer true: the outage is over). ``payload`` is the
    entities for Rasa, already in the subscriber's language. ``deadline``: when the news stops
    being news if held (an outage's start); ``expires_at``: when it is no use at all.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_key", name="uq_delivery_event"),
        Index("ix_deliveries_status_due", "status", "due_at"),
        Index("ix_deliveries_sender_attempt", "sender_id", "last_attempt_at"),
    )

    id = Column(Integer, primary_key=True)
    subscription_id = Column(
        Integer, ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False
    )
    sender_id = Column(String(255), nullable=False)
    event_key = Column(String(160), nullable=False)
    intent = Column(String(64), nullable=False)
    payload = Column(JSON, nullable=False)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    occurred_at = Column(DateTime, nullable=False)
    deadline = Column(DateTime, nullable=True)
    expires_at = Column(DateTime, nullable=True)
    due_at = Column(DateTime, nullable=False)
    last_attempt_at = Column(DateTime, nullable=True)
    sent_at = Column(DateTime, nullable=True)
    error = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class NotifierCursor(Base):
    """How far the notifier has read one source ("city_events": the feed's ``next``;
    "open311_updates": the newest ``updated_datetime`` seen). Moved in the same transaction that
    records the deliveries of what was read, so a crash in between reads it again."""

    __tablename__ = "notifier_cursors"

    source = Column(String(32), primary_key=True)
    cursor = Column(Text, nullable=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
