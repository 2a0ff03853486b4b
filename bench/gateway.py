"""Gateway latency with 100,000 runs in the registry, and the run page of a 365-day run.

    .venv/bin/python bench/gateway.py [--runs 100000] [--repeat 100]

Fills the registry's SQLite file with realistic runs (the schema of services/run_registry/db.py,
counters included), starts the whole system on it (``scpln up``, full simulation), simulates a
plan of the 365-day large sample, then times each page and API call over HTTP. "server" is the
gateway's own ``Server-Timing`` figure (routing, the NATS round trips, rendering); "client" adds
HTTP on localhost. The baseline, measured in the same run, is /healthz (no bus round trip).
Goals (issue 6): /ui/runs and GET /runs p50 <= 20 ms; the run page with its chart data <= 300 ms.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import insert

from services.run_registry import db
from tests.e2e.system import start_system, stop_system

NAMES = [f"{r} {t}" for r in ("EU", "US", "APAC", "LATAM", "UK") for t in ("Baseline", "Peak season", "Promo push")]
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def run_rows(n: int, rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for i in range(n):
        plan, failed = rng.randrange(max(n // 100, 1)), rng.random() < 0.05
        name, fill = NAMES[plan % len(NAMES)], rng.uniform(0.7, 1.0)
        profit = rng.uniform(-1e5, 1e6)
        summary = {} if failed else {"planning_days": 365, "fill_rate": fill, "profit_total": profit,
                                     "revenue_total": profit * 3, "cost_total": profit * 2}
        started = T0 + timedelta(seconds=i * 300)
        rows.append({
            "run_id": f"run_bench{i:07d}", "plan_version_id": f"plan_bench{plan:05d}", "config_version_id": f"cfg_b{plan % 20:03d}",
            "scenario_id": f"scn_b{plan % len(NAMES):02d}", "scenario_name": name, "scenario_name_lc": name.lower(),
            "job_id": f"job_bench{i:07d}", "seed": 42, "started_at": started, "finished_at": started + timedelta(seconds=40),
            "duration_ms": rng.uniform(2e3, 9e4), "status": "failed" if failed else "succeeded", "stub": False,
            "reason": "boom" if failed else "", "summary": summary, "fill_rate": summary.get("fill_rate"),
            "profit_total": summary.get("profit_total"), "results": None,
        })
    return rows


def fill_registry(path: Path, n: int) -> None:
    """Runs and their counters; no checkpoint, so the registry still applies the whole event log."""
    engine = db.open_engine("db", str(path))
    db.create_schema(engine)
    rows = run_rows(n, random.Random(7))
    counts = Counter(f"runs:{r['status']}" for r in rows) + Counter(f"runs_named:{r['scenario_name_lc']}" for r in rows)
    with engine.begin() as conn:
        conn.execute(insert(db.runs), rows)
        conn.execute(insert(db.counters), [{"name": k, "value": v} for k, v in counts.items()])
    db.analyze(engine)
    engine.dispose()


def year_run(system) -> str:  # type: ignore[no-untyped-def]
    with system.client() as client:
        configs = client.get("/configs").json()["configs"]
        config_id = max(configs, key=lambda c: (c["planning_days"], c["counts"].get("nodes", 0)))["config_version_id"]
        body = {"base_scenario_id": "scn_baseline", "config_version_id": config_id}
        plan_id = client.post("/plans", json=body).json()["plan_version_id"]
    page = system.wait_for(f"/runs?plan_version_id={plan_id}", lambda b: b["total"] == 1, timeout=120)
    return page["runs"][0]["run_id"]


def measure(client: httpx.Client, paths: list[str], repeat: int) -> tuple[float, float, float]:
    """p50 server, p50 client and p90 client (ms) of requesting ``paths`` one after the other."""
    server, wall = [], []
    for _ in range(repeat):
        t, spent = time.perf_counter(), 0.0
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            spent += float(answer.headers["server-timing"].split("dur=")[1])
        wall.append((time.perf_counter() - t) * 1000)
        server.append(spent)
    wall.sort()
    return statistics.median(server), statistics.median(wall), wall[int(len(wall) * 0.9)]


def report(system, run_id: str, repeat: int) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "baseline: /healthz": ["/healthz"],
        "GET /runs": ["/runs"],
        "GET /runs?scenario_name=peak&sort=fill_rate": ["/runs?scenario_name=peak&sort=fill_rate"],
        "GET /runs?offset=90000": ["/runs?offset=90000"],
        "/ui/runs": ["/ui/runs"],
        "/ui/runs?scenario_name=peak&sort=profit_total": ["/ui/runs?scenario_name=peak&sort=profit_total"],
        "run page 365 d + chart data (warm)": [f"/ui/runs/{run_id}", f"/ui/runs/{run_id}/chart.json"],
        "chart data, another pair": [f"/ui/runs/{run_id}/chart.json?node=W1&item=P1"],
    }
    with system.client() as client:
        cold = measure(client, [f"/ui/runs/{run_id}", f"/ui/runs/{run_id}/chart.json"], 1)
        print(f"\n  {'case':<48} {'server p50':>11} {'client p50':>11} {'client p90':>11} {'x baseline':>11}")
        print(f"  {'run page 365 d + chart data (cold, once)':<48} {cold[0]:9.1f}ms {cold[1]:9.1f}ms {'':>11}")
        base = None
        for name, paths in cases.items():
            server, p50, p90 = measure(client, paths, repeat)
            base = base or server
            print(f"  {name:<48} {server:9.1f}ms {p50:9.1f}ms {p90:9.1f}ms {server / base:10.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        t = time.perf_counter()
        fill_registry(data / "scpln.db", args.runs)
        print(f"registry filled with {args.runs:,} runs in {time.perf_counter() - t:.1f} s")
        system = start_system(data, {"SCPLN_SKIP_SIMULATION_API": "0", "SCPLN_DB": str(data / "scpln.db")})
        try:
            run_id = year_run(system)
            with system.client() as client:
                total = client.get("/runs?limit=1").json()["total"]
            print(f"system up; {total:,} runs in the registry; 365-day run {run_id}")
            report(system, run_id, args.repeat)
        finally:
            stop_system(system)


if __name__ == "__main__":
    main()
