"""Daily customer demand from the config's bucketed demand rows.

A row's quantity is drawn once per row: ``deterministic`` takes the mean exactly; ``normal``
draws N(mean, std) from one seeded generator in row order, rounds it and clips it to
[max(0, min_qty), max_qty]. The quantity is spread evenly over all the bucket's days; days
past the horizon are dropped with their share.
"""

import numpy as np

from contracts.buckets import BucketError, day_range, start_date_of
from contracts.canonical import CanonicalConfig

from .errors import SimulationInputError


def row_quantity(row, rng: np.random.Generator) -> float:
    if row.demand_model == "deterministic":
        qty = row.mean
    else:
        qty = float(np.rint(rng.normal(row.mean, row.std_dev))) if row.std_dev > 0 else float(np.rint(row.mean))
    qty = max(qty, row.min_qty or 0.0, 0.0)
    return min(qty, row.max_qty) if row.max_qty is not None else qty


def daily_demand(config: CanonicalConfig, columns: dict[tuple[str, str], int], days: int, seed: int):
    """(days, len(columns)) demand per day, plus per column the expected daily mean and the
    daily standard deviation (bucket variance spread over its days) used by the policies."""
    start = start_date_of(config.meta.attributes)
    rng = np.random.default_rng(seed)
    demand = np.zeros((days, len(columns)))
    mean_sum = np.zeros(len(columns))
    var_sum = np.zeros(len(columns))
    for row in config.demands:
        try:
            span = day_range(row.bucket, start)
        except BucketError as exc:
            raise SimulationInputError(str(exc)) from exc
        qty = row_quantity(row, rng)
        clipped, col = span.clip(days), columns[row.node_code, row.item_code]
        if span.days == 0 or clipped.days == 0:
            continue
        demand[clipped.first - 1:clipped.last, col] += qty / span.days
        mean_sum[col] += row.mean * clipped.days / span.days
        var_sum[col] += row.std_dev ** 2 * clipped.days / span.days
    return demand, mean_sum / days, np.sqrt(var_sum / days)
