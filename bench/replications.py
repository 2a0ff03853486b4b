"""Replications end to end: POST /plans {replications: N} on the large sample (full simulation)
→ all N runs succeeded, then the plan's distribution (GET /plans/{id}) and its fan chart (GET
/plans/{id}/fan, cold and cached).

Starts the whole system (``scpln up``, the real simulator) in a temporary data dir, unless
``--url`` points at a running one (with ``--token``). Prints the wall time from the request to
the last run, the runs' own simulation times (median, p10–p90), how many ran at once, and the
read times; what it measures is this machine with whatever else runs on it.

    .venv/bin/python bench/replications.py [--replications 20] [--url http://127.0.0.1:8000 --token …]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts.distribution import percentile
from tests.e2e.system import start_system, stop_system


def largest_config(client: httpx.Client) -> dict:
    return max(client.get("/configs").json()["configs"], key=lambda c: (c["planning_days"], c["counts"].get("nodes", 0)))


def wait_for_runs(client: httpx.Client, plan_id: str, n: int, timeout: float) -> list[dict]:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        page = client.get("/runs", params={"plan_version_id": plan_id, "limit": 1000}).json()
        if page["total"] >= n and all(r["status"] in ("succeeded", "failed") for r in page["runs"]):
            return page["runs"]
        time.sleep(0.2)
    raise RuntimeError(f"plan {plan_id}: fewer than {n} finished runs after {timeout:.0f} s")


def timed(call) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answer = call()
    return time.perf_counter() - started, answer


def overlap(runs: list[dict]) -> int:
    """The most runs that were simulating at the same moment."""
    edges = sorted([(r["started_at"], 1) for r in runs] + [(r["finished_at"], -1) for r in runs])
    best = now = 0
    for _, step in edges:
        now += step
        best = max(best, now)
    return best


def measure(client: httpx.Client, replications: int, timeout: float) -> None:
    config = largest_config(client)
    print(f"config {config['config_version_id']} ({config['name']}): {config['planning_days']} days, "
          f"{config['counts']}")
    started = time.perf_counter()
    accepted = client.post("/plans", json={"base_scenario_id": "scn_baseline", "replications": replications,
                                           "config_version_id": config["config_version_id"]})
    accepted.raise_for_status()
    plan_id = accepted.json()["plan_version_id"]
    runs = wait_for_runs(client, plan_id, replications, timeout)
    wall = time.perf_counter() - started
    failed = [r for r in runs if r["status"] != "succeeded"]
    durations = [r["duration_ms"] / 1000 for r in runs if r["status"] == "succeeded"]
    print(f"{replications} replications: {wall:.1f} s from POST /plans to the last run "
          f"({len(failed)} failed; {len({r['seed'] for r in runs})} distinct seeds)")
    print(f"  simulation per run: median {statistics.median(durations):.2f} s, p10 {percentile(durations, 0.1):.2f} s, "
          f"p90 {percentile(durations, 0.9):.2f} s; at most {overlap(runs)} at once")
    took, detail = timed(lambda: client.get(f"/plans/{plan_id}").json())
    fill = next(d for d in detail["distribution"] if d["key"] == "fill_rate")  # type: ignore[index]
    print(f"  GET /plans/{{id}} with the distribution: {took * 1000:.0f} ms "
          f"(fill rate P10 {fill['p10']:.3f}, P50 {fill['p50']:.3f}, P90 {fill['p90']:.3f})")
    cold, fan = timed(lambda: client.get(f"/plans/{plan_id}/fan").json())
    warm, _ = timed(lambda: client.get(f"/plans/{plan_id}/fan").json())
    print(f"  GET /plans/{{id}}/fan over {fan['runs']} runs × {fan['days']} days: {cold * 1000:.0f} ms cold, "  # type: ignore[index]
          f"{warm * 1000:.0f} ms cached")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--url")
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    if args.url:
        with httpx.Client(base_url=args.url, timeout=60, headers={"Authorization": f"Bearer {args.token}"}) as client:
            measure(client, args.replications, args.timeout)
        return
    with tempfile.TemporaryDirectory() as data_dir:
        system = start_system(Path(data_dir), {"SCPLN_SKIP_SIMULATION_API": "0"})
        try:
            with system.client() as client:
                client.timeout = httpx.Timeout(60)
                measure(client, args.replications, args.timeout)
        finally:
            stop_system(system)


if __name__ == "__main__":
    main()
