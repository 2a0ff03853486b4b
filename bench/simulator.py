"""Simulator benchmark: run with ``.venv/bin/python bench/simulator.py [--quick]``.

Every figure is the median of several rounds with its spread (p10–p90, and the number of
rounds), measured on this machine while whatever else runs on it keeps running: the spread
says how much to trust the median. What is compared is like with like: the vectorised engine
against the naive per-day, per-pair Python loop (services/simulator/engine/reference.py, the
same semantics, used by the tests as an oracle), both timed over the whole simulate()
(compile, daily loop, P&L, summary) on the same config and seed, alternating round by round
so that a change of load hits both. The naive loop is this project's own; no other tool is
measured here.

Sections: the large shipped sample (samples/large.json), simulation time per run by stage;
plan execution against policy replay on the large sample (the same config, seed and engine, with
and without the plan's supply plan from the planning pipeline, alternating round by round);
730 versus 365 days; scaling with network size; peak memory of a 100-node, 50-item,
730-day network. ``--plan`` runs the plan-execution section alone.
"""

import gc
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contracts.canonical import CanonicalConfig
from contracts.plan_options import PlanOptions
from contracts.supply_plan import SupplyPlan
from scpln.samples import SAMPLES_DIR, SHIPPED, generate
from services.plan_service.domain.pipeline import run_pipeline
from services.simulator.engine import SimulationOutput, loop, reference, simulate
from services.simulator.engine.costs import account
from services.simulator.engine.network import build
from services.simulator.engine.summary import summarise

GOAL_SECONDS, GOAL_RATE, GOAL_LINEAR, GOAL_MB = 0.12, 190_000, 2.2, 200
QUICK = "--quick" in sys.argv


@dataclass(frozen=True)
class Spread:
    """Median and 10th/90th percentiles of ``n`` measurements."""

    median: float
    p10: float
    p90: float
    n: int

    @classmethod
    def of(cls, values: list[float]) -> "Spread":
        ordered = sorted(values)
        if len(ordered) == 1:
            return cls(ordered[0], ordered[0], ordered[0], 1)
        cuts = statistics.quantiles(ordered, n=10, method="inclusive")
        return cls(statistics.median(ordered), cuts[0], cuts[-1], len(ordered))

    def seconds(self, digits: int = 4) -> str:
        return f"{self.median:.{digits}f} s [p10 {self.p10:.{digits}f}, p90 {self.p90:.{digits}f}; n={self.n}]"


def naive(config: CanonicalConfig, seed: int):
    network = build(config, seed)
    state = reference.run(network)
    pnl, _ = account(network, state)
    return summarise(network, state, pnl)


def fast(config: CanonicalConfig, seed: int):
    return simulate(config, seed=seed, run_id="bench").summary


def timed(run: Callable, *args) -> float:
    gc.collect()
    started = time.perf_counter()
    run(*args)
    return time.perf_counter() - started


def rounds(n: int) -> int:
    return max(3, n // 3) if QUICK else n


def compare(config: CanonicalConfig, fast_rounds: int, naive_rounds: int) -> tuple[Spread, Spread, Spread]:
    """(engine, naive, per-round speed-up): each naive round sits between engine rounds."""
    engine, slow, ratios = [], [], []
    per_naive = max(1, fast_rounds // naive_rounds)
    for k in range(fast_rounds):
        engine.append(timed(fast, config, 1))
        if k % per_naive == 0 and len(slow) < naive_rounds:
            slow.append(timed(naive, config, 1))
            ratios.append(slow[-1] / statistics.median(engine[-per_naive:]))
    return Spread.of(engine), Spread.of(slow), Spread.of(ratios)


def pair_days(config: CanonicalConfig) -> int:
    return build(config, 1).pair_count * config.planning_days


def shaped(scale: int, days: int) -> CanonicalConfig:
    params = {**SHIPPED["large"], **{k: SHIPPED["large"][k] * scale for k in
                                      ("stores", "warehouses", "factories", "products", "components")}}
    return CanonicalConfig.model_validate(generate(**{**params, "days": days}))


def line(label: str, value: str, note: str = "") -> None:
    print(f"{label:<40} {value:<48} {note}")


def stages(config: CanonicalConfig, n: int) -> dict[str, Spread]:
    """Time per run of each stage of one simulation, as the simulator service runs it."""
    times: dict[str, list[float]] = {k: [] for k in ("compile", "daily loop", "P&L", "summary", "results_bytes")}
    for _ in range(n):
        gc.collect()
        t0 = time.perf_counter()
        network = build(config, 1)
        t1 = time.perf_counter()
        state = loop.run(network)
        t2 = time.perf_counter()
        pnl, blocks = account(network, state)
        t3 = time.perf_counter()
        summary = summarise(network, state, pnl)
        t4 = time.perf_counter()
        SimulationOutput("bench", network, state, pnl, blocks, summary).results_bytes()
        t5 = time.perf_counter()
        for key, value in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            times[key].append(value)
    return {k: Spread.of(v) for k, v in times.items()}


def large_sample() -> None:
    config = CanonicalConfig.model_validate_json((SAMPLES_DIR / "large.json").read_text())
    work = pair_days(config)
    engine, slow, speedup = compare(config, rounds(30), rounds(6))
    print(f"large sample (samples/large.json): {len(config.nodes)} nodes, {work // config.planning_days} node-item "
          f"pairs, {config.planning_days} days = {work:,} node-item-days")
    line("  simulate(), time per run", engine.seconds(), f"goal median <= {GOAL_SECONDS} s")
    line("  naive loop, time per run", slow.seconds())
    line("  speed-up over the naive loop", f"{speedup.median:.1f}x [p10 {speedup.p10:.1f}, p90 {speedup.p90:.1f}]")
    line("  node-item-days per second", f"{work / engine.median:,.0f} (at the median)", f"goal >= {GOAL_RATE:,}")
    for stage, spread in stages(config, rounds(15)).items():
        note = "not in simulate(); the service stores it with each run" if stage == "results_bytes" else ""
        line(f"    {stage}", spread.seconds(), note)


def plan_execution() -> None:
    """simulate() per run executing the plan's supply plan (execution "plan") and replaying the
    inventory policies (execution "policy"), alternating; the supply plan is the pipeline's plan_final."""
    config = CanonicalConfig.model_validate_json((SAMPLES_DIR / "large.json").read_text())
    supply_plan = SupplyPlan.model_validate(run_pipeline(config, options=PlanOptions()).artifacts["plan_final"])
    plan, policy, ratio, compile_plan, compile_policy = [], [], [], [], []
    for _ in range(rounds(30)):
        policy.append(timed(lambda: simulate(config, seed=1, run_id="bench")))
        plan.append(timed(lambda: simulate(config, seed=1, run_id="bench", supply_plan=supply_plan)))
        ratio.append(plan[-1] / policy[-1])
        compile_policy.append(timed(build, config, 1))
        compile_plan.append(timed(build, config, 1, supply_plan))
    out = simulate(config, seed=1, run_id="bench", supply_plan=supply_plan)
    sched = out.network.plan
    print(f"plan execution, large sample: {len(sched.prod)} made and {len(sched.order)} bought lines driven by the "
          f"plan, {len(sched.weeks)} weeks; plan attainment {out.summary.plan_attainment}")
    line("  simulate(), execution \"policy\"", Spread.of(policy).seconds())
    line("  simulate(), execution \"plan\"", Spread.of(plan).seconds())
    r = Spread.of(ratio)
    line("  ratio plan / policy (per round)", f"{r.median:.2f} [p10 {r.p10:.2f}, p90 {r.p90:.2f}]")
    line("    compile, policy", Spread.of(compile_policy).seconds())
    line("    compile, plan (with the supply plan)", Spread.of(compile_plan).seconds())


def horizon() -> None:
    short, long = shaped(1, 365), shaped(1, 730)
    f365, f730, ratio = [], [], []
    for _ in range(rounds(12)):
        f365.append(timed(fast, short, 1))
        f730.append(timed(fast, long, 1))
        ratio.append(f730[-1] / f365[-1])
    print("horizon (large shape, demand generated for the whole horizon), engine:")
    line("  365 days", Spread.of(f365).seconds())
    line("  730 days", Spread.of(f730).seconds())
    r = Spread.of(ratio)
    line("  ratio 730 / 365 (per round)", f"{r.median:.2f} [p10 {r.p10:.2f}, p90 {r.p90:.2f}]", f"goal <= {GOAL_LINEAR}")


def network_size() -> None:
    print("network size (large shape scaled, 365 days): engine, naive loop, speed-up")
    base = None
    for scale in (1, 2, 4, 8):
        config = shaped(scale, 365)
        work = pair_days(config)
        engine, slow, speedup = compare(config, rounds(9), rounds(3) if scale < 8 else 1)
        per = engine.median / work * 1e6
        base = base or per
        line(f"  x{scale}: {len(config.nodes)} nodes, {work // 365} pairs", engine.seconds(),
             f"{per:.2f} us/pair-day ({per / base:.2f} of x1)")
        line("", slow.seconds(), f"naive; speed-up {speedup.median:.1f}x")


def memory() -> None:
    """Peak traced memory (tracemalloc sees numpy's buffers) for two 100-node, 50-item, 730-day
    networks: as generated (a node holds only the items it deals in) and dense (every store
    sells all 40 products, so every warehouse stocks them all)."""
    for label, per_store in (("as generated", None), ("dense", 40)):
        config = CanonicalConfig.model_validate(generate(stores=40, warehouses=30, factories=30, suppliers=0,
                                                         products=40, components=10, days=730, seed=9,
                                                         products_per_store=per_store))
        work = pair_days(config)
        print(f"memory, {label}: {len(config.nodes)} nodes, {len(config.items)} items, {work // 730} pairs, 730 days")
        wall = Spread.of([timed(fast, config, 1) for _ in range(rounds(3))])
        gc.collect()
        tracemalloc.start()
        out = simulate(config, seed=1, run_id="bench")
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        line("  simulate() time per run", wall.seconds(3), f"{work / wall.median:,.0f} node-item-days/s")
        line("  simulate() peak traced memory", f"{peak:.1f} MB", f"goal <= {GOAL_MB} MB")
        if per_store is None:
            tracemalloc.start()
            size = len(out.results_bytes())
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            line("  results_bytes() peak traced memory", f"{peak:.1f} MB", f"{size:,} bytes gzip")
        del out
    line("  process max RSS", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")


if __name__ == "__main__":
    if "--plan" in sys.argv:
        plan_execution()
        sys.exit(0)
    large_sample()
    plan_execution()
    horizon()
    network_size()
    memory()
