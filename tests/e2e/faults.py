"""Fault drills on the system as processes (``tests/e2e/test_faults.py``, ``bench/faults.py``):
kill a child of ``scpln up``, fill the data directory's disk, and count what the system did with
the plans posted meanwhile: accepted (202), refused (507/503), their runs, jobs left unfinished."""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.system import System

MB = 2**20


@dataclass
class Tally:
    """What a drill did, for the closing table of issue 15."""

    fault: str
    tries: int = 0
    answers: Counter = field(default_factory=Counter)
    accepted: list[str] = field(default_factory=list)
    runs: int = 0
    """Accepted plans with exactly one run."""
    lost: int = 0
    """Accepted plans without a run (or with more than one) when the drill ended."""
    stuck: int = 0
    """Jobs left queued or running when the drill ended."""
    recovery_s: float = 0.0
    """From the fault's end (the child killed, space given back) to every accepted plan's run."""

    def row(self) -> str:
        refused = ", ".join(f"{n}×{code}" for code, n in sorted(self.answers.items()) if code != 202) or "none"
        return (f"| {self.fault} | {self.tries} | {len(self.accepted)} (refused: {refused}) | {self.runs} | "
                f"{self.lost} | {self.stuck} | {self.recovery_s:.1f} s |")


def child_pid(system: System, name: str) -> int:
    """The pid of ``scpln up``'s child ``name`` (nats-server, or a service's module name)."""
    for pid in subprocess.run(["pgrep", "-P", str(system.proc.pid)], capture_output=True, text=True,
                              check=False).stdout.split():
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        if (name == "nats-server" and "nats-server" in cmdline) or f"services.{name}" in cmdline:
            return int(pid)
    raise AssertionError(f"scpln up has no child {name}")


def kill_child(system: System, name: str) -> int:
    pid = child_pid(system, name)
    os.kill(pid, signal.SIGKILL)
    return pid


def config_id(client: httpx.Client, name: str = "Large network") -> str:
    return next(c["config_version_id"] for c in client.get("/configs").json()["configs"] if c["name"] == name)


def post_plan(client: httpx.Client, tally: Tally, config: str) -> int:
    """POST /plans once; count its answer (a transport error or a timeout is a failure of the test)."""
    answer = client.post("/plans", json={"base_scenario_id": "scn_baseline", "config_version_id": config})
    tally.tries += 1
    tally.answers[answer.status_code] += 1
    assert answer.status_code in (202, 503, 507), f"{answer.status_code}: {answer.text}"
    if answer.status_code == 202:
        tally.accepted.append(answer.json()["plan_version_id"])
    return answer.status_code


def runs_per_plan(client: httpx.Client) -> Counter:
    page = client.get("/runs", params={"limit": 1000})
    return Counter(run["plan_version_id"] for run in page.json()["runs"]) if page.status_code == 200 else Counter()


def unfinished_jobs(client: httpx.Client) -> list[dict] | None:
    page = client.get("/jobs", params={"unfinished": "true", "limit": 1000})
    return page.json()["jobs"] if page.status_code == 200 else None


def settle(system: System, tally: Tally, since: float, timeout: float) -> None:
    """Wait until every accepted plan has exactly one run and no job is queued or running;
    count runs, lost and stuck as they are then (also when the timeout passes)."""
    deadline = time.monotonic() + timeout
    with system.client() as client:
        while True:
            try:
                runs, jobs = runs_per_plan(client), unfinished_jobs(client)
            except httpx.TransportError:
                runs, jobs = Counter(), None
            done = all(runs[plan] == 1 for plan in tally.accepted) and jobs == []
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    tally.recovery_s = time.monotonic() - since
    tally.runs = sum(1 for plan in tally.accepted if runs[plan] == 1)
    tally.lost = len(tally.accepted) - tally.runs
    tally.stuck = len(jobs) if jobs is not None else -1


def wait_healthy(system: System, timeout: float) -> float:
    """Seconds until ``/healthz`` answers 200; AssertionError after ``timeout``."""
    began, deadline = time.monotonic(), time.monotonic() + timeout
    with httpx.Client(base_url=system.base_url, timeout=1) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if client.get("/healthz").status_code == 200:
                    return time.monotonic() - began
            time.sleep(0.1)
    raise AssertionError(f"/healthz not 200 within {timeout:.0f} s")


def log_sizes(system: System) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in (system.data_dir / "logs").glob("*.log")}


class Tmpfs:
    """A small tmpfs as the data directory's disk; ``reason`` says why none could be mounted."""

    def __init__(self, where: Path, size_mb: int) -> None:
        self.where, self.size_mb = where, size_mb
        self.reason = ""
        where.mkdir(parents=True, exist_ok=True)

    def mount(self) -> bool:
        if shutil.which("mount") is None:
            self.reason = "no mount command"
            return False
        tried = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m", "tmpfs", str(self.where)],
                               capture_output=True, text=True, check=False)
        self.reason = tried.stderr.strip() or f"mount exited with {tried.returncode}"
        return tried.returncode == 0

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.where)], capture_output=True, check=False)

    def free(self) -> int:
        return shutil.disk_usage(self.where).free

    def fill(self, leave: int) -> Path:
        """A filler file that leaves ``leave`` bytes free; deleting it gives the space back."""
        filler = self.where / "filler"
        size = self.free() - leave
        with open(filler, "wb") as out:
            os.posix_fallocate(out.fileno(), 0, max(size, 1))
        return filler


@contextlib.contextmanager
def mounted(where: Path, size_mb: int) -> Iterator[Tmpfs]:
    disk = Tmpfs(where, size_mb)
    if not disk.mount():
        raise PermissionError(disk.reason)
    try:
        yield disk
    finally:
        disk.unmount()
