"""Seed data for vehicles and their traffic fines (``bot.sandbox.database`` stores it).

Drawn from a random stream of its own (like ``seed.flat_of``), so that adding fines changed no
other seeded value, and so that an older database that gets them later gets the same ones.
Dates are relative to the moment of seeding, in Moscow. A few vehicles are fixed for tests and
for trying the service (docs/city-api.md lists them):

- :data:`FINED`: three unpaid fines, one inside the discount (ruled 5 days ago), one past it
  (40 days ago), one whose article allows no discount (3 days ago), and one paid;
- :data:`ONE_FINE`: exactly one unpaid fine (ruled 10 days ago, with the discount);
- :data:`ALL_PAID`: fines, all paid: nothing to pay;
- :data:`NEVER_FINED`: no fines at all.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from bot.sandbox.dates import MOSCOW
from bot.sandbox.fines_catalogue import ARTICLES
from bot.sandbox.seed import SEED
from bot.vehicles import discount

FINED = "77УВ123456"
ONE_FINE = "97ОР135790"
ALL_PAID = "99АК765432"
NEVER_FINED = "77ХА111222"
VEHICLES = 40
# (certificate, plate, make and model) of the vehicles tests rely on.
KNOWN_VEHICLES = (
    (FINED, "А123ВС777", "Lada Vesta"),
    (ONE_FINE, "М456ОР197", "Kia Rio"),
    (ALL_PAID, "Т789КХ199", "Hyundai Solaris"),
    (NEVER_FINED, "Е001КХ77", "Skoda Octavia"),
)
# (article, days before seeding it was ruled, paid) of each known vehicle's fines.
KNOWN_FINES: dict[str, tuple[tuple[str, int, bool], ...]] = {
    FINED: (("12.9.2", 5, False), ("12.12.1", 40, False), ("12.8.1", 3, False),
            ("12.6", 120, True)),
    ONE_FINE: (("12.16.5", 10, False),),
    ALL_PAID: (("12.9.2", 30, True), ("12.37.2", 8, True)),
}
MAKES = ("Lada Vesta", "Lada Granta", "Kia Rio", "Hyundai Solaris", "Volkswagen Polo",
         "Skoda Octavia", "Toyota Camry", "Renault Logan", "Haval Jolion", "Geely Coolray",
         "Chery Tiggo 7 Pro", "BMW X5", "Mercedes-Benz E 200", "Kia Sportage")
# The letters a Russian plate may carry: those that look the same in Latin.
PLATE_LETTERS = "АВЕКМНОРСТУХ"
PLATE_REGIONS = ("77", "97", "99", "177", "197", "199", "777")
CERTIFICATE_REGIONS = ("77", "97", "99", "50")
# Stretches of road a camera watches, where no house number says the place.
ROADS = (
    ("Moscow Ring Road (MKAD), 41st km, outer side", "МКАД, 41-й км, внешняя сторона"),
    ("Third Ring Road, Lefortovo tunnel", "Третье транспортное кольцо, Лефортовский тоннель"),
    ("Garden Ring, Krymsky Bridge", "Садовое кольцо, Крымский мост"),
    ("Kutuzovsky Prospekt, at the Triumphal Arch", "Кутузовский проспект, у Триумфальной арки"),
)
# Camera offences come far more often than a police officer's; drink driving rarely.
ARTICLE_WEIGHTS = {"12.9.2": 12, "12.12.1": 5, "12.16.5": 6, "12.2.1": 1, "12.6": 2,
                   "12.5.3.1": 1, "12.37.2": 2, "12.8.1": 1}
# The State Traffic Inspectorate's payment identifiers begin so; Moscow's region follows.
RULING_PREFIX = "18810177"


def ruling_number(ruled_on: date, serial: int) -> str:
    """A 20-digit payment identifier (УИН) like 18810177261125012345: the inspectorate's
    prefix, the ruling date (YYMMDD) and a serial."""
    return f"{RULING_PREFIX}{ruled_on:%y%m%d}{serial:06d}"


def noon_utc(day: date) -> datetime:
    """Midday in Moscow on ``day``, as the naive UTC the database stores."""
    moment = datetime.combine(day, time(12), tzinfo=MOSCOW)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _plate(rng: random.Random) -> str:
    letters = [rng.choice(PLATE_LETTERS) for _ in range(3)]
    return (f"{letters[0]}{rng.randint(1, 999):03d}{letters[1]}{letters[2]}"
            f"{rng.choice(PLATE_REGIONS)}")


def _certificate(rng: random.Random) -> str:
    letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(2))
    return f"{rng.choice(CERTIFICATE_REGIONS)}{letters}{rng.randint(0, 999999):06d}"


def _place(rng: random.Random, address_ids: list[int]) -> dict[str, Any]:
    if address_ids and rng.random() < 0.7:
        return {"address_id": rng.choice(address_ids), "place": None, "place_ru": None}
    place, place_ru = rng.choice(ROADS)
    return {"address_id": None, "place": place, "place_ru": place_ru}


def fine_row(fine_id: str, certificate: str, article_code: str, ruled_on: date,
             place: dict[str, Any], paid_after_days: int | None = None) -> dict[str, Any]:
    """One fine as stored; paid ``paid_after_days`` after the ruling (the half price if that
    was inside the discount), or unpaid."""
    article = ARTICLES[article_code]
    created = noon_utc(ruled_on)
    paid_at = paid_amount = None
    if paid_after_days is not None:
        paid_on = ruled_on + timedelta(days=paid_after_days)
        offer = discount(article.code, article.amount, ruled_on, paid_on)
        paid_at = created + timedelta(days=paid_after_days, hours=3)
        paid_amount = offer.amount if offer else article.amount
    return {"id": fine_id, "certificate": certificate, "ruled_on": ruled_on,
            "created_at": created, "article": article.code, "offence": article.offence,
            "offence_ru": article.offence_ru, **place, "amount": article.amount,
            "paid_at": paid_at, "paid_amount": paid_amount}


def build_fines(address_ids: list[int], today: date
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Forty vehicles and their fines; ``today`` is the Moscow date of seeding and
    ``address_ids`` the city's houses (fines at a house name one of them)."""
    rng = random.Random(f"{SEED}-fines")
    vehicles = [{"certificate": certificate, "plate": plate, "make_model": make}
                for certificate, plate, make in KNOWN_VEHICLES]
    taken = {vehicle["certificate"] for vehicle in vehicles}
    while len(vehicles) < VEHICLES:
        certificate = _certificate(rng)
        if certificate not in taken:
            taken.add(certificate)
            vehicles.append({"certificate": certificate, "plate": _plate(rng),
                             "make_model": rng.choice(MAKES)})
    fines: list[dict[str, Any]] = []

    def add(certificate: str, article: str, days_ago: int, paid_after: int | None,
            place: dict[str, Any]) -> None:
        ruled_on = today - timedelta(days=days_ago)
        fines.append(fine_row(ruling_number(ruled_on, len(fines) + 1), certificate, article,
                              ruled_on, place, paid_after))

    for certificate, known in KNOWN_FINES.items():
        for n, (article, days_ago, paid) in enumerate(known):
            place_en, place_ru = ROADS[n % len(ROADS)]
            add(certificate, article, days_ago, min(days_ago, 4) if paid else None,
                {"address_id": None, "place": place_en, "place_ru": place_ru})
    codes, weights = list(ARTICLE_WEIGHTS), list(ARTICLE_WEIGHTS.values())
    for vehicle in vehicles[len(KNOWN_VEHICLES):]:
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            article = rng.choices(codes, weights)[0]
            days_ago = rng.randint(1, 400)
            # Most fines get paid, and nearly all of the old ones.
            paid = rng.random() < (0.95 if days_ago > 60 else 0.4)
            # Paid by yesterday at the latest: never after the moment of seeding.
            paid_after = min(days_ago - 1, rng.randint(0, 30)) if paid else None
            add(vehicle["certificate"], article, days_ago, paid_after, _place(rng, address_ids))
    return vehicles, fines
