"""Shared SQLAlchemy models and the app database."""

from bot.store.db import Store
from bot.store.models import (
    AuditEvent,
    Correction,
    Delivery,
    Handoff,
    HandoffClaim,
    LoginAttempt,
    NotifierCursor,
    Report,
    SavedDetail,
    Staff,
    StaffSession,
    Subscription,
    TelegramCallback,
    TelegramClaim,
)

__all__ = [
    "AuditEvent",
    "Correction",
    "Delivery",
    "Handoff",
    "HandoffClaim",
    "LoginAttempt",
    "NotifierCursor",
    "Report",
    "SavedDetail",
    "Staff",
    "StaffSession",
    "Store",
    "Subscription",
    "TelegramCallback",
    "TelegramClaim",
]
