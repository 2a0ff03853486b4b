"""Benchmark of plan_service's domain on the large sample: config import and the planning pipeline.

Run: ``.venv/bin/python bench/plans.py [--runs N]``. Every figure is the median of N runs with its
p10–p90 spread. Goals (issue 4, still current): import ≤ 100 ms, plan ≤ 0.5 s, both in-process.
Each is set against a baseline measured in the same run, in the same process, on the same
document: plain ``json.loads`` (import), and a naive pure-Python version of the aggregate step
(pipeline). No figure of another system or measured another way (the original's pipeline was
timed through HTTP) is compared. Exits 1 when a goal is missed.
"""

import argparse
import json
import random
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contracts.buckets import day_range, start_date_of
from contracts.canonical import CanonicalConfig
from contracts.results import SERIES_MEASURES
from services.plan_service.domain.aggregation import aggregate_results
from services.plan_service.domain.grouping import family_of
from services.plan_service.domain.pipeline import run_pipeline
from services.plan_service.domain.validation import document_sha256, validate_document

LARGE = Path(__file__).resolve().parent.parent / "samples" / "large.json"
IMPORT_GOAL_S, PLAN_GOAL_S = 0.100, 0.5


class Timing(NamedTuple):
    median: float
    p10: float
    p90: float

    def __str__(self) -> str:
        return f"{self.median * 1000:8.2f} ms (p10–p90 {self.p10 * 1000:.2f}–{self.p90 * 1000:.2f})"


def timed(action, runs: int) -> Timing:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return spread(times)


def spread(times: list[float]) -> Timing:
    ordered = sorted(times)
    return Timing(statistics.median(ordered), ordered[int(0.1 * (len(ordered) - 1))],
                  ordered[round(0.9 * (len(ordered) - 1))])


def import_config(text: str) -> None:
    document = json.loads(text)
    validation = validate_document(document)
    assert validation.ok, validation.errors
    document_sha256(document)


def serialised(result) -> list[bytes]:
    """The artifacts as the planning job stores them (compact JSON)."""
    return [json.dumps(body, separators=(",", ":")).encode() for body in result.artifacts.values()]


def naive_aggregate(config: CanonicalConfig) -> float:
    """Family × month demand, capacity and supply with dicts and loops over days; returns total supply."""
    start, horizon, families = start_date_of(config.meta.attributes), config.planning_days, family_of(config)
    month_of_day, month = {}, 1
    while (days := day_range(f"M{month}", start)).first <= horizon:
        month_of_day.update({d: month for d in range(days.first, min(days.last, horizon) + 1)})
        month += 1
    demand: dict[tuple[str, int], float] = {}
    for row in config.demands:
        days = day_range(row.bucket, start)
        for day in range(max(days.first, 1), min(days.last, horizon) + 1):
            key = (families[row.item_code], month_of_day[day])
            demand[key] = demand.get(key, 0.0) + row.mean / days.days
    capacity: dict[tuple[str, int], float] = {}
    for node in config.nodes:
        for policy in node.production_policies:
            for day in range(1, horizon + 1):
                key = (families.get(policy.item_code, ""), month_of_day[day])
                capacity[key] = capacity.get(key, 0.0) + (policy.production_capacity or float("inf"))
    return sum(min(qty, capacity.get(key, float("inf"))) for key, qty in demand.items())


def step_seconds(config: CanonicalConfig, runs: int) -> dict[str, Timing]:
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        marks: list[tuple[str, float]] = []

        def mark(step: str, index: int, count: int, marks: list = marks) -> None:
            marks.append((step, time.perf_counter()))

        run_pipeline(config, options={}, on_step=mark)
        marks.append(("end", time.perf_counter()))
        for (step, at), (_, until) in pairwise(marks):
            samples.setdefault(step, []).append(until - at)
    return {step: spread(values) for step, values in samples.items()}


def synthetic_results(config: CanonicalConfig) -> dict:
    """Daily results shaped like contracts.results.DailyResults for every stocked pair of the config."""
    days, rng = config.planning_days, random.Random(1)
    pairs = [(n.code, p.item_code, n.node_type) for n in config.nodes for p in n.inventory_policies]
    series = [{"node": n, "item": i, "node_type": t, **{m: [float(rng.randrange(50)) for _ in range(days)]
                                                        for m in SERIES_MEASURES}} for n, i, t in pairs]
    return {"run_id": "bench", "planning_days": days, "start_date": "2025-01-01", "series": series, "pnl": {}}


def headroom(runs: int) -> None:
    """Informational: the same measures on a generated network about ten times the large sample."""
    from scpln.samples import generate

    document = generate(stores=80, warehouses=16, factories=16, products=120, components=60, days=365, seed=9)
    text = json.dumps(document)
    config = CanonicalConfig.model_validate(document)
    imported = timed(lambda: import_config(text), runs)
    planned = timed(lambda: serialised(run_pipeline(config, options={})), runs)
    print(f"headroom, generated network ({len(text) / 1024:.0f} KiB, {len(config.items)} items, "
          f"{len(config.demands)} demand rows): import {imported}, plan {planned}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    text = LARGE.read_text()
    config = CanonicalConfig.model_validate_json(text)
    print(f"large sample: {len(text) / 1024:.0f} KiB, {len(config.items)} items, {len(config.nodes)} nodes, "
          f"{len(config.demands)} demand rows, {config.planning_days} days; median of {runs} runs")

    loads = timed(lambda: json.loads(text), runs)
    imported = timed(lambda: import_config(text), runs)
    print(f"import (json.loads + validate + sha256): {imported}   goal ≤ {IMPORT_GOAL_S * 1000:.0f} ms")
    print(f"  baseline, the same run: json.loads alone {loads} (import ÷ baseline ×{imported.median / loads.median:.1f})")

    planned = timed(lambda: serialised(run_pipeline(config, options={})), runs)
    steps = step_seconds(config, runs)
    naive = timed(lambda: naive_aggregate(config), runs)
    result = run_pipeline(config, options={})
    assert abs(naive_aggregate(config) - result.kpis["aggregate_supply_total"]) < 1e-6 * result.kpis["demand_total"]
    print(f"plan (five steps, artifacts serialised): {planned}   goal ≤ {PLAN_GOAL_S * 1000:.0f} ms")
    print("  steps, median: " + ", ".join(f"{step} {t.median * 1000:.2f} ms" for step, t in steps.items()))
    print(f"  baseline, the same run: a naive pure-Python aggregate step {naive} vs the aggregate step "
          f"{steps['aggregate']} (×{naive.median / steps['aggregate'].median:.1f} faster)")
    artifacts = len(json.dumps(result.artifacts, separators=(",", ":")))
    print(f"  artifacts: {artifacts / 1024:.0f} KiB of JSON; kpis: " +
          ", ".join(f"{k}={v:g}" for k, v in result.kpis.items() if k in ("demand_total", "supply_total", "fill_rate_estimate")))
    results = synthetic_results(config)
    aggregated = timed(lambda: aggregate_results(results, config, bucket="week", group_by="family"), runs)
    print(f"aggregate job (week × family) over {len(results['series'])} daily series: {aggregated}")
    headroom(runs=max(3, runs // 3))
    met = imported.median <= IMPORT_GOAL_S and planned.median <= PLAN_GOAL_S
    print("goals met" if met else "GOAL MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
