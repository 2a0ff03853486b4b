"""The embedded server's passwords in the data directory, and how the ``scpln`` commands find
the bus from there."""

import json
import stat

from runtime import nats_credentials as creds
from runtime.nats_permissions import USERS
from scpln import locate


def mode(path) -> int:  # type: ignore[no-untyped-def]
    return stat.S_IMODE(path.stat().st_mode)


def test_a_password_per_user_is_made_once_readable_by_the_owner_only_and_kept(tmp_path):
    first = creds.ensure_passwords(tmp_path)
    path = creds.users_file(tmp_path)
    assert set(first) == set(USERS) and len(set(first.values())) == len(USERS)
    assert all(len(p) == 32 and p[0].isalpha() and p.isalnum() for p in first.values())
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
    assert creds.ensure_passwords(tmp_path) == first, "later starts reuse them"


def test_a_user_added_to_the_table_gets_a_password_and_the_others_keep_theirs(tmp_path):
    creds.ensure_passwords(tmp_path)
    kept = json.loads(creds.users_file(tmp_path).read_text())
    del kept["operator"]
    creds.write_private(creds.users_file(tmp_path), json.dumps(kept))
    again = creds.ensure_passwords(tmp_path)
    assert {u: again[u] for u in kept} == kept and again["operator"]


def test_the_commands_connect_to_the_recorded_embedded_server_as_operator(tmp_path, monkeypatch):
    monkeypatch.delenv("NATS_URL", raising=False)
    assert locate.nats_url(tmp_path) == locate.DEFAULT_NATS_URL, "nothing recorded: the default address"
    passwords = creds.ensure_passwords(tmp_path)
    creds.record_server(tmp_path, "nats://127.0.0.1:4999", embedded=True)
    assert mode(tmp_path / creds.SERVER_FILE) == 0o600
    assert locate.nats_url(tmp_path) == f"nats://operator:{passwords['operator']}@127.0.0.1:4999"
    monkeypatch.setenv("NATS_URL", "nats://operator:x@elsewhere:4222")
    assert locate.nats_url(tmp_path) == "nats://operator:x@elsewhere:4222", "NATS_URL overrides"
    assert locate.nats_url(tmp_path, "nats://given:1") == "nats://given:1", "--nats-url overrides both"


def test_an_external_server_is_recorded_without_credentials(tmp_path, monkeypatch):
    monkeypatch.delenv("NATS_URL", raising=False)
    creds.ensure_passwords(tmp_path)  # from an earlier embedded start: not for another server
    creds.record_server(tmp_path, "nats://nats.example:4222", embedded=False)
    assert locate.nats_url(tmp_path) == "nats://nats.example:4222"
