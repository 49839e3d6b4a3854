"""The city's payment page for a traffic fine: where the assistant's payment link leads.

``GET /pay/fines/{id}`` shows the fine and what is due today (the half price while the discount
lasts) with a form to pay it; ``POST`` to the same address pays it and shows the receipt. Paying
is idempotent: a paid fine (a second POST, a reload, a GET) shows the receipt of the first
payment. The Russian page is ``/pay/ru/fines/{id}``, as the portal keeps its languages apart;
each links to the other.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote
from datetime import date, datetime, timezone

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.sandbox.dates import MOSCOW, utcnow
from bot.sandbox.fines_api import PAY_PATHS, moscow_today, place_in, terms
from bot.sandbox.models import Fine, Vehicle
from bot.sandbox.portal import STYLE
from bot.sandbox.state import GAZETTEER, RUNTIME, open_session

FINE_ID = re.compile(r"^[0-9]{20}$")
CONFIRM = "confirm"
MONTHS_RU = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря")
# The page's own words in each language; "other" names the other language's version.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "city": "City payments", "title": "Pay a traffic fine", "receipt": "Payment receipt",
        "not_found": "Fine not found",
        "no_fine": "There is no fine with this number. Check the number in the ruling.",
        "ruling": "Ruling number", "ruled_on": "Date of the ruling", "vehicle": "Vehicle",
        "offence": "Offence", "article": "Article", "place": "Place", "amount": "Fine",
        "discount": "Half price if paid by {until}: {amount}.",
        "no_discount": "The discount period has ended or does not apply to this offence.",
        "due": "To pay now", "confirm": "I confirm paying {amount} for ruling {id}.",
        "pay": "Pay {amount}", "unconfirmed": "Tick the box to confirm the payment.",
        "paid": "The fine is paid. Keep this receipt.", "paid_amount": "Paid",
        "paid_at": "Paid on", "other": "По-русски",
    },
    "ru": {
        "city": "Городские платежи", "title": "Оплата штрафа ГИБДД",
        "receipt": "Квитанция об оплате", "not_found": "Штраф не найден",
        "no_fine": "Штрафа с таким номером нет. Проверьте номер в постановлении.",
        "ruling": "Номер постановления (УИН)", "ruled_on": "Дата постановления",
        "vehicle": "Транспортное средство", "offence": "Нарушение", "article": "Статья КоАП РФ",
        "place": "Место", "amount": "Сумма штрафа",
        "discount": "Со скидкой 50 % при оплате до {until} включительно: {amount}.",
        "no_discount": "Скидка не действует: срок истёк или на это нарушение она не "
                       "распространяется.",
        "due": "К оплате сейчас", "confirm": "Подтверждаю оплату {amount} по постановлению {id}.",
        "pay": "Оплатить {amount}", "unconfirmed": "Отметьте подтверждение оплаты.",
        "paid": "Штраф оплачен. Сохраните квитанцию.", "paid_amount": "Оплачено",
        "paid_at": "Дата оплаты", "other": "In English",
    },
}
routes = web.RouteTableDef()


def money(amount: int, lang: str) -> str:
    """``1,000 ₽`` in English, ``1 000 ₽`` in Russian (a no-break space between thousands)."""
    grouped = f"{amount:,}"
    return (grouped.replace(",", "\u00a0") if lang == "ru" else grouped) + "\u00a0₽"


def day(value: date, lang: str) -> str:
    """A date as a citizen reads it ("25 November 2026", "25 ноября 2026 г."), never ambiguous
    between day and month."""
    if lang == "ru":
        return f"{value.day} {MONTHS_RU[value.month - 1]} {value.year} г."
    return f"{value.day} {value:%B %Y}"


def moment(value: datetime, lang: str) -> str:
    """A stored naive-UTC moment as the Moscow day and time."""
    local = value.replace(tzinfo=timezone.utc).astimezone(MOSCOW)
    return f"{day(local.date(), lang)}, {local:%H:%M}"


def page(title: str, body: str, lang: str, fine_id: str, status: int = 200) -> web.Response:
    """A whole HTML page in ``lang``; the header links to the same page in the other language."""
    words = WORDS[lang]
    other = "en" if lang == "ru" else "ru"
    switch = html.escape(PAY_PATHS[other].format(id=quote(fine_id, safe="")))
    document = (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · {words['city']}</title><style>{STYLE}"
        "dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dd{margin:0}"
        "</style></head>"
        f"<body><header><span>{words['city']}</span>"
        f'<a href="{switch}" lang="{other}" hreflang="{other}">{words["other"]}</a>'
        f"</header><main><h1>{html.escape(title)}</h1>\n{body}\n</main></body></html>\n"
    )
    return web.Response(text=document, status=status, content_type="text/html", charset="utf-8")


def details(rows: list[tuple[str, str]]) -> str:
    """Label-value pairs as a description list (read in order by a screen reader)."""
    items = "".join(f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>"
                    for label, value in rows)
    return f"<dl>{items}</dl>"


def fine_rows(fine: Fine, vehicle: Vehicle, request: web.Request, lang: str
              ) -> list[tuple[str, str]]:
    """What the ruling says, the same on the payment page and on the receipt."""
    words = WORDS[lang]
    return [
        (words["ruling"], fine.id),
        (words["ruled_on"], day(fine.ruled_on, lang)),
        (words["vehicle"], f"{vehicle.plate}, {vehicle.make_model}"),
        (words["offence"], fine.offence_ru if lang == "ru" else fine.offence),
        (words["article"], fine.article),
        (words["place"], place_in(fine, request.app[GAZETTEER], lang) or "—"),
        (words["amount"], money(fine.amount, lang)),
    ]


def not_found(request: web.Request, lang: str) -> web.Response:
    """A page, not a JSON error: a person followed a link here."""
    words = WORDS[lang]
    return page(words["not_found"], f"<p>{words['no_fine']}</p>", lang,
                request.match_info["id"], status=404)


def receipt(request: web.Request, fine: Fine, vehicle: Vehicle, lang: str) -> web.Response:
    """The receipt of a paid fine: always the first payment's amount and moment."""
    words = WORDS[lang]
    assert fine.paid_at is not None and fine.paid_amount is not None
    rows = fine_rows(fine, vehicle, request, lang) + [
        (words["paid_amount"], money(fine.paid_amount, lang)),
        (words["paid_at"], moment(fine.paid_at, lang)),
    ]
    body = f'<p role="status">{words["paid"]}</p>{details(rows)}'
    return page(words["receipt"], body, lang, fine.id)


def payment_form(request: web.Request, fine: Fine, vehicle: Vehicle, lang: str,
                 status: int = 200) -> web.Response:
    """The fine, what is due today, and the form that pays it (with why it was not paid, when
    the confirmation was missing)."""
    words = WORDS[lang]
    offer, due = terms(fine, moscow_today())
    note = (words["discount"].format(until=day(offer.until, lang),
                                     amount=money(offer.amount, lang))
            if offer else words["no_discount"])
    error = f'<p role="alert" id="pay-error">{words["unconfirmed"]}</p>' if status == 400 else ""
    described = ' aria-describedby="pay-error"' if error else ""
    action = html.escape(PAY_PATHS[lang].format(id=fine.id))
    body = (
        f"{details(fine_rows(fine, vehicle, request, lang))}"
        f"<p>{html.escape(note)}</p>"
        f'<h2>{words["due"]}: {money(due, lang)}</h2>{error}'
        f'<form method="post" action="{action}"><p>'
        f'<input type="checkbox" id="{CONFIRM}" name="{CONFIRM}" value="yes" required{described}> '
        f'<label for="{CONFIRM}">'
        f'{html.escape(words["confirm"].format(amount=money(due, lang), id=fine.id))}</label></p>'
        f'<p><button type="submit">{html.escape(words["pay"].format(amount=money(due, lang)))}'
        "</button></p></form>"
    )
    return page(words["title"], body, lang, fine.id, status=status)


async def _load(request: web.Request, session: AsyncSession) -> tuple[Fine, Vehicle] | None:
    """The fine the path names and its vehicle; None for an id that names none."""
    fine_id = request.match_info["id"]
    if not FINE_ID.match(fine_id):
        return None
    fine = await session.get(Fine, fine_id)
    if fine is None:
        return None
    vehicle = await session.get(Vehicle, fine.certificate)
    return (fine, vehicle) if vehicle is not None else None


async def show(request: web.Request, lang: str) -> web.Response:
    """The payment page of a fine in ``lang``, or its receipt once it is paid."""
    async with open_session(request.app) as session:
        found = await _load(request, session)
    if found is None:
        return not_found(request, lang)
    fine, vehicle = found
    if fine.paid_at is not None:
        return receipt(request, fine, vehicle, lang)
    return payment_form(request, fine, vehicle, lang)


async def confirmed(request: web.Request) -> bool:
    """Whether the form's box was ticked. The page's form posts URL-encoded; any other body
    (a multipart one aiohttp may not even parse) confirms nothing."""
    if request.content_type != "application/x-www-form-urlencoded":
        return False
    return (await request.post()).get(CONFIRM) == "yes"


async def pay(request: web.Request, lang: str) -> web.Response:
    """Pay what is due today, once; a fine already paid shows its receipt again."""
    confirm = await confirmed(request)
    async with request.app[RUNTIME].write_lock, open_session(request.app) as session, \
            session.begin():
        found = await _load(request, session)
        if found is None:
            return not_found(request, lang)
        fine, vehicle = found
        if fine.paid_at is None:
            if not confirm:
                return payment_form(request, fine, vehicle, lang, status=400)
            fine.paid_amount = terms(fine, moscow_today())[1]
            fine.paid_at = utcnow().replace(microsecond=0)
    return receipt(request, fine, vehicle, lang)


@routes.get(PAY_PATHS["en"])
async def show_en(request: web.Request) -> web.Response:
    """The payment page of a fine."""
    return await show(request, "en")


@routes.get(PAY_PATHS["ru"])
async def show_ru(request: web.Request) -> web.Response:
    """The payment page of a fine, in Russian."""
    return await show(request, "ru")


@routes.post(PAY_PATHS["en"])
async def pay_en(request: web.Request) -> web.Response:
    """Pay a fine; the receipt."""
    return await pay(request, "en")


@routes.post(PAY_PATHS["ru"])
async def pay_ru(request: web.Request) -> web.Response:
    """Pay a fine; the receipt in Russian."""
    return await pay(request, "ru")
