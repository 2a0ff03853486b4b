"""The registry holds one NATS connection, its broker's: its queries and commands, the live
projection's consumer of the log, the events its commands publish, the object store and the
storage reports all go through it. Counted by the server itself (``/connz`` on its monitoring
port, closed connections included, so one opened for a moment counts too)."""

import asyncio
from datetime import UTC, datetime

import nats

from contracts import subjects
from contracts.commands import DeleteRun, RunDeletedReply, parse_reply
from contracts.events import RunDeleted
from contracts.queries import Consistency, ListRuns, RegistryStatus, RunsPage
from contracts.storage import StorageStatus
from runtime import bus
from runtime.publisher import JetStreamPublisher
from services.run_registry.app import main
from services.run_registry.settings import Settings
from tests.integration.conftest import Running, all_closed, wait_events
from tests.integration.conftest import clients as every_client
from tests.integration.test_registry_bus import run

OBSERVER = "test-observer"


def clients(monitor_url: str) -> list[dict]:
    """Every client the server has had but the test's own, connected or gone."""
    return every_client(monitor_url, every=True, leave_out=OBSERVER)


async def ask(nc, subject: str, request, reply):  # type: ignore[no-untyped-def]
    for _ in range(100):
        try:
            answer = await nc.request(subject, request.model_dump_json().encode(), timeout=5)
            return parse_reply(answer.data, reply)
        except nats.errors.NoRespondersError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"nobody answers {subject}")


async def status_when(nc, ready, timeout: float = 10.0) -> RegistryStatus:  # type: ignore[no-untyped-def]
    """The registry's status once ``ready(services whose storage it shows)`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await ask(nc, subjects.QRY_STATUS, Consistency(), RegistryStatus)
        if ready({s.service for s in status.storage}) or asyncio.get_running_loop().time() > deadline:
            return status
        await asyncio.sleep(0.05)


def report(service: str) -> StorageStatus:
    return StorageStatus(service=service, data_dir="/data", free_bytes=1, total_bytes=2, reserve_bytes=0,
                         writes_failing=False, reported_at=datetime.now(UTC))


async def test_the_registry_does_all_its_work_on_one_connection(monitored_nats, tmp_path) -> None:
    url, monitor = monitored_nats
    nc = await nats.connect(url, name=OBSERVER)
    js = nc.jetstream()
    await bus.declare_stream(js, max_bytes=256 * 1024**2)
    registry = Running(main, Settings(nats_url=url, scpln_db=tmp_path / "registry.db", fetch_timeout_s=0.2))
    try:
        seq = await JetStreamPublisher(js).publish(run(1))
        page = await ask(nc, subjects.QRY_RUNS_LIST, ListRuns(min_seq=seq), RunsPage)
        deleted = await ask(nc, subjects.CMD_RUN_DELETE, DeleteRun(run_id="run_001"), RunDeletedReply)
        deletions = [e for e in await wait_events(js, lambda evts: any(isinstance(e, RunDeleted) for e in evts))
                     if isinstance(e, RunDeleted)]
        await nc.publish(subjects.storage_status("simulator"), report("simulator").model_dump_json().encode())
        await nc.publish(subjects.storage_status("plan_service"), b"not a report")
        await nc.publish(subjects.storage_status("notifier"), report("notifier").model_dump_json().encode())
        await nc.flush()
        status = await status_when(nc, lambda heard: "notifier" in heard)
        during = await asyncio.to_thread(clients, monitor)
    finally:
        await registry.stop()
        after = await all_closed(monitor, leave_out=OBSERVER)
        await nc.drain()
    assert [r.run_id for r in page.runs] == ["run_001"] and deleted == RunDeletedReply(run_id="run_001")
    assert [(d.run_id, d.producer) for d in deletions] == [("run_001", "run_registry")]
    assert [s.service for s in status.storage] == ["run_registry", "notifier", "simulator"]
    assert [c.get("name") for c in during] == ["run_registry"], during
    subscribed = set(during[0].get("subscriptions_list") or [])
    assert {subjects.QRY_RUNS_LIST, subjects.CMD_RUN_DELETE, subjects.STORAGE_STATUS_ALL} <= subscribed, subscribed
    assert any(s.startswith("_INBOX.") for s in subscribed), "the log's consumer pulls on the same connection"
    assert [(c["cid"], c.get("reason")) for c in after] == [(during[0]["cid"], "Client Closed")], after
