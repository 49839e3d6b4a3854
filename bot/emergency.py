"""Recognising an emergency in a citizen's message: people in danger get 112 before any form."""

from __future__ import annotations

import re

# People in danger: a citizen saying nobody is inside or hurt takes these back (_NOT_NOW).
_PEOPLE_EN = re.compile(
    r"\b(?:trapped|stuck)\b.{0,60}\b(?:inside|in (?:it|there|the (?:lift|elevator))|between floors|"
    r"with (?:my|a|an|the|our|some|two|three|\w+ (?:kid|child|neighbour|neighbor|son|daughter)))"
    r"|\b(?:someone|somebody|people|person|child|kid|neighbou?r|man|woman|my \w+)\b.{0,40}"
    r"\b(?:trapped|stuck (?:inside|in)|injured|hurt|bleeding|unconscious|electrocuted|fell through)"
    r"|\b(?:can'?t|cannot|unable to) (?:get up|move|breathe|get out)\b|\bhit (?:his|her|their) head\b",
    re.IGNORECASE | re.DOTALL,
)
# Hazards to anyone near: "nobody is hurt" does not take these back ("nobody hurt but I smell gas").
_HAZARD_EN = re.compile(
    r"\bsmell(?:s|ing)? (?:of )?gas\b|\bgas (?:leak|smell)\b|\bfire\b|\bburning\b|\bflames?\b"
    r"|\bsmoke (?:is )?(?:coming|pouring)\b"
    r"|\bsparking\b.{0,30}\bwires?\b|\bbare (?:live )?wires?\b|\blive wires?\b",
    re.IGNORECASE | re.DOTALL,
)
_NOT_NOW = re.compile(r"\b(?:nobody|no one|noone|not)\b.{0,20}\b(?:trapped|stuck|inside|hurt)\b",
                      re.IGNORECASE)


# Russian, as typed (lower case, no punctuation, ё as е, a few misspellings and Latin letters).
# People in danger: stuck in a lift, locked in, hurt, fallen and not getting up; a citizen saying
# nobody is inside or hurt takes these back ("лифт застрял, внутри никого нет").
_PERSON_RU = (r"(?:человек\w*|люд(?:и|ей|ям|ьми)|реб[её]н\w*|реб[её]нк\w*|дет(?:и|ей|ям|ьми)|"
              r"малыш\w*|сын\w*|доч\w*|мам\w*|пап\w*|муж\w*|жен\w*|бабушк\w*|бабул\w*|"
              r"дедушк\w*|дед\w*|сосед\w*|старик\w*|старушк\w*|пожил\w*|пенсионер\w*|"
              r"мужчин\w*|женщин\w*|парен\w*|девушк\w*|школьник\w*|прохож\w*|"
              r"кто[- ]?то|кто[- ]?нибудь)")
# What happens to a person: said after them ("бабушка упала и не может встать"), or, for the
# plainest words, before them too ("в лифте заперт ребенок", "пострадали дети").
_HARM_BEFORE_RU = (r"(?:заперт\w*|застрял\w*|застял\w*|зажат\w*|придавил\w*|пострадал\w*|"
                   r"травмирован\w*|ранен\w*|покусал\w*|без сознания|(?:удари\w*|бь[её]т) током)")
_HARM_RU = (r"(?:заперт\w*|(?:застрял|застял)\w*\s+(?:в|во|внутри|между)\b|зажат\w*|придавил\w*|"
            r"пострадал\w*|травмир\w*|ранен\w*|ранил\w*|покусал\w*|без сознания|не дыш\w*|"
            r"не вста[её]т|не может (?:встать|выбраться|выйти|дышать|пошевелиться)|"
            r"не шевел\w*|не двига\w*|провалил(?:ся|ась|ись)\s+(?:в|под)\b|упал\w* (?:в люк|"
            r"в колодец|в яму|с крыши|с балкона)|истека\w* кровью|в крови|ударил\w* головой|"
            r"(?:удари\w*|бь[её]т|шибанул\w*) током)")
_PEOPLE_RU = re.compile(
    rf"\b{_PERSON_RU}\b.{{0,40}}?{_HARM_RU}"
    rf"|{_HARM_BEFORE_RU}(?:\s+(?!лифт|машин|авто)\w+){{0,2}}\s+{_PERSON_RU}\b"
    r"|\bза(?:ст?р|ст)я(?:л|ла|ли|ло|ть|ет|ют|нешь|нем)\w*\b.{0,60}?(?:\bв лифт\w*|\bвнутри\b|"
    r"\bв кабин\w*|\bмежду этаж\w*|\bс (?:реб[её]нк\w*|детьми|мам\w*|пап\w*|"
    r"бабушк\w*|дедушк\w*|сосед\w*|собак\w*|коляск\w*|человек\w*|людьми|\w+ (?:реб[её]нк\w*|"
    r"сын\w*|дочк\w*|дочерью)))"
    r"|\b(?:в лифте|в кабине|между этажами)\b.{0,30}?\bза(?:ст?р|ст)ял\w*"
    r"|\bлифт\w*.{0,40}?\bвнутри\s+(?:\w+\s+)?" + _PERSON_RU +
    r"|\b(?:не могу|не можем|не может|не могут)\s+(?:встать|выбраться|выйти|дышать|пошевелиться)"
    r"|\bупал\w*.{0,30}?\bне\s+(?:вста[её]т|может встать|шевел\w*|двига\w*|дыш\w*|"
    r"отвеча\w*)|\bбез сознания\b|\bне дыш(?:ит|ат)\b|\bистека\w* кровью|\bкровотечени\w*"
    r"|\bкров(?:ь|ью)\b|\bв крови\b"
    r"|\bzastr[iy]?a?l\w*\b.{0,60}?\b(?:v lift\w*|vnutri|mezhdu etazh\w*)",
    re.IGNORECASE | re.DOTALL,
)
# "лифт застрял, внутри никого нет", "никто не пострадал" (but not "никто не отвечает").
_NOBODY_RU = re.compile(
    r"\b(?:никого|ни кого)\s+(?:\w+\s+)?(?:нет|не было|внутри|в лифте|в кабине)\b"
    r"|\b(?:внутри|в лифте|в кабине)\s+(?:\w+\s+)?(?:никого|ни кого|пусто)\b"
    r"|\b(?:никто|ни кто)\s+(?:\w+\s+)?не\s+(?:застрял|пострадал|заперт|ранен|травмир|внутри)\w*"
    r"|\bнет\s+(?:\w+\s+)?(?:людей|пострадавших)\b|\b(?:людей|пострадавших)\s+(?:\w+\s+)?нет\b"
    r"|\bбез (?:людей|пассажиров|пострадавших)\b|\bлифт\w*\s+(?:\w+\s+)?пуст\w*|\bпуст\w* лифт"
    r"|\bне\s+(?:пострадал|застрял|ранен|заперт|травмир)\w*|\bnikogo\b|\bnikto\b",
    re.IGNORECASE,
)
# Dangers whoever is there: gas, fire and smoke, sparking or bare wires, scalding water.
_LIGHTS_RU = r"(?:свет\w*|ламп\w*|фонар\w*|светофор\w*|подсветк\w*|индикатор\w*|огоньк\w*|гирлянд\w*)"
_BURNING_RU = (r"(?:дом\w*|квартир\w*|подъезд\w*|подьезд\w*|машин\w*|автомобил\w*|мусор\w*|бак\w*|"
               r"контейнер\w*|помойк\w*|крыш\w*|балкон\w*|лес\w*|трав\w*|здани\w*|гараж\w*|"
               r"щит\w*|проводк\w*|провод\w*|сара\w*|дач\w*|кухн\w*|подвал\w*|чердак\w*|"
               r"лифт\w*|урн\w*|покрышк\w*|шин\w*|автобус\w*|магазин\w*|склад\w*|мусоропровод\w*|"
               r"сосед\w*|у соседей|что[- ]то)")
_HAZARD_RU = re.compile(
    r"\b(?:пахн\w*|пахло|воня\w*|нес[её]т|несло|запах\w*|утечк\w*|чувству\w*|травит)\s+"
    r"(?:\w+\s+){0,2}?газ(?:ом|а|у|е)?\b"
    r"|\bгаз(?:ом|а)?\s+(?:\w+\s+)?(?:пахн\w*|пахло|воня\w*|нес[её]т|утека\w*|шипит|травит|"
    r"чувству\w*)|\bутечк\w* газ"
    r"|\b(?:пахн\w*|пахло|воня\w*|нес[её]т|запах\w*)\s+(?:\w+\s+)?(?:гар(?:ью|и)|горел\w*)\b"
    r"|\bп[оа]жар(?:а|ом|е|у|ы|ище)?\b|\bгорим\b|\bпламя\b|\bпламени\b|\bогонь\b"
    r"|\bзадымлени\w*|\bзадымил\w*|\bзадымлен\w*"
    r"|\b(?:валит|ид[её]т|повалил|пош[её]л|клубами|клубится)\s+(?:\w+\s+)?дым\w*"
    r"|\bдым\w*\s+(?:\w+\s+)?(?:из|валит|ид[её]т|клубами|в подъезде|на лестниц\w*)"
    r"|(?<!не )\bгор(?:ит|ят|ел|ела|ело|ели)\s+(?!" + _LIGHTS_RU + r")(?:\w+\s+)?" + _BURNING_RU +
    r"|\b" + _BURNING_RU + r"\s+(?:\w+\s+)?(?<!не )гор(?:ит|ят|ел|ела|ело|ели)\b(?!\s+" + _LIGHTS_RU + r")"
    r"|\bв (?:подъезде|квартире|подвале|доме|гараже|лифте|мусоропроводе)\s+гор(?:ит|ят)\b"
    r"(?!\s+" + _LIGHTS_RU + r")"
    r"|\bискр(?:ит|ят|ил\w*|ени\w*)\b|\bоголен\w*\s+(?:\w+\s+)?провод\w*|\bголы[ей]\s+провод\w*"
    r"|\bпровод\w*\s+(?:\w+\s+)?(?:оголен\w*|оборван\w*|под напряжением|искр\w*)|\bпод напряжением\b"
    r"|\bоборван\w*\s+(?:\w+\s+)?провод\w*"
    r"|\bкипят(?:ок|ком|ка)\b.{0,60}?(?:\bпар(?:ом|а|у)?\b|\bна (?:людей|прохожих|детей|тротуар)|\bхлещ\w*|"
    r"\bбь[её]т\b|\bфонтан\w*|\bпрорв\w*)|\b(?:прорв\w*|хлещ\w*|бь[её]т|фонтан\w*)\b.{0,60}?"
    r"\bкипят(?:ок|ком|ка)\b|\bошпар\w*|\bобварил\w*"
    r"|\b(?:pa[kh]{1,2}net|vonyaet|nes[eyo]t|zapa[kh]{1,2})\s+gaz(?:om|a)?\b|\bpozhar\b",
    re.IGNORECASE | re.DOTALL,
)
# Words that look dangerous but are not: giving blood, a gas check, a locked door.
_HARMLESS_RU = re.compile(
    r"\b(?:сда\w*|донор\w*|анализ\w*)\s+(?:\w+\s+)?кров\w*"
    r"|\b(?:провер\w*|плано\w*|датчик\w*|сигнализатор\w*)\s+(?:\w+\s+){0,2}?"
    r"(?:утечк\w*|запах\w*)\s+газ\w*"
    r"|\b(?:двер\w*|подвал\w*|чердак\w*|подъезд\w*|калитк\w*|ворот\w*|выход\w*|вход\w*|"
    r"шлагбаум\w*|площадк\w*|крыш\w*)\s+(?:\w+\s+)?заперт\w*"
    # what could happen ("дети могут травмироваться на сломанных качелях")
    r"|\b(?:мо(?:жет|гут|жно)|чтобы не|чтоб не|не дай бог|рискует|рискуют)\s+(?:\w+\s+)?"
    r"(?:травмир\w*|пострада\w*|покалеч\w*|упасть|ранить\w*|убиться|разбиться|застрять)",
    re.IGNORECASE)


def _russian_emergency(text: str) -> bool:
    text = _HARMLESS_RU.sub(" ", text.lower().replace("ё", "е"))
    return bool(_HAZARD_RU.search(text)) or (
        bool(_PEOPLE_RU.search(text)) and not _NOBODY_RU.search(text))


def is_emergency(text: str) -> bool:
    """Whether someone may be in danger now (trapped, hurt, gas, fire, live wires), said in
    English or Russian."""
    text = text or ""
    return ((bool(_PEOPLE_EN.search(text)) and not _NOT_NOW.search(text))
            or bool(_HAZARD_EN.search(text)) or _russian_emergency(text))
