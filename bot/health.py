"""Doctor's appointment rules shared by the sandbox city and the assistant.

Pure functions, no I/O: the city refuses a policy number that fails them, and the assistant
checks the number a citizen typed before it asks the city anything (a typo is then caught in the
conversation, not by a round trip).

A patient is known by the 16-digit number of the compulsory health insurance policy (полис ОМС
единого образца); the last digit is a check digit. The federal fund's own control-digit algorithm
is not reproduced here: the sandbox issues policies with a Luhn check digit, and this module
checks exactly that. A real city with another algorithm would change :func:`check_digit` only.

The second half reads what citizens write about an appointment (the assistant's side, still no
I/O): the specialty in their words, a policy number inside a sentence, whether they ask to
cancel or only to see, and which of the slots offered a typed time picks.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.when import date_in, relative_day, weekday_in

POLICY_DIGITS = 16
BAD_POLICY = "bad_policy_number"

# The specialties a citizen books without a referral at a Moscow city polyclinic (a
# cardiologist or a neurologist needs a referral from the therapist, which is not modelled).
SPECIALTIES = ("therapist", "pediatrician", "surgeon", "ophthalmologist", "otolaryngologist",
               "urologist", "gynecologist", "dentist")

_SEPARATORS = re.compile(r"[\s-]+")


def normalise_policy(text: str) -> str:
    """The number as the city wants it: the card prints it in groups ("7700 1234 5678 9012"),
    citizens type it with spaces or hyphens."""
    return _SEPARATORS.sub("", text or "")


def check_digit(body: str) -> str:
    """The Luhn check digit of the first 15 digits."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # doubled: the digit right of it will be the check digit
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str(-total % 10)


def with_check_digit(body: str) -> str:
    """A 15-digit body completed into a policy number (how the sandbox issues them)."""
    if len(body) != POLICY_DIGITS - 1 or not body.isascii() or not body.isdigit():
        raise ValueError(f"a policy body is {POLICY_DIGITS - 1} digits, not {body!r}")
    return body + check_digit(body)


def is_valid_policy(number: str) -> bool:
    """Whether ``number`` (already normalised) is 16 digits with a right check digit."""
    if len(number) != POLICY_DIGITS or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:-1]) == number[-1]


# ---------------------------------------------------------------- what citizens write

# A policy number inside a message: 16 digits, typed as one run or in the card's groups.
_POLICY_IN_TEXT = re.compile(r"(?<![\d])\d(?:[ \t-]?\d){15}(?![\d])")


def policy_in(text: str) -> str | None:
    """The 16 digits of a policy number said in a message ("my policy is 7700 1234 5678
    9012"), normalised; checked by :func:`is_valid_policy`, not here (a typo gets its reason)."""
    found = _POLICY_IN_TEXT.search(text or "")
    return normalise_policy(found.group(0)) if found else None


def digits_in(text: str) -> int:
    """How many digits a message has (what a policy number that is not 16 long is told)."""
    return sum(char.isdigit() for char in text or "")


def shown_policy(number: str) -> str:
    """A policy number as the card prints it: four groups of four."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


# How people name each specialty bookable without a referral: English, Russian (stems, so that
# every case reads: "к терапевту", "у окулиста") and Russian typed in Latin letters.
_SPECIALTY_WORDS: dict[str, str] = {
    "therapist": r"\bgps?\b|\bgeneral\s+(?:practi\w*|doctor)|\bfamily\s+(?:doctor|physician|dr)"
                 r"|\btherap(?:ist|ists|y)\b|\b(?:local|district)\s+(?:district\s+)?doctor"
                 r"|терапевт|участков\w*|семейн\w*\s+(?:врач|доктор)|врач\w*\s+общей\s+практики"
                 r"|\bterapevt",
    "pediatrician": r"\bp(?:a|ae)?ediatri\w*|\bchild(?:ren)?'?s?\s+doctor|\bkids?'?\s+doctor"
                    r"|педиатр|детск\w+\s+(?:врач|доктор|терапевт)|\bpediatr",
    "ophthalmologist": r"\bop(?:h)?th?alm\w*|\boc+ulist|\beye\s+(?:doctor|specialist|dr|clinic)"
                       r"|\beyes?\b|окулист|офтальмолог|глазн\w*|\bokulist|\boftalmolog",
    "otolaryngologist": r"\bent\b|\bear,?\s+nose|\botolaryng\w*|\bотоларинг\w*|\bоторино\w*"
                        r"|(?<!\w)лор\w*|ухо[\s,-]+горло|\blor\b",
    "surgeon": r"\bsurg(?:eon|ery)\w*|хирург|\bh[iy]rurg",
    "urologist": r"\burolog\w*|уролог|\burolog",
    "gynecologist": r"\bgyn(?:a)?ec?olog\w*|\bgyno\b|гинеколог|\bginekolog",
    "dentist": r"\bdent(?:ist|al)\w*|\btooth\b|\bteeth\b|стоматолог|зубн\w*|\bзуб\w*|\bstomatolog"
               r"|\bzubn",
}
_SPECIALTY_PATTERNS = {code: re.compile(words, re.IGNORECASE)
                       for code, words in _SPECIALTY_WORDS.items()}
# One word per specialty name, for a misspelt one ("opthamologist", "педиатор"): the closest,
# when it is close enough.
_SPECIALTY_SPELLINGS: dict[str, str] = {
    "therapist": "therapist", "терапевт": "therapist", "участковый": "therapist",
    "pediatrician": "pediatrician", "paediatrician": "pediatrician", "педиатр": "pediatrician",
    "ophthalmologist": "ophthalmologist", "oculist": "ophthalmologist",
    "окулист": "ophthalmologist", "офтальмолог": "ophthalmologist",
    "otolaryngologist": "otolaryngologist", "оториноларинголог": "otolaryngologist",
    "surgeon": "surgeon", "хирург": "surgeon", "urologist": "urologist", "уролог": "urologist",
    "gynecologist": "gynecologist", "gynaecologist": "gynecologist", "гинеколог": "gynecologist",
    "dentist": "dentist", "стоматолог": "dentist",
}
# "not the dentist, the surgeon": a specialty said not to be it is no answer.
_NEGATED_BEFORE = re.compile(r"(?:\bnot|\bno|(?<!\w)не|(?<!\w)нет)\s+"
                             r"(?:the\s+|a\s+|an\s+|к\s+|ко\s+|у\s+)?$", re.IGNORECASE)
# A child the appointment is for: the paediatrician, when no other specialty is named.
_CHILD = re.compile(
    r"\b(?:kids?|child|children|son|daughter|baby|toddler|newborn|infant|boy|girl|"
    r"\d{1,2}[\s-]*(?:year|yr|month)s?[\s-]*old)\b"
    r"|ребен\w*|ребён\w*|(?<!\w)сын\w*|(?<!\w)дочь|(?<!\w)доч(?:к|ер)\w*|малыш\w*|младен\w*"
    r"|(?<!\w)дет(?:ям|ей|и|ский|ского|скому|ская|скую)\b|\brebenk\w*|\bsyn(?:a|u|om)?\b",
    re.IGNORECASE)
# Specialists a Moscow polyclinic books only with the therapist's referral.
_REFERRAL = re.compile(
    r"\bneurolog\w*|\bneuropath\w*|\bcardiolog\w*|\bendocrinolog\w*|\bgastroenterolog\w*"
    r"|\bdermatolog\w*|\ballergist\w*|\brheumatolog\w*|\bpulmonolog\w*|\boncolog\w*"
    r"|невролог|невропатолог|кардиолог|эндокринолог|гастроэнтеролог|дерматолог|аллерголог"
    r"|ревматолог|пульмонолог|онколог|\bnevrolog|\bkardiolog", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{5,}")
_CASE_ENDINGS = ("ами", "ому", "ого", "ов", "ам", "ах", "ом", "ой", "у", "а", "е", "ы", "и")


def _spelt(text: str) -> set[str]:
    """Specialties a misspelt word means ("opthamologist", "терапефту"): each word, a Russian
    one also without its case ending, against the names, closely enough."""
    found = set()
    for word in _WORD.findall(text.lower().replace("ё", "е")):
        if _REFERRAL.search(word):  # "neurologist" is no misspelt "urologist"
            continue
        forms = [word] + [word[: -len(end)] for end in _CASE_ENDINGS
                          if not word.isascii() and word.endswith(end)]
        for form in forms:
            close = difflib.get_close_matches(form, _SPECIALTY_SPELLINGS, n=1, cutoff=0.8)
            if close:
                found.add(_SPECIALTY_SPELLINGS[close[0]])
                break
    return found


def find_specialty(text: str, *, for_child: bool = True) -> str | None:
    """The bookable specialty a message names ("a GP", "eye doctor", "к лору", "терапевт"), or
    (``for_child``) the paediatrician when it is for a child and names none ("for my kid", "для
    сына"); None when it names none, or several with no way to tell.

    A specialty said not to be it ("not the dentist, the surgeon") does not count; when two are
    named, the first one said is meant ("the eye doctor, and maybe the dentist later").
    """
    text = text or ""
    said: list[tuple[int, str]] = []
    for code, pattern in _SPECIALTY_PATTERNS.items():
        for match in pattern.finditer(text):
            if not _NEGATED_BEFORE.search(text[:match.start()]):
                said.append((match.start(), code))
    if said:
        return min(said)[1]
    spelt = _spelt(text)
    if len(spelt) == 1:
        return spelt.pop()
    if for_child and not spelt and _CHILD.search(text):
        return "pediatrician"
    return None


def needs_referral(text: str) -> bool:
    """Whether a message asks for a specialist seen only with the therapist's referral ("a
    neurologist", "к кардиологу") and names no specialty bookable without one."""
    return bool(_REFERRAL.search(text or "")) and find_specialty(text) in (None, "pediatrician")


# Words of seeing a doctor, and of a doctor (any: the form asks which specialty).
_APPOINTMENT = re.compile(
    r"\bappointments?\b|\bbook\w*|\bsee\s+(?:a|an|the|my)\b|\bvisit\b|\bget\s+in\s+to\b"
    r"|(?<!\w)запис\w*|(?<!\w)при[её]м\w*|(?<!\w)попасть\s+к\b", re.IGNORECASE)
_DOCTOR = re.compile(r"\b(?:doctors?|gp|polyclinic|clinic)\b|(?<!\w)врач\w*|(?<!\w)доктор\w*"
                     r"|(?<!\w)поликлиник\w*", re.IGNORECASE)


def asks_for_a_doctor(text: str) -> bool:
    """Whether a message asks to see a doctor ("my eyes are red, can I get an appointment with
    an eye doctor?", "у дочки температура, нужно записать к врачу"): the words of an appointment
    and of a doctor or a specialty. For what the NLU could not place or put out of scope
    (symptoms read as a request for medical advice): the assistant books, it never advises."""
    text = text or ""
    return bool(_APPOINTMENT.search(text)) and (
        bool(_DOCTOR.search(text)) or find_specialty(text, for_child=False) is not None)


# Asking to cancel rather than to see ("what appointments do I have?" only lists them).
_CANCEL = re.compile(
    r"\bcanc?e?l+\w*|\bunbook|\bdelete|\bremove|\bdrop\b|\bfree\s+up|\bcall\s+off"
    r"|\b(?:can'?t|cannot|can\s+not|won'?t|will\s+not|wont|cant)\s+(?:be\s+able\s+to\s+)?"
    r"(?:come|go|make|attend|get)|\bnot\s+(?:coming|going)|\bno\s+longer\s+need"
    r"|\bmove\s+my\s+appointment|\breschedule"
    r"|отмен\w*|аннулир\w*|удал\w*|сня\w*|снимите|откаж\w*|отказ\w*|освобод\w*"
    r"|сдать|не\s+(?:смогу|сможем|приду|придем|придём|пойду|пойдем|пойдём|успеваю|попаду|получится"
    r"|буду)|передумал\w*|перенести|\botmen\w*|\bne\s+smogu", re.IGNORECASE)
# "don't cancel", "keep it", "не отменяйте": the appointment stays.
_KEEP = re.compile(
    r"\b(?:don'?t|do\s+not|dont|never)\s+cancel|\bkeep\b|\bleave\s+it|\bno\b(?!\s+longer)|\bnope\b"
    r"|не\s+(?:надо\s+|нужно\s+)?отмен\w*|оставь\w*|оставит\w*|(?<!\w)нет\b",
    re.IGNORECASE)


# Asking what is booked already ("when is my next appointment?", "какие у меня записи").
_BOOKED = re.compile(
    r"\bmy\s+(?:next\s+|upcoming\s+)?appointments?\b|\bwhen\s+is\s+my\b"
    r"|\bappointments?\s+(?:do\s+)?i\s+have\b"
    r"|(?<!\w)мо[яию]\s+запис\w*|(?<!\w)мои\s+записи|(?<!\w)у\s+меня\s+запис\w*"
    r"|(?<!\w)когда\s+(?:у\s+меня\s+)?(?:мой\s+)?при[её]м", re.IGNORECASE)


def asks_what_is_booked(text: str) -> bool:
    """Whether a message asks about appointments already made rather than for a new one."""
    return bool(_BOOKED.search(text or ""))


def wants_cancel(text: str) -> bool:
    """Whether a message about appointments asks to cancel one ("cancel my dentist", "не
    смогу прийти") rather than to see them ("when is my appointment?")."""
    return bool(_CANCEL.search(text or ""))


# "book it", "запишите": the answer to "shall I book it?"; "don't book", "не записывайте": no.
_BOOK = re.compile(r"\bbook\b|\bgo\s+ahead\b|(?<!\w)запиш\w*|(?<!\w)записыва\w*|(?<!\w)записать\b",
                   re.IGNORECASE)
_NOT_BOOK = re.compile(r"\b(?:don'?t|do\s+not|dont|never)\s+book|(?<!\w)не\s+(?:надо\s+|нужно\s+)?"
                       r"запис\w*", re.IGNORECASE)


def booking_meant(text: str) -> bool | None:
    """The answer to "shall I book this appointment?" in words ("book it" True, "don't book"
    False); None when the words say neither (a plain yes or no is the NLU's)."""
    if _NOT_BOOK.search(text or ""):
        return False
    return True if _BOOK.search(text or "") else None


def cancel_meant(text: str) -> bool | None:
    """The answer to "cancel this appointment?" in words ("yes, cancel it" True, "no, keep it"
    False); None when the words say neither."""
    keep, cancel = bool(_KEEP.search(text or "")), wants_cancel(text)
    if keep:
        return False
    return True if cancel else None


# ---------------------------------------------------------------- a slot said in words

@dataclass(frozen=True)
class Choice:
    """One of the options a citizen was shown (a free slot, or one of their appointments):
    its id, its start in the city's time, its specialty."""

    id: str
    start: datetime
    specialty: str = ""


_TIME = re.compile(r"(?<![\d.,:])([01]?\d|2[0-3])\s?[:.h]\s?([0-5]\d)(?![\d])")
_HOUR_HALF = re.compile(r"(?<![\d.,:])(1[0-2]|0?[1-9])\s*(a\.?m\.?|p\.?m\.?)(?!\w)", re.IGNORECASE)
_HOUR = re.compile(r"(?<![\d.,:])([01]?\d|2[0-3])\s*(?:o'?clock|ч\b|час\w*)"
                   r"|(?:\bat|(?<!\w)в)\s+([01]?\d|2[0-3])\b(?![:.]\d)", re.IGNORECASE)
_ORDINALS = (
    (0, re.compile(r"\b(?:first|1st|earliest|soonest|nearest|next\s+one)\b|перв\w*|ближайш\w*"
                   r"|самы\w+\s+ранн\w*|\bpervy\w*", re.IGNORECASE)),
    (1, re.compile(r"\b(?:second|2nd)\b|втор(?:ой|ую|ая|ое|ого)\b", re.IGNORECASE)),
    (2, re.compile(r"\b(?:third|3rd)\b|трет(?:ий|ью|ья|ье|ьего)\b", re.IGNORECASE)),
    (-1, re.compile(r"\b(?:last|latest)\b|последн\w*", re.IGNORECASE)),
)
_NUMBERED = re.compile(r"(?:\b(?:number|option)|#|№|\bномер|\bвариант)\s*([1-9])\b",
                       re.IGNORECASE)
_PARTS_OF_DAY = (
    ((0, 12), re.compile(r"\bmorning\b|утр\w*|до\s+обеда", re.IGNORECASE)),
    ((12, 17), re.compile(r"\bafternoon\b|\blunch\w*|\bmidday\b|после\s+обеда|дн[её]м\b"
                          r"|в\s+обед", re.IGNORECASE)),
    ((17, 24), re.compile(r"\bevening\b|\bafter\s+work\b|вечер\w*|после\s+работы",
                          re.IGNORECASE)),
)


def _hour_said(text: str) -> int | None:
    """An hour said without minutes ("at 2pm", "the 9 o'clock", "в 14 часов", "at 9")."""
    half = _HOUR_HALF.search(text)
    if half is not None:
        hour = int(half.group(1)) % 12
        return hour + 12 if half.group(2).lower().startswith("p") else hour
    found = _HOUR.search(text)
    if found is None:
        return None
    return int(found.group(1) or found.group(2))


def choose(text: str, choices: Sequence[Choice], today: date) -> str | None:
    """The id of the option a typed answer picks ("the 9:20 one", "tomorrow morning", "the
    first", "Tuesday at 2pm", "к стоматологу", "завтра утром"), or None when it names none or
    cannot tell (a time that two days share, a day with nothing offered).

    What is said narrows the options (a day, a time, a part of the day, a specialty); of those
    left, an ordinal picks ("the second one tomorrow"), else the earliest: the citizen is asked
    to confirm the slot before anything is booked.
    """
    text = text or ""
    left = list(choices)
    narrowed = False
    on = date_in(text, today) or relative_day(text, today)
    weekday = weekday_in(text) if on is None else None
    if on is not None:
        left, narrowed = [c for c in left if c.start.date() == on], True
    elif weekday is not None:
        left, narrowed = [c for c in left if c.start.weekday() == weekday], True
    exact = _TIME.search(text)
    hour = None if exact else _hour_said(text)
    if exact:
        at = (int(exact.group(1)), int(exact.group(2)))
        left = [c for c in left if (c.start.hour, c.start.minute) == at]
        if len(left) > 1 and not narrowed:
            return None  # the same time on two days: which one?
        narrowed = True
    elif hour is not None:
        left, narrowed = [c for c in left if c.start.hour == hour], True
    else:
        for (first, last), pattern in _PARTS_OF_DAY:
            if pattern.search(text):
                left, narrowed = [c for c in left if first <= c.start.hour < last], True
                break
    specialty = find_specialty(text) if any(c.specialty for c in choices) else None
    if specialty is not None and len({c.specialty for c in choices}) > 1:
        left, narrowed = [c for c in left if c.specialty == specialty], True
    numbered = _NUMBERED.search(text)
    index = int(numbered.group(1)) - 1 if numbered else next(
        (i for i, pattern in _ORDINALS if pattern.search(text)), None)
    if index is not None:
        return left[index].id if -len(left) <= index < len(left) else None
    return left[0].id if narrowed and left else None
