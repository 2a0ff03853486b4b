"""``scpln up`` as a user runs it: a clear error for a busy port, an external NATS when asked."""

import os
import socket
import subprocess
import sys

import pytest

from runtime import nats_server
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
            assert len(children) == 4, "only the four services: no embedded nats-server"
            assert not (tmp_path / "data" / "jetstream").exists()
            with system.client() as client:
                assert client.get("/healthz").status_code == 200
        finally:
            stop_system(system)
    finally:
        server.terminate()
        server.wait(5)
