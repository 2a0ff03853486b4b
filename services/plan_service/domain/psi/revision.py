"""The supply plan of a revision: plan_final's document (contracts/supply_plan.py) with the
detail level's demand and supply as the revision holds them, family totals and the plan KPIs
that follow from them recomputed. Pure."""

from typing import Any

from services.plan_service.domain.psi.grid import PsiGrid
from services.plan_service.domain.psi.spread import quantity


def changed_cells(grid: PsiGrid) -> int:
    det, base = grid.values["det"], grid.base["det"]
    return sum(a != b for m in det for row, base_row in zip(det[m], base[m]) for a, b in zip(row, base_row))


def revised_plan_final(plan_final: dict[str, Any], grid: PsiGrid, plan_version_id: str, revision: int,
                       source_sha256: str) -> dict[str, Any]:
    det = {m: [[quantity(v) for v in row] for row in rows] for m, rows in grid.values["det"].items()}
    families = {m: [[0.0] * len(grid.weeks) for _ in grid.families] for m in det}
    for m, rows in det.items():
        for s, row in enumerate(rows):
            target = families[m][grid.sku_family[s]]
            for w, v in enumerate(row):
                target[w] += v
    demand, supply = sum(map(sum, det["demand"])), sum(map(sum, det["supply"]))
    kpis = dict(plan_final.get("kpis") or {}) | {
        "demand_total": round(demand, 6), "supply_total": round(supply, 6), "backlog_total": round(demand - supply, 6),
        "fill_rate_estimate": round(min(1.0, supply / demand), 6) if demand > 0 else 1.0}
    return plan_final | {
        "demand": det["demand"], "supply": det["supply"],
        "family_demand": [[round(v, 6) for v in row] for row in families["demand"]],
        "family_supply": [[round(v, 6) for v in row] for row in families["supply"]],
        "kpis": kpis, "plan_version_id": plan_version_id, "revision": revision,
        "revised_from": {"artifact": "plan_final", "sha256": source_sha256, "changed_cells": changed_cells(grid)},
    }
