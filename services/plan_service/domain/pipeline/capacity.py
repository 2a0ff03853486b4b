"""Capacity per product family and day, derived from the factories' production policies and capacity rows.

A factory limits each item it makes (item policies, units per day) and all of them together (a whole-node
policy or ``capacities`` rows; an empty bucket means per day, a bucket spreads its total over its days).
A family's share of a shared limit is its share of the factory's demand over the horizon. Items no
factory makes leave their family unlimited (``inf``).
"""

from datetime import date

import numpy as np

from contracts.buckets import day_range
from contracts.canonical import CanonicalConfig, Node
from services.plan_service.domain.pipeline.calendar import Calendar


def _limit(values: list[float | None]) -> float:
    return np.inf if any(v is None for v in values) else float(sum(values))


def shared_limit_per_day(node: Node, rows: list[tuple[str, float]], start: date, horizon: int) -> np.ndarray:
    whole_node = [p.production_capacity for p in node.production_policies if p.item_code is None]
    per_day = np.full(horizon, _limit(whole_node) if whole_node else np.inf)
    for bucket, capacity in rows:
        if not bucket:
            per_day[:] = capacity
            continue
        days = day_range(bucket, start)
        clipped = days.clip(horizon)
        if clipped.days:
            per_day[clipped.first - 1:clipped.last] = capacity / days.days
    return per_day


def item_limits(node: Node, index: dict[str, int], makeable: set[str]) -> dict[int, float]:
    """Per-day limit of each planned item the node makes: those its policies name, and with a whole-node
    policy every product or BOM parent it stocks (limited by the node only), as the simulator reads it."""
    named: dict[str, list[float | None]] = {}
    for policy in node.production_policies:
        if policy.item_code in index:
            named.setdefault(policy.item_code, []).append(policy.production_capacity)
    if any(p.item_code is None for p in node.production_policies):
        for policy in node.inventory_policies:
            if policy.item_code in index and policy.item_code in makeable:
                named.setdefault(policy.item_code, [None])
    return {index[item]: _limit(limits) for item, limits in named.items()}


def resource_rows(config: CanonicalConfig, calendar: Calendar) -> dict[str, list[tuple[str, float]]]:
    rows: dict[str, list[tuple[str, float]]] = {}
    for row in config.capacities:
        rows.setdefault(row.resource_code, []).append((row.bucket, row.capacity))
    labels = {p.label for p in calendar.periods}
    for row in config.planning_inputs.capacity_buckets:
        if "resource" in row and str(row.get("period")) in labels:
            rows.setdefault(row["resource"], []).append((str(row["period"]), float(row["capacity"])))
    return rows


def family_capacity_per_day(config: CanonicalConfig, items: list[str], item_family: np.ndarray, families: list[str],
                            daily_demand: np.ndarray, calendar: Calendar, start: date) -> np.ndarray:
    horizon, index = calendar.horizon, {item: k for k, item in enumerate(items)}
    capacity = np.zeros((len(families), horizon))
    made = np.zeros(len(items), dtype=bool)
    rows, demand = resource_rows(config, calendar), daily_demand.sum(axis=1)
    makeable = {line.parent_item for line in config.bom} | {i.code for i in config.items if i.item_type == "product"}
    for node in config.nodes:
        limits = item_limits(node, index, makeable)
        if not limits:
            continue
        shared = shared_limit_per_day(node, rows.get(node.code, []), start, horizon)
        members = np.array(sorted(limits), dtype=int)
        made[members] = True
        node_demand = demand[members].sum()
        for f in np.unique(item_family[members]):
            mine = members[item_family[members] == f]
            share = demand[mine].sum() / node_demand if node_demand > 0 else len(mine) / len(members)
            capacity[f] += np.minimum(_limit([limits[i] for i in mine]), shared * share)
    capacity[np.unique(item_family[~made])] = np.inf
    return given_family_capacity(config, families, calendar, capacity)


def given_family_capacity(config: CanonicalConfig, families: list[str], calendar: Calendar,
                          capacity: np.ndarray) -> np.ndarray:
    """``planning_inputs.capacity_buckets`` rows ``{family, period, capacity}`` replace the derived figures."""
    periods = {p.label: p for p in calendar.periods}
    for row in config.planning_inputs.capacity_buckets:
        period = periods.get(str(row.get("period")))
        if "family" in row and row["family"] in families and period:
            capacity[families.index(row["family"]), period.first - 1:period.last] = float(row["capacity"]) / period.days
    return capacity
