"""Small canonical documents built in code for plan_service's domain tests."""

import copy
import json
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[3] / "samples"

MINIMAL = {
    "meta": {"name": "minimal", "attributes": {"planning_horizon": 28, "start_date": "2025-01-01"}},
    "items": [
        {"code": "P1", "item_type": "product", "attributes": {"family": "FAM"}},
        {"code": "C1", "item_type": "component"},
    ],
    "nodes": [
        {"code": "S1", "node_type": "store", "inventory_policies": [{"item_code": "P1"}]},
        {"code": "F1", "node_type": "factory", "production_policies": [{"item_code": "P1", "production_capacity": 10}]},
    ],
    "arcs": [{"from_node": "F1", "to_node": "S1"}],
    "bom": [{"parent_item": "P1", "child_item": "C1", "quantity": 2}],
    "demands": [{"node_code": "S1", "item_code": "P1", "bucket": "W1", "mean": 70}],
    "capacities": [{"resource_code": "F1", "bucket": "", "capacity": 10}],
    "hierarchies": [{"hierarchy_type": "product", "key": "P1", "family": "FAM"}],
}


def minimal(**changes) -> dict:
    """A deep copy of MINIMAL with top-level keys replaced."""
    document = copy.deepcopy(MINIMAL)
    document.update(copy.deepcopy(changes))
    return document


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())
