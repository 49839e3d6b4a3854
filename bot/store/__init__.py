"""Shared SQLAlchemy models and the app database."""

from bot.store.db import Store
from bot.store.models import (
    AuditEvent,
    Correction,
    Handoff,
    HandoffClaim,
    LoginAttempt,
    Report,
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
    "Staff",
    "StaffSession",
    "Store",
    "TelegramCallback",
    "TelegramClaim",
]
