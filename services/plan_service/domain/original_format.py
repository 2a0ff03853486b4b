"""The original scpln's canonical JSON, read as a canonical-1.0 document at import.

The original's models (hierarchy rows with ``node_key``/``parent_key``/``level``/``sort_order``,
``calendars``, ``production_cost_*``, ``transportation_cost_*``, split fixed/variable
over-capacity costs, ``meta.version_id``, ``meta.attributes.initial_inventory_scale``…) are
renamed into this system's fields, their defaults where they differ from ours made explicit
(arcs and production may exceed capacity, demand is normal), the initial-inventory scale applied
where the original applies it (the stock planning starts from), and the rest kept in the
document, listed as unused. ``to_canonical``
returns the document to validate and the notes that say what was done: one per rule, not per row.
"""

import copy
from datetime import date
from typing import Any

from contracts.buckets import BucketError, day_range

Note = dict[str, str]

MAPPED, UNUSED = "original_mapped", "original_unused"

RENAMES = {
    "production_policies": {"production_cost_fixed": "fixed_cost", "production_cost_variable": "variable_cost",
                            "over_capacity_variable_cost": "over_capacity_cost"},
    "arcs": {"transportation_cost_fixed": "transport_cost_fixed", "transportation_cost_variable": "transport_cost_variable",
             "over_capacity_variable_cost": "over_capacity_cost"},
    "nodes": {"storage_over_capacity_variable_cost": "storage_over_capacity_cost"},
    "hierarchies": {"node_key": "key", "parent_key": "parent"},
}
UNUSED_FIELDS = {
    "production_policies": ("over_capacity_fixed_cost",),
    "arcs": ("over_capacity_fixed_cost",),
    "nodes": ("timezone", "storage_over_capacity_fixed_cost"),
    "hierarchies": ("level", "sort_order"),
    "capacities": ("calendar_code",),
}
META_KEPT = ("version_id", "source_config_id", "is_deleted", "created_at", "updated_at")


def is_original(document: dict[str, Any]) -> bool:
    """True when the document uses a field only the original's models have."""
    if "calendars" in document or any(k in (document.get("meta") or {}) for k in META_KEPT):
        return True
    rows = [*_rows(document, "hierarchies"), *_rows(document, "arcs"), *_production(document)]
    return any(old in row for row in rows for table in RENAMES.values() for old in table)


def to_canonical(document: dict[str, Any]) -> tuple[dict[str, Any], list[Note]]:
    """The canonical-1.0 reading of an original document, and the notes; others come back as they are."""
    if not isinstance(document, dict) or not is_original(document):
        return document, []
    doc = _without_nulls(copy.deepcopy(document))
    notes: list[Note] = []
    _meta(doc, notes)
    for row in _rows(doc, "arcs"):
        row.setdefault("allow_over_capacity", True)
    for row in _production(doc):
        row.setdefault("allow_over_capacity", True)
    for row in _rows(doc, "demands"):
        row.setdefault("demand_model", "normal")
    for node in _rows(doc, "nodes"):
        if node.get("review_period_days") == 0:
            node.pop("review_period_days")
    notes.append(_note(MAPPED, "$.arcs[*].allow_over_capacity, $.nodes[*].production_policies[*].allow_over_capacity",
                       "absent means true, as in the original (ours defaults to false)"))
    notes.append(_note(MAPPED, "$.demands[*].demand_model", "absent means normal, as in the original"))
    _rename_all(doc, notes)
    _node_attributes(doc, notes)
    _hierarchy_groups(doc)
    _planning_calendar(doc, notes)
    if doc.get("calendars"):
        notes.append(_note(UNUSED, "$.calendars", f"{len(doc['calendars'])} calendar(s) kept in the document; their "
                           "workdays and exceptions are not used (nor by the original's simulation)"))
    return doc, notes


def _planning_calendar(doc: dict[str, Any], notes: list[Note]) -> None:
    """A calendar whose definition has ``periods`` (weeks with weights; the original plans by the
    first such one) becomes ``planning_inputs.calendar``; its first day the config's start date when
    the document names none."""
    found = next(((k, c["definition"]) for k, c in enumerate(_rows(doc, "calendars"))
                  if isinstance(c.get("definition"), dict) and isinstance(c["definition"].get("periods"), list)), None)
    inputs = doc.get("planning_inputs") if isinstance(doc.get("planning_inputs"), dict) else {}
    if found is None or inputs.get("calendar"):
        return
    k, definition = found
    path = f"$.calendars[{k}].definition.periods"
    periods = [p for p in definition["periods"] if isinstance(p, dict)]
    attributes = doc["meta"].setdefault("attributes", {})
    start = attributes.get("start_date") or next((p.get("start_date") for p in periods if p.get("start_date")), None)
    try:
        rows = [{"period": _label(p, "period", start), "week": _label(w, "week_code", start),
                 "weight": float(w.get("weight", 1))}
                for p in periods for w in p.get("weeks") or [] if isinstance(w, dict) and float(w.get("weight", 1)) > 0]
    except (BucketError, TypeError, ValueError) as exc:
        notes.append(_note(UNUSED, path, f"kept, not used: a period or week this system cannot place ({exc})"))
        return
    if not rows:
        return
    if start and "start_date" not in attributes:
        attributes["start_date"] = str(start)
    doc["planning_inputs"] = {**inputs, "calendar": rows}
    notes.append(_note(MAPPED, path, f"→ planning_inputs.calendar ({len(rows)} period/week rows with their weights)"
                       + (f"; start_date {start}" if start else "")))


def _label(entry: dict[str, Any], code: str, start: Any) -> str:
    """A period's or week's code when this system reads it as days, else its first..last dates."""
    origin = date.fromisoformat(str(start)) if start else None
    label = entry.get(code)
    if isinstance(label, str):
        try:
            day_range(label, origin) if origin else day_range(label)
            return label
        except BucketError:
            pass
    first, last = entry.get("start_date"), entry.get("end_date")
    if not first or not last:
        raise BucketError(f"{label!r} has no start_date and end_date")
    text = f"{first}..{last}"
    day_range(text, origin) if origin else day_range(text)
    return text


def _meta(doc: dict[str, Any], notes: list[Note]) -> None:
    meta = doc.setdefault("meta", {})
    if meta.get("parent_version_id") is not None:
        meta["parent_version_id"] = str(meta["parent_version_id"])
    attributes = meta.setdefault("attributes", {})
    original = {k: meta.pop(k) for k in META_KEPT if k in meta}
    if original:
        attributes["original_meta"] = original
        notes.append(_note(UNUSED, "$.meta.attributes.original_meta", f"kept: {', '.join(original)}"))
    scale = attributes.pop("initial_inventory_scale", None)
    if isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale >= 0:
        _planning_inventory(doc, scale, notes)
    elif scale is not None:
        attributes["initial_inventory_scale"] = scale
    if "sources" in attributes:
        notes.append(_note(UNUSED, "$.meta.attributes.sources", "kept: the original's source file names"))


def _planning_inventory(doc: dict[str, Any], scale: float, notes: list[Note]) -> None:
    """The original scales the opening stock its planning starts from, not the simulation's: the
    planning inputs' inventory snapshots are the scaled initial inventories (unless the document has some)."""
    doc["meta"]["attributes"]["initial_inventory_scale_applied"] = scale
    inputs = doc.setdefault("planning_inputs", {})
    if not isinstance(inputs, dict) or inputs.get("inventory_snapshots"):
        notes.append(_note(UNUSED, "$.meta.attributes.initial_inventory_scale",
                           "kept: the document's own planning_inputs.inventory_snapshots stand"))
        return
    inputs["inventory_snapshots"] = [
        {"node_code": node.get("code"), "item_code": policy["item_code"], "on_hand": policy["initial_inventory"] * scale}
        for node in _rows(doc, "nodes") for policy in node.get("inventory_policies") or []
        if isinstance(policy, dict) and isinstance(policy.get("initial_inventory"), (int, float))
        and not isinstance(policy.get("initial_inventory"), bool) and policy.get("item_code")]
    notes.append(_note(MAPPED, "$.meta.attributes.initial_inventory_scale",
                       f"applied as in the original: planning starts from every initial_inventory × {scale} "
                       "(planning_inputs.inventory_snapshots); runs start from initial_inventory"))


def _node_attributes(doc: dict[str, Any], notes: list[Note]) -> None:
    """The original reads stockout and backorder costs and lost sales from a node's attributes."""
    moved = False
    for node in _rows(doc, "nodes"):
        attributes = node.get("attributes") if isinstance(node.get("attributes"), dict) else {}
        costs = {"stockout_cost": attributes.get("stockout_cost_per_unit"),
                 "backorder_cost": attributes.get("backorder_cost_per_unit_per_day")}
        for policy in node.get("inventory_policies") or []:
            for name, value in costs.items():
                if isinstance(policy, dict) and isinstance(value, (int, float)) and name not in policy:
                    policy[name] = value
                    moved = True
        if attributes.get("lost_sales") is True or attributes.get("backorder_enabled") is False:
            node.setdefault("backorder_policy", "lost_sales")
            moved = True
    if moved:
        notes.append(_note(MAPPED, "$.nodes[*].attributes",
                           "stockout_cost_per_unit, backorder_cost_per_unit_per_day → each inventory policy's "
                           "stockout_cost, backorder_cost; lost_sales / backorder_enabled false → backorder_policy lost_sales"))


def _rename_all(doc: dict[str, Any], notes: list[Note]) -> None:
    tables = {"nodes": _rows(doc, "nodes"), "arcs": _rows(doc, "arcs"), "hierarchies": _rows(doc, "hierarchies"),
              "production_policies": _production(doc), "capacities": _rows(doc, "capacities")}
    prefix = {"production_policies": "$.nodes[*].production_policies"}
    for table, rows in tables.items():
        path = prefix.get(table, f"$.{table}")
        for old, new in RENAMES.get(table, {}).items():
            moved = [row for row in rows if old in row]
            for row in moved:
                row.setdefault(new, row.pop(old))
            if moved:
                notes.append(_note(MAPPED, f"{path}[*].{old}", f"→ {new}"))
        for name in UNUSED_FIELDS.get(table, ()):
            if any(name in row for row in rows):
                notes.append(_note(UNUSED, f"{path}[*].{name}", "kept in the document, not used by runs"))


def _hierarchy_groups(doc: dict[str, Any]) -> None:
    """family (product) and region (location): the nearest ancestor of that level, for grouping results."""
    rows = _rows(doc, "hierarchies")
    by_key = {(r.get("hierarchy_type", "product"), r.get("key")): r for r in rows}
    wanted = {"product": "family", "location": "region"}
    for row in rows:
        kind = row.get("hierarchy_type", "product")
        group = wanted.get(kind)
        if group is None or row.get(group) is not None:
            continue
        seen, parent = set(), row.get("parent")
        while parent is not None and parent not in seen:
            seen.add(parent)
            ancestor = by_key.get((kind, parent))
            if ancestor is None or ancestor.get("level") == group:
                row[group] = parent
                break
            parent = ancestor.get("parent")


def _without_nulls(value: Any, depth: int = 0) -> Any:
    """Nulls dropped from rows (the original's Optional fields): our defaults stand in."""
    keep = {"item_code", "parent", "parent_key", "reorder_point", "order_up_to", "production_capacity",
            "capacity_per_day", "storage_capacity", "lead_time_days", "min_qty", "max_qty", "parent_version_id"}
    if isinstance(value, dict):
        return {k: _without_nulls(v, depth + 1) for k, v in value.items() if v is not None or k in keep or depth == 0}
    if isinstance(value, list):
        return [_without_nulls(v, depth + 1) for v in value]
    return value


def _rows(doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows = doc.get(key)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _production(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for node in _rows(doc, "nodes") for p in (node.get("production_policies") or []) if isinstance(p, dict)]


def _note(code: str, path: str, message: str) -> Note:
    return {"code": code, "path": path, "message": message}
