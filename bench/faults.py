"""Fault drills, measured: the table of issue 15's closing note.

    .venv/bin/python bench/faults.py [--tries 1] [--plans 12] [--only nats-server,disk,plan_service,...]

Each drill starts the whole system (``scpln up``, stub simulation) in a fresh data directory and
posts large-network plans one after another (``--plans``). A kill drill sends ``kill -9`` to one
child of ``scpln up`` after the third plan and keeps posting; the disk drill puts the data
directory on a 40 MB tmpfs (root only), leaves 6 MB free with a filler file (2 MB of it the
reserve), posts until three plans in a row are refused, fills the rest of the disk, then deletes
the filler. Then it waits until every accepted plan has exactly one run and no job is queued or
running. Prints one row per try: fault, tries (plans posted), accepted (and what answered the
others), runs, lost, stuck, recovery (from the kill, or from the space given back, to the last
accepted plan's run).
"""

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from tests.e2e.faults import MB, Tally, config_id, kill_child, mounted, settle
from tests.e2e.system import System, start_system, stop_system

KILLS = ("nats-server", "plan_service", "simulator", "run_registry", "ui_gateway")


def post(client: httpx.Client, tally: Tally, config: str) -> int:
    """POST /plans once; a connection refused (the gateway killed) is counted as 0."""
    tally.tries += 1
    try:
        answer = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config})
    except httpx.TransportError:
        tally.answers[0] += 1
        return 0
    tally.answers[answer.status_code] += 1
    if answer.status_code == 202:
        tally.accepted.append(answer.json()["plan_version_id"])
    return answer.status_code


def kill_drill(system: System, name: str, plans: int) -> Tally:
    tally = Tally(f"kill -9 {name}")
    killed_at = time.monotonic()
    with system.client() as client:
        config = config_id(client)
        for n in range(plans):
            if n == 3:
                kill_child(system, name)
                killed_at = time.monotonic()
            post(client, tally, config)
            time.sleep(0.2)
    settle(system, tally, killed_at, timeout=300)
    return tally


def disk_drill(where: Path, plans: int) -> Tally:
    tally = Tally("disk full (40 MB tmpfs)")
    with mounted(where, 40) as disk:
        data_dir = disk.where / "data"
        data_dir.mkdir()
        system = start_system(data_dir, {"SCPLN_DISK_RESERVE_MB": "2"})
        try:
            filler = disk.fill(leave=6 * MB)
            with system.client() as client:
                client.timeout = httpx.Timeout(15)
                config, refused = config_id(client), 0
                while tally.tries < max(plans, 80) and refused < 3:
                    refused = 0 if post(client, tally, config) == 202 else refused + 1
            with open(filler, "ab") as more, contextlib.suppress(OSError):
                more.write(b"\0" * disk.free())
            time.sleep(3)
            filler.unlink()
            settle(system, tally, time.monotonic(), timeout=300)
            restarted = "writes refused after its disk filled" in (data_dir / "up.out").read_text()
            tally.fault += " (nats-server stuck, restarted by scpln up)" if restarted else ""
        finally:
            stop_system(system)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=1)
    parser.add_argument("--plans", type=int, default=12)
    parser.add_argument("--only", default=",".join((*KILLS, "disk")))
    args = parser.parse_args()
    print("| fault | tries | accepted | runs | lost | stuck | recovery |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for fault in args.only.split(","):
        for _ in range(args.tries):
            with tempfile.TemporaryDirectory(prefix="scpln-faults-") as tmp:
                if fault == "disk":
                    try:
                        tally = disk_drill(Path(tmp) / "disk", args.plans)
                    except PermissionError as exc:
                        print(f"| disk full | skipped: cannot mount a tmpfs ({exc}) |")
                        continue
                else:
                    system = start_system(Path(tmp))
                    try:
                        tally = kill_drill(system, fault, args.plans)
                    finally:
                        stop_system(system)
                print(tally.row(), flush=True)


if __name__ == "__main__":
    main()
