"""The sample generator and the shipped samples: valid, referentially sound, deterministic."""

import argparse
import json
from pathlib import Path

import pytest

from contracts.buckets import day_range
from contracts.canonical import CanonicalConfig
from scpln import samples

SHAPES = {"small": (3, 1, 1, 59), "medium": (6, 3, 2, 90), "large": (24, 12, 8, 365)}


def reference_problems(config: CanonicalConfig) -> list[str]:
    """Cross-reference rules of DESIGN §8, plus: every stocked pair that is neither made nor
    from an infinite source has an inbound arc from a node stocking the item."""
    items = {i.code for i in config.items}
    nodes = {n.code: n for n in config.nodes}
    problems = []
    if len(items) != len(config.items) or len(nodes) != len(config.nodes):
        problems.append("duplicate codes")
    held = {(n.code, p.item_code) for n in config.nodes for p in n.inventory_policies}
    problems += [f"policy item {i}" for _, i in held if i not in items]
    problems += [f"arc {a.from_node}->{a.to_node}" for a in config.arcs if {a.from_node, a.to_node} - set(nodes)]
    problems += [f"bom {b.parent_item}" for b in config.bom if {b.parent_item, b.child_item} - items]
    problems += [f"demand {d.node_code}/{d.item_code}" for d in config.demands
                 if d.node_code not in nodes or (d.node_code, d.item_code) not in held]
    problems += [f"capacity {c.resource_code}" for c in config.capacities if c.resource_code not in nodes]
    children = {}
    for b in config.bom:
        children.setdefault(b.parent_item, set()).add(b.child_item)
    problems += [f"bom cycle at {p}" for p in children if _reaches(children, p, p)]
    for node, item in held:
        made = any(pp.item_code == item for pp in nodes[node].production_policies)
        fed = any(a.to_node == node and (a.from_node, item) in held for a in config.arcs)
        if not (made or fed or nodes[node].infinite_source):
            problems.append(f"unsourced {node}/{item}")
    return problems


def _reaches(children: dict, start: str, target: str, seen: frozenset = frozenset()) -> bool:
    return any(c == target or (c not in seen and _reaches(children, c, target, seen | {c}))
               for c in children.get(start, ()))


@pytest.mark.parametrize("name", sorted(samples.SHIPPED))
def test_shipped_sample_is_valid_sound_and_current(name):
    path = samples.SAMPLES_DIR / f"{name}.json"
    document = json.loads(path.read_text())
    config = CanonicalConfig.model_validate(document)
    assert reference_problems(config) == []
    assert document == samples.shipped(name), "run `scpln samples --write-shipped`"
    nodes, products, components, days = SHAPES[name]
    assert len(config.nodes) == nodes and config.planning_days == days
    assert sum(i.item_type == "product" for i in config.items) == products
    assert sum(i.item_type == "component" for i in config.items) == components
    assert config.meta.attributes["start_date"] == "2025-01-01"
    assert all({"sales_price", "sgna_cost_per_unit", "family"} <= set(i.attributes) for i in config.items)


def test_large_sample_has_about_190_monthly_demand_rows():
    config = CanonicalConfig.model_validate_json((samples.SAMPLES_DIR / "large.json").read_text())
    assert 180 <= len(config.demands) <= 200
    assert all(day_range(d.bucket).days >= 28 for d in config.demands)
    assert {d.demand_model for d in config.demands} == {"normal", "deterministic"}


@pytest.mark.parametrize("shape", [(1, 0, 1, 0, 1, 1, 1), (3, 5, 2, 2, 7, 9, 40), (5, 2, 3, 0, 2, 4, 400)])
def test_generated_documents_are_sound_and_deterministic(shape):
    keys = ("stores", "warehouses", "factories", "suppliers", "products", "components", "days")
    params = dict(zip(keys, shape), seed=7)
    document = samples.generate(**params)
    assert reference_problems(CanonicalConfig.model_validate(document)) == []
    assert document == samples.generate(**params)
    assert document != samples.generate(**{**params, "seed": 8})


def test_generator_rejects_an_empty_network():
    with pytest.raises(ValueError):
        samples.generate(stores=0, warehouses=0, factories=1, products=1, components=1, days=10, seed=1)


def test_cli_writes_a_document(tmp_path: Path):
    parser = argparse.ArgumentParser()
    samples.add_arguments(parser)
    out = tmp_path / "x.json"
    args = parser.parse_args(["--stores", "2", "--products", "2", "--days", "31", "--seed", "5", "--out", str(out)])
    assert samples.run(args) == 0
    CanonicalConfig.model_validate_json(out.read_text())
