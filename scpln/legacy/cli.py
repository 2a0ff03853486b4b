"""``scpln legacy import --db PATH [--source NAME] [--dry-run]``."""

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
    imp.add_argument("--source", help=(
        "key of this database here (lower-case letters, digits, dashes): its scenarios and config versions become "
        "legacy-<source>-scenario-<id> and legacy-<source>-config-<id>; by default derived from rows of the database "
        "that never change, so importing it again after it grew adds only what is new"))
    imp.add_argument("--dry-run", action="store_true", help="print what would be imported and the ids; write nothing")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        src = open_legacy(args.db, args.source)
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
    report |= {"file": str(args.db), "imported_from": src.sha256, "dry_run": args.dry_run}
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
    lines = [f"{report['file']} (sha256 {report['imported_from']}), source {report['source']}: {verb}"]
    for table, t in report["tables"].items():
        lines.append(f"  {table:<26} {t['rows']:>8} rows  {t['imported']:>8} {verb.split()[-1]}  "
                     f"{t['already']:>8} already imported  {t['conflicts']:>6} conflicts  {t['events']:>8} events")
    lines.append("  original id -> id here (runs and plans keep their ids):")
    lines += [f"    {source} -> {here}" for source, here in report["ids"].items()]
    for other, c in report["conflicts"].items():
        lines.append(f"  {c['rows']} plan/run ids came already from source {other} (e.g. {', '.join(c['first'])}): "
                     f"skipped. If this is the same database, import it with --source {other}")
    lines.append(f"  {report['rows']} rows in {report['seconds']} s ({report['rows_per_s']} rows/s)")
    return "\n".join(lines)
