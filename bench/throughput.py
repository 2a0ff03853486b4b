"""End-to-end throughput and cost of large-sample plans, set against the engine measured in the same run.

Starts the whole system (``scpln up``, every service a process, its default of one simulator
process per core up to two, or ``--simulators``; the full simulation) in a temporary data dir and
signs in with a token. Then, in this one run:

1. the engine alone, in this process: ``simulate()`` of samples/large.json executing its plan's
   supply plan (what the simulator runs for a plan), median of about ``--engine-runs`` runs, half
   of them before the bursts and the rest in turns after each (with the system idle);
2. ``--bursts`` bursts of ``--plans`` plans on the large sample through ``POST /plans``, each
   timed from the first POST to the last run visible in ``GET /runs``, with the CPU time
   (user + sys, from /proc) of every process of the system (services and nats-server) and the
   events the burst added to the log;
3. rebuilds of the registry's read model over the same log, in this process (and its forked
   projection processes): the CPU of a rebuild to the bursts' last event less that of one to
   their first, per event of the bursts.

The engine's time per run is its CPU time (the thread's), like the CPU time of the processes
it is set against, and what a shared machine's load changes least. Figures are medians with their spread (p10–p90 over the engine's runs; min–max over the
bursts). The three ratios of issue 19 are printed with their goals:

- plans per minute ÷ the engine-bound limit (2 cores × 60 s ÷ the engine's time per run) ≥ 0.3;
- CPU per plan, all processes ÷ the engine's time per run ≤ 3;
- the registry's CPU per event while live ÷ the rebuild's CPU per event ≤ 3.

    .venv/bin/python bench/throughput.py [--plans 50] [--bursts 3] [--engine-runs 30] [--simulators N]
"""

import argparse
import asyncio
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import nats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts.canonical import CanonicalConfig
from contracts.plan_options import PlanOptions
from contracts.supply_plan import SupplyPlan
from runtime.bus import last_stream_seq
from scpln.up import default_simulators
from services.plan_service.domain.pipeline import run_pipeline
from services.run_registry.rebuild import rebuild
from services.simulator.engine import simulate
from tests.e2e.system import System, start_system, stop_system

LARGE = Path(__file__).resolve().parents[1] / "samples" / "large.json"
CORES = 2
GOAL_THROUGHPUT, GOAL_CPU, GOAL_REGISTRY = 0.3, 3.0, 3.0
TICK = os.sysconf("SC_CLK_TCK")


def spread(values: list[float], scale: float = 1.0, unit: str = "") -> str:
    ordered = sorted(values)
    if len(ordered) >= 10:
        cuts = statistics.quantiles(ordered, n=10, method="inclusive")
        low, high, label = cuts[0], cuts[-1], "p10–p90"
    else:
        low, high, label = ordered[0], ordered[-1], "min–max"
    return (f"{statistics.median(ordered) * scale:.2f}{unit} ({label} {low * scale:.2f}–{high * scale:.2f}; "
            f"n={len(ordered)})")


class Engine:
    """simulate() of the large sample executing its plan, in this process, and results_bytes()
    of its output: times per run, gathered a few at a time between the bursts (the machine's
    load then weighs on both alike)."""

    def __init__(self) -> None:
        self.config = CanonicalConfig.model_validate_json(LARGE.read_text())
        self.plan = SupplyPlan.model_validate(run_pipeline(self.config, options=PlanOptions()).artifacts["plan_final"])
        simulate(self.config, seed=1, run_id="warm-up", supply_plan=self.plan)
        self.simulate: list[float] = []
        self.simulate_cpu: list[float] = []
        self.encode: list[float] = []

    def measure(self, runs: int) -> None:
        for _ in range(runs):
            gc.collect()
            t0, c0 = time.perf_counter(), time.thread_time()
            output = simulate(self.config, seed=len(self.simulate), run_id="bench", supply_plan=self.plan)
            t1, c1 = time.perf_counter(), time.thread_time()
            output.results_bytes()
            self.simulate.append(t1 - t0)
            self.simulate_cpu.append(c1 - c0)
            self.encode.append(time.perf_counter() - t1)


def processes(root: int) -> dict[int, str]:
    """Every descendant of ``root``: pid → its name (a service's module, or nats-server)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                found[child] = name_of(child)
                todo.append(child)
    return found


def name_of(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    for arg in args:
        text = arg.decode(errors="replace")
        if text.startswith("services."):
            return text.removeprefix("services.")
        if text.endswith("nats-server"):
            return "nats-server"
    return Path(args[0].decode(errors="replace")).name


def cpu_of(pids: dict[int, str]) -> dict[str, float]:
    """CPU seconds (user + sys) spent so far, summed per name."""
    spent: dict[str, float] = {}
    for pid, name in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        spent[name] = spent.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / TICK
    return spent


@dataclass
class Burst:
    seconds: float
    plans: int
    events: int
    cpu: dict[str, float]

    @property
    def per_minute(self) -> float:
        return self.plans / self.seconds * 60


async def log_end(url: str) -> int:
    nc = await nats.connect(url)
    try:
        return await last_stream_seq(nc.jetstream())
    finally:
        await nc.close()


def runs_of(client: httpx.Client, config: str) -> int:
    return client.get("/runs", params={"config_version_id": config, "limit": 1}).json()["total"]


def settled(client: httpx.Client, url: str) -> int:
    """Wait until the log has not grown for a second and the registry has applied all of it."""
    last, since = -1, time.monotonic()
    while True:
        end = asyncio.run(log_end(url))
        if end != last:
            last, since = end, time.monotonic()
        status = client.get("/registry/status").json()
        applied = status.get("last_seq") or status.get("checkpoint") or 0
        if time.monotonic() - since >= 1.0 and applied >= end:
            return end
        time.sleep(0.2)


def burst(system: System, client: httpx.Client, config: str, plans: int) -> Burst:
    """POST ``plans`` plans at once, then wait for the last run to be visible in GET /runs
    (asked every 0.2 s: the bench's own load on the gateway and registry, counted with theirs)."""
    pids = processes(system.proc.pid)
    first = settled(client, system.nats_url)
    before_runs, before_cpu = runs_of(client, config), cpu_of(pids)
    started = time.perf_counter()
    for _ in range(plans):
        response = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config})
        response.raise_for_status()
    while runs_of(client, config) < before_runs + plans:
        if time.perf_counter() - started > 600:
            raise RuntimeError("the burst's runs did not all appear within 600 s")
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    last = settled(client, system.nats_url)
    after = cpu_of(pids)
    return Burst(seconds, plans, last - first, {k: after[k] - before_cpu.get(k, 0.0) for k in after})


def rebuild_cpu(url: str, path: Path, until_seq: int) -> float:
    """CPU seconds of a rebuild from sequence 1 to ``until_seq`` (this process and its forked
    projection processes)."""
    async def run() -> None:
        nc = await nats.connect(url)
        try:
            await rebuild(nc.jetstream(), path, max_runs=None, until_seq=until_seq)
        finally:
            await nc.close()

    def spent() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    before = spent()
    asyncio.run(run())
    return spent() - before


def rebuild_cpu_per_event(url: str, path: Path, first: int, last: int, rounds: int = 3) -> list[float]:
    """The rebuild's CPU per event of the bursts' events (``first`` < seq <= ``last``): a rebuild
    to ``last`` less one to ``first``, in turn, ``rounds`` times (fixed costs of a rebuild cancel)."""
    return [(rebuild_cpu(url, path, last) - rebuild_cpu(url, path, first)) / (last - first) for _ in range(rounds)]


def report(engine: Engine, bursts: list[Burst], rebuilt: list[float], running: dict[int, str]) -> None:
    engine_s = statistics.median(engine.simulate_cpu)
    limit = CORES * 60 / engine_s
    counted = Counter(running.values())
    print("the system: scpln up, processes " + ", ".join(f"{name} x{n}" for name, n in sorted(counted.items())))
    print(f"engine alone, large sample executing its plan: simulate() CPU {spread(engine.simulate_cpu, 1000, ' ms')}, "
          f"wall {spread(engine.simulate, 1000, ' ms')}; results_bytes() wall {spread(engine.encode, 1000, ' ms')}")
    print(f"engine-bound limit: {CORES} cores x 60 s / {engine_s * 1000:.1f} ms (the engine's CPU time per run) = "
          f"{limit:,.0f} plans/min")
    print(f"bursts of {bursts[0].plans} large-sample plans (POST /plans -> last run in GET /runs):")
    print(f"  plans per minute           {spread([b.per_minute for b in bursts])}")
    print(f"  events per plan            {spread([b.events / b.plans for b in bursts])}")
    names = sorted({name for b in bursts for name in b.cpu})
    totals = [sum(b.cpu.values()) / b.plans for b in bursts]
    print(f"  CPU per plan, all          {spread(totals, 1000, ' ms')}")
    for name in names:
        print(f"    {name:<24} {spread([b.cpu.get(name, 0.0) / b.plans for b in bursts], 1000, ' ms')}")
    live = [b.cpu.get("run_registry", 0.0) / b.events for b in bursts]
    print(f"  registry CPU per event     {spread(live, 1e6, ' µs')}")
    rebuild_per_event = statistics.median(rebuilt)
    print(f"rebuild of the bursts' events ({sum(b.events for b in bursts):,}; a rebuild to the last less one to the "
          f"first): CPU per event {spread(rebuilt, 1e6, ' µs')}")
    throughput = [b.per_minute / limit for b in bursts]
    cpu = [t / engine_s for t in totals]
    registry = [v / rebuild_per_event for v in live]
    print("issue 19's goals, per burst (median, min–max):")
    for label, values, goal, met in (
            ("plans/min ÷ engine-bound limit", throughput, f">= {GOAL_THROUGHPUT}", lambda v: v >= GOAL_THROUGHPUT),
            ("CPU per plan ÷ engine time per run", cpu, f"<= {GOAL_CPU}", lambda v: v <= GOAL_CPU),
            ("registry live ÷ rebuild, per event", registry, f"<= {GOAL_REGISTRY}", lambda v: v <= GOAL_REGISTRY)):
        median = statistics.median(values)
        print(f"  {label:<38} {median:6.3f} ({min(values):.3f}–{max(values):.3f})  goal {goal}: "
              f"{'met' if met(median) else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=50, help="plans per burst")
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--engine-runs", type=int, default=30)
    parser.add_argument("--simulators", type=int, default=default_simulators(),
                        help="simulator processes (scpln up --simulators; its default here: one per core, at most two)")
    args = parser.parse_args()
    engine = Engine()
    with tempfile.TemporaryDirectory() as data_dir:
        system = start_system(Path(data_dir), {"SCPLN_SKIP_SIMULATION_API": "0", "SCPLN_SIMULATORS": str(args.simulators)})
        try:
            with system.client() as client:
                client.timeout = httpx.Timeout(30)
                configs = client.get("/configs").json()["configs"]
                config = next(c for c in configs if c["name"] == "Large network")["config_version_id"]
                burst(system, client, config, 3)  # warm-up: every service has simulated and projected a plan
                running = processes(system.proc.pid)
                engine.measure(args.engine_runs // 2)
                first = settled(client, system.nats_url)
                bursts = []
                for _ in range(args.bursts):
                    bursts.append(burst(system, client, config, args.plans))
                    engine.measure(max(1, args.engine_runs // 2 // args.bursts))
                last = settled(client, system.nats_url)
            rebuilt = rebuild_cpu_per_event(system.nats_url, Path(data_dir) / "rebuilt.db", first, last)
        finally:
            stop_system(system)
    report(engine, bursts, rebuilt, running)


if __name__ == "__main__":
    main()
