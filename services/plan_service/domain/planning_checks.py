"""Cross-reference checks of the optional planning inputs (raw document, any shape)."""

from datetime import date

from services.plan_service.domain.data_checks import bucket_issue
from services.plan_service.domain.issues import Issue, codes, text

BUCKET_FIELDS = {
    "family_demand": ("period",), "capacity_buckets": ("period",), "calendar": ("period", "week"),
    "inbound_orders": ("week",),
}
ITEM_FIELDS = ("mix_shares", "inventory_snapshots", "inbound_orders")


def _entries(document: dict, key: str) -> list[tuple[int, dict]]:
    inputs = document.get("planning_inputs")
    value = inputs.get(key) if isinstance(inputs, dict) else None
    return [(i, row) for i, row in enumerate(value) if isinstance(row, dict)] if isinstance(value, list) else []


def planning_issues(document: dict, start: date, horizon: int) -> tuple[list[Issue], list[Issue]]:
    items, nodes = codes(document, "items"), codes(document, "nodes")
    errors: list[Issue] = []
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
                if (bucket := text(row, field)) is not None:
                    error, warning = bucket_issue(bucket, f"$.planning_inputs.{key}[{index}].{field}",
                                                  "planning_bad_bucket", start, horizon)
                    errors.extend([error] if error else [])
                    warnings.extend([warning] if warning else [])
    return errors, warnings
