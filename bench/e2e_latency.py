"""End-to-end latency of a plan: POST /plans → the run visible in GET /runs?plan_version_id=…,
and plan creation on the large sample through the services (POST /plans → planning job succeeded).

Starts the whole system (``scpln up``, stub simulation) in a temporary data dir, unless
``--url`` points at a running one, creates N plans one after another and prints the median,
p90 and max, next to the latency of a bare GET /healthz measured in the same run.

    .venv/bin/python bench/e2e_latency.py [--plans 20] [--url http://127.0.0.1:8000]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.system import start_system, stop_system


def time_plan(client: httpx.Client, scenario: str, config: str) -> float:
    started = time.perf_counter()
    plan = client.post("/plans", json={"base_scenario_id": scenario, "config_version_id": config}).json()
    while True:
        page = client.get("/runs", params={"plan_version_id": plan["plan_version_id"]}).json()
        if page["total"]:
            return time.perf_counter() - started
        if time.perf_counter() - started > 30:
            raise RuntimeError(f"no run for {plan} after 30 s")
        time.sleep(0.005)


def time_planning(client: httpx.Client, scenario: str, config: str) -> float:
    """POST /plans → its planning job 'succeeded' (five steps, artifacts stored, PlanCreated)."""
    started = time.perf_counter()
    job_id = client.post("/plans", json={"base_scenario_id": scenario, "config_version_id": config}).json()["job_id"]
    while True:
        response = client.get(f"/jobs/{job_id}")
        if response.status_code == 200 and response.json()["job"]["state"] == "succeeded":
            return time.perf_counter() - started
        if time.perf_counter() - started > 30:
            raise RuntimeError(f"planning job {job_id} not done after 30 s")
        time.sleep(0.005)


def measure(base_url: str, plans: int) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        configs = client.get("/configs").json()["configs"]
        config = min(configs, key=lambda c: c["planning_days"])["config_version_id"]
        health = []
        for _ in range(50):
            t0 = time.perf_counter()
            client.get("/healthz")
            health.append(time.perf_counter() - t0)
        time_plan(client, "scn_baseline", config)  # warm-up
        latencies = sorted(time_plan(client, "scn_baseline", config) for _ in range(plans))
        large = max(configs, key=lambda c: c["planning_days"])["config_version_id"]
        planning = sorted(time_planning(client, "scn_baseline", large) for _ in range(10))
    median = statistics.median(latencies)
    print(f"plans: {plans} (stub simulation, config {config})")
    print(f"POST /plans → run in GET /runs: median {median * 1000:.1f} ms, "
          f"p90 {latencies[int(0.9 * (plans - 1))] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms  (goal ≤ 2000 ms)")
    print(f"plan creation on the large sample through the services (POST → planning job succeeded): "
          f"median {statistics.median(planning) * 1000:.1f} ms of 10  (goal ≤ 500 ms)")
    print(f"baseline GET /healthz median {statistics.median(health) * 1000:.2f} ms; "
          f"ratio {median / statistics.median(health):.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=20)
    parser.add_argument("--url", help="a running system; by default one is started")
    args = parser.parse_args()
    if args.url:
        measure(args.url, args.plans)
        return
    with tempfile.TemporaryDirectory() as data_dir:
        system = start_system(Path(data_dir))
        try:
            measure(system.base_url, args.plans)
        finally:
            stop_system(system)


if __name__ == "__main__":
    main()
