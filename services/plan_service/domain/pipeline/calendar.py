"""The planning calendar: periods (months by default), weeks, and the pieces where they overlap.

A piece is one week's share of one period. Pieces are the finest time grain of the pipeline: every
period and every week is an exact sum of pieces, so totals survive any change of grain.
"""

from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import numpy as np

from contracts.buckets import BucketError, DayRange, day_range
from services.plan_service.domain.pipeline.errors import PipelineError


@dataclass(frozen=True)
class Span:
    label: str
    first: int
    last: int

    @property
    def days(self) -> int:
        return self.last - self.first + 1

    def as_dict(self) -> dict:
        return {"label": self.label, "first_day": self.first, "last_day": self.last}


@dataclass(frozen=True)
class Calendar:
    horizon: int
    periods: list[Span]
    weeks: list[Span]
    pieces: list[Span]
    piece_period: np.ndarray
    piece_week: np.ndarray
    weight: np.ndarray
    """Share of its period's quantity each piece receives; the weights of one period sum to 1."""

    def by_period(self, values: np.ndarray) -> np.ndarray:
        """Sum the last axis (pieces) into periods."""
        return _sum_into(values, self.piece_period, len(self.periods))

    def by_week(self, values: np.ndarray) -> np.ndarray:
        return _sum_into(values, self.piece_week, len(self.weeks))


def _sum_into(values: np.ndarray, index: np.ndarray, count: int) -> np.ndarray:
    out = np.zeros(values.shape[:-1] + (count,))
    np.add.at(out.T, index, values.T)
    return out


def span(label: str, start: date, horizon: int, step: str = "aggregate") -> Span:
    try:
        days: DayRange = day_range(label, start).clip(horizon)
    except BucketError as exc:
        raise PipelineError(step, str(exc)) from exc
    if days.days == 0:
        raise PipelineError(step, f"bucket {label!r} lies outside the {horizon}-day horizon")
    return Span(label, days.first, days.last)


def inside(label: str, start: date, horizon: int) -> bool:
    """Whether a bucket reaches into the horizon; planning input rows wholly outside it are left out."""
    try:
        return day_range(label, start).clip(horizon).days > 0
    except BucketError as exc:
        raise PipelineError("aggregate", str(exc)) from exc


def month_periods(start: date, horizon: int) -> list[Span]:
    periods, month = [], 1
    while (days := day_range(f"M{month}", start)).first <= horizon:
        periods.append(Span(f"M{month}", days.first, min(days.last, horizon)))
        month += 1
    return periods


def week_spans(horizon: int) -> list[Span]:
    return [Span(f"W{k + 1}", 7 * k + 1, min(7 * k + 7, horizon)) for k in range((horizon + 6) // 7)]


def _check_disjoint(spans: list[Span], what: str) -> None:
    for before, after in pairwise(spans):
        if after.first <= before.last:
            raise PipelineError("aggregate", f"{what} {before.label!r} and {after.label!r} overlap")


def derived_calendar(periods: list[Span], horizon: int) -> Calendar:
    """Weeks are 7-day blocks from day 1; a piece's weight is its share of its period's days."""
    periods = sorted(periods, key=lambda p: p.first)
    _check_disjoint(periods, "periods")
    weeks = week_spans(horizon)
    rows = [(p, (first - 1) // 7) for p, period in enumerate(periods)
            for first in range(period.first, period.last + 1) if first == period.first or (first - 1) % 7 == 0]
    pieces = [Span(f"{periods[p].label}/{weeks[w].label}", max(periods[p].first, weeks[w].first),
                   min(periods[p].last, weeks[w].last)) for p, w in rows]
    weight = np.array([piece.days / periods[p].days for piece, (p, _) in zip(pieces, rows)])
    return Calendar(horizon, periods, weeks, pieces, np.array([p for p, _ in rows], dtype=int),
                    np.array([w for _, w in rows], dtype=int), weight)


def custom_calendar(rows: list[dict], start: date, horizon: int) -> Calendar:
    """From planning_inputs.calendar rows ``{period, week, weight}``; weights are normalised per period.
    Rows whose period or week lies wholly outside the horizon are left out."""
    rows = [r for r in rows if inside(str(r["period"]), start, horizon) and inside(str(r["week"]), start, horizon)]
    if not rows:
        raise PipelineError("aggregate", "no calendar row lies inside the horizon")
    periods = sorted({r["period"]: span(str(r["period"]), start, horizon) for r in rows}.values(), key=lambda s: s.first)
    weeks = sorted({r["week"]: span(str(r["week"]), start, horizon) for r in rows}.values(), key=lambda s: s.first)
    _check_disjoint(periods, "periods")
    _check_disjoint(weeks, "weeks")
    p_index, w_index = {p.label: k for k, p in enumerate(periods)}, {w.label: k for k, w in enumerate(weeks)}
    cells = sorted(((p_index[str(r["period"])], w_index[str(r["week"])], float(r.get("weight", 0))) for r in rows),
                   key=lambda c: (weeks[c[1]].first, periods[c[0]].first))
    pieces = []
    for p, w, _ in cells:
        first, last = max(periods[p].first, weeks[w].first), min(periods[p].last, weeks[w].last)
        if first > last:
            raise PipelineError("aggregate", f"calendar week {weeks[w].label!r} lies outside period {periods[p].label!r}")
        pieces.append(Span(f"{periods[p].label}/{weeks[w].label}", first, last))
    piece_period = np.array([c[0] for c in cells], dtype=int)
    weight = np.array([c[2] for c in cells])
    totals = np.bincount(piece_period, weights=weight, minlength=len(periods))
    if np.any(totals <= 0):
        raise PipelineError("aggregate", "every calendar period needs a positive total week weight")
    return Calendar(horizon, periods, weeks, pieces, piece_period, np.array([c[1] for c in cells], dtype=int),
                    weight / totals[piece_period])
