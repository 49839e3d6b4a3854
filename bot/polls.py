"""Citizens' polls, the assistant's side: who votes, and which poll and option a citizen's words
name. Pure functions, no I/O (the actions in ``actions/polls.py`` call the city).

Who votes: the city counts one vote per citizen and poll (``POST /polls/{id}/votes`` answers a
second one with 409 ``already_voted``), so the assistant sends a stable identity for each
citizen. It is a keyed hash (HMAC-SHA256) of the channel and the sender id ("telegram:5551234"):
the same chat always votes as the same citizen, and the city cannot turn it back into a
Telegram id or a web session, since it never has the key.

Which poll, which option: a button's payload names them exactly; typed words are matched here,
Russian words by any of their dictionary forms (``bot.nlu.morph.lemmas``: "в Сокольниках" names
the poll "Деревья для парка «Сокольники»"), English ones without a plural "s".
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import TypeVar

from bot.city.polls import Poll, PollOption
from bot.nlu.morph import lemma, lemmas

# The identity's scheme: a new key (or scheme) makes every citizen new to the city, so it is
# named in the identity, and a city can tell the two apart.
CITIZEN_SCHEME = "cb1"
# What a citizen is said to write from when the channel is not known (a message injected
# through Rasa's HTTP API has no input channel).
UNKNOWN_CHANNEL = "unknown"


def citizen_id(channel: str | None, sender_id: str, key: bytes) -> str:
    """The citizen the city counts a vote for: ``cb1-`` and 64 hex digits (the city takes 1-128
    characters), the same for the same channel and sender, never the same for another, and
    not reversible without ``key``."""
    said = f"{channel or UNKNOWN_CHANNEL}:{sender_id}".encode()
    return f"{CITIZEN_SCHEME}-{hmac.new(key, said, hashlib.sha256).hexdigest()}"


# Words that say "a poll" or "I want to vote", not which one (lemmas for Russian): they name no
# poll and no option.
GENERIC = frozenset(
    "poll polls pol vote voting votes voted survey surveys city active citizen citizens want "
    "wanna would like take part participate cast give put record count my our me i i'd id "
    "let's lets let how what what's which where when should can could do does did is are be "
    "been was were will shall may might must have has get got go see know need make there "
    "any some this that it its they them you your we us all more than too also just now "
    "right today still yet from by up out into new about for on in at of to with a an and or "
    "the please show tell answer question questions resident residents moscow district area "
    "option options choose choice pick one yes no open opened closed current latest last "
    "running "
    # Russian, by dictionary form
    "опрос голосование голосовалка голосовать проголосовать голос город городской активный "
    "гражданин хотеть мочь принять участие участвовать поучаствовать отдать оставить "
    "засчитать записать какой как что который где новый про о об за в во на по для с к у "
    "из и или а но мой наш я вы мы вариант выбрать выбирать ответить вопрос житель москва "
    "район пожалуйста давать давай давайте это тот этот один да нет сейчас есть ли бы же "
    "то вот там тут здесь весь быть открытый текущий последний идти".split()
)
_WORD = re.compile(r"[\w']+")


def _forms(word: str) -> frozenset[str]:
    """The forms a word is compared by: its Russian dictionary forms, or an English word with
    and without a plural ending ("birches" -> "birch")."""
    word = word.lower().replace("ё", "е")
    found = set(lemmas(word))
    if word.isascii():
        found.update(w for w in (word.removesuffix("es"), word.removesuffix("s"))
                     if len(w) >= 3)
    return frozenset(found)


def _content(text: str, ignore: frozenset[str] = frozenset()) -> list[frozenset[str]]:
    """The forms of each word of ``text`` that is neither generic nor one of ``ignore``'s."""
    skipped = GENERIC | ignore
    found = []
    for word in _WORD.findall(text or ""):
        forms = _forms(word)
        if not forms & skipped and not word.isdigit():
            found.append(forms)
    return found


def has_own_words(text: str) -> bool:
    """Whether a message says more than "polls" or "vote" ("which polls are there?" does not;
    "the poll about ice rinks" does): words a poll or an option could be named by."""
    return bool(_content(text))


def _all_forms(text: str) -> frozenset[str]:
    return frozenset(form for forms in _content(text) for form in forms)


def _plain(text: str) -> str:
    return " ".join(_WORD.findall((text or "").lower().replace("ё", "е")))


Key = TypeVar("Key")


def best_match(text: str, candidates: Sequence[tuple[Key, str]], *, ignore: str = ""
               ) -> Key | None:
    """The key of the candidate a citizen's words name: one whose text is said whole (the
    longest, if several), else the one sharing the most words with the message, if only one
    does. A key may come with several texts (a poll's title and its question); words of
    ``ignore`` (the question asked) and generic ones ("poll", "vote") name nothing."""
    said = _plain(text)
    if not said:
        return None
    # a text said whole counts when it has words of its own ("No" is in "no, lindens please")
    whole = [(len(_plain(label)), key) for key, label in candidates
             if _content(label) and re.search(rf"(?<!\w){re.escape(_plain(label))}(?!\w)", said)]
    if whole:
        longest = max(length for length, _ in whole)
        keys = {key for length, key in whole if length == longest}
        if len(keys) == 1:
            return keys.pop()
    words = _content(text, _all_forms(ignore))
    scores: dict[Key, int] = {}
    for key, label in candidates:
        pool = _all_forms(label)
        scores[key] = max(scores.get(key, 0), sum(1 for forms in words if forms & pool))
    ranked = sorted(scores.values(), reverse=True)
    if not ranked or ranked[0] == 0 or (len(ranked) > 1 and ranked[0] == ranked[1]):
        return None
    return next(key for key, score in scores.items() if score == ranked[0])


# Answers that name an option by its place in the list ("2", "the second one", "вариант 2").
ORDINALS = {
    **{word: n for n, word in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth".split(), start=1)},
    **{f"{n}{suffix}": n for n, suffix in ((1, "st"), (2, "nd"), (3, "rd"))},
    **{f"{n}th": n for n in range(4, 11)},
    **{word: n for n, word in enumerate(
        "первый второй третий четвертый пятый шестой седьмой восьмой девятый десятый".split(),
        start=1)},
}
NUMBER_WORDS = {
    **{word: n for n, word in enumerate(
        "one two three four five six seven eight nine ten".split(), start=1)},
    **{word: n for n, word in enumerate(
        "один два три четыре пять шесть семь восемь девять десять".split(), start=1)},
}
# Words around a place that say nothing else ("number 2 please", "я за вариант 2").
POSITION_FILLER = frozenset(
    "option number no num choice choose pick vote for the i i'd id my is it its it's that "
    "answer please go with take ok okay then "
    "вариант номер пункт ответ за я мой выбирать выбрать голосовать это тот пожалуйста "
    "давай давайте наверное ну тогда".split()
)


def position(text: str, count: int) -> int | None:
    """The place (1 to ``count``) an answer names when it says nothing but a place: "2",
    "option 2", "the second one", "№ 2", "второй вариант"; None otherwise."""
    places: list[int] = []
    one = False  # "one" alone is the first; in "the second one" it says nothing
    for word in _WORD.findall((text or "").lower().replace("ё", "е")):
        folded = lemma(word)
        if word.isdigit():
            places.append(int(word))
        elif folded in ORDINALS:
            places.append(ORDINALS[folded])
        elif folded == "one":
            one = True
        elif folded in NUMBER_WORDS:
            places.append(NUMBER_WORDS[folded])
        elif folded not in POSITION_FILLER:
            return None
    if not places and one:
        places = [1]
    if len(set(places)) != 1 or not 1 <= places[0] <= count:
        return None
    return places[0]


def option_named(text: str, options: Sequence[PollOption]) -> PollOption | None:
    """The option a typed answer is word for word, or by its place in the list ("2", "the
    second one"): sure enough to take even when the NLU read the words as something else
    ("живописная" read as a question for the FAQ)."""
    said = _plain(text)
    exact = [option for option in options if _plain(option.text) == said]
    if said and len(exact) == 1:
        return exact[0]
    place = position(text, len(options))
    return options[place - 1] if place is not None else None


def chosen_option(text: str, options: Sequence[PollOption], *, ignore: str = ""
                  ) -> PollOption | None:
    """The option a typed answer means: its text, its place in the list, or its words (those of
    ``ignore``, the poll's title and question, name no option)."""
    named = option_named(text, options)
    if named is not None:
        return named
    key = best_match(text, [(option.id, option.text) for option in options], ignore=ignore)
    return next((option for option in options if option.id == key), None)


def named_poll(text: str, polls: Sequence[Poll]) -> Poll | None:
    """The poll a message names by its title or its question's words ("vote in the poll about
    the metro station"), if it names one only."""
    candidates = [(poll.id, label) for poll in polls for label in (poll.title, poll.question)]
    key = best_match(text, candidates)
    return next((poll for poll in polls if poll.id == key), None)


def poll_of_option(text: str, polls: Sequence[Poll]) -> tuple[Poll, PollOption] | None:
    """The poll and option a message names by the option's words alone ("I vote for the
    fairy-tale forest"), if only one option of all the polls matches."""
    candidates = [((poll.id, option.id), option.text) for poll in polls for option in poll.options]
    key = best_match(text, candidates)
    if key is None:
        return None
    poll = next(poll for poll in polls if poll.id == key[0])
    option = poll.option(key[1])
    return (poll, option) if option is not None else None
