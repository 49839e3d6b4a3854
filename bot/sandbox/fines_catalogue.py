"""The offences the sandbox city fines, by article of the Russian Code of Administrative Offences
(КоАП РФ): the fixed amount in roubles and the offence in English and Russian.

Only articles with one fixed amount are here (a camera fine is the article's amount, not a range
a court chooses from). Whether the half-price discount applies is the law's rule, kept with the
other shared rules in ``bot.vehicles``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.vehicles import discount_allowed


@dataclass(frozen=True)
class Article:
    """One offence: its article ("12.9.2" is article 12.9, part 2), its amount, its words."""

    code: str
    amount: int
    offence: str
    offence_ru: str

    @property
    def discount_allowed(self) -> bool:
        return discount_allowed(self.code)

    def offence_in(self, lang: str) -> str:
        return self.offence_ru if lang == "ru" else self.offence


ARTICLES: dict[str, Article] = {article.code: article for article in (
    Article("12.9.2", 500, "Speeding by more than 20 and up to 40 km/h",
            "Превышение установленной скорости движения на величину более 20, но не более "
            "40 км/ч"),
    Article("12.12.1", 1000, "Driving through a red light",
            "Проезд на запрещающий сигнал светофора или на запрещающий жест регулировщика"),
    Article("12.16.5", 3000, "Stopping or parking where signs forbid it, in Moscow",
            "Остановка или стоянка транспортного средства в нарушение требований запрещающих "
            "знаков в городе Москве"),
    Article("12.2.1", 500, "Driving with unreadable registration plates",
            "Управление транспортным средством с нечитаемыми государственными "
            "регистрационными знаками"),
    Article("12.6", 1000, "Driving without a fastened seat belt",
            "Управление транспортным средством водителем, не пристёгнутым ремнём безопасности"),
    Article("12.5.3.1", 500, "Driving with windows tinted beyond the permitted limit",
            "Управление транспортным средством со стёклами, светопропускание которых не "
            "соответствует техническому регламенту"),
    Article("12.37.2", 800, "Driving without compulsory motor insurance (OSAGO)",
            "Управление транспортным средством без полиса ОСАГО"),
    Article("12.8.1", 30000, "Driving while intoxicated",
            "Управление транспортным средством водителем, находящимся в состоянии опьянения"),
)}
# What the test hook fines by default: the commonest camera fine.
DEFAULT_ARTICLE = "12.9.2"
