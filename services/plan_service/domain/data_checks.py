"""Cross-reference checks of the time-bucketed data: demands, capacities, hierarchies, planning inputs."""

from datetime import date
from functools import lru_cache

from contracts.buckets import DEFAULT_START, BucketError, day_range
from services.plan_service.domain.issues import Issue, codes, rows, text


def horizon_and_start(document: dict) -> tuple[int, date, list[Issue], list[Issue]]:
    """The horizon in days (0 when absent), day 1, errors (a bad start date) and warnings (no horizon)."""
    meta = document.get("meta")
    attributes = meta.get("attributes") if isinstance(meta, dict) else None
    attributes = attributes if isinstance(attributes, dict) else {}
    horizon = attributes.get("planning_horizon")
    warnings = []
    if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon <= 0:
        warnings.append(Issue("empty_horizon", "$.meta.attributes.planning_horizon",
                            "no positive planning_horizon (days): plans cannot be created from this version"))
        horizon = 0
    try:
        start = date.fromisoformat(attributes["start_date"]) if attributes.get("start_date") else DEFAULT_START
    except (TypeError, ValueError):
        error = Issue("bad_start_date", "$.meta.attributes.start_date",
                      f"start_date {attributes['start_date']!r} is not an ISO date")
        return horizon, DEFAULT_START, [error], warnings
    return horizon, start, [], warnings


@lru_cache(maxsize=4096)
def _bucket_problem(bucket: str, start: date, horizon: int) -> tuple[str | None, bool]:
    try:
        days = day_range(bucket, start)
    except BucketError as exc:
        return str(exc), False
    return None, bool(horizon) and days.clip(horizon).days == 0


def bucket_issue(bucket: str, path: str, code: str, start: date, horizon: int) -> tuple[Issue | None, Issue | None]:
    """(error, warning) for one bucket string: unreadable, or outside the horizon."""
    error, outside = _bucket_problem(bucket, start, horizon)
    if error:
        return Issue(code, path, error), None
    if outside:
        return None, Issue("bucket_outside_horizon", path, f"bucket {bucket!r} lies outside the {horizon}-day horizon")
    return None, None


def demand_issues(document: dict, start: date, horizon: int) -> tuple[list[Issue], list[Issue]]:
    items, nodes = codes(document, "items"), codes(document, "nodes")
    errors, warnings = [], []
    for index, demand in rows(document, "demands"):
        path = f"$.demands[{index}]"
        if (node := text(demand, "node_code")) is not None and node not in nodes:
            errors.append(Issue("demand_unknown_node", f"{path}.node_code", f"demand at unknown node {node!r}"))
        if (item := text(demand, "item_code")) is not None and item not in items:
            errors.append(Issue("demand_unknown_item", f"{path}.item_code", f"demand for unknown item {item!r}"))
        if (bucket := text(demand, "bucket")) is not None:
            _collect(bucket_issue(bucket, f"{path}.bucket", "demand_bad_bucket", start, horizon), errors, warnings)
    return errors, warnings


def known_resources(document: dict) -> set[str]:
    """Node codes, plus workcenters a node declares in ``attributes.workcenters``."""
    resources = codes(document, "nodes")
    for _, node in rows(document, "nodes"):
        attributes = node.get("attributes")
        declared = attributes.get("workcenters") if isinstance(attributes, dict) else None
        if isinstance(declared, list):
            resources.update(w for w in declared if isinstance(w, str))
    return resources


def capacity_issues(document: dict, start: date, horizon: int) -> tuple[list[Issue], list[Issue]]:
    resources = known_resources(document)
    errors, warnings = [], []
    for index, capacity in rows(document, "capacities"):
        path = f"$.capacities[{index}]"
        if (resource := text(capacity, "resource_code")) is not None and resource not in resources:
            errors.append(Issue("capacity_unknown_resource", f"{path}.resource_code",
                                f"capacity of unknown resource {resource!r} (not a node nor a declared workcenter)"))
        if bucket := text(capacity, "bucket"):
            _collect(bucket_issue(bucket, f"{path}.bucket", "capacity_bad_bucket", start, horizon), errors, warnings)
    return errors, warnings


def hierarchy_issues(document: dict) -> tuple[list[Issue], list[Issue]]:
    known = {"product": codes(document, "items"), "location": codes(document, "nodes")}
    entries = [(index, row, text(row, "hierarchy_type") or "product") for index, row in rows(document, "hierarchies")]
    for _, row, kind in entries:
        known.setdefault(kind, set()).update(v for k in ("parent", "family", "region") if (v := text(row, k)))
    errors, warnings, seen = [], [], {}
    for index, row, kind in entries:
        key = text(row, "key")
        if key is None:
            continue
        if key not in known.get(kind, ()):
            errors.append(Issue("hierarchy_unknown_key", f"$.hierarchies[{index}].key",
                                f"{kind} hierarchy key {key!r} is no {'item' if kind == 'product' else 'node'} "
                                "and no parent of another entry"))
        if (kind, key) in seen:
            warnings.append(Issue("duplicate_hierarchy_key", f"$.hierarchies[{index}].key",
                                  f"{kind} hierarchy key {key!r} repeats $.hierarchies[{seen[kind, key]}]"))
        else:
            seen[kind, key] = index
    return errors, warnings


def _collect(pair: tuple[Issue | None, Issue | None], errors: list[Issue], warnings: list[Issue]) -> None:
    if pair[0]:
        errors.append(pair[0])
    if pair[1]:
        warnings.append(pair[1])
