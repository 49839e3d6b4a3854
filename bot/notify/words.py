"""What the dialogue reads from a citizen about notifications, and which of their subscriptions
an "unsubscribe" ends.

Pure functions (no I/O) besides :func:`subscriber_language`: the NLU tells only *that* a citizen
wants to subscribe or to stop; which kind of notification they name ("hot water at my house",
"напоминания о показаниях", "fines") is read here from their words, in English, in Russian and
in Russian typed in Latin letters, so the actions stay thin and the reading is unit-tested.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from bot.notify.notices import KINDS, Kind
from bot.notify.subscriptions import SubscriptionView
from bot.store import Delivery, Store, Subscription
from bot.vehicles import find_certificate

_FLAGS = re.IGNORECASE | re.UNICODE

# What names each kind. Russian words by their stems (they decline); a bare "отключить" is how
# Russian says "turn off" the notifications themselves, so outages need the noun
# ("отключение", "отключения воды") or what is switched off. Water is an outage's only without
# the meters' words ("hot water meter readings", "показания горячей воды" are readings); "fine"
# alone is also "okay", so fines are named in the plural or with a word that makes them traffic
# fines.
_KIND_WORDS: dict[Kind, re.Pattern[str]] = {
    "outages": re.compile(
        r"\b(outages?|shut ?downs?|shut-?offs?|blackouts?|power cuts?|cuts?|disconnections?"
        r"|heating|electricity|power)\b"
        r"|отключени\w*|отключк\w*|отоплени\w*|электричеств\w*|электроэнерги\w*|\bсвет[ау]?\b"
        r"|otklyuchen\w*|otoplen\w*|elektrichestv\w*",
        _FLAGS),
    "reports": re.compile(
        r"\b(reports?|requests?|complaints?|applications?|potholes?|status(es)?|fixed)\b"
        r"|заявк\w*|обращени\w*|жалоб\w*|статус\w*|\bям[аыуе]\b|почин\w*"
        r"|zayavk\w*|obrashch?eni\w*",
        _FLAGS),
    "meter_reminder": re.compile(
        r"\b(meters?|readings?|reminders?|remind(ing)?)\b"
        r"|сч[её]тчик\w*|показани\w*|напомина\w*|напомн\w*"
        r"|napomin\w*|pokazani\w*|sch[eyo]+tchik\w*",
        _FLAGS),
    "fines": re.compile(
        r"\bfines\b|\b(new|traffic|parking|speeding) fines?\b|\bfine (alerts?|notifications?)\b"
        r"|\bpenalt\w*|\b(camera|parking|speeding|traffic) tickets?\b"
        r"|штраф\w*|\bгибдд\b|\bгаи\b|shtraf\w*",
        _FLAGS),
}
_WATER = re.compile(r"\bwater\b|\bвод[аыуе]\b|\bvod[aiyue]\b|goryach\w*", _FLAGS)

_ALL = re.compile(r"\b(all|everything|every one|each)\b|\b(все|всё|всех|всего|всем|всеми)\b"
                  r"|\b(vse|vsekh|vsego)\b", _FLAGS)

_NOTIFICATIONS = re.compile(r"\b(notif\w*|alerts?|reminders?|subscriptions?|unsubscrib\w*)\b"
                            r"|уведомлен\w*|оповещен\w*|напомина\w*|рассылк\w*|подписк\w*"
                            r"|uvedomlen\w*", _FLAGS)

# The button that ends every subscription (the ``option`` entity of its payload).
ALL = "all"


def kinds_in(text: str) -> list[Kind]:
    """The kinds of notification the words name, in the catalogue's order."""
    text = text or ""
    named = {kind for kind in KINDS if _KIND_WORDS[kind].search(text)}
    if _WATER.search(text) and "meter_reminder" not in named:
        named.add("outages")  # "hot water at my house", "когда отключат воду"
    return [kind for kind in KINDS if kind in named]


def kind_in(text: str) -> Kind | None:
    """The one kind the words name; None for none, or for several ("outages, reports, fines":
    the citizen is asked which)."""
    kinds = kinds_in(text)
    return kinds[0] if len(kinds) == 1 else None


def says_all(text: str) -> bool:
    """"stop all notifications", "отпишите от всего"."""
    return _ALL.search(text or "") is not None


def names_notifications(text: str) -> bool:
    """Whether a message is about the notifications themselves ("stop notifications", "стоп
    уведомления"): a "stop" with nothing in progress that says so means unsubscribing."""
    return _NOTIFICATIONS.search(text or "") is not None


_TELL_ME = re.compile(
    r"\blet\s+me\s+know\b|\bnotify\s+me\b|\balert\s+me\b|\bremind\s+me\b"
    r"|\bkeep\s+me\s+(?:posted|informed|updated)\b|\bsend\s+me\s+(?:an?\s+)?"
    r"(?:alerts?|notifications?|messages?|a\s+message)\b"
    r"|уведом\w*|оповещ\w*|присылай\w*|напоминай\w*|сообщайте|сообщите\s+мне", _FLAGS)


def asks_to_be_told(text: str) -> bool:
    """Whether a message asks to be told of something later ("let me know about electricity
    outages at sretenka 9", "уведомляйте меня об отключениях"): a subscription, even when the
    NLU leans to a lookup of the same thing ("tell me when" asks for the lookup)."""
    return _TELL_ME.search(text or "") is not None or names_notifications(text)


def option_of(subscription: SubscriptionView) -> str:
    """What a button naming this subscription carries: ``kind`` or ``kind:target``."""
    return f"{subscription.kind}:{subscription.target}" if subscription.target else subscription.kind


@dataclass(frozen=True)
class Unsubscribing:
    """What an "unsubscribe" does: ``end`` these subscriptions, or ``ask`` which of these (when
    the words leave it open); ``named`` the kinds the words named (to say when the citizen has
    none of them)."""

    end: tuple[SubscriptionView, ...] = ()
    ask: tuple[SubscriptionView, ...] = ()
    named: tuple[Kind, ...] = ()


def to_end(subscriptions: Sequence[SubscriptionView], text: str,
           option: str | None = None) -> Unsubscribing:
    """Which of the citizen's active ``subscriptions`` their words end.

    A button's ``option`` says it exactly (``all``, a kind, or ``kind:target``). Else a kind
    named ends that kind (narrowed to a vehicle certificate said with it; several of the kind
    and no "all": asked which); "all" alone ends everything; one subscription is the one meant;
    several are asked about.
    """
    every = tuple(subscriptions)
    if option:
        if option == ALL:
            return Unsubscribing(end=every)
        return Unsubscribing(end=tuple(s for s in every
                                       if option in (s.kind, option_of(s))))
    named = tuple(kinds_in(text))
    if named:
        chosen = tuple(s for s in every if s.kind in named)
        certificate = find_certificate(text)
        narrowed = tuple(s for s in chosen if certificate and s.target == certificate)
        if narrowed:
            return Unsubscribing(end=narrowed, named=named)
        if len(chosen) > 1 and not says_all(text):
            return Unsubscribing(ask=chosen, named=named)
        return Unsubscribing(end=chosen, named=named)
    if says_all(text) or len(every) <= 1:
        return Unsubscribing(end=every)
    return Unsubscribing(ask=every)


def notification_key(value: object) -> int | None:
    """The delivery id in a message's ``notification_id`` entity (``n42`` -> 42)."""
    text = str(value or "")
    return int(text[1:]) if text[:1] == "n" and text[1:].isdigit() else None


async def subscriber_language(store: Store, notification_id: object) -> str | None:
    """The language of the subscription a delivered message belongs to (its words came in it):
    the conversation's own ``language`` slot may be gone (a new session) by the time news comes."""
    key = notification_key(notification_id)
    if key is None:
        return None
    async with store.session() as session:
        return await session.scalar(
            select(Subscription.language)
            .join(Delivery, Delivery.subscription_id == Subscription.id)
            .where(Delivery.id == key)
        )
