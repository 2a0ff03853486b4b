"""The whole system as processes: ``scpln up`` with embedded NATS, in a temporary data dir."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from runtime.nats_server import free_port


@dataclass
class System:
    base_url: str
    data_dir: Path
    proc: subprocess.Popen
    nats_url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10)

    def wait_for(self, path: str, ready, timeout: float = 30.0):  # type: ignore[no-untyped-def]
        """GET ``path`` until ``ready(json)`` holds; return that json."""
        deadline = time.monotonic() + timeout
        last = None
        with self.client() as client:
            while time.monotonic() < deadline:
                try:
                    response = client.get(path)
                except httpx.TransportError:
                    time.sleep(0.1)
                    continue
                if response.status_code == 200:
                    last = response.json()
                    if ready(last):
                        return last
                time.sleep(0.1)
        raise AssertionError(f"{path} not ready after {timeout}s; last answer: {last}")


def start_system(data_dir: Path, extra_env: dict[str, str] | None = None) -> System:
    port, nats_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "SCPLN_DB", "SCPLN_DATA_DIR")}
    env.update({"SCPLN_SKIP_SIMULATION_API": "1", **(extra_env or {})})
    with open(data_dir / "up.out", "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scpln.cli", "up", "--data-dir", str(data_dir), "--port", str(port),
             "--nats-port", str(nats_port), "--metrics-base-port", "0"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    system = System(f"http://127.0.0.1:{port}", data_dir, proc, f"nats://127.0.0.1:{nats_port}")
    try:
        system.wait_for("/healthz", lambda body: body["status"] == "ok", timeout=60)
        system.wait_for("/scenarios", lambda body: len(body["scenarios"]) >= 3, timeout=60)
        system.wait_for("/configs", lambda body: body["total"] >= 3, timeout=60)
    except BaseException:
        stop_system(system)
        raise
    return system


def stop_system(system: System) -> None:
    system.proc.send_signal(signal.SIGTERM)
    try:
        system.proc.wait(30)
    except subprocess.TimeoutExpired:
        system.proc.kill()
        raise
