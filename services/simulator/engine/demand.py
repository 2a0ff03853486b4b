"""Daily customer demand from the config's bucketed demand rows.

A row's quantity is drawn once per row: ``deterministic`` takes the mean exactly; ``normal``
draws N(mean, std) from one generator seeded with the run's seed (all normal rows with a
positive std, in row order), rounds it and clips it to [max(0, min_qty), max_qty]. The
quantity is spread evenly over all the bucket's days; days past the horizon are dropped with
their share. Items with a discrete unit of measure (contracts.kpis.is_discrete) get whole
units: the row's quantity is rounded (within [min_qty, max_qty]) and day j of an n-day bucket
gets floor(q·j/n) − floor(q·(j−1)/n), so a bucket's days differ by at most one unit and add up
to q. Other items get q/n per day (a running sum of per-row day rates).
"""

from functools import cache

import numpy as np

from contracts.buckets import BucketError, DayRange, day_range, start_date_of
from contracts.canonical import CanonicalConfig
from contracts.kpis import is_discrete

from .errors import SimulationInputError


def quantities(rows, rng: np.random.Generator, whole: np.ndarray) -> np.ndarray:
    mean = np.array([r.mean for r in rows], dtype=float)
    std = np.array([r.std_dev if r.demand_model == "normal" else 0.0 for r in rows], dtype=float)
    normal = np.array([r.demand_model == "normal" for r in rows], dtype=bool)
    qty = mean.copy()
    drawn = normal & (std > 0)
    qty[drawn] = rng.normal(mean[drawn], std[drawn])
    qty[normal] = np.rint(qty[normal])
    low = np.maximum(np.array([r.min_qty or 0.0 for r in rows], dtype=float), 0.0)
    high = np.array([np.inf if r.max_qty is None else r.max_qty for r in rows], dtype=float)
    qty[whole] = np.floor(qty[whole] + 0.5)
    low[whole], high[whole] = np.ceil(low[whole] - 1e-9), np.floor(high[whole] + 1e-9)
    return np.minimum(np.maximum(qty, low), high)


def _whole_units(qty, col, offset, inside, whole, first, shape) -> np.ndarray:
    """Whole-unit spreading of the rows: (days, columns) quantities."""
    row = np.repeat(np.arange(len(qty)), inside)
    pos = np.arange(len(row)) - np.repeat(np.cumsum(inside) - inside, inside)
    j = (offset[row] + pos + 1).astype(float)
    q, n = qty[row], whole[row]
    amount = np.floor(q * j / n + 1e-9) - np.floor(q * (j - 1) / n + 1e-9)
    flat = (first[row] + pos) * shape[1] + col[row]
    return np.bincount(flat, amount, shape[0] * shape[1]).reshape(shape)


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
    discrete = {i.code: is_discrete(i.uom) for i in config.items}
    whole_row = np.array([discrete.get(r.item_code, True) for r in rows], dtype=bool)
    qty = quantities(rows, np.random.default_rng(seed), whole_row)
    spans = _spans(rows, start_date_of(config.meta.attributes), days)
    col = np.array([columns[r.node_code, r.item_code] for r in rows], dtype=np.int64)
    whole = np.array([w.days for w, _ in spans], dtype=float)
    inside = np.array([c.days for _, c in spans], dtype=float)
    keep = (whole > 0) & (inside > 0)
    first = np.array([c.first for _, c in spans], dtype=np.int64) - 1
    last = np.array([c.last for _, c in spans], dtype=np.int64)
    even = keep & ~whole_row
    rate = qty[even] / whole[even]
    np.add.at(demand, (first[even], col[even]), rate)
    np.add.at(demand, (last[even], col[even]), -rate)
    share = inside[keep] / whole[keep]
    np.add.at(mean_sum, col[keep], np.array([r.mean for r in rows])[keep] * share)
    std = np.array([r.std_dev if r.demand_model == "normal" else 0.0 for r in rows])
    np.add.at(var_sum, col[keep], std[keep] ** 2 * share)
    demand = np.cumsum(demand[:days], axis=0)
    demand[demand < 1e-9] = 0.0
    units = keep & whole_row
    if units.any():
        offset = np.array([c.first - w.first for w, c in spans], dtype=np.int64)
        demand += _whole_units(qty[units], col[units], offset[units], inside[units].astype(np.int64),
                               whole[units], first[units], demand.shape)
    return demand, mean_sum / days, np.sqrt(var_sum / days)
