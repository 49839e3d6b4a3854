"""Reading a citizen's correction of something already said ("no wait, it's Arbat 10 not 12")."""

from __future__ import annotations

import re

# Words that mark a message as correcting an earlier detail rather than answering the question.
_CUE = re.compile(
    r"\b(?:no+|nope|wait|actually|sorry|oops|i mean|i meant|correction|wrong|mistake|"
    r"instead|rather|not\s+\d+|change|changed)\b|\bnot\b.*\bbut\b|\bit'?s not\b|\bnot about\b"
    # Russian: "ой", "нет, ...", "подождите", "стоп, не так", "точнее", "я имел в виду",
    # "ошиблась", "не 12, а 10", "не про яму, а про ..."
    r"|\b(?:ой|упс|стоп|подожд\w*|погоди(?:те)?|точнее|вернее|верней|вместо|ошиб\w*|опечат\w*|"
    r"перепутал\w*|неправильн\w*|неверн\w*|исправ(?:ьте|ить|ь|лю|ляю)|поправ(?:ьте|ить|ка|лю)|"
    r"измени(?:те|ть)|поменя(?:йте|ть|й)|не\s+\d+|не\s+(?:тот|та|ту|те)|не\s+(?:про|о|об|насчет|"
    r"по поводу)|вс[её] не так|это не так)\b"
    r"|\bимел[аи]?\s+в\s+виду|\bимею\s+в\s+виду|\bна самом деле\b|\bне так\s*[,.!]*\s*$"
    r"|(?<!\w)да\s+как(?:ие|ой|ая|ое|их)\s+\w+"
    r"|(?<!\w)не\s+(?:\w+\s+){0,2}\w+\s*,?\s+а\s+\w"
    r"|(?<!\w)это\s+не\s+\w+\s*[,.;!-]*\s*(?:а\s+)?это\s+\w"  # "это не яма, это трубу прорвало"
    r"|^\W*нет(?:\W*$|\s*[,.!-]|\s+(?:нет|не|это|там|тут|адрес|дом|улица|категория|я|подожд\w*|"
    r"стоп)\b)",
    re.IGNORECASE,
)
_NEGATED_BEFORE = re.compile(
    r"\bnot\s+(?:about\s+|a\s+|an\s+|the\s+|any\s+)*$"
    # "не яма, а провал", "это не про свет", "провал, а не яма"
    r"|(?<!\w)не\s+(?:про\s+|о\s+|об\s+|насчет\s+|насчёт\s+|по поводу\s+|какая-то\s+|какой-то\s+)*$"
    # "да какие фонари, там трубу прорвало": the kind waved away
    r"|(?<!\w)да\s+как(?:ие|ой|ая|ое|их)\s+(?:там\s+|ещ[её]\s+)?$",
    re.IGNORECASE)
# Which detail a citizen says is wrong ("the address is wrong", "wrong category").
_SLOT_WORDS = {
    "address": re.compile(r"\b(?:address|street|house|place|location|number|"
                          r"адрес\w*|улиц\w*|дом|дома|доме|домом|номер\w*|мест[оае])\b", re.IGNORECASE),
    "category": re.compile(r"\b(?:category|kind|type|problem|"
                           r"категори\w*|тип|типе|типом|вид|виде|видом|проблем\w*)\b", re.IGNORECASE),
    "description": re.compile(r"\b(?:description|text|wording|words|"
                              r"описани\w*|текст\w*|формулировк\w*)\b", re.IGNORECASE),
}
_HOUSE = r"\d{1,3}[a-zа-я]?"
_HOUSE_SWAP = re.compile(
    rf"\b({_HOUSE})\b(?:\s*,)?\s+(?:not|instead of|а\s+не|не|вместо)\s+(?:дом\s+|номер\s+)?{_HOUSE}\b"
    # "не 12, а 10", "дом не 12 а 10"
    rf"|(?<!\w)не\s+(?:дом\s+|номер\s+)?{_HOUSE}\b\s*,?\s+а\s+(?:дом\s+|номер\s+)?({_HOUSE})\b",
    re.IGNORECASE)


def is_correction(text: str) -> bool:
    """Whether the message reads as a correction ("no wait", "it's 10 not 12", "I meant")."""
    return bool(_CUE.search(text or ""))


def negated(text: str, start: int) -> bool:
    """Whether the span starting at ``start`` is what the citizen says it is *not*."""
    return bool(_NEGATED_BEFORE.search((text or "")[:start]))


def wrong_detail(text: str) -> str | None:
    """The detail a citizen says is wrong, without giving the right one: address, category,
    description, or None."""
    found = [name for name, words in _SLOT_WORDS.items() if words.search(text or "")]
    return found[0] if len(found) == 1 else None


def swapped_house(text: str) -> str | None:
    """The house number in "it's 10 not 12" (the street stays as it was)."""
    match = _HOUSE_SWAP.search(text or "")
    return (match.group(1) or match.group(2)) if match else None


_NEGATED_NUMBER = re.compile(
    r"[,;]?\s*\b(?:not|instead of|а\s+не|не|вместо)\s+(?:number\s+|house\s+|дом\s+|номер\s+)?"
    r"\d{1,3}[a-zа-я]?\b", re.IGNORECASE)
# "не 12, а 10": the wrong number and the "а" before the right one.
_NEGATED_FIRST = re.compile(r"(?<!\w)не\s+(?:дом\s+|номер\s+)?\d{1,3}[a-zа-я]?\b\s*,?\s+а\s+(?=\w)",
                            re.IGNORECASE)


def without_negated_numbers(text: str) -> str:
    """The text without the number it says is wrong ("Tverskaya 14 not 12" -> "Tverskaya 14",
    "Тверская не 12, а 14" -> "Тверская 14")."""
    return _NEGATED_NUMBER.sub("", _NEGATED_FIRST.sub("", text or "")).strip()


_YES = re.compile(r"^\W*(?:yes|yeah|yep|yup|sure|ok|okay|send it|submit|go ahead|correct|right|"
                  r"да|ага|угу|конечно|верно|всё верно|все верно|отправляй\w*|отправь\w*)\b",
                  re.IGNORECASE)
_NO = re.compile(r"^\W*(?:no|nope|nah|don'?t|do not|cancel|not yet|hold on|wait|"
                 r"нет|неа|не надо|не нужно|отмен\w*|подожди\w*|стоп)\b", re.IGNORECASE)
# Inside a longer message ("ambulance is here now. yes, please report the ice"): a yes or a no
# counts when it is the only one said.
_YES_ANYWHERE = re.compile(
    r"\b(?:yes|yeah|yep|yup|go ahead|send it|send the report|(?:please|do) (?:send|report|file|"
    r"submit)|submit it|file it|report it|да|отправляй\w*|отправь\w*|отправить)\b", re.IGNORECASE)
_NO_ANYWHERE = re.compile(
    r"\b(?:no|nope|nah|cancel|not yet|(?:don'?t|do not|never)\s+(?:send|submit|file|report)\w*"
    r"(?:\s+(?:it|that|this|the report))?|нет|не отправ\w*|не надо|отмен\w*)\b", re.IGNORECASE)
# A "no" that is only talked about ("I pressed no by mistake") is no answer.
_NO_MENTIONED = re.compile(
    r"\b(?:pressed|clicked|hit|tapped|said|chose|нажал\w*|ткнул\w*|выбрал\w*|сказал\w*)\s+"
    r"(?:the\s+|на\s+)?[\"«]?(?:no|нет)\b[\"»]?", re.IGNORECASE)


# A request to send a report, said in so many words ("I pressed no by mistake, please send it"):
# more than a yes, which may only be politeness ("yeah. thanks anyway").
_SEND = re.compile(r"\b(?:send|submit|file|report)\b|\bby (?:mistake|accident)\b|"
                   r"\bотправ\w*|\bподай\w*|\bподать\b|\bпо ошибке\b|\bслучайно\b", re.IGNORECASE)


def asks_to_send(text: str) -> bool:
    """Whether the message asks, in so many words, for a report to be sent (and says no "no")."""
    return bool(_SEND.search(text or "")) and yes_or_no(text) is not False


def yes_or_no(text: str) -> bool | None:
    """A plain reading of an answer to a yes/no question when the NLU is unsure ("no don't
    submit yet, I want to double check" -> False); None when it is neither, or both."""
    rest = _NO_MENTIONED.sub(" ", text or "")
    no = _NO.search(text or "") or _NO_ANYWHERE.search(rest)
    yes = _YES.search(text or "") or _YES_ANYWHERE.search(_NO_ANYWHERE.sub(" ", rest))
    if no and not yes:
        return False
    if yes and not no:
        return True
    return None
