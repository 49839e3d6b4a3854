"""Shared SQLAlchemy models and the app database."""

from bot.store.db import Store
from bot.store.models import Handoff, Report, TelegramCallback, TelegramClaim

__all__ = ["Handoff", "Report", "Store", "TelegramCallback", "TelegramClaim"]
