"""The ``scpln`` command: run the system and operate it."""

import argparse
import sys

from scpln import registry, samples, up


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scpln", description="SCPLN Plan & Run platform")
    commands = parser.add_subparsers(dest="command", required=True)
    up.add_arguments(commands.add_parser("up", help="start embedded NATS and all four services"))
    samples.add_arguments(commands.add_parser("samples", help="generate canonical sample configs"))
    registry.add_arguments(commands.add_parser("registry", help="rebuild, back up or restore the run registry"))
    return parser


COMMANDS = {"up": up.run, "samples": samples.run, "registry": registry.run}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
