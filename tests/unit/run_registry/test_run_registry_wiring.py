"""The registry's wiring (``app.wire``, as ``main`` and ``asyncapi_broker`` use it) through
faststream's ``TestNatsBroker``: no server. The read model is an in-memory one; the event log a
fake that applies what the registry publishes at once, as its live projection would."""

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from faststream.nats import TestNatsBroker
from prometheus_client import REGISTRY
from registry_helpers import messages, plan_created, run_completed

from contracts import subjects
from contracts.commands import (
    ChangeRunMeta,
    DeleteRun,
    ErrorReply,
    RunDeletedReply,
    RunMetaChanged,
    parse_reply,
)
from contracts.events import SUBJECT_OF, Envelope, RunDeleted
from contracts.queries import Consistency, GetRun, ListRuns, RegistryStatus, RunDetail, RunsPage
from contracts.run_meta import RunApproved
from contracts.storage import StorageStatus
from runtime import bus, rpc
from runtime.outage import OutageLog
from services.run_registry.app import QUERY_ROUTES, asyncapi_broker, wire
from services.run_registry.live import LiveReadModel
from services.run_registry.settings import Settings
from services.ui_gateway.run_list import last_seq_of


class ProjectedLog:
    """The event log, in memory, with the live projection: an event published is stored at the
    next sequence and applied to the read model at once."""

    def __init__(self, live: LiveReadModel) -> None:
        self.live = live
        self.events: list[Envelope] = []

    async def publish(self, event: Envelope, expected: object = None) -> int:
        self.events.append(event)
        return await self.apply([event])

    async def apply(self, events: list[Envelope]) -> int:
        outcome = self.live.writer.apply_batch(messages(events, start=self.live.writer.last_seq() + 1))
        await self.live.position.advance(outcome.last_seq, 0)
        return outcome.last_seq


@pytest.fixture()
def live(tmp_path) -> LiveReadModel:  # type: ignore[no-untyped-def]
    return LiveReadModel(Settings(registry_backend="memory", scpln_data_dir=tmp_path, scpln_disk_reserve_mb=0))


@pytest.fixture()
def log(live: LiveReadModel) -> ProjectedLog:
    return ProjectedLog(live)


@pytest.fixture()
async def broker(live: LiveReadModel, log: ProjectedLog) -> AsyncIterator:  # type: ignore[no-untyped-def]
    wired = bus.broker("nats://127.0.0.1:4222", OutageLog(logging.getLogger("test")), name="run_registry")
    wire(wired, live, live.settings, publisher=log)
    async with TestNatsBroker(wired) as running:
        yield running


def report(service: str) -> bytes:
    return StorageStatus(service=service, data_dir="/data", free_bytes=1, total_bytes=2, reserve_bytes=0,
                         writes_failing=False, reported_at=datetime.now(UTC)).model_dump_json().encode()


async def test_a_query_is_answered_with_its_typed_reply_as_the_read_model_encodes_it(broker, log) -> None:  # type: ignore[no-untyped-def]
    seq = await log.apply([plan_created(), run_completed("r1"), run_completed("r2")])
    page = await rpc.ask(broker, subjects.QRY_RUNS_LIST, ListRuns(min_seq=seq), RunsPage)
    assert isinstance(page, RunsPage) and [r.run_id for r in page.runs] == ["r2", "r1"] and page.total == 2
    raw = (await broker.request(ListRuns().model_dump_json().encode(), subjects.QRY_RUNS_LIST)).body
    assert raw == page.model_dump_json().encode()  # byte for byte: the gateway passes it on as it came
    assert last_seq_of(raw) == seq  # and reads the position at its start for the ETag
    missing = await rpc.ask(broker, subjects.QRY_RUN_GET, GetRun(run_id="r404"), RunDetail)
    assert isinstance(missing, ErrorReply) and missing.error == "run_not_found"


@pytest.mark.parametrize(("subject", "body", "path"), [
    (subjects.QRY_RUN_GET, b'{"min_seq": 1}', "run_id"),
    (subjects.QRY_RUNS_LIST, b'{"limit": "many"}', "limit"),
    (subjects.CMD_RUN_DELETE, b"{}", "run_id"),
    (subjects.CMD_RUN_META, b'{"run_id": "r1", "action": "note", "by": "ann"}', "$"),
    (subjects.QRY_STATUS, b"not json", "$"),
])
async def test_a_body_its_contract_refuses_gets_a_typed_validation_failed_reply(broker, log, subject, body, path) -> None:  # type: ignore[no-untyped-def]
    await log.apply([plan_created(), run_completed("r1")])
    reply = parse_reply((await broker.request(body, subject)).body, RunDetail)
    assert isinstance(reply, ErrorReply) and reply.error == "validation_failed"
    assert [d["path"] for d in reply.details] == [path]
    assert log.events == []  # nothing recorded


async def test_deleting_a_run_records_the_fact_and_answers_once_the_read_model_has_it(broker, log) -> None:  # type: ignore[no-untyped-def]
    await log.apply([plan_created(), run_completed("r1")])
    reply = await rpc.ask(broker, subjects.CMD_RUN_DELETE, DeleteRun(run_id="r1", by="ann"), RunDeletedReply)
    assert reply == RunDeletedReply(run_id="r1")
    assert [(type(e), e.run_id, e.producer, e.deleted_by) for e in log.events] == [(RunDeleted, "r1", "run_registry", "ann")]
    page = await rpc.ask(broker, subjects.QRY_RUNS_LIST, ListRuns(), RunsPage)
    assert isinstance(page, RunsPage) and page.total == 0
    again = await rpc.ask(broker, subjects.CMD_RUN_DELETE, DeleteRun(run_id="r1"), RunDeletedReply)
    assert isinstance(again, ErrorReply) and again.error == "run_not_found" and len(log.events) == 1


async def test_approving_a_run_answers_with_its_governance_after_the_fact(broker, log) -> None:  # type: ignore[no-untyped-def]
    await log.apply([plan_created(), run_completed("r1")])
    reply = await rpc.ask(broker, subjects.CMD_RUN_META, ChangeRunMeta(run_id="r1", action="approve", by="ann"),
                          RunMetaChanged)
    assert isinstance(reply, RunMetaChanged) and reply.meta.approved and reply.recorded_seq == 3
    assert [type(e) for e in log.events] == [RunApproved]


async def test_a_storage_report_is_heard_and_one_that_is_none_is_dropped_and_counted(broker, live) -> None:  # type: ignore[no-untyped-def]
    def unreadable() -> float:
        return REGISTRY.get_sample_value("scpln_storage_reports_unreadable_total") or 0.0

    before = unreadable()
    await broker.publish(report("simulator"), subjects.storage_status("simulator"))
    await broker.publish(b"\xff not a report", subjects.storage_status("plan_service"))
    await broker.publish(b'{"service": "notifier"}', subjects.storage_status("notifier"))
    await broker.publish(report("plan_service"), subjects.storage_status("plan_service"))  # still listening
    assert unreadable() == before + 2
    status = await rpc.ask(broker, subjects.QRY_STATUS, Consistency(), RegistryStatus)
    assert isinstance(status, RegistryStatus)
    assert [s.service for s in status.storage] == ["run_registry", "plan_service", "simulator"]


async def test_while_short_of_space_commands_are_refused_and_queries_answered(broker, live, log) -> None:  # type: ignore[no-untyped-def]
    await log.apply([plan_created(), run_completed("r1")])
    live.storage.reserve_bytes = 2**62  # more than any disk has free
    refused = await rpc.ask(broker, subjects.CMD_RUN_DELETE, DeleteRun(run_id="r1"), RunDeletedReply)
    assert isinstance(refused, ErrorReply) and refused.error == "storage_full" and log.events == []
    page = await rpc.ask(broker, subjects.QRY_RUNS_LIST, ListRuns(), RunsPage)
    assert isinstance(page, RunsPage) and page.total == 1


def test_the_asyncapi_broker_is_wired_as_the_service_with_every_query_command_and_event() -> None:
    broker = asyncapi_broker()
    heard = {sub.subject.template for sub in broker.subscribers}
    assert set(QUERY_ROUTES) | {subjects.CMD_RUN_DELETE, subjects.CMD_RUN_META, subjects.CMD_REGISTRY_SWAP,
                                subjects.STORAGE_STATUS_ALL} == heard
    published = {pub.subject.template for pub in broker.publishers}
    assert {SUBJECT_OF["RunDeleted"], SUBJECT_OF["StoredObjectsDeleted"], SUBJECT_OF["ReadModelReplaced"]} <= published
    assert SUBJECT_OF["RunCompleted"] not in published  # the simulator's
    assert subjects.storage_status("run_registry") in published
