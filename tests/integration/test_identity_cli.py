"""``scpln users`` and ``scpln tokens`` against a secured nats-server set up as ``scpln up``
sets it up: they find it through the data directory, connect as ``operator``, and keep
hashes only in the log. ``scpln registry`` finds it the same way."""

import asyncio
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from contracts import subjects
from runtime import bus, identity, nats_credentials, nats_server
from runtime.log_reader import read_log
from scpln.cli import main


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory with a running embedded server recorded in it, and the event log declared."""
    data = tmp_path_factory.mktemp("identity-cli")
    port, passwords = nats_server.free_port(), nats_credentials.ensure_passwords(data)
    proc = nats_server.start(data / "jetstream", port, passwords=passwords)
    try:
        assert nats_server.wait_listening(port)
        nats_credentials.record_server(data, f"nats://127.0.0.1:{port}", embedded=True)
        asyncio.run(declare(f"nats://plan_service:{passwords['plan_service']}@127.0.0.1:{port}"))
        yield data
    finally:
        proc.terminate()
        proc.wait(10)


async def declare(url: str) -> None:
    nc = await nats.connect(url)
    await bus.declare_stream(nc.jetstream(), max_bytes=64 * 1024**2)
    await nc.close()


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture()
def scpln(data_dir, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """``scpln(*args, stdin=None)`` → (exit status, stdout, stderr); stdin None is a terminal."""
    monkeypatch.delenv("NATS_URL", raising=False)
    monkeypatch.setenv("SCPLN_OPERATOR", "ops-on-call")

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", Tty() if stdin is None else io.StringIO(stdin))
        status = main([*args, "--data-dir", str(data_dir)])
        out = capsys.readouterr()
        return status, out.out, out.err

    return run


async def stored_identity_bytes(data_dir: Path) -> bytes:
    nc = await nats.connect(nats_credentials.operator_url(data_dir))
    try:
        return b"\n".join([m.data async for batch in read_log(nc.jetstream(), filter_subjects=[subjects.IDENTITY_EVENTS])
                           for m in batch])
    finally:
        await nc.close()


def test_users_are_added_listed_and_changed_by_the_operator_named_on_the_console(scpln, data_dir):
    assert scpln("users", "add", "ann", "--role", "lead", stdin="ann's long password\n")[:2] == (0, "added user ann (approver)\n")
    status, out, _ = scpln("users", "add", "ben", "--role", "viewer")
    assert status == 0 and out.splitlines()[-1].startswith("password: ")
    generated = out.splitlines()[-1].removeprefix("password: ")
    assert scpln("users", "set-role", "ben", "planner")[:2] == (0, "ben is now planner\n")
    assert scpln("users", "disable", "ben")[0] == 0
    assert scpln("users", "disable", "ben")[:2] == (0, "ben is disabled already\n")
    assert scpln("users", "enable", "ben")[0] == 0
    assert scpln("users", "set-password", "ann", stdin="ann's new password\n")[0] == 0

    status, listed, _ = scpln("users", "list")
    rows = {line.split()[0]: line.split() for line in listed.splitlines()[1:]}
    assert rows["ann"][:3] == ["ann", "approver", "no"] and rows["ann"][-1] == "ops-on-call"
    assert rows["ben"][:3] == ["ben", "planner", "no"]
    stored = asyncio.run(stored_identity_bytes(data_dir))
    assert b"argon2" in stored and b"ann's" not in stored and generated.encode() not in stored and b"argon2" not in listed.encode()
    folded = identity.Identities()
    assert asyncio.run(_fold(data_dir, folded)).check_password("ann", "ann's new password") is not None


async def _fold(data_dir: Path, _into: identity.Identities) -> identity.Identities:
    nc = await nats.connect(nats_credentials.operator_url(data_dir))
    try:
        return await identity.load(nc.jetstream())
    finally:
        await nc.close()


@pytest.mark.parametrize(("args", "message"), [
    (("users", "add", "cat", "--role", "boss"), "unknown role 'boss'"),
    (("users", "set-role", "nobody", "viewer"), "no user named 'nobody'"),
    (("users", "disable", "nobody"), "no user named 'nobody'"),
    (("tokens", "create", "--user", "nobody"), "no user named 'nobody'"),
    (("tokens", "revoke", "nosuchtoken"), "no token with id 'nosuchtoken'"),
])
def test_a_command_on_what_does_not_exist_says_so_and_exits_1(scpln, args, message):
    status, out, err = scpln(*args, stdin="a long enough password\n")
    assert status == 1 and out == "" and message in err and len(err.splitlines()) == 1


def test_a_user_is_added_once_and_a_disabled_user_gets_no_token(scpln):
    assert scpln("users", "add", "dan", "--role", "viewer", stdin="dan's password\n")[0] == 0
    status, _, err = scpln("users", "add", "dan", "--role", "admin", stdin="another password\n")
    assert status == 1 and "exists already" in err
    assert scpln("users", "add", "eve", "--role", "viewer", stdin="short\n")[0] == 1, "too short a password"
    assert scpln("users", "disable", "dan")[0] == 0
    status, _, err = scpln("tokens", "create", "--user", "dan")
    assert status == 1 and "dan is disabled" in err


def test_a_token_is_printed_alone_on_the_last_line_once_and_only_its_hash_is_kept(scpln, data_dir):
    scpln("users", "add", "fay", "--role", "planner", stdin="fay's password\n")
    status, out, _ = scpln("tokens", "create", "--user", "fay", "--ttl", "30d", "--name", "nightly export")
    token = out.splitlines()[-1]
    assert status == 0 and token.startswith(identity.TOKEN_PREFIX) and " " not in token
    token_id = token.split("_")[1]
    listed = scpln("tokens", "list")[1]
    row = next(line for line in listed.splitlines() if line.startswith(token_id))
    assert "fay" in row and "nightly export" in row and row.split()[-1] == "no"
    stored = asyncio.run(stored_identity_bytes(data_dir))
    assert token.encode() not in stored and identity.token_sha256(token).encode() in stored
    assert token not in listed and identity.token_sha256(token) not in listed
    folded = asyncio.run(_fold(data_dir, identity.Identities()))
    assert folded.user_for_token(token).username == "fay"
    assert scpln("tokens", "revoke", token_id)[:2] == (0, f"token {token_id} revoked\n")
    assert asyncio.run(_fold(data_dir, identity.Identities())).user_for_token(token) is None
    assert scpln("tokens", "list")[1].splitlines()[-1].split()[-1] == "yes"


def test_the_registry_commands_find_the_bus_and_the_operators_credentials_in_the_data_dir(scpln, data_dir):
    status, out, err = scpln("registry", "rebuild", "--until-seq", "1", "--out", str(data_dir / "copy.db"))
    assert status == 0 and "point-in-time copy" in out, out + err


def test_another_users_credentials_or_no_running_system_are_said_in_one_line(scpln, data_dir, monkeypatch, tmp_path):
    passwords = nats_credentials.read_passwords(data_dir)
    gateway = nats_credentials.with_user(nats_credentials.operator_url(data_dir), "ui_gateway", passwords["ui_gateway"])
    monkeypatch.setenv("NATS_URL", gateway)
    status, _, err = scpln("users", "add", "gus", "--role", "viewer", stdin="gus's password\n")
    assert status == 1 and "refused this NATS user" in err and len(err.splitlines()) == 1
    monkeypatch.delenv("NATS_URL")
    nats_credentials.record_server(tmp_path, f"nats://127.0.0.1:{nats_server.free_port()}", embedded=True)
    status = main(["users", "list", "--data-dir", str(tmp_path)])
    assert status == 2
