"""p50/p99 of the registry's query functions on 10,000 and then 100,000 realistic runs.

    .venv/bin/python bench/registry_queries.py [--runs 100000] [--repeat 200]

Fills a fresh SQLite file per size with executemany, then times each query function on one
connection. The baseline, measured in the same run, is the naive way: SELECT every run and
filter, sort and page in Python. Goal (issue 5): p50 <= 5 ms, flat from 10k to 100k runs.
"""

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Connection, Engine, insert, select

from contracts import queries as q
from services.run_registry import db, queries

REGIONS = ["EU", "US", "APAC", "LATAM", "Nordics", "Iberia", "DACH", "UK", "Benelux", "Japan"]
THEMES = ["Baseline", "Peak season", "Supplier outage", "Promo push", "Capacity expansion"]
SCENARIOS = [f"{region} {theme}" for region in REGIONS for theme in THEMES]
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def summary(rng: random.Random) -> dict[str, object]:
    demand = rng.uniform(1e4, 1e6)
    fill = rng.uniform(0.7, 1.0)
    revenue, cost = demand * fill * 12.5, demand * rng.uniform(6, 11)
    return {
        "planning_days": 365, "fill_rate": fill, "store_demand_total": demand,
        "store_sales_total": demand * fill, "customer_shortage_total": demand * (1 - fill),
        "network_shortage_total": rng.uniform(0, 5e4), "avg_on_hand_by_type": {"store": 120.0, "warehouse": 900.0},
        "backorder_peak": rng.uniform(0, 3e3), "backorder_peak_day": rng.randint(0, 365),
        "revenue_total": revenue, "cost_total": cost, "penalty_total": cost * 0.05,
        "profit_total": revenue - cost, "profit_per_day_avg": (revenue - cost) / 365,
        "top_shortage_items": [{"item_code": f"SKU-{rng.randint(1, 500):04d}", "shortage": 12.0}],
    }


def run_rows(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng, rows = random.Random(seed), []
    plans = max(n // 100, 1)
    for i in range(n):
        plan = rng.randrange(plans)
        name = SCENARIOS[plan % len(SCENARIOS)]
        started = T0 + timedelta(seconds=i * 300 + rng.randint(0, 299))
        failed = rng.random() < 0.05
        s = {} if failed else summary(rng)
        rows.append({
            "run_id": f"run-{i:07d}", "plan_version_id": f"plan-{plan:05d}", "config_version_id": f"cfg-{plan % 20:03d}",
            "scenario_id": f"scn-{plan % len(SCENARIOS):03d}", "scenario_name": name, "scenario_name_lc": name.lower(),
            "job_id": f"job-{i:07d}", "seed": 42, "started_at": started,
            "finished_at": started + timedelta(seconds=40), "duration_ms": rng.uniform(2e3, 9e4),
            "status": "failed" if failed else "succeeded", "stub": False, "reason": "boom" if failed else "",
            "summary": s, "fill_rate": s.get("fill_rate"), "profit_total": s.get("profit_total"),
            "results": None if failed else {"name": "daily_results", "bucket": "scpln-results", "key": f"run-{i}.json.gz",
                                              "sha256": "0" * 64, "size": 123456, "content_type": "application/gzip"},
        })
    return rows


def fill(engine: Engine, rows: list[dict[str, object]]) -> None:
    db.create_schema(engine)
    counts = Counter(f"runs:{r['status']}" for r in rows) + Counter(f"runs_named:{r['scenario_name_lc']}" for r in rows)
    with engine.begin() as conn:
        conn.execute(insert(db.runs), rows)
        conn.execute(insert(db.counters), [{"name": k, "value": v} for k, v in counts.items()])
        conn.execute(insert(db.checkpoint), {"projection": "registry", "last_seq": len(rows), "schema_version": 1})
    db.analyze(engine)


def timed_together(fns: list[Callable[[], object]], repeat: int, warm_up: int = 10) -> list[tuple[float, float]]:
    """p50 and p99 (ms) of each function, sampled in turn so both sizes see the same load,
    after ``warm_up`` untimed calls each (a long-running service answers with warm caches)."""
    for _ in range(warm_up):
        for fn in fns:
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, times in zip(fns, samples, strict=True):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
    return [(statistics.median(t), sorted(t)[min(len(t) - 1, int(len(t) * 0.99))]) for t in samples]


def naive_list(conn: Connection, needle: str | None, sort: str, offset: int) -> list[q.RunRow]:
    rows = [dict(r._mapping) for r in conn.execute(select(db.runs))]
    if needle:
        rows = [r for r in rows if needle in r["scenario_name"].lower()]
    rows.sort(key=lambda r: (r[sort] if r[sort] is not None else -1e308, r["run_id"]), reverse=True)
    return [queries.run_row(r) for r in rows[offset: offset + 50]]


def variants(conn: Connection, n: int, rng: random.Random) -> dict[str, Callable[[], object]]:
    plans, deep = max(n // 100, 1), int(n * 0.9)
    at_depth = queries.list_runs(conn, q.ListRuns(limit=1, offset=deep - 1)).runs[0]
    cursor = queries.encode_cursor("started_at", "desc", at_depth.started_at, at_depth.run_id)
    return {
        "list (no filter)": lambda: queries.list_runs(conn, q.ListRuns()),
        "list by plan": lambda: queries.list_runs(conn, q.ListRuns(plan_version_id=f"plan-{rng.randrange(plans):05d}")),
        "list by scenario name": lambda: queries.list_runs(conn, q.ListRuns(scenario_name="PEAK")),
        "list sorted by fill_rate": lambda: queries.list_runs(conn, q.ListRuns(sort="fill_rate")),
        "list deep page (offset 90%)": lambda: queries.list_runs(conn, q.ListRuns(offset=deep)),
        "list deep page (cursor at 90%)": lambda: queries.list_runs(conn, q.ListRuns(cursor=cursor)),
        "get run": lambda: queries.get_run(conn, q.GetRun(run_id=f"run-{rng.randrange(n):07d}")),
        "compare 5 runs": lambda: queries.compare_runs(
            conn, q.CompareRuns(run_ids=[f"run-{rng.randrange(n):07d}" for _ in range(5)])),
        "baseline: naive list (no filter)": lambda: naive_list(conn, None, "started_at", 0),
        "baseline: naive list by scenario name": lambda: naive_list(conn, "peak", "started_at", 0),
    }


def filled(n: int, directory: Path) -> Engine:
    engine = db.open_engine("db", str(directory / f"registry-{n}.db"))
    t = time.perf_counter()
    fill(engine, run_rows(n))
    print(f"filled {n:,} runs in {time.perf_counter() - t:.1f} s")
    return engine


def report(results: dict[str, list[tuple[float, float]]], sizes: list[int]) -> None:
    naive = results["baseline: naive list (no filter)"][1][0]
    print(f"\n{'query function':<38}{sizes[0]:>10,} runs p50 / p99{sizes[1]:>10,} runs p50 / p99   growth  naive/this")
    for name, ((s50, s99), (l50, l99)) in results.items():
        ratio = "" if name.startswith("baseline") else f"{naive / l50:8.0f}x"
        print(f"{name:<38}{s50:12.2f} /{s99:7.2f} ms{l50:13.2f} /{l99:7.2f} ms   x{l50 / s50:5.2f} {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    sizes = [min(10_000, args.runs), args.runs]
    with tempfile.TemporaryDirectory() as tmp:
        engines = [filled(n, Path(tmp)) for n in sizes]
        gc.collect()  # the generated rows are garbage now: collected before anything is timed
        conns = [engine.connect() for engine in engines]
        tables = [variants(conn, n, random.Random(1)) for conn, n in zip(conns, sizes, strict=True)]
        results = {}
        for name in tables[0]:
            naive = name.startswith("baseline")
            repeat = max(3, args.repeat // 40) if naive else args.repeat
            results[name] = timed_together([table[name] for table in tables], repeat, warm_up=0 if naive else 10)
        report(results, sizes)
        for conn, engine in zip(conns, engines, strict=True):
            conn.close()
            engine.dispose()


if __name__ == "__main__":
    main()
