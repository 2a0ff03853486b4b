"""demand_scale and demand_shift: the config's demand rows (and its family demand, where it can)."""

from contracts.buckets import BucketError, day_range, range_bucket, shift_bucket
from contracts.overrides import DemandScale, DemandShift
from services.plan_service.domain.overrides.scope import Outcome, Scope, number, overlap

FAMILY_DEMAND_KEPT = ("the config gives family demand (planning_inputs.family_demand), which the plan follows; "
                      "it is per family and period, so this override leaves it as it is")


def _selects_rows_only(o: DemandScale | DemandShift) -> bool:
    return o.item is not None or o.node is not None or o.region is not None


def demand_scale(doc: dict, o: DemandScale, scope: Scope) -> Outcome:
    window, changed = scope.days(o), 0
    for k, row in enumerate(scope.config.demands):
        if not (scope.item(o, row.item_code) and scope.node(o, row.node_code)):
            continue
        span = day_range(row.bucket, scope.start)
        inside = overlap(span, window).days
        if not inside:
            continue
        factor = 1 + (o.factor - 1) * inside / span.days
        raw = doc["demands"][k]
        for key in ("mean", "std_dev", "min_qty", "max_qty"):
            if raw.get(key) is not None:
                raw[key] = number(float(raw[key]) * factor)
        changed += 1
    family_rows = scope.config.planning_inputs.family_demand
    if family_rows and _selects_rows_only(o):
        return Outcome(changed, FAMILY_DEMAND_KEPT)
    for k, row in enumerate(family_rows):
        if o.family not in (None, row.get("family")):
            continue
        try:
            span = day_range(str(row["period"]), scope.start)
        except BucketError:
            continue
        if inside := overlap(span, window).days:
            raw = doc["planning_inputs"]["family_demand"][k]
            raw["demand"] = number(float(raw["demand"]) * (1 + (o.factor - 1) * inside / span.days))
            changed += 1
    return Outcome(changed)


def demand_shift(doc: dict, o: DemandShift, scope: Scope) -> Outcome:
    window, changed = scope.days(o), 0
    for k, row in enumerate(scope.config.demands):
        if not (scope.item(o, row.item_code) and scope.node(o, row.node_code)):
            continue
        span = day_range(row.bucket, scope.start)
        if not window.first <= span.first <= window.last:
            continue
        doc["demands"][k]["bucket"] = (shift_bucket(row.bucket, o.periods, scope.start) if o.periods
                                       else range_bucket(span.first + o.days, span.last + o.days, scope.start))  # type: ignore[operator]
        changed += 1
    return Outcome(changed, FAMILY_DEMAND_KEPT if scope.config.planning_inputs.family_demand else "")
