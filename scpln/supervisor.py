"""``scpln up``: the embedded NATS server and the four services as child processes.

Children restart with backoff when they die; SIGINT/SIGTERM stops them all (services first,
so they drain, then NATS). Children also get SIGTERM if the supervisor itself is killed.
"""

import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: deliver SIGTERM to the child when the supervisor dies, so none is orphaned."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=_die_with_parent)  # noqa: PLW1509 - the supervisor runs no threads
        self.started_at = time.monotonic()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if not self.running():
            return
        self.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        try:
            self.proc.wait(timeout)  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            self.proc.kill()  # type: ignore[union-attr]
            self.proc.wait()  # type: ignore[union-attr]


def say(message: str) -> None:
    print(f"scpln: {message}", flush=True)


class Supervisor:
    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self.stopping = False

    def request_stop(self, *_: object) -> None:
        self.stopping = True

    def watch(self) -> None:
        """Restart dead children with exponential backoff (reset after a minute of good health)."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child.running() or child.proc is None:
                    continue
                if child.next_start == 0.0:
                    if now - child.started_at > 60:
                        child.restarts = 0
                    delay = min(30.0, 0.5 * 2**child.restarts)
                    say(f"{child.name} exited with code {child.proc.returncode}; restarting in {delay:.1f}s "
                        f"(log: {child.log_path})")
                    child.next_start = now + delay
                elif now >= child.next_start:
                    child.restarts += 1
                    child.next_start = 0.0
                    child.start()
            time.sleep(0.2)

    def shutdown(self, nats: subprocess.Popen | None) -> None:
        say("stopping services")
        for child in self.children:
            if child.running():
                child.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        for child in self.children:
            child.stop()
        if nats is not None and nats.poll() is None:
            nats.send_signal(signal.SIGTERM)
            try:
                nats.wait(10)
            except subprocess.TimeoutExpired:
                nats.kill()
        say("stopped")


def service_child(name: str, module: str, env: dict[str, str], logs: Path) -> Child:
    return Child(name, [sys.executable, "-m", module], env, logs / f"{name}.log")


def port_from_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
