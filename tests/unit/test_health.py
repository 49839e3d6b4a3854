"""Policy numbers: 16 digits, the last a Luhn check digit; typed with spaces or hyphens."""

from __future__ import annotations

import pytest

from bot.health import check_digit, is_valid_policy, normalise_policy, with_check_digit
from bot.sandbox.clinics import policy_of


def test_the_check_digit_is_luhns():
    # The textbook Luhn example: 7992739871 completes to 79927398713.
    assert check_digit("7992739871") == "3"
    assert with_check_digit("770012345678901") == "770012345678901" + check_digit(
        "770012345678901")


def test_every_seeded_policy_is_valid_and_a_changed_digit_is_not():
    for n in range(1, 61):
        policy = policy_of(n)
        assert is_valid_policy(policy), policy
        for position in range(16):
            changed = str((int(policy[position]) + 1) % 10)
            assert not is_valid_policy(policy[:position] + changed + policy[position + 1:])


@pytest.mark.parametrize("number", ["", "123", "77000000000000000", "770000000000000a",
                                    "７７０１２３４５６７８９０１２３", "7700 0000 0000 0000"])
def test_anything_but_sixteen_ascii_digits_is_invalid(number):
    assert not is_valid_policy(number)


def test_a_policy_typed_in_groups_is_read_as_one_number():
    policy = policy_of(1)
    typed = f"{policy[:4]} {policy[4:8]}-{policy[8:12]}  {policy[12:]}"
    assert normalise_policy(typed) == policy and is_valid_policy(normalise_policy(typed))


def test_a_body_that_is_not_fifteen_digits_gets_no_check_digit():
    with pytest.raises(ValueError):
        with_check_digit("1234")
