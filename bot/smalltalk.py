"""Small talk read from the words, for messages the NLU could not place or misplaced: closing
words added to something else ("they're out now. thanks", "ok thank you, bye", "have a good
evening"), and questions about what the assistant is for ("hmm ok. what can you help me with
then")."""

from __future__ import annotations

import re

from bot.textparse import asks_something

_BYE = re.compile(r"\b(?:bye|goodbye|bye-bye|see you|see ya|good night|have a (?:good|nice|great) "
                  r"(?:one|day|evening|night|weekend)"
                  r"|(?:nice|great|good|lovely|a pleasure) (?:talking|to talk|chatting|to chat) "
                  r"(?:to|with) (?:you|u))\b"
                  r"|\bприятно (?:было )?(?:пообщаться|поговорить)\b"
                  # Russian: "пока" only as a goodbye at the end ("ну всё, пока"), not "пока не
                  # починили" or "не отправляй пока"
                  r"|\b(?:до свидания|до свиданья|досвидания|до свидос|до встречи|всего доброго|"
                  r"всего хорошего|счастливо|спокойной ночи|хорошего (?:дня|вечера|выходных)|"
                  r"доброй ночи|poka|do svidaniya)\b"
                  r"|(?:^|[,.!;)]|\b(?:спасибо|спс|все|всё|ладно|ок|окей|ну|хорошо|понял\w*|ясно|"
                  r"отлично|давай\w*|тогда|пасиб\w*))\s*пока(?:[- ]пока)?\W*$", re.IGNORECASE)
_THANKS = re.compile(r"\b(?:thanks|thank you|thank u|thx|cheers|much appreciated|"
                     r"spasibo|спасибо|спасибочки|спасибки|пасиб\w*|спс|благодарю|благодарим|"
                     r"благодарствую|мерси)\b", re.IGNORECASE)


_GREETING_FIRST = re.compile(r"\s*(?:hi|hello|hey|good (?:morning|afternoon|evening)|privet|"
                             r"привет|здравствуй\w*|здрасьте|здрасте|добр(?:ый|ое|ого) "
                             r"(?:день|вечер|утро|дня|вечера|утра))\b", re.IGNORECASE)


def greets_first(text: str) -> bool:
    """Whether the message opens with a greeting ("hi, can you check this one for me")."""
    return bool(_GREETING_FIRST.match(text or ""))


def farewell(text: str) -> bool:
    """Whether greeting words say goodbye ("have a good evening"), not hello ("hi, have a nice
    day" still greets)."""
    return closing(text) == "goodbye" and not greets_first(text)


def closing(text: str) -> str | None:
    """``"goodbye"`` or ``"thank"`` when the message ends the exchange with those words and asks
    nothing; None otherwise."""
    if asks_something(text):
        return None
    if _BYE.search(text or ""):
        return "goodbye"
    if _THANKS.search(text or ""):
        return "thank"
    return None


# A question about the assistant itself that ends there: "what can you do about the pothole" or
# "how can you help with my meter readings" ask about a matter, not about the assistant.
_WHAT_FOR = re.compile(
    r"\b(?:what(?: is|'s|’s|s) (?:this|citybot|this bot|this chat)(?: even)? (?:for|good for)"
    r"|what (?:are|r) (?:you|u)(?: even| exactly)? (?:for|good for|able to do)"
    r"|what (?:else )?(?:can|could|do) (?:you|u|this bot|citybot)(?: even| actually)? "
    r"(?:do|help(?: me)?(?: with)?)"
    r"|what can i (?:ask|use you for|do here)"
    r"|how (?:can|could) (?:you|u) help(?: me)?)"
    r"(?: (?:then|exactly|here|for me|anyway))?\s*[?!.]*\s*$"
    # Russian: "что ты умеешь", "чем можешь помочь", "для чего этот бот" (but "что вы можете
    # сделать с ямой" asks about a matter)
    r"|(?:\b(?:что|чего)\s+(?:ещ[её]\s+)?(?:ты|вы|бот|этот бот)?\s*(?:вообще\s+)?"
    r"(?:умеешь|умеете|умеет|можешь|можете|может)(?:\s+(?:делать|сделать))?"
    r"|\b(?:чем|с чем|в ч[её]м)\s+(?:ещ[её]\s+)?(?:ты|вы|бот)?\s*(?:вообще\s+)?"
    r"(?:можешь|можете|может|могли бы|мог бы)\s+(?:мне\s+)?помочь"
    r"|\bчем\s+(?:ты|вы)?\s*(?:поможешь|поможете)"
    r"|\b(?:для чего|зачем)\s+(?:ты|вы|этот бот|бот|этот чат|чат|нужен этот бот|нужен бот)"
    r"(?:\s+(?:нужен|нужны|нужна|нужно))?"
    r"|\bчто\s+(?:ты|вы)\s+такое|\bчто (?:это )?за (?:бот|чат)"
    r"|\bчто (?:я )?(?:могу|можно) (?:здесь |тут |у вас |у тебя )?(?:спросить|узнать|сделать)"
    r"|\bchto (?:ty|vy) (?:umeesh|umeete|mozhesh|mozhete))"
    r"(?:\s+(?:тогда|вообще|ещ[её]|мне|здесь|тут|конкретно|именно|бот|для меня|пожалуйста))*"
    r"\s*[?!.)]*\s*$",
    re.IGNORECASE,
)


def asks_what_i_do(text: str) -> bool:
    """Whether the message ends by asking what the assistant is for or can do."""
    return bool(_WHAT_FOR.search(text or ""))


# "Never mind, I'll use the bot" while waiting for a person ("ладно, сам справлюсь", "вернусь к
# боту"); not "ботинки".
_BACK_TO_BOT = re.compile(
    r"\bbot\b|\b(?:бот|робот|ассистент)(?:а|у|ом|е|ик|ика|ику|иком)?\b"
    r"|\bсам[аи]?\s+справ\w*|\bсправл(?:юсь|юся|имся)\s+сам[аи]?\b", re.IGNORECASE)


def back_to_bot(text: str) -> bool:
    """Whether a citizen waiting for a person says they will go on with the assistant."""
    return bool(_BACK_TO_BOT.search(text or ""))


# A question whether the assistant is a person or a machine ("are you an actual human?", "am i
# talking to a bot", "is anyone real reading this", "ты бот?", "я с живым человеком говорю?"),
# which ends there: "can I talk to a real person" asks for one, and "are you a bot? get me a human"
# asks for one too.
_WHO = (r"(?:an? |the )?(?:actual |real |live |living |true |some |proper )?"
        r"(?:human(?: being)?|person|people|bot|robot|chat ?bot|machine|ai|computer|program|"
        r"operator)")
_ASKS_IF_HUMAN = re.compile(
    r"^\W*(?:(?:so|wait|hmm+|ok|okay|and|but|hey|sorry|honestly|seriously)\W+)*"
    r"(?:(?:are|r) (?:you|u)(?: even| really| actually| just)? " + _WHO +
    r"|(?:am i|are we) (?:talking|chatting|speaking|writing) (?:to|with) " + _WHO +
    r"|is (?:this|it|that) (?:a |an )?(?:actual |real )?(?:human|person|bot|robot|chat ?bot|"
    r"machine|automated|automatic|ai)"
    r"|is (?:there )?(?:anyone|anybody|someone|somebody) (?:real|human|alive)(?: (?:reading|"
    r"there|here|on the other end))?(?: this)?"
    r"|(?:ты|вы|это)\s+(?:что,?\s+)?(?:правда\s+|реально\s+|вообще\s+)?(?:живой\s+|настоящий\s+)?"
    r"(?:бот|робот|человек|программа|машина|ии|нейросеть|оператор)"
    r"|(?:я\s+)?(?:с\s+)?(?:кем|ботом|роботом|человеком|живым человеком)\s+(?:я\s+)?"
    r"(?:говорю|разговариваю|общаюсь|переписываюсь)(?:\s+с\s+(?:ботом|роботом|человеком|"
    r"живым человеком))?"
    r"|ty bot)"
    r"\s*(?:or (?:a |an )?(?:human|person|bot|robot|machine)|или (?:бот|робот|человек))?"
    r"(?:\s+(?:or what|or not|или нет|вообще|here|там|тут|now|сейчас|right now))?\s*[?!.)]*\s*$",
    re.IGNORECASE,
)


def asks_if_human(text: str) -> bool:
    """Whether the message only asks if the assistant is a person or a machine."""
    return bool(_ASKS_IF_HUMAN.search(text or ""))
