"""The whole system as processes: ``scpln up`` with embedded NATS, in a temporary data dir.

The system is secured as it runs for anyone: ``System`` signs in with the first start's admin,
adds users and issues tokens through the real ``scpln users`` / ``scpln tokens`` commands, and
its clients send ``Authorization: Bearer <token>`` (the admin's unless told otherwise)."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats

from runtime.nats_credentials import SERVER_FILE, operator_url
from runtime.nats_server import free_port

ROOT = Path(__file__).resolve().parents[2]
INITIAL_PASSWORD = "initial-admin-password"


@dataclass
class System:
    base_url: str
    data_dir: Path
    proc: subprocess.Popen
    nats_url: str
    """The bus as the operator (credentials included): tests read the log with it."""
    cli_env: dict[str, str] = field(default_factory=dict)
    """Environment of the ``scpln`` commands beyond ``--data-dir`` (a deployed system: ``NATS_URL``)."""
    admin_password: str = ""
    admin_token: str = ""
    _tokens: dict[str, str] = field(default_factory=dict)

    def scpln(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """``scpln <args> --data-dir <data dir>`` as a process; it must succeed."""
        env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "SCPLN_DATA_DIR", "SCPLN_DB")}
        result = subprocess.run([sys.executable, "-m", "scpln.cli", *args, "--data-dir", str(self.data_dir)],
                                cwd=ROOT, env={**env, "SCPLN_OPERATOR": "e2e-tests", **self.cli_env},
                                input=stdin, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, f"scpln {' '.join(args)}: {result.stdout}{result.stderr}"
        return result

    def add_user(self, name: str, role: str, password: str | None = None) -> str:
        """Add a user with ``scpln users add``; return the password (generated unless given)."""
        password = password or f"pw-of-{name}-{os.urandom(4).hex()}"
        self.scpln("users", "add", name, "--role", role, stdin=password + "\n")
        return password

    def create_token(self, user: str, *options: str) -> str:
        """``scpln tokens create --user USER [options]``: the token (the last line), once the
        gateway has taken it in."""
        token = self.scpln("tokens", "create", "--user", user, *options).stdout.strip().splitlines()[-1]
        self._wait_until_known(token)
        return token

    def token_for(self, role: str) -> str:
        """A token of a user with ``role`` (the admin's for admin; one user per role, made once)."""
        if role == "admin" and self.admin_token:
            return self.admin_token
        if role not in self._tokens:
            user = f"e2e-{role}"
            self.add_user(user, role)
            self._tokens[role] = self.create_token(user, "--name", "e2e tests")
        return self._tokens[role]

    def client(self, role: str = "admin", *, token: str | None = None) -> httpx.Client:
        """An HTTP client with a bearer token: ``token``, else a user's of ``role`` (the admin's)."""
        bearer = token or self.token_for(role)
        return httpx.Client(base_url=self.base_url, timeout=10, headers={"Authorization": f"Bearer {bearer}"})

    def anonymous(self) -> httpx.Client:
        """An HTTP client with no identity."""
        return httpx.Client(base_url=self.base_url, timeout=10)

    def wait_for_status(self, client: httpx.Client, path: str, status: int, timeout: float = 30.0) -> None:
        """GET ``path`` with ``client`` until it answers ``status`` (the gateway follows the log)."""
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            if (last := client.get(path).status_code) == status:
                return
            time.sleep(0.1)
        raise AssertionError(f"{path} answered {last}, not {status}, for {timeout}s")

    def _wait_until_known(self, token: str, timeout: float = 30.0) -> None:
        """The gateway follows the log: a token just issued works once it has read that far."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get("/runs", params={"limit": 1}).status_code != 401:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise AssertionError(f"the gateway did not accept a new token within {timeout}s")

    def sign_in_as_admin(self) -> None:
        """Read the first start's admin password from the data directory and issue a token."""
        self.admin_password = wait_for_file(self.data_dir / INITIAL_PASSWORD).strip()
        self.admin_token = self.create_token("admin", "--name", "e2e tests", "--ttl", "1d")

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


def wait_for_file(path: Path, timeout: float = 60.0, newer_than: float = 0.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_mtime >= newer_than and (text := path.read_text()):
            return text
        time.sleep(0.1)
    raise AssertionError(f"{path} was not written within {timeout}s")


def start_system(data_dir: Path, extra_env: dict[str, str] | None = None) -> System:
    port, nats_port, started = free_port(), free_port(), time.time()
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "SCPLN_DB", "SCPLN_DATA_DIR")}
    env.update({"SCPLN_SKIP_SIMULATION_API": "1", **(extra_env or {})})
    with open(data_dir / "up.out", "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scpln.cli", "up", "--data-dir", str(data_dir), "--port", str(port),
             "--nats-port", str(nats_port), "--metrics-base-port", "0"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    system = System(f"http://127.0.0.1:{port}", data_dir, proc, "")
    try:
        wait_for_file(data_dir / SERVER_FILE, newer_than=started)  # not an earlier start's
        system.sign_in_as_admin()
        system.nats_url = operator_url(data_dir) or ""
        system.wait_for("/healthz", lambda body: body["status"] == "ok", timeout=60)
        system.wait_for("/scenarios", lambda body: len(body["scenarios"]) >= 3, timeout=60)
        system.wait_for("/configs", lambda body: body["total"] >= 3, timeout=60)
    except BaseException:
        stop_system(system)
        raise
    return system


def permission_violations(system: System) -> list[str]:
    """What the embedded bus refused the services and commands (its log's violations). Read
    once the system has stopped, the log is whole; while it runs, ``violations_logged``."""
    log = system.data_dir / "logs" / "nats-server.log"
    return [line for line in log.read_text().splitlines() if "Violation" in line] if log.is_file() else []


def violations_logged(log: Path, user_url: str, timeout: float = 15.0) -> list[str]:
    """The permission violations in the server's log, read once it has logged one made on
    purpose after everything else (a publish by ``user_url``'s user to a subject nobody may
    publish): the server logs in order, so no refusal before it is missed."""
    sentinel = f"scpln.sentinel.{uuid.uuid4().hex}"
    asyncio.run(_publish_refused(user_url, sentinel))
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().splitlines() if log.is_file() else []
        if any(sentinel in line for line in lines):
            return [line for line in lines if "Violation" in line and sentinel not in line]
        if time.monotonic() > deadline:
            raise AssertionError(f"the server never logged the refused publish to {sentinel}")
        time.sleep(0.05)


async def _publish_refused(user_url: str, subject: str) -> None:
    async def ignore(_error: Exception) -> None:
        pass

    nc = await nats.connect(user_url, error_cb=ignore, allow_reconnect=False)
    try:
        await nc.publish(subject, b"")
        await nc.flush()
    finally:
        await nc.close()


def stop_system(system: System) -> None:
    system.proc.send_signal(signal.SIGTERM)
    try:
        system.proc.wait(30)
    except subprocess.TimeoutExpired:
        system.proc.kill()
        raise
