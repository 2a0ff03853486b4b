"""``scpln maintenance on --message "…" | off | status``: the fallback runbook's maintenance mode
(a banner on every page; no new plans and no reruns until it ends), and ``during`` for
``scpln registry rebuild | restore --maintenance``.

The commands ask plan_service, which records the change in the log (``MaintenanceStarted`` /
``MaintenanceEnded``) as done by ``SCPLN_OPERATOR``, else the login name; ``status`` folds the
log. They find the system as the other ``scpln`` commands do (``--data-dir``, ``--nats-url``).
"""

import argparse
import sys
from collections.abc import Awaitable, Callable

from nats.aio.client import Client
from nats.errors import NoRespondersError
from pydantic import ValidationError

from contracts import subjects
from contracts.commands import MaintenanceStatus, SetMaintenance, parse_reply
from contracts.events import MAINTENANCE_MESSAGE_MAX
from runtime import maintenance
from scpln import locate
from scpln.identity_cli import actor

PROGRAM = "scpln maintenance"


Refused = locate.Refused


def add_arguments(parser: argparse.ArgumentParser) -> None:
    after = locate.add_arguments(parser)
    actions = parser.add_subparsers(dest="action", required=True)
    on = actions.add_parser("on", parents=[after], help="no new plans or reruns, a banner on every page")
    on.add_argument("--message", "-m", required=True,
                    help=f"what planners are told: what is going on, until when (at most {MAINTENANCE_MESSAGE_MAX} "
                         "characters); given again while on, it changes the message")
    actions.add_parser("off", parents=[after], help="plans and reruns are accepted again")
    actions.add_parser("status", parents=[after], help="on or off, since when, by whom, the message")


def add_during_arguments(parser: argparse.ArgumentParser) -> None:
    """``--maintenance`` (and its message) on a command that runs ``during`` it."""
    parser.add_argument("--maintenance", action="store_true",
                        help="maintenance on while the command runs, off after it, also when it fails (left on when "
                             "it was on already)")
    parser.add_argument("--maintenance-message", default="", metavar="TEXT",
                        help="what planners are told meanwhile (default: what the command does)")


def run(args: argparse.Namespace) -> int:
    return locate.outcome(PROGRAM, lambda: _command(args))


async def _command(args: argparse.Namespace) -> str:
    nc = await locate.connect(locate.nats_url(args.data_dir, args.nats_url))
    try:
        if args.action == "status":
            return describe(await load(nc))
        on = args.action == "on"
        status = await switch(nc, on, args.message if on else "")
        return describe(status)
    finally:
        await nc.close()


async def load(nc: Client) -> MaintenanceStatus:
    try:
        return (await maintenance.load(nc.jetstream())).status()
    except TimeoutError:
        raise locate.Unreachable("the event log did not answer in time; is the system up?") from None


async def switch(nc: Client, on: bool, message: str = "") -> MaintenanceStatus:
    """Ask plan_service to switch maintenance on (with ``message``) or off."""
    try:
        command = SetMaintenance(on=on, message=message, by=actor())
    except ValidationError as invalid:
        raise Refused("; ".join(error["msg"].removeprefix("Value error, ") for error in invalid.errors())) from None
    try:
        reply = await nc.request(subjects.CMD_MAINTENANCE_SET, command.model_dump_json().encode(), timeout=10)
    except (NoRespondersError, TimeoutError):  # nats-py's timeout is a TimeoutError
        raise locate.Unreachable(f"plan_service does not answer on {subjects.CMD_MAINTENANCE_SET}; is the system "
                                 "up (scpln up)?") from None
    answer = parse_reply(reply.data, MaintenanceStatus)
    if not isinstance(answer, MaintenanceStatus):
        raise Refused(answer.message)
    return answer


def describe(status: MaintenanceStatus) -> str:
    since = f" since {status.since:%Y-%m-%d %H:%M:%S} UTC" if status.since else ""
    if status.on:
        text = f"maintenance is ON{since}, by {status.by}: {status.message}"
    elif status.since:
        text = f"maintenance is off{since} (switched off by {status.by})"
    else:
        text = "maintenance is off (it was never switched on)"
    if status.recorded_seq is not None:
        return f"{text}\nrecorded in the event log at seq {status.recorded_seq}"
    return text


async def during(nats_url: str, what: str, action: Callable[[], Awaitable[int]], message: str = "") -> int:
    """Run ``action`` with maintenance on, and switch it off afterwards, also when ``action``
    fails or raises. Maintenance that was on already stays on. When it cannot be switched
    on, nothing is done (exit status 2)."""
    try:
        nc = await locate.connect(nats_url)
    except locate.Unreachable as unreachable:
        print(f"maintenance could not be switched on: {unreachable}; nothing was done", file=sys.stderr)
        return 2
    try:
        try:
            before = await load(nc)
            if not before.on:
                await switch(nc, True, message or f"the {what} is under way; new plans and runs are paused until it is done")
        except (locate.Unreachable, Refused) as failure:
            print(f"maintenance could not be switched on ({failure}); nothing was done (without --maintenance the "
                  f"{what} goes ahead with plans accepted)", file=sys.stderr)
            return 2
        if before.on:
            print(f"maintenance is on already ({before.message}); it stays on after the {what}")
            return await action()
        print(f"maintenance on for the {what}: new plans and runs are refused until it is done")
        return await _then_off(nc, what, action)
    finally:
        await nc.close()


async def _then_off(nc: Client, what: str, action: Callable[[], Awaitable[int]]) -> int:
    code: int | None = None
    try:
        code = await action()
        return code
    finally:
        outcome = "" if code == 0 else f" (the {what} did not succeed: see above)"
        try:
            await switch(nc, False)
            print(f"maintenance off{outcome}")
        except (locate.Unreachable, Refused) as failure:
            print(f"maintenance is still ON: switching it off failed ({failure}); switch it off with "
                  "`scpln maintenance off`", file=sys.stderr)

