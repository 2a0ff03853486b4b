"""Per-day resource limits, hard storage limits and production lead times, as arrays.

Capacity rows (``capacities[]``) are read as the planning pipeline reads them
(services/plan_service/domain/pipeline/capacity.py): an empty bucket means the capacity per day,
a bucket spreads its total evenly over its days (in whole units, floor of the running total,
when every item the resource limits is discrete); the rows of one resource apply in order, a
later row replacing an earlier one on the days it covers. What a row limits:

- ``node`` rows of a node that makes something, and ``workcenter`` rows (the node of that code,
  or the node declaring it in ``attributes.workcenters``): the node's total production per day.
  A whole-node production policy (item_code null) is the same limit on the days no row covers
  (binding unless it allows over-capacity; several such policies add up);
- ``supplier`` rows, and ``node`` rows of a node that makes nothing: the node's total shipments
  per day.

Limits of one node combine by the smallest per day. Rows are hard limits (they carry no
over-capacity flag). Hard storage: a node with ``storage_capacity`` and
``allow_storage_over_capacity: false`` (and not an infinite source) accepts receipts and
production only while its stock on hand, in transit to it and in production there stays within
the capacity (see steps.py). Production lead time of a made pair: the item's
``lead_time_days`` when the item states it, else the node's.
"""

import numpy as np

from contracts.buckets import BucketError, day_range, start_date_of
from contracts.canonical import CanonicalConfig

from .errors import SimulationInputError
from .pairs import PairGraph


def _spread(capacity: float, bucket: str, start, days: int, whole: bool) -> tuple[slice, np.ndarray]:
    if not bucket:
        return slice(0, days), np.full(days, capacity)
    try:
        span = day_range(bucket, start)
    except BucketError as exc:
        raise SimulationInputError(f"capacity row: {exc}") from exc
    clipped = span.clip(days)
    if not clipped.days or not span.days:
        return slice(0, 0), np.zeros(0)
    j = np.arange(clipped.first - span.first, clipped.last - span.first + 2, dtype=float)
    running = capacity * j / span.days
    if whole:
        running = np.floor(running + 1e-9)
    return slice(clipped.first - 1, clipped.last), np.diff(running)


def _owner(config: CanonicalConfig, row, makers: set[str]) -> tuple[str, str]:
    """(node code, 'production' or 'supply') a capacity row limits."""
    nodes = {n.code for n in config.nodes}
    node = row.resource_code if row.resource_code in nodes else next(
        (n.code for n in config.nodes if row.resource_code in (n.attributes.get("workcenters") or [])), None)
    if node is None:
        raise SimulationInputError(f"capacity of unknown resource {row.resource_code}")
    if row.resource_type == "supplier" or (row.resource_type == "node" and node not in makers):
        return node, "supply"
    return node, "production"


def _policy_limit(node) -> float | None:
    whole = [p for p in node.production_policies if p.item_code is None]
    if not whole:
        return None
    if any(p.production_capacity is None or p.allow_over_capacity for p in whole):
        return np.inf
    return float(sum(p.production_capacity for p in whole))


def resource_limits(config: CanonicalConfig, graph: PairGraph, discrete: np.ndarray) -> dict:
    """``limit_cap`` (days, L) per-day limits; ``prod_limit`` / ``supply_limit`` per pair: the
    limit its production / its shipments count against, or -1 (a node's supply limit covers
    every item it ships, made there or not)."""
    days, start = config.planning_days, start_date_of(config.meta.attributes)
    makers = {graph.pairs[k][0] for k in graph.produced}
    members: dict[tuple[str, str], list[int]] = {}
    for k, (node, _) in enumerate(graph.pairs):
        members.setdefault((node, "supply"), []).append(k)
        if k in graph.produced:
            members.setdefault((node, "production"), []).append(k)
    rows: dict[tuple[str, str], list] = {}
    for row in config.capacities:
        rows.setdefault(_owner(config, row, makers), []).append(row)
    series: dict[tuple[str, str], np.ndarray] = {}
    for node in config.nodes:
        base = _policy_limit(node)
        if base is not None and np.isfinite(base) and (node.code, "production") in members:
            series[node.code, "production"] = np.full(days, base)
    for key, own in rows.items():
        if key not in members:
            continue
        whole = bool(discrete[members[key]].all())
        resources = {key[0]: series[key]} if key in series else {}
        for row in own:
            values = resources.setdefault(row.resource_code, np.full(days, np.inf))
            where, amounts = _spread(row.capacity, row.bucket, start, days, whole)
            values[where] = amounts
        series[key] = np.minimum.reduce(list(resources.values()))
    keys = [k for k in series if np.isfinite(series[k]).any()]
    prod, supply = np.full(len(graph.pairs), -1, dtype=np.int64), np.full(len(graph.pairs), -1, dtype=np.int64)
    for j, key in enumerate(keys):
        (prod if key[1] == "production" else supply)[members[key]] = j
    cap = np.column_stack([series[k] for k in keys]) if keys else np.zeros((days, 0))
    return {"limit_cap": cap, "prod_limit": prod, "supply_limit": supply}


def storage_rooms(config: CanonicalConfig, graph: PairGraph) -> dict:
    """``room_cap`` per hard-limited node and ``room_of`` per pair (-1: no hard limit)."""
    hard = [n for n in config.nodes
            if n.storage_capacity is not None and not n.allow_storage_over_capacity and not n.infinite_source]
    position = {n.code: j for j, n in enumerate(hard)}
    room_of = np.array([position.get(node, -1) if k not in graph.infinite else -1
                        for k, (node, _) in enumerate(graph.pairs)], dtype=np.int64)
    return {"room_cap": np.array([n.storage_capacity for n in hard], dtype=float), "room_of": room_of}


def production_leads(config: CanonicalConfig, graph: PairGraph) -> np.ndarray:
    nodes, items = {n.code: n for n in config.nodes}, {i.code: i for i in config.items}
    lead = np.zeros(len(graph.pairs), dtype=np.int64)
    for k in graph.produced:
        node, item = graph.pairs[k]
        stated = "lead_time_days" in items[item].model_fields_set
        lead[k] = items[item].lead_time_days if stated else nodes[node].lead_time_days
    return lead
