"""How an effective config differs from its config version, figure by figure (the plan page's table).

Demand: expected demand per family over the horizon and per family and month (a bucket's mean spread
evenly over its days, as the pipeline reads it). Capacity: per resource, its capacity over the horizon
(rows and the whole-node policy, read as the pipeline reads them), and per item policy its capacity
per day. Then lead times, prices, costs and opening stock, each where it is stated.
"""

from collections.abc import Iterator
from datetime import date

import numpy as np

from contracts.buckets import BucketError, date_of_day, day_range, start_date_of
from contracts.canonical import CanonicalConfig, Node
from contracts.overrides import ChangeKind, ConfigChange
from services.plan_service.domain.grouping import family_of
from services.plan_service.domain.pipeline.capacity import shared_limit_per_day

Figures = dict[tuple[ChangeKind, str, str], float]
KINDS: tuple[ChangeKind, ...] = ("demand", "capacity", "lead_time", "price", "cost", "opening_inventory")


def config_changes(base: CanonicalConfig, effective: CanonicalConfig, *, limit: int = 200) -> list[ConfigChange]:
    """The figures that differ (at most ``limit``), in the order: demand, capacity, lead times, prices,
    costs, opening stock."""
    before, after = figures(base), figures(effective)
    changes = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key, 0.0), after.get(key, 0.0)
        if abs(old - new) > 1e-9 * max(1.0, abs(old)):
            changes.append(ConfigChange(what=key[0], where=key[1], measure=key[2], before=round(old, 6),
                                        after=round(new, 6)))
    changes.sort(key=lambda change: KINDS.index(change.what))
    return changes[:limit]


def figures(config: CanonicalConfig) -> Figures:
    out: Figures = {}
    for key, value in [*_demand(config), *_capacity(config), *_stated(config)]:
        out[key] = out.get(key, 0.0) + value
    return out


def _demand(config: CanonicalConfig) -> Iterator[tuple[tuple[ChangeKind, str, str], float]]:
    start, days = start_date_of(config.meta.attributes), config.planning_days
    families = family_of(config)
    for row in config.demands:
        try:
            span = day_range(row.bucket, start)
        except BucketError:
            continue
        first, last = max(span.first, 1), min(span.last, days)
        if last < first or span.days <= 0:
            continue
        family, per_day = families.get(row.item_code, row.item_code), row.mean / span.days
        yield ("demand", f"family {family}", "demand over the horizon"), per_day * (last - first + 1)
        for month, count in _months(first, last, start):
            yield ("demand", f"family {family}, {month}", "demand in the month"), per_day * count


def _months(first: int, last: int, start: date) -> Iterator[tuple[str, int]]:
    day = first
    while day <= last:
        moment = date_of_day(day, start)
        label = f"{moment.year:04d}-{moment.month:02d}"
        end = day
        while end + 1 <= last and date_of_day(end + 1, start).month == moment.month:
            end += 1
        yield label, end - day + 1
        day = end + 1


def _capacity(config: CanonicalConfig) -> Iterator[tuple[tuple[ChangeKind, str, str], float]]:
    start, days = start_date_of(config.meta.attributes), config.planning_days
    rows: dict[str, list[tuple[str, float]]] = {}
    for row in config.capacities:
        rows.setdefault(row.resource_code, []).append((row.bucket, row.capacity))
    nodes = {n.code: n for n in config.nodes}
    for code in dict.fromkeys([*nodes, *rows]):
        node = nodes.get(code) or Node(code=code, node_type="factory")
        try:
            per_day = shared_limit_per_day(node, rows.get(code, []), start, days) if days > 0 else np.zeros(0)
        except BucketError:
            continue
        if per_day.size and np.isfinite(per_day).all():
            where = f"node {code}" if code in nodes else f"resource {code}"
            yield ("capacity", where, "capacity over the horizon"), float(per_day.sum())
    for node in config.nodes:
        for policy in node.production_policies:
            if policy.item_code and policy.production_capacity is not None:
                yield ("capacity", f"node {node.code}, item {policy.item_code}", "capacity per day"), \
                    policy.production_capacity


def _stated(config: CanonicalConfig) -> Iterator[tuple[tuple[ChangeKind, str, str], float]]:
    for arc in config.arcs:
        yield ("lead_time", f"arc {arc.from_node} → {arc.to_node}", "lead time (days)"), arc.lead_time_days
        yield ("cost", f"arc {arc.from_node} → {arc.to_node}", "transport cost per unit"), arc.transport_cost_variable
    for item in config.items:
        yield ("lead_time", f"item {item.code}", "lead time (days)"), item.lead_time_days
        yield ("price", f"item {item.code}", "sales price"), float(item.attributes.get("sales_price") or 0)
        yield ("cost", f"item {item.code}", "unit cost"), item.unit_cost
        yield ("cost", f"item {item.code}", "SG&A per unit"), float(item.attributes.get("sgna_cost_per_unit") or 0)
    for node in config.nodes:
        yield ("cost", f"node {node.code}", "storage cost per unit and day"), node.storage_cost_variable
        for production in node.production_policies:
            where = f"node {node.code}" + (f", item {production.item_code}" if production.item_code else "")
            yield ("cost", where, "production cost per unit"), production.variable_cost
        for policy in node.inventory_policies:
            where = f"node {node.code}, item {policy.item_code}"
            if policy.lead_time_days is not None:
                yield ("lead_time", where, "replenishment lead time (days)"), policy.lead_time_days
            yield ("cost", where, "storage cost per unit and day"), policy.storage_cost
            yield ("opening_inventory", where, "opening stock"), policy.initial_inventory
