"""The embedded server's NATS users and where it listens, kept in the data directory.

``scpln up`` generates one password per user of ``runtime.nats_permissions`` at its first start
into ``<data dir>/secrets/nats-users.json`` (directory 0700, file 0600; reused afterwards), and
records the server's address in ``<data dir>/nats.json`` at every start. The ``scpln`` commands
find the running system through them and connect as ``operator``.
"""

import json
import os
import secrets
import string
from pathlib import Path
from urllib.parse import urlsplit

from runtime.nats_permissions import USERS

SECRETS_DIR = "secrets"
USERS_FILE = "nats-users.json"
SERVER_FILE = "nats.json"
_ALPHABET = string.ascii_letters + string.digits


def users_file(data_dir: Path) -> Path:
    return data_dir / SECRETS_DIR / USERS_FILE


def new_password() -> str:
    """32 letters and digits (190 bits), starting with a letter: read by nats-server from its
    environment, where a value that looks like a number or a size would not stay a string."""
    return secrets.choice(string.ascii_letters) + "".join(secrets.choice(_ALPHABET) for _ in range(31))


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), replacing it in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(partial, 0o600)
    os.replace(partial, path)


def ensure_passwords(data_dir: Path) -> dict[str, str]:
    """Every user's password: those kept from an earlier start, new ones for users not yet there."""
    path = users_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    kept = read_passwords(data_dir) or {}
    passwords = {user: kept.get(user) or new_password() for user in USERS}
    if passwords != kept:
        write_private(path, json.dumps(passwords, indent=2) + "\n")
    else:
        os.chmod(path, 0o600)
    return passwords


def read_passwords(data_dir: Path) -> dict[str, str] | None:
    path = users_file(data_dir)
    return json.loads(path.read_text()) if path.is_file() else None


def with_user(url: str, user: str, password: str) -> str:
    """``nats://host:port`` as ``nats://user:password@host:port``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{user}:{password}@{parts.hostname}:{parts.port}"


def record_server(data_dir: Path, url: str, embedded: bool) -> None:
    """Where the system's NATS server is (no credentials): read by the ``scpln`` commands."""
    write_private(data_dir / SERVER_FILE, json.dumps({"url": url, "embedded": embedded}) + "\n")


def operator_url(data_dir: Path) -> str | None:
    """The URL ``scpln`` commands connect with: the embedded server as ``operator``, or the
    recorded external server (its credentials then come from ``NATS_URL``); None: no record."""
    path = data_dir / SERVER_FILE
    if not path.is_file():
        return None
    server = json.loads(path.read_text())
    passwords = read_passwords(data_dir) if server.get("embedded") else None
    if passwords and "operator" in passwords:
        return with_user(server["url"], "operator", passwords["operator"])
    return server["url"]
