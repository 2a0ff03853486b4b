"""How the ``scpln`` commands find the running system: its data directory, and from there the
bus and the operator's credentials (``runtime.nats_credentials``)."""

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import nats
from nats.aio.client import Client

from runtime.bus import public_url, servers
from runtime.nats_credentials import operator_url

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


class Unreachable(Exception):
    """The bus cannot be reached, or refuses these credentials; the message says so in one line."""


class Refused(Exception):
    """The system (or the input) refused what was asked; the message says why."""


def outcome(program: str, work: Callable[[], Awaitable[str]]) -> int:
    """Run a command's ``work`` and turn its outcome into output and an exit status: what it
    says (0), a refusal (1), a bus that cannot be reached (2)."""
    try:
        print(asyncio.run(work()))
    except Refused as refused:
        print(f"{program}: {refused}", file=sys.stderr)
        return 1
    except Unreachable as unreachable:
        print(f"{program}: {unreachable}", file=sys.stderr)
        return 2
    return 0


def default_data_dir() -> Path:
    return Path(os.environ.get("SCPLN_DATA_DIR", "data"))


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--data-dir`` and ``--nats-url`` on ``parser``; the parser returned is the parent of each
    action's parser, so they may also come after the action."""
    _arguments(parser, default_data_dir(), None)
    after = argparse.ArgumentParser(add_help=False)
    _arguments(after, argparse.SUPPRESS, argparse.SUPPRESS)
    return after


def _arguments(parser: argparse.ArgumentParser, data_dir: object, url: object) -> None:
    parser.add_argument("--data-dir", type=Path, default=data_dir,
                        help="the system's data directory (SCPLN_DATA_DIR; default ./data)")
    parser.add_argument("--nats-url", default=url,
                        help="the bus, with the operator's credentials (NATS_URL; default: found in the data directory)")


def nats_url(data_dir: Path, explicit: str | None = None) -> str:
    """``--nats-url``, else ``NATS_URL``, else the embedded server recorded by ``scpln up`` in
    ``data_dir`` (as its ``operator`` user), else the default address."""
    return explicit or os.environ.get("NATS_URL") or operator_url(data_dir) or DEFAULT_NATS_URL


async def connect(url: str, errors: list[str] | None = None) -> Client:
    """The bus, or ``Unreachable`` within seconds (no retries, no traceback). The server's
    errors on the connection (a permissions violation) are appended to ``errors``."""
    try:  # a first attempt that gives up at once; the connection kept then rides out short outages
        probe = await nats.connect(servers(url), connect_timeout=3, max_reconnect_attempts=1, allow_reconnect=False,
                                   error_cb=_quiet)
        await probe.close()
        return await nats.connect(servers(url), error_cb=_collect(errors if errors is not None else []))
    except Exception as exc:  # noqa: BLE001 - any way of not reaching it: said in one line
        raise Unreachable(f"cannot reach NATS at {public_url(url)} ({type(exc).__name__}: {exc}); is the system up "
                          "(scpln up)? else give --data-dir / SCPLN_DATA_DIR or --nats-url / NATS_URL") from None


async def _quiet(_error: Exception) -> None:
    """nats-py's error callback: a failure is reported once, by the command."""


def _collect(errors: list[str]):  # type: ignore[no-untyped-def]
    async def collect(error: Exception) -> None:
        errors.append(str(error))

    return collect
