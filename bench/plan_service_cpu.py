"""plan_service's CPU per large-sample plan, as a process on a real nats-server, optionally set
against another checkout's plan_service in the same run.

Each tree measured gets its own nats-server (JetStream in a temporary directory) and its own
plan_service process (``python -m services.plan_service`` from that tree, sample data loaded,
no other service). Then, in rounds, each tree in turn: ``--plans`` CreatePlan commands of the
large sample sent at once over NATS, wait until every one's planning job succeeded and the log
has been quiet for ``QUIET_S``; the CPU time (user + sys, from /proc) that plan_service and its
nats-server spent over the round, per plan, and the events (and their bytes) the round added to
the log, per plan. Figures: median with the min–max over the rounds; the idle CPU per second of
plan_service (measured before the rounds) is printed apart, not subtracted.

    .venv/bin/python bench/plan_service_cpu.py [--plans 10] [--rounds 7] [--baseline-tree DIR]

``--baseline-tree``: a checkout to compare with (e.g. ``git worktree add --detach /tmp/base <commit>``
with the same .venv); its rounds alternate with this tree's, so both see the same machine load.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts import subjects
from runtime import nats_server

LARGE = ROOT / "samples" / "large.json"
TICK = os.sysconf("SC_CLK_TCK")
QUIET_S = 0.5
"""A round ends once its jobs succeeded and no event has been stored for this long."""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


@dataclass
class Round:
    plans: int
    seconds: float
    cpu: float
    nats_cpu: float
    events: int
    event_bytes: int


@dataclass
class Tree:
    label: str
    root: Path
    work: Path
    server: subprocess.Popen | None = None
    service: subprocess.Popen | None = None
    url: str = ""
    config_version_id: str = ""
    idle_cpu_per_s: float = 0.0
    rounds: list[Round] = field(default_factory=list)

    def start(self) -> None:
        port = nats_server.free_port()
        self.server = nats_server.start(self.work / "nats", port)
        if not nats_server.wait_listening(port):
            raise RuntimeError("nats-server did not start")
        self.url = f"nats://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "SCPLN_DATA_DIR", "METRICS_PORT")}
        env.update({"NATS_URL": self.url, "SCPLN_DATA_DIR": str(self.work / "data"), "PYTHONPATH": str(self.root),
                    "LOG_LEVEL": "WARNING", "LOAD_SAMPLES": "1"})
        (self.work / "data").mkdir(parents=True, exist_ok=True)
        with open(self.work / "plan_service.log", "ab") as out:
            self.service = subprocess.Popen([sys.executable, "-m", "services.plan_service"], cwd=self.root, env=env,
                                            stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        for proc in (self.service, self.server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()


async def large_config(nc: nats.NATS, timeout: float = 60.0) -> str:
    """The large sample's config version id: importing it again answers with the sample's version
    (identical content), once plan_service answers commands at all."""
    body = json.dumps({"document": json.loads(LARGE.read_text())}).encode()
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = json.loads((await nc.request(subjects.CMD_CONFIG_IMPORT, body, timeout=10)).data)
            return reply["config_version_id"]
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def one_round(tree: Tree, plans: int) -> Round:
    nc = await nats.connect(tree.url)
    try:
        waiting: set[str] = set()
        finished: set[str] = set()
        """Jobs seen succeeded: some end before every reply of the round is read."""
        ended = asyncio.Event()
        failed: list[str] = []
        stored = {"events": 0, "bytes": 0, "last": time.monotonic()}

        async def seen(msg) -> None:  # type: ignore[no-untyped-def]
            stored["events"] += 1
            stored["bytes"] += len(msg.data)
            stored["last"] = time.monotonic()
            if msg.subject.startswith(subjects.JOB_PROGRESS) and b'"planning"' in msg.data:
                event = json.loads(msg.data)
                if event["state"] == "failed":
                    failed.append(event["message"])
                    ended.set()
                elif event["state"] == "succeeded":
                    finished.add(event["job_id"])
                    if waiting and waiting <= finished:
                        ended.set()

        sub = await nc.subscribe("scpln.events.>", cb=seen)
        await nc.flush()
        before, nats_before = cpu_seconds(tree.service.pid), cpu_seconds(tree.server.pid)  # type: ignore[union-attr]
        started = time.perf_counter()
        command = {"base_scenario_id": "scn_baseline", "config_version_id": tree.config_version_id}
        replies = await asyncio.gather(*(
            nc.request(subjects.CMD_PLAN_CREATE, json.dumps({**command, "request_id": str(uuid.uuid4())}).encode(),
                       timeout=30) for _ in range(plans)))
        for reply in replies:
            answer = json.loads(reply.data)
            if "job_id" not in answer:
                raise RuntimeError(f"plan refused: {answer}")
            waiting.add(answer["job_id"])
        if waiting <= finished:
            ended.set()
        await asyncio.wait_for(ended.wait(), 300)
        if failed:
            raise RuntimeError(f"a planning job failed: {failed[0]}")
        seconds = time.perf_counter() - started
        while time.monotonic() - stored["last"] < QUIET_S:
            await asyncio.sleep(0.1)
        cpu, nats_cpu = cpu_seconds(tree.service.pid) - before, cpu_seconds(tree.server.pid) - nats_before  # type: ignore[union-attr]
        await sub.unsubscribe()
        return Round(plans, seconds, cpu, nats_cpu, stored["events"], stored["bytes"])
    finally:
        await nc.close()


async def prepare(tree: Tree, idle_s: float) -> None:
    nc = await nats.connect(tree.url)
    try:
        tree.config_version_id = await large_config(nc)
    finally:
        await nc.close()
    await one_round(tree, 3)  # warm-up: imports done, caches filled
    await asyncio.sleep(1.0)
    before = cpu_seconds(tree.service.pid)  # type: ignore[union-attr]
    await asyncio.sleep(idle_s)
    tree.idle_cpu_per_s = (cpu_seconds(tree.service.pid) - before) / idle_s  # type: ignore[union-attr]


def spread(values: list[float], scale: float, unit: str) -> str:
    return f"{statistics.median(values) * scale:8.1f}{unit} ({min(values) * scale:.1f}–{max(values) * scale:.1f})"


def report(trees: list[Tree]) -> None:
    for tree in trees:
        rounds = tree.rounds
        print(f"{tree.label} ({tree.root}): {len(rounds)} rounds of {rounds[0].plans} plans; median (min–max)")
        print(f"  plan_service CPU per plan  {spread([r.cpu / r.plans for r in rounds], 1000, ' ms')}")
        print(f"  nats-server CPU per plan   {spread([r.nats_cpu / r.plans for r in rounds], 1000, ' ms')}")
        print(f"  events per plan            {spread([r.events / r.plans for r in rounds], 1, '')}")
        print(f"  event bytes per plan       {spread([r.event_bytes / r.plans for r in rounds], 1 / 1024, ' KiB')}")
        print(f"  wall per round             {spread([r.seconds for r in rounds], 1000, ' ms')}")
        print(f"  plan_service idle CPU      {tree.idle_cpu_per_s * 1000:8.1f} ms/s")
    if len(trees) == 2:
        ours, base = (statistics.median([r.cpu / r.plans for r in t.rounds]) for t in trees)
        print(f"plan_service CPU per plan, {trees[0].label} ÷ {trees[1].label}: {ours / base:.2f}")


async def run(trees: list[Tree], plans: int, rounds: int) -> None:
    for tree in trees:
        await prepare(tree, idle_s=3.0)
    for _ in range(rounds):
        for tree in trees:
            tree.rounds.append(await one_round(tree, plans))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10, help="plans per round, sent at once")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--baseline-tree", type=Path, help="another checkout to measure in the same run")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers started, as on ^C
    with tempfile.TemporaryDirectory() as work:
        trees = [Tree("this tree", ROOT, Path(work) / "this")]
        if args.baseline_tree:
            trees.append(Tree("baseline", args.baseline_tree.resolve(), Path(work) / "baseline"))
        try:
            for tree in trees:
                tree.start()
            asyncio.run(run(trees, args.plans, args.rounds))
        finally:
            for tree in trees:
                tree.stop()
    report(trees)


if __name__ == "__main__":
    main()
