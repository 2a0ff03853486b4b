"""``scpln legacy import --db PATH [--dry-run]``."""

import argparse
import asyncio
import json
import sys
from pathlib import Path

from nats.js.errors import NotFoundError

from scpln import locate
from scpln.legacy.importer import run_import
from scpln.legacy.source import NotLegacyDatabase, open_legacy
from scpln.progress import ProgressBar


def add_arguments(parser: argparse.ArgumentParser) -> None:
    after = locate.add_arguments(parser)
    actions = parser.add_subparsers(dest="action", required=True)
    imp = actions.add_parser("import", parents=[after], help=(
        "import an original scpln RunRegistry database (scenarios, configs, plans, runs, approvals) as events"))
    imp.add_argument("--db", type=Path, required=True, help="the original's database file (data/scpln.db)")
    imp.add_argument("--dry-run", action="store_true", help="print what would be imported; write nothing")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        src = open_legacy(args.db)
    except NotLegacyDatabase as refused:
        print(f"scpln legacy import: refused, nothing written: {refused}", file=sys.stderr)
        return 1
    try:
        report = asyncio.run(_import(args, src))
    except locate.Unreachable as unreachable:
        print(f"scpln legacy import: {unreachable}", file=sys.stderr)
        return 2
    finally:
        src.db.close()
    report |= {"source": str(args.db), "imported_from": src.sha256, "dry_run": args.dry_run}
    print(json.dumps(report, indent=2) if args.json else _text(report))
    return 0


async def _import(args: argparse.Namespace, src):  # type: ignore[no-untyped-def]
    if args.dry_run and args.nats_url is None and not (args.data_dir / "nats.json").exists():
        return await run_import(src, None, dry_run=True)
    nc = await locate.connect(locate.nats_url(args.data_dir, args.nats_url))
    try:
        bar = None if args.dry_run else ProgressBar("importing", unit="rows", rate_unit="rows")
        return await run_import(src, nc.jetstream(), dry_run=args.dry_run, progress=bar)
    except NotFoundError:
        raise locate.Unreachable("this NATS server has no event log (SCPLN_EVENTS); is the system up?") from None
    finally:
        await nc.close()


def _text(report: dict) -> str:  # type: ignore[type-arg]
    verb = "would import" if report["dry_run"] else "imported"
    lines = [f"{report['source']} (sha256 {report['imported_from']}): {verb}"]
    for table, t in report["tables"].items():
        lines.append(f"  {table:<26} {t['rows']:>8} rows  {t['imported']:>8} {verb.split()[-1]}  "
                     f"{t['already']:>8} already imported  {t['events']:>8} events")
    lines.append("  ids here of the original's integer ids:")
    lines += [f"    {source} -> {here}" for source, here in report["ids"].items()]
    lines.append(f"  {report['rows']} rows in {report['seconds']} s ({report['rows_per_s']} rows/s)")
    return "\n".join(lines)
