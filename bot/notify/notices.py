"""The words the notifier's parts share: kinds of subscription, the intents that carry each kind
into the conversation, and a :class:`Notice` (one thing that happened, before it is matched to
the subscriptions it concerns)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

Kind = Literal["outages", "reports", "meter_reminder", "fines"]
KINDS: tuple[Kind, ...] = ("outages", "reports", "meter_reminder", "fines")
LANGUAGES = ("en", "ru")

# What every notification intent starts with (Rasa's convention for external events; the
# console counts them apart from what citizens wrote).
INTENT_PREFIX = "EXTERNAL_"
# Rasa external events (``trigger_intent``), one per kind; the domain's rules answer each with a
# phrasing action that reads the entities (docs/notifications.md).
INTENTS: dict[Kind, str] = {
    "outages": "EXTERNAL_outage_planned",
    "reports": "EXTERNAL_request_updated",
    "meter_reminder": "EXTERNAL_meter_reminder",
    "fines": "EXTERNAL_fine_issued",
}
# The entity naming the delivery in the turn it becomes: how a lost answer is checked later.
NOTIFICATION_ENTITY = "notification_id"


def naive_utc(moment: datetime) -> datetime:
    """The app database keeps naive UTC (``bot.store.models.utcnow``)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Notice:
    """Something a source read that subscriptions of ``kind`` may want to hear about.

    ``key`` names it for good (the same input read twice gives the same key). ``targets``: the
    subscription targets it concerns (None: every subscription of the kind); ``senders``: only
    these citizens' subscriptions (a report's reporters; None: anyone's). ``payload`` is the
    language-neutral part of the entities, ``texts`` the words per language. ``deadline`` and
    ``expires_at`` as in :class:`bot.store.models.Delivery`. Times are naive UTC.
    """

    key: str
    kind: Kind
    occurred_at: datetime
    payload: dict[str, Any]
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    targets: frozenset[str] | None = None
    senders: frozenset[str] | None = None
    deadline: datetime | None = None
    expires_at: datetime | None = None

    def entities(self, language: str) -> dict[str, Any]:
        """The payload with the words in ``language`` (English where there are none)."""
        words = self.texts.get(language) or self.texts.get("en") or {}
        return {**self.payload, **words}
