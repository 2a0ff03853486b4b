"""What ``scpln users`` and ``scpln tokens`` share: who acts, reading a password, and writing an
identity fact only on top of the facts it was decided on.

A command folds the identity facts of the log, decides, and publishes the next fact only if no
other identity fact was stored meanwhile; otherwise it folds again and decides again.
"""

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from contracts.envelope import Envelope
from runtime import identity
from runtime.identity import Identities
from scpln import locate

PRODUCER = "scpln-cli"
MIN_PASSWORD_LENGTH = 8


class Refusal(Exception):
    """What was asked cannot be done; the message says why (exit status 1)."""


class Unchanged(Exception):
    """What was asked already holds; nothing is written (exit status 0)."""


Decide = Callable[[Identities], Envelope]
"""From the identities as the log holds them, the fact to store (or Refusal, Unchanged)."""


def actor() -> str:
    """Who the commands record as acting: ``SCPLN_OPERATOR``, else the login name."""
    return os.environ.get("SCPLN_OPERATOR") or getpass.getuser()


def password_from_stdin_or_new() -> tuple[str, bool]:
    """The password piped on stdin (its first line), or a new one when stdin is a terminal;
    and whether it was generated (then the command prints it)."""
    if sys.stdin is None or sys.stdin.isatty():
        return identity.new_password(), True
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal(f"the password on stdin has {len(password)} characters; give at least {MIN_PASSWORD_LENGTH} "
                      "(or run without piping anything, and one is generated)")
    return password, False


async def write(js: JetStreamContext, decide: Decide, *, attempts: int = 5,
                load: Callable[[JetStreamContext], Awaitable[Identities]] = identity.load,
                publish: Callable[..., Awaitable[int]] = identity.publish) -> Envelope:
    """Fold, decide, publish; when another identity fact came first, fold and decide again."""
    for _ in range(attempts):
        identities = await load(js)
        event = decide(identities)
        try:
            await publish(js, event, after_seq=identities.last_seq)
            return event
        except identity.Conflict:
            continue
    raise Refusal(f"other identity changes kept coming in ({attempts} tries); try again")


Command = Callable[[argparse.Namespace, JetStreamContext], Awaitable[None]]


def run(program: str, args: argparse.Namespace, command: Command) -> int:
    """Connect as the data directory (or ``--nats-url``) says, run ``command``, and turn its
    outcome into a message and an exit status."""
    try:
        asyncio.run(_connected(args, command))
    except Unchanged as unchanged:
        print(unchanged)
        return 0
    except Refusal as refusal:
        print(f"{program}: {refusal}", file=sys.stderr)
        return 1
    except locate.Unreachable as unreachable:
        print(f"{program}: {unreachable}", file=sys.stderr)
        return 2
    return 0


async def _connected(args: argparse.Namespace, command: Command) -> None:
    errors: list[str] = []
    nc = await locate.connect(locate.nats_url(args.data_dir, args.nats_url), errors)
    try:
        await command(args, nc.jetstream())
    except TimeoutError:
        if refused := [error for error in errors if "permissions violation" in error.lower()]:
            raise Refusal(f"the bus refused this NATS user ({refused[0].strip()}); connect as the operator "
                          "(--nats-url nats://operator:<password>@host:port)") from None
        raise locate.Unreachable("the event log did not answer in time; is the system up?") from None
    except NotFoundError:
        raise locate.Unreachable("this NATS server has no event log (SCPLN_EVENTS); is the system up?") from None
    finally:
        await nc.close()
