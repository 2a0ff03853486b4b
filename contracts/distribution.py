"""How a plan's runs spread: each KPI's distribution over the runs, and a fan of daily series.

Percentiles are computed by **linear interpolation between the closest ranks** (Hyndman & Fan
type 7, NumPy's and Excel's PERCENTILE.INC default): of n values sorted ascending
``x[0] ≤ … ≤ x[n-1]``, the p-th percentile (0 ≤ p ≤ 1) is ``x[k] + (h - k) · (x[k+1] - x[k])``
with ``h = (n - 1) · p`` and ``k = ⌊h⌋`` (``x[n-1]`` when k = n - 1). So P50 is the median (the
middle value, or the mean of the two middle values), P0 the minimum and P100 the maximum, and
one value is every percentile of itself.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import Field

from contracts.envelope import Contract

PERCENTILES = (0.1, 0.5, 0.9)


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..1) of ``values`` (any order, at least one) by linear
    interpolation between the closest ranks (see the module's docstring)."""
    if not values:
        raise ValueError("the percentile of no values is undefined")
    if not 0 <= p <= 1:
        raise ValueError(f"a percentile is between 0 and 1, not {p}")
    return _at(sorted(values), p)


def _at(ordered: Sequence[float], p: float) -> float:
    h = (len(ordered) - 1) * p
    k = math.floor(h)
    if k + 1 >= len(ordered):
        return float(ordered[-1])
    return float(ordered[k] + (h - k) * (ordered[k + 1] - ordered[k]))


class KpiDistribution(Contract):
    """One KPI over a plan's succeeded runs that report it (contracts/kpis.py defines the KPI)."""

    key: str = Field(description="The KPI's key in the run summary, e.g. fill_rate.")
    count: int = Field(ge=1, description="Runs that give a value.")
    mean: float = Field(description="Arithmetic mean.")
    p10: float = Field(description="10th percentile (linear interpolation between closest ranks).")
    p50: float = Field(description="50th percentile: the median of the runs.")
    p90: float = Field(description="90th percentile.")
    min: float = Field(description="Smallest value.")
    max: float = Field(description="Largest value.")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def kpi_distributions(summaries: Iterable[Mapping[str, Any]], keys: Sequence[str] | None = None) -> list[KpiDistribution]:
    """The distribution of every numeric KPI the summaries hold (or of ``keys``, in that order),
    in the order keys first appear. A run whose value is missing or not a number (e.g. None in
    a schema-1 run) is left out of that KPI's count."""
    values: dict[str, list[float]] = {}
    for summary in summaries:
        for key, value in summary.items():
            if _number(value) and (keys is None or key in keys):
                values.setdefault(key, []).append(float(value))
    order = [k for k in keys if k in values] if keys is not None else list(values)
    return [distribution(key, values[key]) for key in order]


def distribution(key: str, values: Sequence[float]) -> KpiDistribution:
    ordered = sorted(values)
    p10, p50, p90 = (_at(ordered, p) for p in PERCENTILES)
    return KpiDistribution(key=key, count=len(values), mean=math.fsum(values) / len(values), p10=p10, p50=p50,
                           p90=p90, min=float(ordered[0]), max=float(ordered[-1]))


def fan(series: Sequence[Sequence[float]]) -> dict[str, list[float | None]]:
    """Per day, P10, P50 and P90 across runs of a daily series (one list per run; runs of other
    lengths are read as far as they go: a day no run reaches is None)."""
    days = max((len(s) for s in series), default=0)
    out: dict[str, list[float | None]] = {"p10": [], "p50": [], "p90": []}
    for day in range(days):
        found = sorted(s[day] for s in series if day < len(s) and _number(s[day]))
        for name, p in zip(("p10", "p50", "p90"), PERCENTILES):
            out[name].append(round(_at(found, p), 6) if found else None)
    return out
