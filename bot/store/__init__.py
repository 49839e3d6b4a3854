"""Shared SQLAlchemy models and the app database."""

from bot.store.db import Store
from bot.store.models import (
    AuditEvent,
    Correction,
    Handoff,
    HandoffClaim,
    LoginAttempt,
    Report,
    SavedDetail,
    Staff,
    StaffSession,
    TelegramCallback,
    TelegramClaim,
)

__all__ = [
    "AuditEvent",
    "Correction",
    "Handoff",
    "HandoffClaim",
    "LoginAttempt",
    "Report",
    "SavedDetail",
    "Staff",
    "StaffSession",
    "Store",
    "TelegramCallback",
    "TelegramClaim",
]
