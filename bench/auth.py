"""The cost of authentication per request: ``GET /runs`` with a token, with a session cookie,
and on a gateway with sign-in off, in the same run, against the same registry.

    .venv/bin/python bench/auth.py [--runs 10000] [--repeat 400]

Starts the whole system (``scpln up``) on a registry filled with ``--runs`` runs, issues a token
(``scpln tokens create``), signs in through the login page for a session, and starts a second
gateway process on the same bus with ``SCPLN_AUTH=off`` (the baseline: the same route with no
identity work). Requests go to the three in turn, so all see the same load. "server" is the
gateway's own ``Server-Timing`` (routing, the identity check, the registry round trip,
encoding); "client" adds HTTP on loopback. Prints median and p10–p90 and the ratio of medians
against the baseline.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from gateway import fill_registry

from runtime.nats_credentials import read_passwords, with_user
from runtime.nats_server import free_port, wait_listening
from tests.e2e.system import start_system, stop_system

PATH = "/runs?limit=50"


def session_client(base_url: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=True)
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/login").text).group(1)
    answer = client.post("/login", data={"username": "admin", "password": password, "csrf_token": csrf})
    assert answer.status_code == 200, answer.status_code
    return client


def gateway_without_sign_in(system, data: Path) -> tuple[subprocess.Popen, str]:  # type: ignore[no-untyped-def]
    port = free_port()
    nats_port = int(system.nats_url.rsplit(":", 1)[1])
    url = with_user(f"nats://127.0.0.1:{nats_port}", "ui_gateway", read_passwords(data)["ui_gateway"])
    env = {**os.environ, "NATS_URL": url, "GATEWAY_PORT": str(port), "GATEWAY_HOST": "127.0.0.1",
           "SCPLN_AUTH": "off", "SCPLN_DATA_DIR": str(data / "bench-gateway"), "METRICS_PORT": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "services.ui_gateway"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_listening(port, 30):
        proc.kill()
        raise RuntimeError("the second gateway did not start")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while httpx.get(f"{base}/healthz").status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the second gateway is not healthy")
        time.sleep(0.1)
    return proc, base


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    p10, p90 = ordered[len(ordered) // 10], ordered[len(ordered) * 9 // 10]
    return f"{statistics.median(ordered):7.2f} ms  ({p10:6.2f}–{p90:6.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        data = Path(os.environ.get("BENCH_DATA_DIR", tmp))
        data.mkdir(parents=True, exist_ok=True)
        fill_registry(data / "scpln.db", args.runs)
        system = start_system(data, {"SCPLN_DB": str(data / "scpln.db")})
        baseline = None
        try:
            baseline, off_url = gateway_without_sign_in(system, data)
            clients = {
                "sign-in off (baseline)": httpx.Client(base_url=off_url, timeout=30),
                "Authorization: Bearer token": system.client(),
                "session cookie": session_client(system.base_url, system.admin_password),
            }
            server: dict[str, list[float]] = {name: [] for name in clients}
            wall: dict[str, list[float]] = {name: [] for name in clients}
            for client in clients.values():
                for _ in range(20):
                    client.get(PATH)
            for _ in range(args.repeat):
                for name, client in clients.items():
                    started = time.perf_counter()
                    answer = client.get(PATH)
                    wall[name].append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (name, answer.status_code)
                    server[name].append(float(answer.headers["server-timing"].split("dur=")[1]))
            base = statistics.median(server["sign-in off (baseline)"])
            print(f"GET {PATH} with {args.runs:,} runs in the registry, {args.repeat} requests each, interleaved")
            print(f"  {'identity':<30} {'server p50 (p10–p90)':>30} {'client p50 (p10–p90)':>30} {'server x baseline':>18}")
            for name in clients:
                print(f"  {name:<30} {spread(server[name]):>30} {spread(wall[name]):>30} "
                      f"{statistics.median(server[name]) / base:17.2f}x")
            for client in clients.values():
                client.close()
        finally:
            if baseline is not None:
                baseline.terminate()
                baseline.wait(10)
            stop_system(system)


if __name__ == "__main__":
    main()
