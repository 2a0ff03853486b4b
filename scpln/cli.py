"""The ``scpln`` command: run the system and operate it."""

import argparse
import sys

from scpln import configs, identity_cli, maintenance, registry, samples, tokens, up, users
from scpln.legacy import cli as legacy


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scpln", description="SCPLN Plan & Run platform")
    commands = parser.add_subparsers(dest="command", required=True)
    up.add_arguments(commands.add_parser("up", help="start embedded NATS and all four services"))
    samples.add_arguments(commands.add_parser("samples", help="generate canonical sample configs"))
    configs.add_arguments(commands.add_parser("configs", help="import a canonical config (also the original scpln's)"))
    registry.add_arguments(commands.add_parser("registry", help="rebuild, back up or restore the run registry"))
    users.add_arguments(commands.add_parser("users", help="local accounts: add, list, set-role, disable, enable, set-password"))
    tokens.add_arguments(commands.add_parser("tokens", help="API tokens: create, list, revoke"))
    legacy.add_arguments(commands.add_parser("legacy", help="import the run history of an original scpln database"))
    maintenance.add_arguments(commands.add_parser(
        "maintenance", help="maintenance mode: on (a banner, no new plans or runs), off, status"))
    return parser


COMMANDS = {
    "up": up.run, "samples": samples.run, "configs": configs.run, "registry": registry.run, "maintenance": maintenance.run,
    "legacy": legacy.run,
    "users": lambda args: identity_cli.run("scpln users", args, users.command),
    "tokens": lambda args: identity_cli.run("scpln tokens", args, tokens.command),
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
