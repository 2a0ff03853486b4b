"""``scpln up`` as a user runs it: a clear error for a busy port, an external NATS when asked."""

import asyncio
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import nats
import pytest

from runtime import nats_server
from scpln.up import default_simulators
from tests.e2e.system import start_system, stop_system

pytestmark = pytest.mark.e2e


def test_a_port_in_use_gives_a_clear_one_line_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "scpln.cli", "up", "--data-dir", str(tmp_path), "--port", str(port),
             "--nats-port", str(nats_server.free_port()), "--metrics-base-port", "0"],
            capture_output=True, text=True, timeout=30, check=False, env={k: v for k, v in os.environ.items() if k != "NATS_URL"},
        )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {port}" in lines[0] and "already in use" in lines[0]


def test_with_nats_url_set_it_uses_that_server_and_starts_none(tmp_path):
    port = nats_server.free_port()
    server = nats_server.start(tmp_path / "external-js", port)
    assert nats_server.wait_listening(port)
    try:
        (tmp_path / "data").mkdir()
        system = start_system(tmp_path / "data", {"NATS_URL": f"nats://127.0.0.1:{port}"})
        try:
            children = subprocess.run(["pgrep", "-P", str(system.proc.pid)], capture_output=True, text=True, check=False).stdout.split()
            assert len(children) == 4 + default_simulators(), "only the services and their simulators: no embedded nats-server"
            assert not (tmp_path / "data" / "jetstream").exists()
            with system.client() as client:
                assert client.get("/healthz").status_code == 200
        finally:
            stop_system(system)
    finally:
        server.terminate()
        server.wait(5)


def children_nats_users(system) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each child process's module and the NATS user in its NATS_URL."""
    return {module: user for module, user, _ in children(system)}


def children(system) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Each child process's module, the NATS user in its NATS_URL and its WORKER_NAME."""
    found = []
    for pid in subprocess.run(["pgrep", "-P", str(system.proc.pid)], capture_output=True, text=True, check=False).stdout.split():
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        environ = dict(item.split(b"=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in item)
        if b"-m" in cmdline:
            module = cmdline[cmdline.index(b"-m") + 1].decode().removeprefix("services.")
            found.append((module, urlsplit(environ[b"NATS_URL"].decode()).username,
                          environ.get(b"WORKER_NAME", b"").decode()))
    return found


async def refused_without_credentials(port: int) -> None:
    async def quiet(_error: Exception) -> None:
        pass

    with pytest.raises(Exception, match="[Aa]uthorization"):
        await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False, max_reconnect_attempts=0, error_cb=quiet)


def test_the_first_start_secures_the_bus_and_says_the_admin_password_once(tmp_path):
    system = start_system(tmp_path)
    try:
        secrets_dir = tmp_path / "secrets"
        assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE((secrets_dir / "nats-users.json").stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "initial-admin-password").stat().st_mode) == 0o600
        assert children_nats_users(system) == {name: name for name in ("plan_service", "run_registry", "simulator", "ui_gateway",
                                                                       "notifier")}
        workers = sorted(worker for module, _, worker in children(system) if module == "simulator")
        assert workers == ["simulator", "simulator-2"][:default_simulators()], "a simulator per core, each named"
        port = urlsplit(system.nats_url).port
        asyncio.run(refused_without_credentials(port))
        with system.anonymous() as anonymous, system.client() as admin:
            assert anonymous.get("/runs").status_code == 401
            assert admin.get("/runs").status_code == 200, "a token made with scpln tokens create works"
        passwords = (secrets_dir / "nats-users.json").read_text()
    finally:
        stop_system(system)
    said = [line for line in (tmp_path / "up.out").read_text().splitlines() if "first start" in line]
    assert said == [(f"scpln: first start: sign in at {system.base_url}/login as user admin with password "
                     f"{system.admin_password} (kept in {tmp_path / 'initial-admin-password'}, mode 0600)")]

    again = start_system(tmp_path)  # the log has a user: no new admin, the same NATS passwords
    try:
        assert again.admin_password == system.admin_password
        assert (secrets_dir / "nats-users.json").read_text() == passwords
    finally:
        stop_system(again)
    assert len([line for line in (tmp_path / "up.out").read_text().splitlines() if "first start" in line]) == 1
