"""``scpln up``: bring the whole system up on this machine."""

import argparse
import os
import sys
import time
import urllib.request
from pathlib import Path

from runtime import nats_credentials, nats_server
from runtime.bus import public_url
from scpln import first_admin
from scpln.supervisor import Child, StuckWatch, Supervisor, say, service_child

SERVICES = (
    ("plan_service", "services.plan_service"),
    ("run_registry", "services.run_registry"),
    ("simulator", "services.simulator"),
    ("ui_gateway", "services.ui_gateway"),
    ("notifier", "services.notifier"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("SCPLN_DATA_DIR", "data")),
                        help="where the event log, read models and logs live (SCPLN_DATA_DIR)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")),
                        help="HTTP port of the UI and API (GATEWAY_PORT)")
    parser.add_argument("--nats-port", type=int, default=int(os.environ.get("SCPLN_NATS_PORT", "4222")),
                        help="port of the embedded NATS server (SCPLN_NATS_PORT)")
    parser.add_argument("--simulators", type=int, default=int(os.environ.get("SCPLN_SIMULATORS", default_simulators())),
                        help="simulator processes, sharing the work (SCPLN_SIMULATORS; default: one per core, at most "
                             f"{MAX_DEFAULT_SIMULATORS})")
    parser.add_argument("--metrics-base-port", type=int, default=int(os.environ.get("SCPLN_METRICS_BASE_PORT", "9101")),
                        help="/metrics of plan_service, run_registry, simulator on this port and the next two, the "
                             "notifier's on the fourth after it; 0 disables")


MAX_DEFAULT_SIMULATORS = 2
"""A simulation is mostly one core's work: one simulator process per core keeps a machine's
cores busy with a burst of plans (one process runs at most one simulation at a time on a core,
whatever its threads). More than two on one machine rarely pays for their memory."""


def default_simulators() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_SIMULATORS))


def service_processes(simulators: int) -> list[tuple[str, str, int]]:
    """Each process ``scpln up`` runs: its name (its log's and its simulator's worker name), module
    and index among the metrics ports (the services in ``SERVICES`` order, then the simulators
    after the first)."""
    processes = [(name, module, i) for i, (name, module) in enumerate(SERVICES)]
    processes += [(f"simulator-{k}", "services.simulator", len(SERVICES) + k - 2) for k in range(2, simulators + 1)]
    return processes


def _check_ports(ports: dict[str, int]) -> str | None:
    for what, port in ports.items():
        if port and nats_server.port_in_use(port):
            return f"port {port} ({what}) is already in use on 127.0.0.1; stop what uses it or choose another port"
    return None


def _child_env(args: argparse.Namespace, nats_url: str, index: int, monitor_url: str,
               worker: str | None = None) -> dict[str, str]:
    """``nats_url``: the service's own NATS user and password (embedded), or ``NATS_URL``;
    ``monitor_url``: the embedded server's monitoring endpoint (asked why a write went unanswered)."""
    env = dict(os.environ, NATS_URL=nats_url, SCPLN_DATA_DIR=str(args.data_dir),
               GATEWAY_PORT=str(args.port), GATEWAY_HOST="127.0.0.1", PYTHONUNBUFFERED="1")
    if monitor_url:
        env["NATS_MONITOR_URL"] = monitor_url
    env.setdefault("SCPLN_DB", str(args.data_dir / "scpln.db"))
    env["METRICS_PORT"] = str(args.metrics_base_port + index if args.metrics_base_port else 0)
    if worker:
        env["WORKER_NAME"] = worker
    return env


def _wait_healthy(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def run(args: argparse.Namespace) -> int:
    if args.simulators < 1:
        print("scpln: --simulators must be at least 1", file=sys.stderr)
        return 2
    args.data_dir = args.data_dir.resolve()
    logs = args.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    external = os.environ.get("NATS_URL")
    ports = {"ui_gateway": args.port, **({} if external else {"nats": args.nats_port})}
    if args.metrics_base_port:
        ports.update({f"{name} metrics": args.metrics_base_port + i for name, _, i in service_processes(args.simulators)
                      if name != "ui_gateway"})
    if problem := _check_ports(ports):
        print(f"scpln: {problem}", file=sys.stderr)
        return 2
    nats, stuck, monitor_url = None, None, ""
    if external:
        urls = dict.fromkeys([*(name for name, _ in SERVICES), "operator"], external)
        nats_credentials.record_server(args.data_dir, public_url(external), embedded=False)
        say(f"using NATS at {public_url(external)}")
    else:
        passwords = nats_credentials.ensure_passwords(args.data_dir)
        monitor_port = nats_server.free_port()
        monitor_url = f"http://127.0.0.1:{monitor_port}"
        nats_args, nats_env = nats_server.command(args.data_dir / "jetstream", args.nats_port, monitor_port=monitor_port,
                                                  passwords=passwords)
        nats = Child("nats-server", nats_args, nats_env, logs / "nats-server.log", own_session=True)
        nats.start()
        if not nats_server.wait_listening(args.nats_port):
            print(f"scpln: nats-server did not start; see {logs / 'nats-server.log'}", file=sys.stderr)
            nats.proc.kill()  # type: ignore[union-attr]
            return 1
        reserve_mb = float(os.environ.get("SCPLN_DISK_RESERVE_MB", "256"))
        stuck = StuckWatch(monitor_url, args.data_dir / "jetstream", int(reserve_mb * 2**20))
        server_url = f"nats://127.0.0.1:{args.nats_port}"
        nats_credentials.record_server(args.data_dir, server_url, embedded=True)
        urls = {user: nats_credentials.with_user(server_url, user, password) for user, password in passwords.items()}
        say(f"embedded NATS (JetStream) on {server_url}, store {args.data_dir / 'jetstream'}; a user per service, "
            f"passwords in {nats_credentials.users_file(args.data_dir)}")
    children = [service_child(name, module, _child_env(args, urls[module.rsplit(".", 1)[1]], i, monitor_url,
                                                       worker=name if module == "services.simulator" else None), logs)
                for name, module, i in service_processes(args.simulators)]
    supervisor = Supervisor(children, nats, stuck)
    for child in children:
        child.start()
    try:
        first_admin.create_if_none(urls["operator"], args.data_dir, f"http://127.0.0.1:{args.port}/login")
        if _wait_healthy(args.port, 30):
            say(f"SCPLN is up: http://127.0.0.1:{args.port}/ui/plans  (logs in {logs}; Ctrl-C stops)")
        else:
            say(f"the gateway is not healthy yet; see {logs}")
        supervisor.watch()
    finally:
        supervisor.shutdown()
    return 0
