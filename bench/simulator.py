"""Simulator benchmark (issue 3): run with ``.venv/bin/python bench/simulator.py``.

Measures, for the vectorised engine and for the naive per-day, per-pair Python loop
(services/simulator/engine/reference.py, same semantics) in the same run:
the large sample's wall time and node-item-days per second, 730 versus 365 days, scaling
with network size, and peak memory for a 100-node, 50-item, 730-day network.
Times are the best of several repeats of the whole simulate() (compile, loop, P&L, summary).
"""

import gc
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contracts.canonical import CanonicalConfig
from scpln.samples import SAMPLES_DIR, SHIPPED, generate
from services.simulator.engine import reference, simulate
from services.simulator.engine.costs import account
from services.simulator.engine.network import build
from services.simulator.engine.summary import summarise

GOAL_SECONDS, GOAL_RATE, GOAL_LINEAR, GOAL_MB = 0.12, 190_000, 2.2, 200


def naive(config: CanonicalConfig, seed: int):
    network = build(config, seed)
    state = reference.run(network)
    pnl, _ = account(network, state)
    return summarise(network, state, pnl)


def fast(config: CanonicalConfig, seed: int):
    return simulate(config, seed=seed, run_id="bench").summary


def best(run, config: CanonicalConfig, repeats: int) -> float:
    """Best wall time of ``repeats`` runs: the figure least disturbed by other processes."""
    times = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        run(config, 1)
        times.append(time.perf_counter() - started)
    return min(times)


def best_pair(run, first: CanonicalConfig, second: CanonicalConfig, repeats: int) -> tuple[float, float]:
    """Best times of two configs measured alternately, so load changes hit both alike."""
    times = [(best(run, first, 1), best(run, second, 1)) for _ in range(repeats)]
    return min(t for t, _ in times), min(t for _, t in times)


def pair_days(config: CanonicalConfig) -> int:
    return build(config, 1).pair_count * config.planning_days


def shaped(scale: int, days: int) -> CanonicalConfig:
    params = {**SHIPPED["large"], **{k: SHIPPED["large"][k] * scale for k in
                                      ("stores", "warehouses", "factories", "products", "components")}}
    return CanonicalConfig.model_validate(generate(**{**params, "days": days}))


def line(label: str, value: str, baseline: str = "", ratio: float | None = None, goal: str = "") -> None:
    extra = f"   naive {baseline:>12}   speed-up {ratio:5.1f}x" if ratio is not None else ""
    print(f"{label:<44} {value:>14}{extra}   {goal}")


def large_sample() -> None:
    config = CanonicalConfig.model_validate_json((SAMPLES_DIR / "large.json").read_text())
    work = pair_days(config)
    t_fast, t_naive = best(fast, config, 25), best(naive, config, 5)
    print(f"large sample: {len(config.nodes)} nodes, {work // config.planning_days} node-item pairs, "
          f"{config.planning_days} days = {work} node-item-days")
    line("  wall time", f"{t_fast:.4f} s", f"{t_naive:.4f} s", t_naive / t_fast, f"goal <= {GOAL_SECONDS} s")
    line("  node-item-days per second", f"{work / t_fast:,.0f}", f"{work / t_naive:,.0f}", t_naive / t_fast,
         f"goal >= {GOAL_RATE:,}")
    out = simulate(config, seed=1, run_id="bench")
    started = time.perf_counter()
    size = len(out.results_bytes())
    line("  results_bytes() (gzip JSON, not in wall time)", f"{time.perf_counter() - started:.4f} s", goal=f"{size:,} bytes")


def horizon() -> None:
    short, long = shaped(1, 365), shaped(1, 730)
    f365, f730 = best_pair(fast, short, long, 15)
    n365, n730 = best_pair(naive, short, long, 3)
    print("horizon (large shape, demand generated for the whole horizon):")
    line("  365 days", f"{f365:.4f} s", f"{n365:.4f} s", n365 / f365)
    line("  730 days", f"{f730:.4f} s", f"{n730:.4f} s", n730 / f730)
    line("  ratio 730 / 365", f"{f730 / f365:.2f}", f"{n730 / n365:.2f}", None, f"goal <= {GOAL_LINEAR}")


def network_size() -> None:
    print("network size (large shape scaled, 365 days):")
    base = None
    for scale in (1, 2, 4, 8):
        config = shaped(scale, 365)
        work = pair_days(config)
        t_fast, t_naive = best(fast, config, 9), best(naive, config, 2)
        per = t_fast / work * 1e6
        base = base or per
        line(f"  x{scale}: {len(config.nodes)} nodes, {work // 365} pairs", f"{t_fast:.4f} s", f"{t_naive:.4f} s",
             t_naive / t_fast, f"{work / t_fast:,.0f} nid/s, {per:.2f} us/pair-day ({per / base:.2f} of x1)")


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
        t_fast = best(fast, config, 1)
        gc.collect()
        tracemalloc.start()
        out = simulate(config, seed=1, run_id="bench")
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        line("  simulate() wall time", f"{t_fast:.3f} s", goal=f"{work / t_fast:,.0f} node-item-days/s")
        line("  simulate() peak traced memory", f"{peak:.1f} MB", goal=f"goal <= {GOAL_MB} MB")
        if per_store is None:
            t_naive = best(naive, config, 1)
            line("  naive wall time", f"{t_naive:.3f} s", goal=f"speed-up {t_naive / t_fast:.1f}x")
            tracemalloc.start()
            started = time.perf_counter()
            size = len(out.results_bytes())
            _elapsed, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            line("  results_bytes() peak traced memory", f"{peak:.1f} MB", goal=f"{size:,} bytes gzip")
        del out
    line("  process max RSS", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")


if __name__ == "__main__":
    large_sample()
    horizon()
    network_size()
    memory()
