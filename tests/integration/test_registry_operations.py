"""Operating the registry: rebuild by replay (verified, swapped in while live), point-in-time
copies, retention, backup and a restore that loses nothing."""

import asyncio
import json
import os
import sys
import uuid

import pytest

from contracts import subjects
from contracts.commands import ErrorReply, ReadModelSwapped, SwapReadModel
from contracts.events import ReadModelReplaced
from contracts.queries import Consistency, ListRuns, RegistryStatus, RunsPage
from runtime import nats_server
from runtime.publisher import JetStreamPublisher
from services.run_registry.app import main
from services.run_registry.backup import online_backup
from services.run_registry.db import create_schema, open_engine
from services.run_registry.digest import table_digests
from services.run_registry.settings import Settings
from services.run_registry.staging import staged_path
from services.run_registry.writer import ReadModelWriter
from tests.integration.conftest import Running, log_events
from tests.integration.test_registry_bus import ask, plan, run


async def scpln(settings: Settings, *args: str, log_reader: str = "auto") -> tuple[int, str]:
    env = dict(os.environ, NATS_URL=settings.nats_url, SCPLN_DB=str(settings.scpln_db),
               RUNS_DB_MAX_ROWS=str(settings.runs_db_max_rows or ""), SCPLN_LOG_READER=log_reader)
    if not settings.runs_db_max_rows:
        env.pop("RUNS_DB_MAX_ROWS")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "scpln.cli", "registry", *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def publish_runs(js, numbers) -> int:  # type: ignore[no-untyped-def]
    publisher, seq = JetStreamPublisher(js), 0
    for n in numbers:
        seq = await publisher.publish(run(n))
    return seq


async def runs_at(js, seq: int) -> list[str]:  # type: ignore[no-untyped-def]
    page = await ask(js, subjects.QRY_RUNS_LIST, ListRuns(min_seq=seq, limit=1000, order="asc"), RunsPage)
    assert page.last_seq >= seq
    return [r.run_id for r in page.runs]


@pytest.fixture()
def settings(fresh_nats, tmp_path) -> Settings:
    return Settings(nats_url=fresh_nats, registry_backend="db", scpln_db=tmp_path / "scpln.db", fetch_timeout_s=0.2)


async def test_rebuild_verifies_equal_and_swaps_in_while_the_service_keeps_answering(settings, js):
    """Through each log reader in turn: the public one, then the direct one."""
    registry = Running(main, settings)
    try:
        await JetStreamPublisher(js).publish(plan(0))
        seq = await publish_runs(js, range(20))
        assert len(await runs_at(js, seq)) == 20
        for reader in ("public", "direct"):
            code, out = await scpln(settings, "rebuild", "--verify", log_reader=reader)
            assert code == 0, out
            assert "every table is identical" in out and "live read model now at seq" in out
            assert f"log read by the {reader} reader" in out
        seq = await publish_runs(js, range(20, 25))
        assert len(await runs_at(js, seq)) == 25, "the live projection resumed after the swap"
    finally:
        await registry.stop()


async def test_retention_keeps_the_newest_n_and_a_rebuild_reaches_the_same_table(settings, js):
    settings = settings.model_copy(update={"runs_db_max_rows": 3})
    registry = Running(main, settings)
    try:
        seq = await publish_runs(js, range(10))
        assert await runs_at(js, seq) == ["run_007", "run_008", "run_009"]
        code, out = await scpln(settings, "rebuild", "--verify")
        assert code == 0 and "every table is identical" in out, out
        assert await runs_at(js, seq) == ["run_007", "run_008", "run_009"]
    finally:
        await registry.stop()


async def test_a_point_in_time_copy_holds_exactly_the_log_up_to_that_sequence(settings, js, tmp_path):
    registry = Running(main, settings)
    try:
        middle = await publish_runs(js, range(5))
        last = await publish_runs(js, range(5, 8))
        await runs_at(js, last)
        out_file = tmp_path / "audit.db"
        code, out = await scpln(settings, "rebuild", "--until-seq", str(middle), "--out", str(out_file))
        assert code == 0, out
        assert len(await runs_at(js, last)) == 8, "the live read model is untouched"
    finally:
        await registry.stop()
    engine = open_engine("db", str(out_file))
    assert ReadModelWriter(engine).last_seq() == middle
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM runs").scalar() == 5
    engine.dispose()


async def test_restoring_an_older_backup_loses_no_run(settings, js, tmp_path):
    registry = Running(main, settings)
    try:
        seq = await publish_runs(js, range(4))
        await runs_at(js, seq)
        backup = tmp_path / "backup.db"
        code, out = await scpln(settings, "backup", "--out", str(backup))
        assert code == 0 and f"checkpoint seq {seq}" in out, out
        seq = await publish_runs(js, range(4, 9))
        assert len(await runs_at(js, seq)) == 9
        code, out = await scpln(settings, "restore", str(backup))
        assert code == 0, out
        assert len(await runs_at(js, seq)) == 9, "runs created after the backup came back from the log"
    finally:
        await registry.stop()
    (tmp_path / "not-a-db.txt").write_text("notes")
    code, out = await scpln(settings, "restore", str(tmp_path / "not-a-db.txt"))
    assert code == 2 and "not a registry database" in out


async def test_the_live_registry_swaps_in_only_the_staged_database_and_changes_nothing_otherwise(settings, js, tmp_path):
    registry = Running(main, settings)
    live = settings.scpln_db
    try:
        seq = await publish_runs(js, range(2))
        await runs_at(js, seq)
        staged = staged_path(live, "restore")
        staged.write_text("not a database")
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        online_backup(live, elsewhere / staged.name)
        refused = {staged: "validation_failed", tmp_path / "missing.db": "validation_failed", "relative.db": "validation_failed",
                   live: "not_allowed", f"{live}-wal": "not_allowed", elsewhere / staged.name: "not_allowed"}
        for path, error in refused.items():
            command = SwapReadModel(path=str(path), reason="restore", by="mallory")
            reply = await ask(js, subjects.CMD_REGISTRY_SWAP, command, ReadModelSwapped)
            assert isinstance(reply, ErrorReply) and reply.error == error, (path, reply)
        assert staged.read_text() == "not a database" and (elsewhere / staged.name).exists(), "nothing consumed"
        unnamed = await js._nc.request(subjects.CMD_REGISTRY_SWAP, b'{"path": "%s", "reason": "restore"}' % bytes(staged))
        assert b"validation_failed" in unnamed.data and b"by" in unnamed.data, "who asks is required"
        seq = await publish_runs(js, range(2, 3))
        assert await runs_at(js, seq) == ["run_000", "run_001", "run_002"], "the live read model is untouched and follows"
        assert not [e for e in await log_events(js) if isinstance(e, ReadModelReplaced)]
    finally:
        await registry.stop()


async def test_each_swap_is_recorded_in_the_log_with_the_operator_who_asked(settings, js, tmp_path, monkeypatch):
    monkeypatch.setenv("SCPLN_OPERATOR", "olga")
    registry = Running(main, settings)
    try:
        seq = await publish_runs(js, range(3))
        await runs_at(js, seq)
        code, out = await scpln(settings, "rebuild")
        assert code == 0 and "ReadModelReplaced (rebuild) by olga" in out, out
        backup = tmp_path / "b.db"
        assert (await scpln(settings, "backup", "--out", str(backup)))[0] == 0
        code, out = await scpln(settings, "restore", str(backup))
        assert code == 0 and "ReadModelReplaced (restore) by olga" in out, out
    finally:
        await registry.stop()
    monkeypatch.setenv("SCPLN_OPERATOR", "nils")
    code, out = await scpln(settings, "rebuild")  # no live registry: the command swaps and records it itself
    assert code == 0 and "replaced directly" in out and "by nils" in out, out
    replaced = [e for e in await log_events(js) if isinstance(e, ReadModelReplaced)]
    assert [(e.by, e.reason, e.producer) for e in replaced] == [
        ("olga", "rebuild", "run_registry"), ("olga", "restore", "run_registry"), ("nils", "rebuild", "scpln-cli")]
    rebuild, restore, offline = replaced
    assert rebuild.path == str(staged_path(settings.scpln_db, "rebuild")) and rebuild.last_seq >= seq
    assert restore.path == str(staged_path(settings.scpln_db, "restore"))
    assert restore.replaced_seq is not None and restore.replaced_seq >= restore.last_seq
    assert offline.replaced_seq is not None and offline.last_seq >= restore.last_seq


async def test_a_rebuild_reaches_the_same_dead_letters_and_first_final_facts_as_the_live_registry(settings, js):
    registry = Running(main, settings)
    try:
        seq = await publish_runs(js, range(3))
        forged = run(1).model_copy(update={"event_id": uuid.uuid4(), "summary": run(9).summary})
        await js.publish(subjects.RUN_COMPLETED, forged.model_dump_json().encode())
        future = json.loads(run(5).model_dump_json()) | {"schema_version": 99}
        await js.publish(subjects.RUN_COMPLETED, json.dumps(future).encode())
        await js.publish(subjects.JOB_PROGRESS, b"\xff not json")
        seq = await publish_runs(js, range(3, 4))
        assert await runs_at(js, seq) == ["run_000", "run_001", "run_002", "run_003"]
        status = await ask(js, subjects.QRY_STATUS, Consistency(min_seq=seq), RegistryStatus)
        assert (status.dead_letters, status.events_undecodable, status.duplicate_final_facts) == (2, 2, 1)
        code, out = await scpln(settings, "rebuild", "--verify")
        assert code == 0 and "every table is identical" in out, out
    finally:
        await registry.stop()


async def test_rebuilt_equals_live_digest_for_a_stopped_service(settings, js, tmp_path):
    registry = Running(main, settings.model_copy(update={"apply_linger_s": 0.05}))
    try:
        seq = await publish_runs(js, range(6))  # a trickle: the live projection gathers a few a batch
        await runs_at(js, seq)
        for n in range(6, 9):  # a reader waits for each: applied as they come
            await runs_at(js, await publish_runs(js, [n]))
    finally:
        await registry.stop()
    before = table_digests(open_engine("db", str(settings.scpln_db)))
    code, out = await scpln(settings, "rebuild")
    assert code == 0 and "replaced directly" in out, out
    assert table_digests(open_engine("db", str(settings.scpln_db))) == before
    assert schema(settings.scpln_db) == schema(tmp_path / "fresh.db", create=True), "every index is built again"


def schema(path, create: bool = False) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    engine = open_engine("db", str(path))
    if create:
        create_schema(engine)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT type, name FROM sqlite_master WHERE sql IS NOT NULL ORDER BY 1, 2").all()
    engine.dispose()
    return [tuple(r) for r in rows]


async def test_the_commands_refuse_to_write_over_the_live_file_and_say_so_when_the_bus_is_out_of_reach(settings, js, tmp_path):
    registry = Running(main, settings)
    try:
        seq = await publish_runs(js, range(3))
        await runs_at(js, seq)
        live = settings.scpln_db.read_bytes()
        for args in (("rebuild", "--until-seq", "2", "--out", str(settings.scpln_db)),
                     ("backup", "--out", str(settings.scpln_db))):
            code, out = await scpln(settings, *args)
            assert code == 2 and "is the live read model" in out, out
        assert settings.scpln_db.exists() and len(await runs_at(js, seq)) == 3
        assert len(settings.scpln_db.read_bytes()) >= len(live) // 2
        code, out = await scpln(settings, "rebuild", "--until-time", "2999-01-01T00:00:00",
                                "--out", str(tmp_path / "copy.db"))  # no zone: UTC
        assert code == 0 and f"copy at seq {seq}" in out, out
        code, out = await scpln(settings, "rebuild", "--until-seq", "999999", "--out", str(tmp_path / "all.db"))
        assert code == 0 and "the log ends at seq" in out and "the copy holds it all" in out, out
        backup = tmp_path / "b.db"
        assert (await scpln(settings, "backup", "--out", str(backup)))[0] == 0
    finally:
        await registry.stop()
    unreachable = settings.model_copy(update={"nats_url": f"nats://127.0.0.1:{nats_server.free_port()}"})
    code, out = await scpln(unreachable, "restore", str(backup))
    assert code == 2 and "cannot reach NATS at" in out and "Traceback" not in out, out
    assert not settings.scpln_db.with_name(settings.scpln_db.name + ".restore").exists()
    code, out = await scpln(settings, "restore", str(tmp_path / "missing.db"))
    assert code == 2 and "no such file" in out
