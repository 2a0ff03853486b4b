"""capacity_scale: production policies, capacity rows (``capacities``) and planning_inputs.capacity_buckets.

Without dates every selected capacity is multiplied. With from..to, rows are added for those days:
one per selected row (its capacity over the days inside, scaled), and for the days no row of a node
covers, one carrying the node's whole-node production policy scaled. A later row of a resource
replaces an earlier one on the days it covers (as the pipeline and the simulator read rows), so the
added rows, in the order of the rows they come from, rule those days and nothing else changes.
"""

from contracts.buckets import BucketError, DayRange, day_range, range_bucket
from contracts.canonical import CanonicalConfig, Node
from contracts.overrides import CapacityScale
from services.plan_service.domain.overrides.scope import Outcome, Scope, number, overlap


def owner_of(config: CanonicalConfig, resource_code: str) -> str | None:
    """The node a capacity row limits: the node of that code, or the node declaring it a workcenter."""
    if any(n.code == resource_code for n in config.nodes):
        return resource_code
    return next((n.code for n in config.nodes if resource_code in (n.attributes.get("workcenters") or [])), None)


def capacity_scale(doc: dict, o: CapacityScale, scope: Scope) -> Outcome:
    if scope.dated(o):
        return _on_days(doc, o, scope)
    config, changed = scope.config, 0
    for n, node in enumerate(config.nodes):
        if not scope.node(o, node.code):
            continue
        for j, policy in enumerate(node.production_policies):
            if policy.production_capacity is not None and o.item in (None, policy.item_code):
                doc["nodes"][n]["production_policies"][j]["production_capacity"] = number(
                    policy.production_capacity * o.factor)
                changed += 1
    if o.item is not None:
        return Outcome(changed)
    for k, row in enumerate(config.capacities):
        if (owner := owner_of(config, row.resource_code)) is not None and scope.node(o, owner):
            doc["capacities"][k]["capacity"] = number(row.capacity * o.factor)
            changed += 1
    return Outcome(changed + _buckets(doc, o, scope))


def _on_days(doc: dict, o: CapacityScale, scope: Scope) -> Outcome:
    config, horizon = scope.config, DayRange(1, max(scope.horizon, 1))
    window = overlap(scope.days(o), horizon)
    if window.days <= 0:
        return Outcome(0, "its days lie outside the config's horizon")
    added, covered = [], {}
    for row in config.capacities:
        if (owner := owner_of(config, row.resource_code)) is None or not scope.node(o, owner):
            continue
        span = day_range(row.bucket, scope.start) if row.bucket else horizon
        covered.setdefault(row.resource_code, []).append(span)
        part = overlap(span, window)
        if part.days > 0:
            total = row.capacity * part.days / (span.days if row.bucket else 1)
            added.append(_row(row.resource_code, row.resource_type, part, total * o.factor, scope))
    for node in config.nodes:
        if scope.node(o, node.code) and (limit := _whole_node_limit(node, config)) is not None:
            added += [_row(node.code, "node", gap, limit * gap.days * o.factor, scope)
                      for gap in _uncovered(window, covered.get(node.code, []))]
    doc.setdefault("capacities", []).extend(added)
    return Outcome(len(added) + _buckets(doc, o, scope))


def _row(resource: str, kind: str, days: DayRange, capacity: float, scope: Scope) -> dict:
    return {"resource_code": resource, "resource_type": kind, "bucket": range_bucket(days.first, days.last, scope.start),
            "capacity": number(capacity)}


def _whole_node_limit(node: Node, config: CanonicalConfig) -> float | None:
    """Units per day a whole-node production policy allows a node that makes something; None: no such limit."""
    whole = [p for p in node.production_policies if p.item_code is None]
    if not whole or any(p.production_capacity is None or p.allow_over_capacity for p in whole):
        return None
    makeable = {b.parent_item for b in config.bom} | {i.code for i in config.items if i.item_type == "product"}
    if not any(p.item_code in makeable for p in node.inventory_policies) and not any(
            p.item_code for p in node.production_policies):
        return None
    return float(sum(p.production_capacity for p in whole))  # type: ignore[misc]


def _uncovered(window: DayRange, spans: list[DayRange]) -> list[DayRange]:
    gaps, day = [], window.first
    for span in sorted(spans):
        if span.first > day:
            gaps.append(DayRange(day, min(span.first - 1, window.last)))
        day = max(day, span.last + 1)
        if day > window.last:
            break
    if day <= window.last:
        gaps.append(DayRange(day, window.last))
    return [g for g in gaps if g.days > 0]


def _buckets(doc: dict, o: CapacityScale, scope: Scope) -> int:
    """planning_inputs.capacity_buckets: rows of the selected nodes' resources (and of families when no
    node is named), scaled by the share of their period inside from..to."""
    window, changed = scope.days(o), 0
    for k, row in enumerate(scope.config.planning_inputs.capacity_buckets):
        owner = owner_of(scope.config, str(row["resource"])) if "resource" in row else None
        if not ((owner is not None and scope.node(o, owner)) or ("family" in row and o.node is None)):
            continue
        try:
            span = day_range(str(row["period"]), scope.start)
        except (BucketError, KeyError):
            continue
        if inside := overlap(span, window).days:
            raw = doc["planning_inputs"]["capacity_buckets"][k]
            raw["capacity"] = number(float(raw["capacity"]) * (1 + (o.factor - 1) * inside / span.days))
            changed += 1
    return changed
