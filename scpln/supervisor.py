"""``scpln up``: the embedded NATS server and the four services as child processes.

Every child restarts with backoff when it dies, nats-server included, said in one line
("nats-server exited (signal 9); restarted in 0.4 s"). nats-server is also restarted when it
keeps refusing writes after its disk filled and space is back (its own health check names the
write error; it does not recover from it by itself). SIGINT/SIGTERM stops them all (services
first, so they drain, then NATS). Children also get SIGTERM if the supervisor itself is killed.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from contracts.storage import megabytes
from runtime import nats_server

PR_SET_PDEATHSIG = 1
QUIET_RESTART_S = 2.0
"""A child restarted within this long is said once, after; a longer wait is said before."""
HEALTHY_AFTER_S = 60.0
"""A child up this long starts its backoff afresh."""


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
    own_session: bool = False
    """nats-server: Ctrl-C in the terminal reaches the supervisor only, which stops it last."""
    proc: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)
    exited: str = ""
    """How it last exited ("signal 9", "code 1")."""
    exited_at: float = 0.0

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=_die_with_parent,  # noqa: PLW1509 - the supervisor runs no threads
                                         start_new_session=self.own_session)
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
    """One line on the console; a console that cannot be written (its disk full) stops nothing."""
    try:
        print(f"scpln: {message}", flush=True)
    except OSError:
        pass


def how_it_exited(returncode: int) -> str:
    return f"signal {-returncode}" if returncode < 0 else f"code {returncode}"


def backoff(restarts: int) -> float:
    return min(30.0, 0.25 * 2**restarts)


@dataclass
class StuckWatch:
    """Restart nats-server when its health check reports a write error (it refuses every write
    to that stream until restarted) while its store has ``reserve_bytes`` free again."""

    monitor_url: str
    store_dir: Path
    reserve_bytes: int
    every_s: float = 2.0
    calm_s: float = 30.0
    """No second restart for a write error within this long of the last."""
    write_error: Callable[[str], str | None] = nats_server.write_error
    free_bytes: Callable[[Path], int] = lambda path: shutil.disk_usage(path).free
    next_check: float = 0.0
    last_restart: float = -1e9
    said_full: bool = False

    def why_restart(self, now: float) -> str | None:
        """The reason to restart nats-server now, or None."""
        if now < self.next_check:
            return None
        self.next_check = now + self.every_s
        error = self.write_error(self.monitor_url)
        if error is None:
            self.said_full = False
            return None
        free = self.free_bytes(self.store_dir)
        if free < self.reserve_bytes:
            if not self.said_full:
                say(f"nats-server refuses writes: {error}; it is restarted once {megabytes(self.reserve_bytes)} are "
                    f"free in {self.store_dir} ({megabytes(free)} now)")
            self.said_full = True
            return None
        if now - self.last_restart < self.calm_s:
            return None
        self.last_restart, self.said_full = now, False
        return f"writes refused after its disk filled ({error}); {megabytes(free)} free again"


class Supervisor:
    def __init__(self, children: list[Child], nats: Child | None = None, stuck: StuckWatch | None = None) -> None:
        self.children = children
        self.nats = nats
        self.stuck = stuck
        self.stopping = False

    def request_stop(self, *_: object) -> None:
        self.stopping = True

    def watch(self) -> None:
        """Restart dead children with exponential backoff (reset after a minute of good health),
        and nats-server when it is stuck on a write error."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        while not self.stopping:
            now = time.monotonic()
            for child in ([self.nats] if self.nats else []) + self.children:
                self._tend(child, now)
            if self._nats_settled(now) and (reason := self.stuck.why_restart(now)):  # type: ignore[union-attr]
                self._restart_stuck(reason)
            time.sleep(0.2)

    def _tend(self, child: Child, now: float) -> None:
        if child.running() or child.proc is None:
            return
        if child.next_start == 0.0:
            if now - child.started_at > HEALTHY_AFTER_S:
                child.restarts = 0
            delay = backoff(child.restarts)
            child.exited = how_it_exited(child.proc.returncode)
            child.next_start = now + delay
            if delay >= QUIET_RESTART_S:
                say(f"{child.name} exited ({child.exited}); restarting in {delay:.1f} s (log: {child.log_path})")
            child.exited_at = now
        elif now >= child.next_start:
            waited = now - child.exited_at
            child.restarts += 1
            child.next_start = 0.0
            child.start()
            if waited < QUIET_RESTART_S:
                say(f"{child.name} exited ({child.exited}); restarted in {waited:.1f} s (log: {child.log_path})")

    def _nats_settled(self, now: float) -> bool:
        """nats-server is watched for a stuck store once it has run a few seconds."""
        return bool(self.nats and self.stuck and self.nats.running() and now - self.nats.started_at > 3.0)

    def _restart_stuck(self, reason: str) -> None:
        assert self.nats is not None
        began = time.monotonic()
        self.nats.stop()
        self.nats.start()
        say(f"nats-server: {reason}: restarted in {time.monotonic() - began:.1f} s")

    def shutdown(self) -> None:
        say("stopping services")
        for child in self.children:
            if child.running():
                child.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        for child in self.children:
            child.stop()
        if self.nats is not None:
            self.nats.stop()
        say("stopped")


def service_child(name: str, module: str, env: dict[str, str], logs: Path) -> Child:
    return Child(name, [sys.executable, "-m", module], env, logs / f"{name}.log")


def port_from_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
