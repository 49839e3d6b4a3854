"""Fines are written the conversation's way: amounts, dates, Russian plurals, the discount only
while it lasts, and every fine with its payment link."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from actions.common import in_language
from actions.fines import fines_text, money
from bot.city.fines import Fine, VehicleFines
from bot.config import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def _fine(number: int, *, discount: bool) -> Fine:
    return Fine(
        id=f"1881017726112501234{number}", ruled_on=date(2026, 11, 25), article="12.9.2",
        offence="Speeding by 20–40 km/h", place="Tverskaya Street, 12", amount=1500,
        discount_amount=750 if discount else None,
        discount_until=date(2026, 12, 15) if discount else None,
        amount_due=750 if discount else 1500,
        payment_url=f"http://city.example/pay/fines/{number}",
    )


def _vehicle(*fines: Fine) -> VehicleFines:
    return VehicleFines(certificate="77УВ123456", plate="А123ВС777", vehicle="Lada Vesta",
                        fines=fines)


def test_english_lists_each_fine_with_discount_total_and_link() -> None:
    text = fines_text(_vehicle(_fine(1, discount=True), _fine(2, discount=False)),
                      in_language(DOMAIN, "en"))
    lines = text.splitlines()
    assert lines[0] == "Certificate 77 УВ 123456: 2 unpaid fines, 2,250 roubles to pay now:"
    assert "25 November 2026" in lines[1] and "(article 12.9, part 2), Tverskaya Street, 12." in lines[1]
    assert "1,500 roubles, or half, 750 roubles, if paid by 15 December 2026" in lines[1]
    assert lines[1].endswith("Pay: http://city.example/pay/fines/1")
    assert "or half" not in lines[2] and lines[2].endswith("/pay/fines/2")


@pytest.mark.parametrize(("count", "words"), [
    (1, "1 неоплаченный штраф,"), (3, "3 неоплаченных штрафа,"), (5, "5 неоплаченных штрафов,"),
])
def test_russian_counts_fines_in_the_right_form(count: int, words: str) -> None:
    fines = [_fine(i, discount=False) for i in range(count)]
    text = fines_text(_vehicle(*fines), in_language(DOMAIN, "ru"))
    assert words in text.splitlines()[0]
    assert f"{1500 * count:,}".replace(",", "\xa0") in text.splitlines()[0]


def test_russian_discount_line() -> None:
    text = fines_text(_vehicle(_fine(1, discount=True)), in_language(DOMAIN, "ru"))
    assert "25 ноября 2026" in text and "(ч. 2 ст. 12.9 КоАП РФ), Tverskaya Street, 12." in text
    assert "со скидкой 50 % — 750 ₽, если оплатить до 15 декабря 2026 включительно" in text


def test_no_fines_is_good_news_in_both_languages() -> None:
    assert "has no unpaid traffic fines" in fines_text(_vehicle(), in_language(DOMAIN, "en"))
    assert "нет неоплаченных штрафов" in fines_text(_vehicle(), in_language(DOMAIN, "ru"))


def test_money_groups_thousands_as_the_language_does() -> None:
    assert money(30000, in_language(DOMAIN, "en")) == "30,000 roubles"
    assert money(30000, in_language(DOMAIN, "ru")) == "30\xa0000 ₽"


def test_a_fine_without_a_place_or_a_part_reads_without_them() -> None:
    fine = Fine(id="18810177261125012345", ruled_on=date(2026, 11, 25), article="12.6",
                offence="Seat belt not fastened", place="", amount=1000, discount_amount=None,
                discount_until=None, amount_due=1000, payment_url="http://city.example/pay/1")
    text = fines_text(_vehicle(fine), in_language(DOMAIN, "en"))
    assert "Seat belt not fastened (article 12.6). 1,000 roubles. Pay:" in text
    text = fines_text(_vehicle(fine), in_language(DOMAIN, "ru"))
    assert "Seat belt not fastened (ст. 12.6 КоАП РФ). 1\xa0000 ₽. Оплатить:" in text
