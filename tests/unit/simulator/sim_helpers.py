"""Small canonical configs for hand-worked simulator cases, and the invariant checks."""

import numpy as np

from contracts.canonical import CanonicalConfig
from services.simulator.engine import SimulationOutput, simulate

TOL = 1e-6


def node(code: str, node_type: str = "store", *policies: dict, **fields) -> dict:
    return {"code": code, "node_type": node_type, "inventory_policies": list(policies), **fields}


def policy(item: str = "P", **fields) -> dict:
    return {"item_code": item, **fields}


def daily(node_code: str, values: list[float], item: str = "P") -> list[dict]:
    """Deterministic demand rows, one D<n> bucket per non-zero day."""
    return [{"node_code": node_code, "item_code": item, "bucket": f"D{d}", "mean": v}
            for d, v in enumerate(values, start=1) if v]


def config(days: int, nodes: list[dict], *, arcs=(), demands=(), bom=(), items=None, capacities=(),
           **meta) -> CanonicalConfig:
    items = items or [{"code": "P", "unit_cost": 2, "attributes": {"sales_price": 5, "sgna_cost_per_unit": 0.5}}]
    return CanonicalConfig.model_validate({
        "meta": {"name": "case", "attributes": {"planning_horizon": days, **meta}},
        "items": items, "nodes": nodes, "arcs": list(arcs), "demands": list(demands), "bom": list(bom),
        "capacities": list(capacities)})


def supplier(code: str = "U", **fields) -> dict:
    return node(code, "supplier", infinite_source=True, **fields)


def arc(src: str, dst: str, lead: int = 0, **fields) -> dict:
    return {"from_node": src, "to_node": dst, "lead_time_days": lead, **fields}


def run(cfg: CanonicalConfig, seed: int = 1) -> SimulationOutput:
    out = simulate(cfg, seed=seed, run_id="case")
    check_invariants(out)
    return out


def row(out: SimulationOutput, measure: str, node_code: str, item: str = "P") -> list[float]:
    k = out.pairs.index((node_code, item))
    return [round(v, 9) for v in out.series(measure)[:, k].tolist()]


def check_invariants(out: SimulationOutput) -> None:
    """Flow conservation on every node-item-day, no negative quantity, fill rate in [0, 1],
    P&L equal to the cost trace per category."""
    s = {m: out.series(m) for m in ("start", "receipts", "produced", "shipments", "sales", "consumed", "end")}
    balance = s["start"] + s["receipts"] + s["produced"] - s["shipments"] - s["sales"] - s["consumed"] - s["end"]
    assert np.abs(balance).max(initial=0) < TOL
    for measure in ("start", "receipts", "demand", "sales", "shipments", "shortage", "backorder",
                    "produced", "consumed", "ordered", "end"):
        assert out.series(measure).min(initial=0) > -TOL, measure
    assert 0 <= out.summary.fill_rate <= 1
    totals: dict[str, float] = {}
    for entry in out.trace():
        totals[entry["category"]] = totals.get(entry["category"], 0.0) + entry["amount"]
    for category, total in totals.items():
        assert abs(total - out.pnl[category].sum()) < 1e-6 * (1 + len(out.trace())), category
    costs = sum(v for c, v in totals.items() if c != "revenue")
    assert abs(costs - out.pnl["cost_total"].sum()) < 1e-6 * (1 + len(out.trace()))
