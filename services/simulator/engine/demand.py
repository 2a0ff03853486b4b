"""Daily customer demand from the config's bucketed demand rows.

A row's quantity is drawn once per row: ``deterministic`` takes the mean exactly; ``normal``
draws N(mean, std) from one generator seeded with the run's seed (all normal rows with a
positive std, in row order), rounds it and clips it to [max(0, min_qty), max_qty]. The
quantity is spread evenly over all the bucket's days (a running sum of per-row day rates);
days past the horizon are dropped with their share.
"""

from functools import cache

import numpy as np

from contracts.buckets import BucketError, DayRange, day_range, start_date_of
from contracts.canonical import CanonicalConfig

from .errors import SimulationInputError


def quantities(rows, rng: np.random.Generator) -> np.ndarray:
    mean = np.array([r.mean for r in rows], dtype=float)
    std = np.array([r.std_dev if r.demand_model == "normal" else 0.0 for r in rows], dtype=float)
    normal = np.array([r.demand_model == "normal" for r in rows], dtype=bool)
    qty = mean.copy()
    drawn = normal & (std > 0)
    qty[drawn] = rng.normal(mean[drawn], std[drawn])
    qty[normal] = np.rint(qty[normal])
    low = np.array([r.min_qty or 0.0 for r in rows], dtype=float)
    high = np.array([np.inf if r.max_qty is None else r.max_qty for r in rows], dtype=float)
    return np.minimum(np.maximum(qty, np.maximum(low, 0.0)), high)


def _spans(rows, start, days: int):
    @cache
    def span(bucket: str) -> tuple[DayRange, DayRange]:
        try:
            whole = day_range(bucket, start)
        except BucketError as exc:
            raise SimulationInputError(str(exc)) from exc
        return whole, whole.clip(days)

    return [span(r.bucket) for r in rows]


def daily_demand(config: CanonicalConfig, columns: dict[tuple[str, str], int], days: int, seed: int):
    """(days, len(columns)) demand per day, plus per column the expected daily mean and the
    daily standard deviation (bucket variance spread over its days) used by the policies."""
    rows = config.demands
    demand, mean_sum, var_sum = np.zeros((days + 1, len(columns))), np.zeros(len(columns)), np.zeros(len(columns))
    if not rows:
        return demand[:days], mean_sum, var_sum
    qty = quantities(rows, np.random.default_rng(seed))
    spans = _spans(rows, start_date_of(config.meta.attributes), days)
    col = np.array([columns[r.node_code, r.item_code] for r in rows], dtype=np.int64)
    whole = np.array([w.days for w, _ in spans], dtype=float)
    inside = np.array([c.days for _, c in spans], dtype=float)
    keep = (whole > 0) & (inside > 0)
    first = np.array([c.first for _, c in spans], dtype=np.int64)[keep] - 1
    last = np.array([c.last for _, c in spans], dtype=np.int64)[keep]
    rate, col, share = qty[keep] / whole[keep], col[keep], inside[keep] / whole[keep]
    np.add.at(demand, (first, col), rate)
    np.add.at(demand, (last, col), -rate)
    np.add.at(mean_sum, col, np.array([r.mean for r in rows])[keep] * share)
    std = np.array([r.std_dev if r.demand_model == "normal" else 0.0 for r in rows])
    np.add.at(var_sum, col, std[keep] ** 2 * share)
    demand = np.cumsum(demand[:days], axis=0)
    demand[demand < 1e-9] = 0.0
    return demand, mean_sum / days, np.sqrt(var_sum / days)
