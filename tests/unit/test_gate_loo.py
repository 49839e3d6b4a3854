"""bench.gate_loo: the leave-one-out count on a neighbourhood small enough to work out by hand."""

from __future__ import annotations

import numpy as np

from bench.gate_loo import leave_one_out


def _unit(angle_degrees: float) -> list[float]:
    a = np.radians(angle_degrees)
    return [float(np.cos(a)), float(np.sin(a))]


def test_each_example_is_judged_by_the_others_and_copies_do_not_count() -> None:
    # in scope near 0°, out of scope near 90°; one in-scope example (40°) sits nearest to an
    # out-of-scope one (50°), and an out-of-scope copy of an in-scope sentence (0° twice) must
    # not vote for itself
    angles = [0, 5, 10, 40, 50, 85, 90, 0]
    outside = np.array([False, False, False, False, True, True, True, True])
    vectors = np.array([_unit(a) for a in angles])
    lines = leave_one_out(vectors, outside)
    one = lines[0]
    assert one.startswith("1 neighbours, 1 out of scope")
    # in scope: 40° turned away (nearest 50°); 0° (its copy does not count, nearest 5°) is not
    assert "turned away 25.00 % (1/4)" in one
    # out of scope: 85° and 90° are each other's nearest; 50° has 40° and the copy at 0° has 5°
    assert "out-of-scope caught 50.0 %" in one
