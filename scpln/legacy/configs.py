"""An original config version (its row of canonical_config_versions and its child tables' rows)
as the canonical-1.0 document this system plans from.

The rows are read back into the original's canonical JSON (the layout of its
``samples/canonical/*.json``: nodes holding their inventory and production policies, ``*_json``
columns as the values they hold), then converted as ``POST /configs`` converts that JSON
(``original_format.to_canonical``) and validated as any import is. What cannot be mapped stays in
the document and is said in the version's warnings; a version that does not validate keeps the
original's tables as they are, with the reasons, and cannot be planned."""

from dataclasses import dataclass
from typing import Any

from scpln.legacy.source import loads
from services.plan_service.domain.original_format import to_canonical
from services.plan_service.domain.validation import canonical_bytes, validate_document

Row = dict[str, Any]

RENAMED = {
    "canonical_items": {"item_code": "code", "item_name": "name"},
    "canonical_nodes": {"node_code": "code", "node_name": "name"},
    "canonical_arcs": {"min_order_json": "min_order_qty", "order_multiple_json": "order_multiple"},
    "canonical_calendars": {"definition_json": "definition"},
}
SECTIONS = {"canonical_items": "items", "canonical_arcs": "arcs", "canonical_boms": "bom",
            "canonical_demands": "demands", "canonical_capacities": "capacities",
            "canonical_calendars": "calendars", "canonical_hierarchies": "hierarchies"}
FLAGS = ("allow_over_capacity", "allow_storage_over_capacity")
META_COLUMNS = ("name", "schema_version", "version_tag", "status", "description", "source_config_id",
                "created_at", "updated_at", "is_deleted")


@dataclass(frozen=True)
class Converted:
    document: bytes
    planning_days: int
    counts: dict[str, int]
    warnings: list[dict[str, str]]
    plannable: bool


def _part(table: str, row: Row) -> Row:
    """One child row as the original's model has it: no row ids, its JSON columns read, 0/1 flags as
    booleans, NULL as absent (its models' default) but a whole-node production policy's item."""
    out: Row = {}
    for column, value in row.items():
        if column in ("id", "config_version_id") or (value is None and column != "item_code"):
            continue
        name = RENAMED.get(table, {}).get(column, column)
        if column.endswith("_json"):
            name, value = name.removesuffix("_json"), loads(value, None)
        elif column in FLAGS and value is not None:
            value = bool(value)
        if value is not None and value != {}:
            out[name] = value
    return out


def original_document(version: Row, children: dict[str, list[Row]], parent_id: str | None) -> Row:
    """The original's canonical JSON of one version (``parent_id``: its parent's id here)."""
    meta = {k: version.get(k) for k in META_COLUMNS} | {"version_id": version["id"], "parent_version_id": parent_id}
    meta["is_deleted"] = bool(meta["is_deleted"])
    stored = loads(version.get("metadata_json"), {})
    meta["attributes"] = {k: v for k, v in stored.items() if k != "counts"} if isinstance(stored, dict) else {}
    doc: Row = {"meta": meta}
    doc |= {section: [_part(t, r) for r in children.get(t, [])] for t, section in SECTIONS.items()}
    policies: dict[str, dict[str, list[Row]]] = {}
    for table, key in (("canonical_node_items", "inventory_policies"), ("canonical_node_production", "production_policies")):
        for row in children.get(table, []):
            part = _part(table, row)
            policies.setdefault(part.pop("node_code"), {}).setdefault(key, []).append(part)
    doc["nodes"] = [node | {"inventory_policies": [], "production_policies": []} | policies.get(node["code"], {})
                    for node in (_part("canonical_nodes", r) for r in children.get("canonical_nodes", []))]
    return doc


def convert(version: Row, children: dict[str, list[Row]], parent_id: str | None) -> Converted:
    """The version as canonical-1.0 (plannable) when it validates, else the original's tables kept."""
    document, notes = to_canonical(original_document(version, children, parent_id))
    imported = {"code": "imported_original", "path": "$.meta.attributes.original_meta",
                "message": f"imported from the original scpln's config version {version['id']}, read as its "
                           "canonical JSON and converted as POST /configs converts it"}
    deleted = [{"code": "deleted_in_original", "path": "$", "message": "soft-deleted in the original"}
               ] if version.get("is_deleted") else []
    checked = validate_document(document)
    if checked.ok and checked.config is not None:
        config = checked.config
        counts = {"items": len(config.items), "nodes": len(config.nodes), "arcs": len(config.arcs),
                  "bom": len(config.bom), "demands": len(config.demands), "capacities": len(config.capacities)}
        warnings = [imported, *deleted, *notes, *(i.as_dict() for i in checked.warnings)]
        return Converted(canonical_bytes(document), config.planning_days, counts, warnings, True)
    kept = {"format": "scpln-original/canonical_config_version", "version": version, "tables": children}
    refused = [{"code": "not_plannable", "path": issue.path, "message": f"{issue.code}: {issue.message}"}
               for issue in checked.errors[:50]]
    warnings = [{"code": "imported_original_tables", "path": "$", "message": (
        f"imported from the original scpln's config version {version['id']}: it does not validate as canonical-1.0 "
        f"({len(checked.errors)} error(s), below), so its tables are kept as they are and plans cannot be made from it")},
        *deleted, *refused]
    counts = {name.removeprefix("canonical_"): len(rows) for name, rows in children.items()}
    horizon = kept_horizon(version)
    return Converted(canonical_bytes(kept), horizon, counts, warnings, False)


def kept_horizon(version: Row) -> int:
    meta = loads(version.get("metadata_json"), {})
    horizon = meta.get("planning_horizon") if isinstance(meta, dict) else None
    return horizon if type(horizon) is int and horizon >= 0 else 0
