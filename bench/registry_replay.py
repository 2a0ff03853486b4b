"""Rebuild throughput of the run registry: replay a log of realistic events into a fresh read model.

Writes N events (plans with their planning and simulation progress, runs; ~22 events a plan,
each with the ``Nats-Msg-Id`` header the publisher sends) to a JetStream stream on a private nats-server, then rebuilds the read model from sequence 1
through the live path's own writer. The baseline, measured in the same run, reads the same
messages with the same consumer and ``executemany``s them as raw rows (no projection logic).

    .venv/bin/python bench/registry_replay.py [--events 1000000] [--rounds 3]

Each round measures both log readers reading the whole log (nothing else done with it: the
public one on nats-py's public API, the direct one through its internals), the baseline, then
the rebuild; the medians of the rounds are compared (a shared machine's speed drifts by a third
within minutes). The baseline and the rebuild read through ``log_reader`` (``SCPLN_LOG_READER``).

Goals (issue 5): ≥ 50,000 events/s and ≥ 0.5 of the raw baseline.
"""

import argparse
import asyncio
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts.events import (
    ArtifactRef,
    JobProgress,
    PlanCreated,
    RunCompleted,
    RunSummary,
    encode,
    subject_for,
)
from runtime import bus, nats_server
from runtime.log_reader import log_reader, read_log
from services.run_registry.rebuild import rebuild

REF = ArtifactRef(name="config", bucket="scpln-configs", key="cfg.json", sha256="0" * 64, size=1000)
T0 = datetime(2025, 1, 1, tzinfo=UTC)
STEPS = ("aggregate", "allocate", "mrp", "reconcile", "plan_final")


def plan_events(n: int) -> list:
    """One plan's story: planning job, PlanCreated, simulation job in 10% steps, RunCompleted."""
    plan_id, job, sim = f"plan_{n:07d}", f"job_{n:07d}", f"sim_{n:07d}"
    at = T0 + timedelta(seconds=n)
    common = {"producer": "bench", "occurred_at": at}
    events = [JobProgress(correlation_id=job, job_id=job, job_type="planning", state="queued", progress=0,
                          plan_version_id=plan_id, **common)]
    events += [JobProgress(correlation_id=job, job_id=job, job_type="planning", state="running", progress=i / 6,
                           step=step, plan_version_id=plan_id, **common) for i, step in enumerate(STEPS)]
    events.append(PlanCreated(correlation_id=plan_id, plan_version_id=plan_id, config_version_id=f"cfg_{n % 7}",
                              base_scenario_id=f"scn_{n % 13}", scenario_name=f"Scenario {n % 13}", job_id=job, seed=n,
                              config=REF, artifacts=[REF], kpis={"demand_total": 100.0}, simulation_job_id=sim, **common))
    events.append(JobProgress(correlation_id=job, job_id=job, job_type="planning", state="succeeded", progress=1,
                              plan_version_id=plan_id, **common))
    events += [JobProgress(correlation_id=sim, job_id=sim, job_type="simulation", state="running", progress=i / 10,
                           step=f"day {i * 36}/365", plan_version_id=plan_id, run_id=f"run_{n:07d}", **common)
               for i in range(11)]
    fill = 0.8 + (n % 20) / 100
    summary = RunSummary(planning_days=365, fill_rate=fill, store_demand_total=1e5, store_sales_total=1e5 * fill,
                         customer_shortage_total=1e5 * (1 - fill), network_shortage_total=10, avg_on_hand_by_type={"store": 50},
                         backorder_peak=5, backorder_peak_day=40, revenue_total=1e6, cost_total=7e5, penalty_total=1e3,
                         profit_total=3e5, profit_per_day_avg=821.9)
    events.append(RunCompleted(correlation_id=sim, run_id=f"run_{n:07d}", plan_version_id=plan_id,
                               config_version_id=f"cfg_{n % 7}", scenario_id=f"scn_{n % 13}",
                               scenario_name=f"Scenario {n % 13}", job_id=sim, seed=n, started_at=at, finished_at=at,
                               duration_ms=120.0, summary=summary, simulator_version="bench", **common))
    events.append(JobProgress(correlation_id=sim, job_id=sim, job_type="simulation", state="succeeded", progress=1,
                              plan_version_id=plan_id, run_id=f"run_{n:07d}", **common))
    return events


async def write_log(js, target: int) -> int:  # type: ignore[no-untyped-def]
    written, n = 0, 0
    while written < target:
        for event in plan_events(n):
            if written == target:
                break
            await js.publish_async(subject_for(event), encode(event),
                                   headers={"Nats-Msg-Id": str(event.event_id)})
            written += 1
        n += 1
    await js.publish_async_completed()
    return written


async def raw_baseline(js, path: Path) -> float:  # type: ignore[no-untyped-def]
    """Same consumer, same messages, rows written with executemany and nothing else."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                       "CREATE TABLE raw(seq INTEGER PRIMARY KEY, subject TEXT, data BLOB)")
    started, count = time.perf_counter(), 0
    async for msgs in read_log(js, batch=20000):
        with conn:
            conn.executemany("INSERT INTO raw VALUES (?, ?, ?)",
                             [(m.seq, m.subject, m.data) for m in msgs])
        count += len(msgs)
    conn.close()
    return count / (time.perf_counter() - started)


async def read_rate(js, reader: str) -> float:  # type: ignore[no-untyped-def]
    """Events per second one log reader reads the whole log at, in batches of 20,000."""
    started, count = time.perf_counter(), 0
    async for msgs in log_reader(js, reader).read(batch=20000):
        count += len(msgs)
    return count / (time.perf_counter() - started)


def spread(rates: list[float]) -> str:
    return f"{statistics.median(rates):,.0f} events/s (median of {len(rates)}; {min(rates):,.0f}–{max(rates):,.0f})"


async def main(events: int, rounds: int) -> None:
    raw_rates, rebuilds, spent = [], [], []
    reads: dict[str, list[float]] = {"public": [], "direct": []}
    with tempfile.TemporaryDirectory() as tmp:
        port = nats_server.free_port()
        server = nats_server.start(Path(tmp) / "js", port)
        nats_server.wait_listening(port)
        nc = await nats.connect(f"nats://127.0.0.1:{port}", max_reconnect_attempts=-1)
        js = nc.jetstream(publish_async_max_pending=20000)
        await bus.declare_stream(js, max_bytes=8 * 1024**3)
        started = time.perf_counter()
        written = await write_log(js, events)
        print(f"wrote {written:,} events in {time.perf_counter() - started:.1f}s")
        for round_ in range(1, rounds + 1):
            for reader, rates in reads.items():
                rates.append(await read_rate(js, reader))
            print(f"round {round_}: read by the public reader {reads['public'][-1]:,.0f} events/s, "
                  f"by the direct one {reads['direct'][-1]:,.0f} events/s")
            raw_rates.append(await raw_baseline(js, Path(tmp) / "raw.db"))
            before = cpu_seconds(server.pid)
            rebuilds.append(await rebuild(js, Path(tmp) / "rebuilt.db", max_runs=None))
            spent.append([after - b for after, b in zip(cpu_seconds(server.pid), before, strict=True)])
            print(f"round {round_}: raw baseline {raw_rates[-1]:,.0f} events/s, rebuild {rebuilds[-1].rate:,.0f} "
                  f"events/s in {rebuilds[-1].seconds:.1f}s (checkpoint {rebuilds[-1].last_seq:,})")
        await nc.drain()
        server.terminate()
        server.wait()
    raw_rate, rate = statistics.median(raw_rates), statistics.median(r.rate for r in rebuilds)
    print(f"log read, public reader (nats-py public API): {spread(reads['public'])}")
    print(f"log read, direct reader (nats-py internals):  {spread(reads['direct'])}")
    print(f"ratio direct / public: {statistics.median(reads['direct']) / statistics.median(reads['public']):.1f}")
    print(f"raw baseline (read + executemany): {raw_rate:,.0f} events/s (median of {rounds})")
    print(f"rebuild (projection + writer):     {rate:,.0f} events/s (median of {rounds})")
    print(f"ratio to raw baseline: {rate / raw_rate:.2f}  (goal ≥ 0.5); goal ≥ 50,000 events/s: "
          f"{'met' if rate >= 50_000 else 'NOT met'}")
    per_event = [f"{statistics.median(s[i] for s in spent) / events * 1e6:.1f}" for i in range(3)]
    print("rebuild CPU per event (µs, median): reader and writer {}, projection processes {}, nats-server {}"
          .format(*per_event))


def cpu_seconds(server_pid: int) -> tuple[float, float, float]:
    """CPU time of this process, of its finished children (the projection processes) and of
    nats-server (from /proc; 0 where there is none)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        fields = Path(f"/proc/{server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        server = 0.0
    return time.process_time(), children.ru_utime + children.ru_stime, server


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="baseline and rebuild measured in turn; medians printed")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.rounds))
