"""Cross-reference checks of the optional planning inputs (raw document, any shape)."""

from datetime import date

from services.plan_service.domain.data_checks import bucket_issue
from services.plan_service.domain.issues import Issue, codes, text

BUCKET_FIELDS = {
    "family_demand": ("period",), "capacity_buckets": ("period",), "calendar": ("period", "week"),
    "inbound_orders": ("week",),
}
ITEM_FIELDS = ("mix_shares", "inventory_snapshots", "inbound_orders")
REQUIRED = {
    "family_demand": (("family",), ("period",), ("demand",)), "capacity_buckets": (("family", "resource"), ("period",),
                                                                                   ("capacity",)),
    "mix_shares": (("family",), ("item_code",), ("share",)), "inventory_snapshots": (("item_code",), ("on_hand",)),
    "inbound_orders": (("item_code",), ("week", "day"), ("quantity",)), "calendar": (("period",), ("week",), ("weight",)),
}
NUMBERS = ("demand", "capacity", "share", "on_hand", "quantity", "weight", "day")


def field_issues(document: dict) -> list[Issue]:
    """Each row names one of every group of REQUIRED fields; quantities are numbers ≥ 0."""
    errors = []
    for key, groups in REQUIRED.items():
        for index, row in _entries(document, key):
            path = f"$.planning_inputs.{key}[{index}]"
            errors += [Issue("planning_missing_field", path, f"{key} row needs {' or '.join(group)}")
                       for group in groups if not any(field in row for field in group)]
            errors += [Issue("planning_bad_number", f"{path}.{field}", f"{field} must be a number ≥ 0")
                       for field in NUMBERS if field in row and not _non_negative(row[field])]
    return errors


def _non_negative(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _entries(document: dict, key: str) -> list[tuple[int, dict]]:
    inputs = document.get("planning_inputs")
    value = inputs.get(key) if isinstance(inputs, dict) else None
    return [(i, row) for i, row in enumerate(value) if isinstance(row, dict)] if isinstance(value, list) else []


def planning_issues(document: dict, start: date, horizon: int) -> tuple[list[Issue], list[Issue]]:
    items, nodes = codes(document, "items"), codes(document, "nodes")
    errors: list[Issue] = field_issues(document)
    warnings: list[Issue] = []
    for key in ITEM_FIELDS:
        for index, row in _entries(document, key):
            if (item := text(row, "item_code")) is not None and item not in items:
                errors.append(Issue("planning_unknown_item", f"$.planning_inputs.{key}[{index}].item_code",
                                    f"planning input {key} names unknown item {item!r}"))
    for index, row in _entries(document, "inventory_snapshots"):
        if (node := text(row, "node_code")) is not None and node not in nodes:
            errors.append(Issue("planning_unknown_node", f"$.planning_inputs.inventory_snapshots[{index}].node_code",
                                f"inventory snapshot at unknown node {node!r}"))
    for key, fields in BUCKET_FIELDS.items():
        for index, row in _entries(document, key):
            for field in fields:
                if field in row and not isinstance(row[field], str):
                    errors.append(Issue("planning_bad_bucket", f"$.planning_inputs.{key}[{index}].{field}",
                                        f"{field} must be a bucket string such as M1, W3 or 2025-01"))
                elif (bucket := text(row, field)) is not None:
                    error, warning = bucket_issue(bucket, f"$.planning_inputs.{key}[{index}].{field}",
                                                  "planning_bad_bucket", start, horizon)
                    errors.extend([error] if error else [])
                    warnings.extend([warning] if warning else [])
    return errors, warnings
