"""The sandbox city's Open311 service catalogue (SERVICES.md, row 1) as seed data.

Every text is given in English and in Russian side by side, so the two catalogues cannot drift:
one service code, one attribute code and one option key, whatever the language. The English
texts are the service's columns; the Russian ones are kept in its ``translations``
(``{"ru": {...}}``) and laid over the English by :func:`localized_service` and
:func:`localized_attributes` when a request asks for Russian. The agency that does the work is
named there too, as Moscow names its own institutions ("ГБУ «Автомобильные дороги»"). Russian is written the way the
Moscow city portal words its problem categories ("Яма на дороге", "Не горит уличный фонарь").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (English, Russian)
Texts = tuple[str, str]
# (key, English title, Russian title)
Option = tuple[str, str, str]

RUSSIAN = "ru"
MAX_TEXT = 200


@dataclass(frozen=True)
class _Attribute:
    """One attribute of a service definition: its English JSON and its Russian texts."""

    english: dict[str, Any]
    russian: dict[str, Any]


def _choice(code: str, description: Texts, values: list[Option], *, required: bool,
            order: int) -> _Attribute:
    keys = ", ".join(key for key, _, _ in values)
    return _Attribute(
        english={
            "variable": True,
            "code": code,
            "datatype": "singlevaluelist",
            "required": required,
            "datatype_description": f"One of: {keys}",
            "order": order,
            "description": description[0],
            "values": [{"key": key, "name": name} for key, name, _ in values],
        },
        russian={
            "description": description[1],
            "datatype_description": f"Один из вариантов: {keys}",
            "values": {key: name for key, _, name in values},
        },
    )


def _text(code: str, description: Texts, *, order: int, required: bool = False) -> _Attribute:
    return _Attribute(
        english={
            "variable": True,
            "code": code,
            "datatype": "string",
            "required": required,
            "datatype_description": f"Free text, up to {MAX_TEXT} characters",
            "order": order,
            "description": description[0],
            "values": [],
        },
        russian={
            "description": description[1],
            "datatype_description": f"Произвольный текст, не больше {MAX_TEXT} символов",
            "values": {},
        },
    )


def _service(code: str, name: Texts, description: Texts,
             keywords: tuple[list[str], list[str]], group: Texts, agency: Texts, days: int,
             attributes: list[_Attribute] | None = None,
             type_: str = "realtime") -> dict[str, Any]:
    """A row of the ``services`` table: English columns, the Russian in ``translations``."""
    attributes = attributes or []
    return {
        "code": code,
        "name": name[0],
        "description": description[0],
        "type": type_,
        "keywords": ", ".join(keywords[0]),
        "group": group[0],
        "agency": agency[0],
        "resolution_days": days,
        "attributes": [attribute.english for attribute in attributes],
        "translations": {RUSSIAN: {
            "name": name[1],
            "description": description[1],
            "keywords": ", ".join(keywords[1]),
            "group": group[1],
            "agency": agency[1],
            "attributes": {a.english["code"]: a.russian for a in attributes},
        }},
    }


ROADS = ("Roads", "Дороги")
SANITATION = ("Sanitation", "Санитарное содержание")
GREENERY = ("Parks and greenery", "Парки и озеленение")
TRAFFIC = ("Traffic", "Дорожное движение")

# Who does the work, as a Muscovite knows them: the city's own institutions by their names.
ROADS_AGENCY = ("Roads Department", "ГБУ «Автомобильные дороги»")
LIGHTING_AGENCY = ("Street Lighting Service", "ГУП «Моссвет»")
SANITATION_AGENCY = ("Sanitation Department", "Департамент ЖКХ")
HOUSING_AGENCY = ("Housing and Utilities", "ГБУ «Жилищник»")
GREENERY_AGENCY = ("Parks and Greenery Department", "ГБУ «Мосзеленхоз»")
WATER_AGENCY = ("City Water Utility", "АО «Мосводоканал»")
TRAFFIC_AGENCY = ("Traffic Management Centre", "ГКУ «ЦОДД»")
CALL_CENTRE_AGENCY = ("City Call Centre", "Контактный центр Правительства Москвы")

SERVICES: list[dict[str, Any]] = [
    _service(
        "pothole", ("Pothole", "Яма на дороге"),
        ("A pothole or other damage to the road surface.",
         "Яма или другое повреждение дорожного покрытия."),
        (["pothole", "road damage", "hole in the road"],
         ["яма", "выбоина", "яма на дороге", "разбитый асфальт", "повреждение дороги"]),
        ROADS, ROADS_AGENCY, 10,
        [
            _choice("size", ("How big is the pothole?", "Какого размера яма?"),
                    [("small", "Smaller than a shoe box", "Меньше обувной коробки"),
                     ("medium", "Up to a car wheel", "Примерно с колесо автомобиля"),
                     ("large", "Larger than a car wheel", "Больше колеса автомобиля")],
                    required=True, order=1),
            _text("lane", ("Which lane or side of the road?",
                           "На какой полосе или стороне дороги?"), order=2),
        ],
    ),
    _service(
        "streetlight", ("Street light out", "Не горит уличный фонарь"),
        ("A street light that is out, flickering or on by day.",
         "Уличный фонарь не горит, мигает или горит днём."),
        (["street light", "streetlight", "lamp"],
         ["фонарь", "уличный фонарь", "уличное освещение", "не горит фонарь"]),
        ("Street lighting", "Уличное освещение"), LIGHTING_AGENCY, 5,
        [
            _choice("lights_out", ("How many lights are out?", "Сколько фонарей не горит?"),
                    [("one", "One light", "Один фонарь"),
                     ("several", "Several lights in a row", "Несколько фонарей подряд")],
                    required=True, order=1),
            _text("pole_number", ("The number painted on the pole, if visible.",
                                  "Номер на опоре, если он виден."), order=2),
        ],
    ),
    _service(
        "waste_bin", ("Overflowing bin", "Переполненный мусорный контейнер"),
        ("A public waste bin or container that is full or broken.",
         "Урна или мусорный контейнер переполнены или сломаны."),
        (["overflowing bin", "rubbish", "garbage", "trash"],
         ["мусор", "мусорный контейнер", "мусорный бак", "урна", "контейнер"]),
        SANITATION, SANITATION_AGENCY, 2,
        [
            _choice("bin_type", ("What kind of bin?", "Что именно переполнено?"),
                    [("street_bin", "Street litter bin", "Уличная урна"),
                     ("container", "Yard container", "Контейнер во дворе")],
                    required=False, order=1),
        ],
    ),
    # Graffiti removal is contracted out in weekly batches: filing answers with a token.
    _service(
        "graffiti", ("Graffiti", "Граффити"),
        ("Graffiti or unauthorised posters on a public surface.",
         "Граффити или незаконные объявления на стенах, заборах и других поверхностях."),
        (["graffiti", "spray paint"],
         ["граффити", "надписи на стене", "рисунки на стене", "незаконные объявления",
          "разрисовать", "изрисовать", "исписать", "баллончик"]),
        SANITATION, HOUSING_AGENCY, 14, type_="batch",
    ),
    _service(
        "fallen_tree", ("Fallen tree", "Упавшее дерево"),
        ("A fallen tree or a broken branch that is in the way.",
         "Упавшее дерево или сломанная ветка мешают пройти или проехать."),
        (["fallen tree", "tree", "branch"],
         ["упавшее дерево", "дерево", "ветка", "сломанная ветка"]),
        GREENERY, GREENERY_AGENCY, 3,
        [
            _choice("blocking", ("What does it block?", "Что перекрывает дерево?"),
                    [("road", "The road", "Проезжую часть"),
                     ("pavement", "The pavement", "Тротуар"),
                     ("nothing", "Nothing, but it is dangerous", "Ничего, но это опасно")],
                    required=True, order=1),
        ],
    ),
    _service(
        "playground", ("Broken playground", "Сломанная детская площадка"),
        ("Broken or dangerous playground equipment.",
         "Сломанное или опасное оборудование на детской площадке."),
        (["broken playground", "playground", "swing"],
         ["детская площадка", "качели", "горка", "песочница"]),
        GREENERY, HOUSING_AGENCY, 7,
        [_text("equipment", ("Which piece of equipment is broken?", "Что именно сломано?"),
               order=1)],
    ),
    _service(
        "snow", ("Snow not cleared", "Неубранный снег или наледь"),
        ("Snow or ice not cleared from a pavement, yard or road.",
         "Снег или наледь не убраны с тротуара, двора или дороги."),
        (["snow not cleared", "snow", "ice"],
         ["снег", "неубранный снег", "наледь", "гололёд", "сосульки"]),
        ROADS, HOUSING_AGENCY, 1,
        [
            _choice("surface", ("Where is the snow?", "Где не убран снег?"),
                    [("pavement", "Pavement", "Тротуар"), ("yard", "Yard", "Двор"),
                     ("road", "Road", "Проезжая часть"),
                     ("roof", "Roof (icicles)", "Крыша (сосульки)")],
                    required=False, order=1),
        ],
    ),
    _service(
        "water_leak", ("Water leak", "Протечка воды"),
        ("A leaking or burst water pipe, or flooding.",
         "Течь или прорыв водопроводной трубы, подтопление."),
        (["water leak", "burst pipe", "flooding", "flooded", "leaking pipe", "water leaking",
          "water pouring", "pouring from the ceiling", "leaking from the ceiling",
          "dripping from the ceiling", "coming through the ceiling"],
         ["протечка", "течь", "прорыв трубы", "прорвало трубу", "подтопление",
          "затопление", "трубу прорвало", "прорвало", "хлещет вода", "льётся вода", "капает с потолка", "заливает",
          "затопило"]),
        ("Water", "Водоснабжение"), WATER_AGENCY, 1,
        [
            _choice("leak_location", ("Where is the leak?", "Где протечка?"),
                    [("street", "In the street", "На улице"),
                     ("stairwell", "In a stairwell", "В подъезде"),
                     ("apartment", "In an apartment", "В квартире")], required=True, order=1),
            _text("apartment_number", ("Apartment number, if the leak is inside.",
                                       "Номер квартиры, если протечка в доме."), order=2),
        ],
    ),
    _service(
        "abandoned_vehicle", ("Abandoned vehicle", "Брошенный автомобиль"),
        ("A car or other vehicle left abandoned.",
         "Брошенный автомобиль или другое транспортное средство."),
        (["abandoned car", "abandoned vehicle"],
         ["брошенный автомобиль", "брошенная машина", "бесхозный автомобиль",
          "бесхозная машина", "ржавая машина", "машина без колёс", "без колёс"]),
        TRAFFIC, TRAFFIC_AGENCY, 14,
        [_text("licence_plate", ("The licence plate, if there is one.",
                                 "Госномер, если он есть."), order=1)],
    ),
    _service(
        "traffic_signal", ("Broken traffic light", "Неисправный светофор"),
        ("A traffic light that is dark, stuck or flashing.",
         "Светофор не горит, мигает или не переключается."),
        (["broken traffic light", "traffic light"],
         ["светофор", "неисправный светофор", "не работает светофор"]),
        TRAFFIC, TRAFFIC_AGENCY, 1,
        [
            _choice("signal_state", ("What is wrong with it?", "Что случилось со светофором?"),
                    [("dark", "It is dark", "Не горит"),
                     ("flashing", "It is flashing yellow", "Мигает жёлтым"),
                     ("stuck", "It is stuck on one colour", "Завис на одном цвете")],
                    required=True, order=1),
        ],
    ),
    _service(
        "lift", ("Broken lift", "Неисправный лифт"),
        ("A lift (elevator) in a residential building that does not work.",
         "Не работает лифт в жилом доме."),
        (["broken lift", "lift", "elevator"],
         ["лифт", "неисправный лифт", "не работает лифт", "сломался лифт"]),
        ("Housing", "Жилищное хозяйство"), HOUSING_AGENCY, 1,
        [
            _choice("people_trapped", ("Is anyone trapped inside?", "В лифте кто-то застрял?"),
                    [("yes", "Yes", "Да"), ("no", "No", "Нет")], required=True, order=1),
            _text("entrance", ("Entrance (podyezd) number.", "Номер подъезда."), order=2),
        ],
    ),
    # What fits none of the above (an open manhole, a broken bench): the city's call centre sorts it.
    _service(
        "other", ("Other problem", "Другая проблема"),
        ("Any other problem in a public place that is not in this list.",
         "Любая другая проблема в общественном месте, которой нет в этом списке."),
        (["other", "something else", "none of these", "another problem"],
         ["другое", "другая проблема", "что-то другое", "ничего из этого"]),
        ("Other", "Другое"), CALL_CENTRE_AGENCY, 5,
    ),
]


def translation(translations: dict[str, Any] | None, language: str) -> dict[str, Any]:
    """A service's texts in the language ({} for English, or a language it lacks)."""
    return (translations or {}).get(language) or {}


def localized_service(texts: dict[str, str], said: dict[str, Any]) -> dict[str, str]:
    """Name, description, keywords and group (``texts``, in English) in the translation ``said``;
    what the translation lacks stays English."""
    return {field: said.get(field) or english for field, english in texts.items()}


def localized_attributes(attributes: list[dict[str, Any]], said: dict[str, Any]
                         ) -> list[dict[str, Any]]:
    """A service definition's attributes in the translation ``said``: the same codes, keys and
    order, only the question, the datatype's description and the option titles change."""
    texts = said.get("attributes") or {}
    shown = []
    for attribute in attributes:
        own = texts.get(attribute["code"]) or {}
        titles = own.get("values") or {}
        shown.append({
            **attribute,
            "description": own.get("description") or attribute["description"],
            "datatype_description": (own.get("datatype_description")
                                     or attribute["datatype_description"]),
            "values": [{**value, "name": titles.get(value["key"]) or value["name"]}
                       for value in attribute["values"]],
        })
    return shown


def service_notice(name: str, agency: str, days: int, language: str = "en") -> str:
    """The notice a citizen gets when filing: who handles it and how long it usually takes
    (``name`` and ``agency`` given in ``language``)."""
    if language == RUSSIAN:
        # "в течение" takes the genitive: 1 дня, 21 дня, but 11 дней, 5 дней.
        unit = "дня" if days % 10 == 1 and days % 100 != 11 else "дней"
        return f"{name}: заявку выполняет {agency}, обычно в течение {days} {unit}."
    unit = "day" if days == 1 else "days"
    return f"{name}: handled by the {agency}, usually within {days} {unit}."
