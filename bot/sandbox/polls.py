"""The city's polls, like Moscow's "Active Citizen" (Активный гражданин): the seeded ones and
how results are counted. Pure functions, no I/O.

Dates are relative to the moment of seeding (a poll closes as the sandbox's days go by, as a
real one would); every text is given in English and in Russian side by side. Votes cast before
the sandbox existed are a count per option, not rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

# (title, question, days it opened before seeding, days it closes after seeding (negative:
# already closed), [(option, votes so far)]), each text as (English, Russian).
SEEDED_POLLS: list[dict[str, Any]] = [
    {"title": ("Trees for Sokolniki Park", "Деревья для парка «Сокольники»"),
     "question": ("Which trees should be planted along the new alley in Sokolniki Park?",
                  "Какие деревья высадить вдоль новой аллеи в парке «Сокольники»?"),
     "opened": 6, "closes": 12,
     "options": [(("Lindens", "Липы"), 4120), (("Maples", "Клёны"), 2875),
                 (("Birches", "Берёзы"), 3310), (("Rowans", "Рябины"), 1544)]},
    {"title": ("Name of the new metro station", "Название новой станции метро"),
     "question": ("What should the new station in Khoroshevo-Mnevniki be called?",
                  "Как назвать новую станцию метро в районе Хорошёво-Мнёвники?"),
     "opened": 3, "closes": 25,
     "options": [(("Mnevniki Floodplain", "Мнёвниковская пойма"), 8410),
                 (("Karamyshevskaya Embankment", "Карамышевская набережная"), 6920),
                 (("Zhivopisnaya", "Живописная"), 5105)]},
    {"title": ("Opening hours of the Arbat library", "Часы работы библиотеки в районе Арбат"),
     "question": ("How should the library on Arbat change its opening hours?",
                  "Как изменить часы работы библиотеки на Арбате?"),
     "opened": 10, "closes": 4,
     "options": [(("Stay open until 22:00 on weekdays", "Работать до 22:00 по будням"), 912),
                 (("Open on Mondays too", "Открыться и по понедельникам"), 655),
                 (("Longer hours on Sundays", "Дольше работать по воскресеньям"), 430),
                 (("Keep the hours as they are", "Оставить как есть"), 201)]},
    {"title": ("A new playground in Basmanny", "Новая детская площадка в Басманном районе"),
     "question": ("Which design should the new playground on Staraya Basmannaya Street have?",
                  "Какой будет новая детская площадка на Старой Басманной улице?"),
     "opened": 1, "closes": 20,
     "options": [(("Space station", "Космическая станция"), 1320),
                 (("Fairy-tale forest", "Сказочный лес"), 1785),
                 (("Sports ground", "Спортивная площадка"), 990),
                 (("Pirate ship", "Пиратский корабль"), 1402),
                 (("Quiet garden for toddlers", "Тихий сад для малышей"), 611)]},
    {"title": ("Pedestrian Tverskoy Boulevard", "Пешеходный Тверской бульвар"),
     "question": ("Should Tverskoy Boulevard be closed to cars on summer weekends?",
                  "Закрывать ли Тверской бульвар для машин по выходным летом?"),
     "opened": 40, "closes": -5,
     "options": [(("Yes, on Saturdays and Sundays", "Да, по субботам и воскресеньям"), 15230),
                 (("Only on Sundays", "Только по воскресеньям"), 7044),
                 (("No", "Нет"), 5318)]},
]


def build_polls(today: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The poll rows and their option rows, dated from ``today`` (the Moscow day of seeding)."""
    polls: list[dict[str, Any]] = []
    options: list[dict[str, Any]] = []
    for poll_id, seeded in enumerate(SEEDED_POLLS, start=1):
        polls.append({
            "id": poll_id, "title": seeded["title"][0], "title_ru": seeded["title"][1],
            "question": seeded["question"][0], "question_ru": seeded["question"][1],
            "opens_on": today - timedelta(days=seeded["opened"]),
            "closes_on": today + timedelta(days=seeded["closes"]),
        })
        for position, ((text, text_ru), votes) in enumerate(seeded["options"], start=1):
            options.append({"id": len(options) + 1, "poll_id": poll_id, "position": position,
                            "text": text, "text_ru": text_ru, "seeded_votes": votes})
    return polls, options


def status(opens_on: date, closes_on: date, today: date) -> str:
    """"closed" after the last day, "upcoming" before the first, else "open"."""
    if today > closes_on:
        return "closed"
    return "upcoming" if today < opens_on else "open"


def results(options: Sequence[tuple[int, str, int]]) -> list[dict[str, Any]]:
    """Each option's (id, text, votes) with its share of all votes, in per cent to one decimal."""
    total = sum(votes for _, _, votes in options)
    return [{"option_id": option_id, "text": text, "votes": votes,
             "percent": round(100 * votes / total, 1) if total else 0.0}
            for option_id, text, votes in options]
