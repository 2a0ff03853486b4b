"""Spreading a total over cells: the arithmetic of PSI distributions and reconciles. Pure.

Quantities are integers of a fixed unit (``UNIT`` = one millionth: the pipeline keeps six
decimals), so totals are exact. ``spread`` gives every unlocked cell its share of what the
locked cells leave of the total, by weight, rounded to a step; the remainder the rounding
leaves goes to the largest cell (then the next largest, should the largest reach zero), so the
cells sum to the total exactly; a locked cell never changes.
"""

from collections.abc import Sequence
from fractions import Fraction
from typing import Literal

UNIT = 1_000_000
RoundMode = Literal["nearest", "floor", "ceil"]


class Impossible(ValueError):
    """The locked cells make the total impossible: they hold more than it, or nothing is unlocked
    to take a total they do not hold."""


def units(value: float) -> int:
    return round(value * UNIT)


def quantity(value: int) -> float:
    return value / UNIT


def step_units(step: float) -> int:
    """A rounding step in units (at least one unit)."""
    return max(1, units(step))


def rounded(value: Fraction, step: int, mode: RoundMode) -> int:
    """``value`` rounded to a multiple of ``step``: nearest (halves up), floor or ceil."""
    scaled = value / step
    if mode == "floor":
        whole = scaled.numerator // scaled.denominator
    elif mode == "ceil":
        whole = -(-scaled.numerator // scaled.denominator)
    else:
        half_up = scaled + Fraction(1, 2)
        whole = half_up.numerator // half_up.denominator
    return whole * step


def spread(total: int, current: Sequence[int], weights: Sequence[float | int | Fraction], locked: Sequence[bool],
           step: int = 1, mode: RoundMode = "nearest") -> list[int]:
    """New values of ``current`` summing to ``total``; see the module. Weights of unlocked cells
    that are all zero count as equal. Raises Impossible, or ValueError for a negative total or
    weight."""
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("totals and weights are never negative")
    free = total - sum(v for v, lock in zip(current, locked) if lock)
    open_cells = [i for i, lock in enumerate(locked) if not lock]
    if free < 0:
        raise Impossible(f"the locked cells hold {quantity(total - free):g}, more than {quantity(total):g}")
    if not open_cells:
        if free:
            raise Impossible(f"every cell is locked and they hold {quantity(total - free):g}, not {quantity(total):g}")
        return list(current)
    shares = [Fraction(weights[i]) for i in open_cells]
    if not any(shares):
        shares = [Fraction(1)] * len(open_cells)
    whole = sum(shares)
    out, exact = list(current), {}
    for i, share in zip(open_cells, shares):
        exact[i] = free * share / whole
        out[i] = max(0, rounded(exact[i], step, mode))
    _settle(out, sorted(open_cells, key=lambda i: (-out[i], -exact[i], i)), free - sum(out[i] for i in open_cells))
    return out


def _settle(out: list[int], by_size: list[int], remainder: int) -> None:
    """Give ``remainder`` to the largest open cell (of equal ones, the one whose exact share is
    largest); a negative one is taken from the largest cells in turn, none below zero."""
    if remainder >= 0:
        out[by_size[0]] += remainder
        return
    for i in by_size:
        taken = max(remainder, -out[i])
        out[i] += taken
        remainder -= taken
        if remainder == 0:
            return
