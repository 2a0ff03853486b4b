"""Storage per plan, and storage that ends: what a large-sample plan leaves in the object store
and the event log, what is left once its run is deleted, and the capacity at the default limits.

    .venv/bin/python bench/storage.py [--plans 10]

Starts the whole system (``scpln up``, the full simulation, ``OBJECT_GRACE_HOURS=0`` and a sweep
every second so that the end is seen in seconds), then plans and simulates ``--plans`` plans of
the large sample one after another and reads, before and after, the size of each object store
bucket and of the event log from their streams (JetStream's own figures: documents, metadata,
chunk headers; a bucket's size as the registry's status gives it). Then deletes every run and waits until the registry has removed what they
stored (no removal pending, the results bucket back down), and reads the sizes again.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import nats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts import subjects
from tests.e2e.system import start_system, stop_system

KB = 1000


async def log_bytes(operator_url: str) -> int:
    """Bytes the event log's stream stores (read as the operator)."""
    nc = await nats.connect(operator_url)
    try:
        return (await nc.jetstream().stream_info(subjects.STREAM_NAME)).state.bytes
    finally:
        await nc.close()


def bucket_sizes(client) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Each bucket's size as the registry's status gives it (its sweeper measures every second)."""
    return {b["bucket"]: b["bytes"] for b in client.get("/registry/status").json()["object_store"]}


def wait_for(check, what: str, timeout: float = 300):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    raise RuntimeError(f"{what} not within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SCPLN_SKIP_SIMULATION_API": "0", "OBJECT_GRACE_HOURS": "0", "OBJECT_SWEEP_S": "1"}
        system = start_system(Path(tmp), env)
        try:
            measure(system, args.plans)
        finally:
            stop_system(system)


def measure(system, plans: int) -> None:  # type: ignore[no-untyped-def]
    with system.client() as client:
        configs = client.get("/configs").json()["configs"]
        large = max(configs, key=lambda c: (c["planning_days"], c["counts"].get("nodes", 0)))
        before_events = asyncio.run(log_bytes(system.nats_url))
        before = wait_for(lambda: bucket_sizes(client) or None, "the first measure of the object store")
        runs = []
        for _ in range(plans):
            plan = client.post("/plans", json={"base_scenario_id": "scn_baseline",
                                               "config_version_id": large["config_version_id"]}).json()
            page = system.wait_for(f"/runs?plan_version_id={plan['plan_version_id']}", lambda b: b["total"] == 1,
                                   timeout=120)
            runs.append(page["runs"][0]["run_id"])
        events = asyncio.run(log_bytes(system.nats_url)) - before_events
        stored = wait_for(lambda: (s := bucket_sizes(client))[subjects.RESULTS_BUCKET]
                          > before[subjects.RESULTS_BUCKET] and s, "the stored runs measured")
        grown = {bucket: stored[bucket] - before[bucket] for bucket in stored}
        for run_id in runs:
            assert client.delete(f"/runs/{run_id}").status_code == 200
        after = wait_for(lambda: client.get("/registry/status").json()["pending_object_deletions"] == 0
                         and (b := bucket_sizes(client))[subjects.RESULTS_BUCKET] < stored[subjects.RESULTS_BUCKET]
                         and b[subjects.ARTIFACTS_BUCKET] < stored[subjects.ARTIFACTS_BUCKET] and b,
                         "the deleted runs' objects removed")
        left = {bucket: after[bucket] - before[bucket] for bucket in after}
    results, artifacts = grown[subjects.RESULTS_BUCKET] / plans, grown[subjects.ARTIFACTS_BUCKET] / plans
    print(f"{plans} plans of the large sample ({large['planning_days']} days), the full simulation, one run each")
    print(f"  per plan, stored: results {results / KB:.0f} kB, artifacts {artifacts / KB:.0f} kB, "
          f"object store {(results + artifacts) / KB:.0f} kB in all; events {events / plans / KB:.1f} kB")
    print(f"  per plan, left after its run was deleted and the grace period passed: results "
          f"{left[subjects.RESULTS_BUCKET] / plans:.0f} B, artifacts {left[subjects.ARTIFACTS_BUCKET] / plans:.0f} B "
          "(deletion markers); its events stay (the log is kept forever)")
    print("  by bucket, grown / left (bytes): " + ", ".join(
        f"{b} {grown[b]:,} / {left[b]:,}" for b in grown))
    js_limit, log_reservation = 100 * 1024**3, 50 * 1024**3
    objects_room = js_limit - log_reservation
    print(f"capacity at the default limits (JetStream file storage 100 GiB under scpln up, max_file_store \"100GB\" "
          f"= {js_limit:,} B; the event log reserving STREAM_MAX_BYTES = 50 GiB):")
    print(f"  object store ({objects_room / 1e9:.1f} GB beside the log): about {objects_room / (results + artifacts):,.0f} "
          "plans with their run held at once; deleted and dropped runs give their room back after "
          "OBJECT_GRACE_HOURS")
    print(f"  event log: about {log_reservation / (events / plans):,.0f} plans in all (kept forever)")


if __name__ == "__main__":
    main()
