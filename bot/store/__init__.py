"""Shared SQLAlchemy models and the app database."""

from bot.store.db import Store
from bot.store.models import (
    AuditEvent,
    Handoff,
    LoginAttempt,
    Report,
    Staff,
    StaffSession,
    TelegramCallback,
    TelegramClaim,
)

__all__ = [
    "AuditEvent",
    "Handoff",
    "LoginAttempt",
    "Report",
    "Staff",
    "StaffSession",
    "Store",
    "TelegramCallback",
    "TelegramClaim",
]
