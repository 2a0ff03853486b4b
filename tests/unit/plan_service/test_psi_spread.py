"""Distribution arithmetic (hypothesis): totals conserved exactly, locked cells untouched, values
on the rounding step but for the one cell that takes the remainder, impossible totals refused."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.plan_service.domain.psi.spread import Impossible, rounded, spread

SETTINGS = settings(max_examples=400, deadline=None)


@st.composite
def cases(draw):  # type: ignore[no-untyped-def]
    size = draw(st.integers(1, 12))
    current = draw(st.lists(st.integers(0, 10**9), min_size=size, max_size=size))
    locked = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    weights = draw(st.lists(st.one_of(st.integers(0, 1000), st.floats(0, 1e6, allow_nan=False)),
                            min_size=size, max_size=size))
    total = draw(st.integers(0, 2 * 10**9))
    step = draw(st.sampled_from([1, 10, 1000, 10**6, 5 * 10**6, 7 * 10**6]))
    mode = draw(st.sampled_from(["nearest", "floor", "ceil"]))
    return total, current, weights, locked, step, mode


def possible(total: int, current: list[int], locked: list[bool]) -> bool:
    free = total - sum(v for v, lock in zip(current, locked) if lock)
    return free >= 0 and (free == 0 or not all(locked))


@SETTINGS
@given(cases())
def test_a_spread_conserves_the_total_exactly_and_never_touches_a_locked_cell(case):  # type: ignore[no-untyped-def]
    total, current, weights, locked, step, mode = case
    if not possible(total, current, locked):
        with pytest.raises(Impossible):
            spread(total, current, weights, locked, step, mode)
        return
    out = spread(total, current, weights, locked, step, mode)
    assert sum(out) == total
    assert all(new == old for new, old, lock in zip(out, current, locked) if lock)
    assert all(value >= 0 for value in out)


@SETTINGS
@given(cases())
def test_values_are_on_the_step_but_for_the_remainder_which_only_an_off_step_total_leaves(case):  # type: ignore[no-untyped-def]
    total, current, weights, locked, step, mode = case
    if not possible(total, current, locked) or all(locked):
        return
    out = spread(total, current, weights, locked, step, mode)
    free = total - sum(v for v, lock in zip(current, locked) if lock)
    off_step = [v for v, lock in zip(out, locked) if not lock and v % step]
    assert len(off_step) == (1 if free % step else 0)


@SETTINGS
@given(st.integers(1, 50), st.integers(0, 10**7), st.sampled_from([1, 10, 1000]))
def test_equal_weights_give_shares_that_differ_by_at_most_a_step_and_the_remainder(n, total, step):  # type: ignore[no-untyped-def]
    out = spread(total, [0] * n, [1] * n, [False] * n, step, "floor")
    base = sorted(out)[:-1] or out
    assert max(base) - min(base) <= step
    assert sum(out) == total


def test_the_remainder_goes_to_the_largest_cell():
    assert spread(10, [0, 0, 0], [1, 2, 3], [False] * 3, step=3, mode="floor") == [0, 3, 7]
    assert spread(100, [5, 0, 0], [1, 1, 2], [True, False, False], step=10, mode="nearest") == [5, 30, 65]


def test_weights_that_are_all_zero_count_as_equal_and_a_ceiling_never_goes_below_zero():
    assert spread(9, [0, 0, 0], [0, 0, 0], [False] * 3) == [3, 3, 3]
    assert spread(1, [0, 0, 0], [1, 1, 1], [False] * 3, step=1, mode="ceil") == [0, 0, 1]


def test_locked_cells_that_hold_more_than_the_total_or_a_total_nothing_can_take_are_refused():
    with pytest.raises(Impossible, match="more than"):
        spread(10, [8, 5, 0], [1, 1, 1], [True, True, False])
    with pytest.raises(Impossible, match="every cell is locked"):
        spread(10, [4, 5], [1, 1], [True, True])
    assert spread(9, [4, 5], [1, 1], [True, True]) == [4, 5]


def test_rounding_modes():
    assert [rounded(Fraction(v), 10, "nearest") for v in (14, 15, 16)] == [10, 20, 20]
    assert rounded(Fraction(19), 10, "floor") == 10 and rounded(Fraction(11), 10, "ceil") == 20
