"""What a run's daily results document costs: ``results_bytes()`` of the large sample executing
its plan (what the simulator stores with each run), its size, and the gateway reading it back.

    .venv/bin/python bench/results_encoding.py [--runs 30]

Each round simulates the run afresh (seed = round) and times, on that output: results_bytes()
(wall and this thread's CPU time), the gateway's ``parse_head`` (the head the run page's charts
and the fan read) and the whole document parsed and laid out by rows (what the cost-trace CSV
reads). Figures are medians with p10–p90 over the rounds, on a shared machine: compare like with
like within one run, or runs of two trees alternated (run it from a worktree of each).
"""

import argparse
import gc
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic_core import from_json

from bench.throughput import Engine
from services.simulator.engine import simulate
from services.ui_gateway.results import gunzip, parse_head

try:
    from contracts.results import row_layout
except ImportError:  # a tree from before scpln-results-3: its documents are laid out by rows already
    def row_layout(doc: dict) -> dict:  # type: ignore[misc]
        return doc


def spread(values: list[float], unit: str = " ms", scale: float = 1000) -> str:
    cuts = statistics.quantiles(values, n=10, method="inclusive") if len(values) >= 10 else [min(values), max(values)]
    return (f"{statistics.median(values) * scale:.2f}{unit} (p10–p90 {cuts[0] * scale:.2f}–{cuts[-1] * scale:.2f}; "
            f"n={len(values)})")


def timed(work: Callable[[], object]) -> tuple[float, float, object]:
    gc.collect()
    t0, c0 = time.perf_counter(), time.thread_time()
    result = work()
    return time.perf_counter() - t0, time.thread_time() - c0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    engine = Engine()
    wall, cpu, head, whole, sizes, raw = [], [], [], [], set(), set()
    for seed in range(runs):
        output = simulate(engine.config, seed=seed, run_id="bench", supply_plan=engine.plan)
        w, c, data = timed(output.results_bytes)
        wall.append(w)
        cpu.append(c)
        sizes.add(len(data))
        raw.add(len(gzip.decompress(data)))
        head.append(timed(lambda data=data: parse_head(data))[0])
        whole.append(timed(lambda data=data: row_layout(from_json(gunzip(data))))[0])
    print(f"results_bytes() of the large sample executing its plan, {runs} runs")
    print(f"  wall                      {spread(wall)}")
    print(f"  CPU (thread)              {spread(cpu)}")
    print(f"  stored (gzip)             {min(sizes):,}–{max(sizes):,} bytes; JSON {min(raw):,}–{max(raw):,} bytes")
    print(f"  gateway parse_head        {spread(head)}")
    print(f"  whole document by rows    {spread(whole)}")


if __name__ == "__main__":
    main()
