"""``scpln registry rebuild | backup | restore``: operating the run registry's read model.

These run on the registry's machine: they read and write its SQLite file and ask the live
service (over NATS) to swap a new file in. When no registry answers, they swap the file
themselves, so they also work while the service is stopped.
"""

import argparse
import asyncio
import getpass
import os
import shutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import nats
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from contracts import subjects
from contracts.commands import ReadModelSwapped, SwapReadModel, parse_reply
from contracts.events import JobProgress, JobState, JobType, ReadModelReplaced
from runtime.bus import last_stream_seq, public_url, servers
from runtime.log_reader import log_reader
from runtime.publisher import JetStreamPublisher
from scpln import locate, maintenance
from scpln.progress import ProgressBar
from services.run_registry.backup import (
    backup_dir,
    backup_name,
    is_registry_database,
    online_backup,
    overwrite,
)
from services.run_registry.db import open_engine
from services.run_registry.digest import diff_digests, table_digests
from services.run_registry.rebuild import fresh_writer, rebuild, replay_into
from services.run_registry.settings import Settings
from services.run_registry.staging import Reason, staged_path
from services.run_registry.writer import ReadModelWriter


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db`` and ``--nats-url`` are taken before the action or after it."""
    _connection_arguments(parser, default=None)
    after = argparse.ArgumentParser(add_help=False)
    _connection_arguments(after, default=argparse.SUPPRESS)  # given after the action: overrides
    actions = parser.add_subparsers(dest="action", required=True)
    rebuild_cmd = actions.add_parser("rebuild", parents=[after], help="replay the event log into a fresh read model")
    rebuild_cmd.add_argument("--until-seq", type=_sequence, help="point-in-time copy up to this stream sequence (no swap)")
    rebuild_cmd.add_argument("--until-time", type=_moment,
                             help="point-in-time copy up to this ISO time, UTC unless it names a zone (no swap)")
    rebuild_cmd.add_argument("--verify", action="store_true", help="compare every table with the live database")
    rebuild_cmd.add_argument("--out", type=Path, help="where a point-in-time copy is written")
    backup_cmd = actions.add_parser("backup", parents=[after], help="online backup of the live read model")
    backup_cmd.add_argument("--out", type=Path, help="backup file (default: a new file under backups/)")
    restore_cmd = actions.add_parser("restore", parents=[after], help="restore a backup; it catches up from the log")
    restore_cmd.add_argument("file", type=Path)
    for command in (rebuild_cmd, restore_cmd):
        maintenance.add_during_arguments(command)


def _sequence(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"a stream sequence is 1 or more, not {value}")
    return value


def _moment(text: str) -> datetime:
    """An ISO time; one without a zone is UTC, as every time in the log."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO time: {text!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _connection_arguments(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--db", type=Path, default=default,
                        help="the registry's SQLite file (SCPLN_DB; else SCPLN_DATA_DIR/scpln.db)")
    parser.add_argument("--nats-url", default=default,
                        help="the bus (NATS_URL; default: the embedded server, as operator, found in the data directory)")
    parser.add_argument("--data-dir", type=Path, default=default, help="the system's data directory (SCPLN_DATA_DIR)")


def settings_for(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k, v in {"scpln_db": args.db, "scpln_data_dir": args.data_dir}.items() if v is not None}
    settings = Settings(**overrides)
    settings.scpln_db = settings.scpln_db.resolve()
    settings.nats_url = locate.nats_url(settings.scpln_data_dir, args.nats_url)
    return settings


class Refused(Exception):
    """The command cannot do what was asked; the message says why (exit status 2)."""


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    try:
        return _run(args, settings)
    except Refused as refused:
        print(f"scpln registry: {refused}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    action = {"rebuild": rebuild_command, "backup": backup_command, "restore": restore_command}[args.action]
    if getattr(args, "maintenance", False):
        return asyncio.run(maintenance.during(settings.nats_url, f"registry {args.action}",
                                              lambda: action(args, settings), args.maintenance_message))
    return asyncio.run(action(args, settings))


def operator_name() -> str:
    """Who runs the command, for the log: SCPLN_OPERATOR, else the login name."""
    try:
        return os.environ.get("SCPLN_OPERATOR") or getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the password database
        return "unknown"


async def swap(nc, settings: Settings, path: Path, reason: Reason, seconds: float | None = None) -> int:  # type: ignore[no-untyped-def]
    """Ask the live registry to swap ``path`` (staged for ``reason``) in; swap the file directly
    when none answers. Either way the swap is recorded in the log as ReadModelReplaced."""
    by = operator_name()
    command = SwapReadModel(path=str(path.resolve()), reason=reason, by=by, rebuild_seconds=seconds)
    try:
        reply = await nc.request(subjects.CMD_REGISTRY_SWAP, command.model_dump_json().encode(), timeout=60)
    except (NoRespondersError, NatsTimeout):
        replaced_seq = checkpoint_of(settings.scpln_db) if is_registry_database(settings.scpln_db) else None
        settings.scpln_db.parent.mkdir(parents=True, exist_ok=True)
        overwrite(settings.scpln_db, path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        print(f"no live registry answered; {settings.scpln_db} replaced directly")
        last_seq = checkpoint_of(settings.scpln_db)
        fact = ReadModelReplaced(correlation_id="read_model", producer="scpln-cli", by=by, reason=reason,
                                 path=str(path.resolve()), last_seq=last_seq, replaced_seq=replaced_seq)
        try:
            recorded: int | None = await JetStreamPublisher(nc.jetstream()).publish(fact)
        except Exception as exc:  # noqa: BLE001 - the file is replaced: say that it is not recorded
            print(f"the {reason} could not be recorded in the log ({type(exc).__name__}: {exc})", file=sys.stderr)
            recorded = None
        _say_recorded(recorded, reason, by)
        return last_seq
    answer = parse_reply(reply.data, ReadModelSwapped)
    if not isinstance(answer, ReadModelSwapped):
        raise SystemExit(f"scpln: the registry refused the swap: {answer.message}")
    _say_recorded(answer.recorded_seq, reason, by)
    return answer.last_seq


def _say_recorded(seq: int | None, reason: str, by: str) -> None:
    if seq is None:
        print(f"warning: the {reason} is done but not recorded in the event log", file=sys.stderr)
    else:
        print(f"recorded in the event log at seq {seq}: ReadModelReplaced ({reason}) by {by}")


def progress_reporter(js, job_id: str, bar: ProgressBar):  # type: ignore[no-untyped-def]
    """Draw the bar, and publish JobProgress(job_type=rebuild) at every tenth of the way."""
    publisher, reported = JetStreamPublisher(js), [-1]

    async def report(done: int, total: int, elapsed: float) -> None:
        bar.update(done, total, elapsed)
        tenth = int(10 * done / total) if total else 10
        if tenth > reported[0]:
            reported[0] = tenth
            rate = done / elapsed if elapsed else 0
            await publisher.publish(JobProgress(
                correlation_id=job_id, producer="scpln-cli", job_id=job_id, job_type=JobType.rebuild,
                state=JobState.running, progress=min(1.0, tenth / 10), step=f"seq {done}/{total}",
                message=f"{rate:,.0f} events/s"))

    return report


async def finish_job(js, job_id: str, state: JobState, message: str) -> None:  # type: ignore[no-untyped-def]
    await JetStreamPublisher(js).publish(JobProgress(
        correlation_id=job_id, producer="scpln-cli", job_id=job_id, job_type=JobType.rebuild, state=state,
        progress=1.0, step="done", message=message))


def writable_target(path: Path, settings: Settings) -> Path:
    """Where a copy may be written: never the live read model, which its service keeps open."""
    if path.resolve() == settings.scpln_db:
        raise Refused(f"{path} is the live read model; write the copy elsewhere")
    return path


async def connect(settings: Settings):  # type: ignore[no-untyped-def]
    """The bus, or a one-line refusal within seconds when it cannot be reached."""
    try:  # a first attempt that gives up at once; the connection kept then rides out short outages
        probe = await nats.connect(servers(settings.nats_url), connect_timeout=3, max_reconnect_attempts=1, error_cb=_quiet)
        await probe.close()
        return await nats.connect(servers(settings.nats_url))
    except Exception as exc:  # noqa: BLE001 - any way of not reaching it: said in one line
        raise Refused(f"cannot reach NATS at {public_url(settings.nats_url)} ({type(exc).__name__}: {exc}); "
                      "start it, or give --nats-url / NATS_URL") from None


async def _quiet(_error: Exception) -> None:
    """nats-py's error callback: the failure is reported once, by ``connect``."""


def point_in_time_path(args: argparse.Namespace, settings: Settings) -> Path:
    if args.out:
        return writable_target(args.out, settings)
    tag = f"seq-{args.until_seq}" if args.until_seq is not None else f"time-{args.until_time:%Y%m%dT%H%M%S}"
    return settings.scpln_db.with_name(f"scpln-at-{tag}.db")


def checkpoint_of(path: Path) -> int:
    engine = open_engine("db", str(path))
    try:
        return ReadModelWriter(engine).last_seq()
    finally:
        engine.dispose()


async def rebuild_command(args: argparse.Namespace, settings: Settings) -> int:
    nc = await connect(settings)
    js = nc.jetstream()
    job_id, bar = f"job_rebuild_{uuid.uuid4().hex[:8]}", ProgressBar("rebuild")
    report = progress_reporter(js, job_id, bar)
    try:
        if args.until_seq is not None or args.until_time is not None:
            if args.until_seq is not None and args.until_seq > (last := await last_stream_seq(js)):
                print(f"the log ends at seq {last:,}: the copy holds it all")
                args.until_seq = last
            result = await rebuild(js, point_in_time_path(args, settings), max_runs=settings.runs_db_max_rows, until_seq=args.until_seq,
                                   until_time=args.until_time, on_progress=report)
            bar.close()
            print(f"point-in-time copy at seq {result.last_seq}: {result.path} ({result.events:,} events, {result.rate:,.0f}/s)")
            await finish_job(js, job_id, JobState.succeeded, f"point-in-time copy at seq {result.last_seq}")
            return 0
        return await rebuild_and_swap(nc, js, args, settings, job_id, report, bar)
    finally:
        await nc.drain()


async def rebuild_and_swap(nc, js, args, settings: Settings, job_id: str, report, bar) -> int:  # type: ignore[no-untyped-def]
    started = asyncio.get_running_loop().time()
    target = staged_path(settings.scpln_db, "rebuild")
    writer = fresh_writer(target, settings.runs_db_max_rows)
    differences: list[str] = []
    if args.verify:
        differences = await verify_against_live(js, writer, settings, report)
    await replay_into(js, writer, on_progress=report)
    writer.engine.dispose()
    bar.close()
    seconds = asyncio.get_running_loop().time() - started
    if args.verify and differences:
        print(f"verify: the rebuilt database differs from the live one in: {', '.join(differences)}")
        print(f"rebuilt file kept at {target} (not swapped)")
        await finish_job(js, job_id, JobState.failed, f"verify found differences in {', '.join(differences)}")
        return 1
    last_seq = await swap(nc, settings, target, "rebuild", seconds)
    print(f"rebuilt in {seconds:.1f}s (log read by the {log_reader(js).name} reader); live read model now at seq {last_seq}")
    await finish_job(js, job_id, JobState.succeeded, f"rebuilt in {seconds:.1f}s at seq {last_seq}")
    return 0


async def verify_against_live(js, writer: ReadModelWriter, settings: Settings, report) -> list[str]:  # type: ignore[no-untyped-def]
    """Snapshot the live file, rebuild up to the snapshot's checkpoint and compare every table."""
    snapshot = online_backup(settings.scpln_db, settings.scpln_db.with_name(settings.scpln_db.name + ".verify"))
    live_engine = open_engine("db", str(snapshot))
    try:
        live_seq = ReadModelWriter(live_engine).last_seq()
        await replay_into(js, writer, until_seq=live_seq, on_progress=report)
        differences = diff_digests(table_digests(live_engine), table_digests(writer.engine))
    finally:
        live_engine.dispose()
        snapshot.unlink(missing_ok=True)
    print(f"\nverify at seq {live_seq}: " + ("every table is identical" if not differences else f"differs: {differences}"))
    return differences


async def backup_command(args: argparse.Namespace, settings: Settings) -> int:
    if not is_registry_database(settings.scpln_db):
        raise Refused(f"no registry database at {settings.scpln_db}; give --db / SCPLN_DB or SCPLN_DATA_DIR")
    target = writable_target(args.out, settings) if args.out else backup_dir(settings) / backup_name()
    path = online_backup(settings.scpln_db, target)
    print(f"backup written: {path} (checkpoint seq {checkpoint_of(path)})")
    return 0


async def restore_command(args: argparse.Namespace, settings: Settings) -> int:
    if not args.file.is_file():
        raise Refused(f"no such file: {args.file}")
    if not is_registry_database(args.file):
        raise Refused(f"{args.file} is not a registry database")
    if args.file.resolve() == settings.scpln_db:
        raise Refused(f"{args.file} is the live read model itself")
    nc = await connect(settings)  # before staging: nothing is left behind when the bus is out of reach
    staged = staged_path(settings.scpln_db, "restore")
    try:
        shutil.copyfile(args.file, staged)
        last_seq = await swap(nc, settings, staged, "restore")
    finally:
        staged.unlink(missing_ok=True)
        await nc.drain()
    print(f"restored {args.file} at checkpoint seq {last_seq}; the registry catches up from the log from there")
    return 0
