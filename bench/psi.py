"""PSI grid response times on the largest sample (samples/large.json: 12 SKUs × 53 weeks, 3 families ×
12 months), through the whole system over HTTP as a planner.

    .venv/bin/python bench/psi.py [--repeat 200]

Starts ``scpln up`` (stub simulation), plans the large sample, then times, each ``--repeat`` times:
``GET /plans/{id}/psi?level=det`` (the whole detail level, 636 rows, and the default page of 200),
``GET …?level=aggregate``, and one ``PATCH /plans/{id}/psi`` of an aggregate cell distributed to the
48 detail cells below it (by current values, rounded to whole units): plan_service decides it
against its grid and records the fact, the registry projects it. "server" is the gateway's own
``Server-Timing`` (its NATS round trips included); "client" adds HTTP on localhost. Median and the
10th–90th percentiles of each.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from tests.e2e.system import start_system, stop_system


def percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return (statistics.median(ordered), ordered[int(len(ordered) * 0.1)], ordered[min(len(ordered) - 1,
                                                                                      int(len(ordered) * 0.9))])


def timed(client: httpx.Client, method: str, path: str, **kwargs) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    answer = client.request(method, path, **kwargs)
    wall = (time.perf_counter() - start) * 1000
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return float(answer.headers["server-timing"].split("dur=")[1]), wall


def large_plan(system) -> str:  # type: ignore[no-untyped-def]
    with system.client("planner") as client:
        configs = client.get("/configs").json()["configs"]
        config = max(configs, key=lambda c: c["planning_days"])["config_version_id"]
        plan_id = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config}
                              ).json()["plan_version_id"]
    system.wait_for(f"/plans/{plan_id}/psi/state", lambda body: body["state"].get("opened"), timeout=120)
    return plan_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        system = start_system(Path(tmp))
        try:
            plan_id = large_plan(system)
            with system.client("planner") as client:
                rows = client.get(f"/plans/{plan_id}/psi", params={"level": "det", "limit": 10_000}).json()["total"]
                print(f"plan {plan_id}: {rows} detail rows")
                cases = {
                    "GET psi?level=det (all 636 rows)": ("GET", f"/plans/{plan_id}/psi?level=det&limit=10000", {}),
                    "GET psi?level=det (default page, 200)": ("GET", f"/plans/{plan_id}/psi?level=det", {}),
                    "GET psi?level=aggregate (36 rows)": ("GET", f"/plans/{plan_id}/psi?level=aggregate", {}),
                }
                print(f"\n  {'case':<44} {'server p50':>11} {'p10–p90':>17} {'client p50':>11} {'p10–p90':>17}")
                for name, (method, path, kwargs) in cases.items():
                    for _ in range(5):
                        timed(client, method, path, **kwargs)
                    show(name, [timed(client, method, path, **kwargs) for _ in range(args.repeat)])
                patches = []
                for n in range(args.repeat):
                    body = {"level": "aggregate", "note": f"bench {n}",
                            "edits": [{"key": {"period": "M2", "family": "FAM1"}, "fields": {"supply": 4000 + n % 2 * 500}}],
                            "distribute": {"weight_mode": "current", "round": {"step": 1, "mode": "nearest"}}}
                    patches.append(timed(client, "PATCH", f"/plans/{plan_id}/psi", json=body))
                show("PATCH psi, aggregate edit distributed to 48", patches)
        finally:
            stop_system(system)


def show(name: str, samples: list[tuple[float, float]]) -> None:
    server, client = percentiles([s for s, _ in samples]), percentiles([c for _, c in samples])
    print(f"  {name:<44} {server[0]:9.1f}ms {server[1]:7.1f}–{server[2]:6.1f}ms {client[0]:9.1f}ms "
          f"{client[1]:7.1f}–{client[2]:6.1f}ms")


if __name__ == "__main__":
    main()
