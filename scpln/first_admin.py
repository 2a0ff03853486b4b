"""The first start's ``admin``: when the event log holds no user yet, ``scpln up`` adds ``admin``
(role admin) with a random password, says it once on the console and leaves it in
``<data dir>/initial-admin-password`` (0600). Later starts find a user in the log and do nothing."""

import asyncio
from pathlib import Path

from contracts.identity import UserAdded
from runtime import bus, identity
from runtime.identity import Identities
from runtime.logs import first_line
from runtime.nats_credentials import write_private
from scpln.identity_cli import PRODUCER, Unchanged, write
from scpln.supervisor import say

ADMIN = "admin"
INITIAL_PASSWORD_FILE = "initial-admin-password"
ACTOR = "scpln up"


def decide_first_admin(identities: Identities, password_hash: str) -> UserAdded:
    if identities.users:
        raise Unchanged("the log has users")
    return UserAdded(correlation_id=ADMIN, producer=PRODUCER, username=ADMIN, role="admin",
                     password_hash=password_hash, added_by=ACTOR)


async def add_if_none(url: str, data_dir: Path) -> str | None:
    """The new admin's password, or None when the log already has a user. The file is written
    before the fact, so a password said is always one that works (or is replaced next start)."""
    nc = await bus.connect(url, ACTOR, retry_max_s=1.0, attempts=20)
    try:
        js = nc.jetstream()
        await bus.wait_for_stream(js, retry_max_s=0.5)
        if (await identity.load(js)).users:
            return None
        password, file = identity.new_password(), data_dir / INITIAL_PASSWORD_FILE
        write_private(file, password + "\n")
        hashed = identity.hash_password(password)
        try:
            await write(js, lambda ids: decide_first_admin(ids, hashed))
        except Unchanged:
            file.unlink(missing_ok=True)
            return None
        except BaseException:
            file.unlink(missing_ok=True)
            raise
        return password
    finally:
        await nc.close()


def create_if_none(url: str, data_dir: Path, login_url: str, timeout: float = 60.0) -> None:
    """Called by ``scpln up`` once the services are starting (plan_service declares the log)."""
    try:
        password = asyncio.run(asyncio.wait_for(add_if_none(url, data_dir), timeout))
    except Exception as exc:  # noqa: BLE001 - the system runs on; the operator is told what to do
        reason = "the event log was not ready in time" if isinstance(exc, TimeoutError) else first_line(exc)
        say(f"no first user could be added ({reason}); add one with: scpln users add admin --role admin")
        return
    if password is not None:
        say(f"first start: sign in at {login_url} as user {ADMIN} with password {password} "
            f"(kept in {data_dir / INITIAL_PASSWORD_FILE}, mode 0600)")
