"""Doctor's appointment rules shared by the sandbox city and the assistant.

Pure functions, no I/O: the city refuses a policy number that fails them, and the assistant
checks the number a citizen typed before it asks the city anything (a typo is then caught in the
conversation, not by a round trip).

A patient is known by the 16-digit number of the compulsory health insurance policy (полис ОМС
единого образца); the last digit is a check digit. The federal fund's own control-digit algorithm
is not reproduced here: the sandbox issues policies with a Luhn check digit, and this module
checks exactly that. A real city with another algorithm would change :func:`check_digit` only.
"""

from __future__ import annotations

import re

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
