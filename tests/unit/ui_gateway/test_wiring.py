"""The gateway's wiring on faststream's ``TestNatsBroker`` (no server): the broker ``NatsBus``
builds (``bus.wire``, the same as ``asyncapi_broker``), a fake registry answering on a broker of
its own. Requests go out through the gateway's broker and come back as the registry encoded
them; a request the registry's contract refuses comes back as a typed ``validation_failed``;
every service's storage reports reach ``/healthz``; a message on a report subject that is no
report is dropped and counted."""

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import HTTPException
from faststream.nats import TestNatsBroker
from prometheus_client import REGISTRY

from contracts import subjects
from contracts.commands import ErrorReply
from contracts.queries import Consistency, GetRun, ListRuns, ReadModelPosition, RunDetail, RunsPage
from runtime import bus, rpc
from runtime.outage import OutageLog
from runtime.storage_report import reporter
from services.ui_gateway.app import asyncapi_broker, create_app
from services.ui_gateway.bus import NatsBus
from services.ui_gateway.deps import ask
from services.ui_gateway.settings import Settings
from tests.unit.ui_gateway.fakes import run_row
from tests.unit.ui_gateway.test_storage_health import report

UNREADABLE = "scpln_storage_reports_unreadable_total"


class FakeRegistry:
    """The registry's queries the routes below use, on a broker of its own: what it was asked,
    by subject, and the position it is at."""

    def __init__(self) -> None:
        self.broker = bus.broker("nats://127.0.0.1:4222", OutageLog(logging.getLogger("test.registry")),
                                 name="fake_registry")
        self.asked: list[tuple[str, object]] = []
        self.last_seq = 41
        for subject, model, handle, reply in (
                (subjects.QRY_RUNS_LIST, ListRuns, self.runs, RunsPage),
                (subjects.QRY_POSITION, Consistency, self.position, ReadModelPosition),
                (subjects.QRY_RUN_GET, GetRun, self.run, RunDetail)):
            self.broker.subscriber(subject, queue="run_registry")(rpc.responder(model, self._asked(subject, handle),
                                                                                reply=reply))

    def _asked(self, subject, handle):  # type: ignore[no-untyped-def]
        async def asked(request):  # type: ignore[no-untyped-def]
            self.asked.append((subject, request))
            return await handle(request)

        return asked

    def subjects_asked(self) -> list[str]:
        return [subject for subject, _ in self.asked]

    async def runs(self, query: ListRuns) -> RunsPage:
        rows = [run_row(f"run_{n}") for n in range(query.limit)]
        return RunsPage(last_seq=self.last_seq, runs=rows, total=100_000, limit=query.limit, offset=query.offset)

    async def position(self, query: Consistency) -> ReadModelPosition:
        return ReadModelPosition(last_seq=self.last_seq)

    async def run(self, query: GetRun) -> RunDetail:
        raise AssertionError("a request the contract refuses never reaches the handler")


@pytest.fixture()
async def wired(tmp_path) -> AsyncIterator[tuple[NatsBus, FakeRegistry, httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    gateway, registry = NatsBus("nats://127.0.0.1:4222", timeout=1), FakeRegistry()
    app = create_app(Settings(scpln_auth="off", scpln_data_dir=tmp_path), bus=gateway)
    async with TestNatsBroker(gateway.broker, registry.broker):
        gateway.nc = gateway.broker.connection  # the connection TestNatsBroker fakes: the bus is up
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            yield gateway, registry, client


async def test_get_runs_passes_the_registrys_reply_through_as_it_came_and_304_while_it_has_not_moved(wired):
    _, registry, client = wired
    page = await client.get("/runs", params={"limit": 3, "status": "succeeded"})
    assert page.status_code == 200, page.text
    [(subject, query)] = registry.asked
    assert subject == subjects.QRY_RUNS_LIST and isinstance(query, ListRuns)
    assert (query.limit, query.status) == (3, "succeeded")
    assert page.content.startswith(b'{"last_seq":41,') and RunsPage.model_validate_json(page.content).total == 100_000
    tag = page.headers["etag"]
    assert tag.startswith('W/"41-')

    unchanged = await client.get("/runs", params={"limit": 3, "status": "succeeded"}, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and registry.subjects_asked()[1:] == [subjects.QRY_POSITION]
    registry.last_seq = 42
    moved = await client.get("/runs", params={"limit": 3, "status": "succeeded"}, headers={"If-None-Match": tag})
    assert moved.status_code == 200 and moved.headers["etag"].startswith('W/"42-')
    assert registry.subjects_asked()[2:] == [subjects.QRY_POSITION, subjects.QRY_RUNS_LIST]


async def test_a_request_the_registrys_contract_refuses_is_a_typed_validation_failed_reply_and_a_422(wired):
    gateway, registry, _ = wired
    refused = await gateway.ask(subjects.QRY_RUN_GET, Consistency(min_seq=1), RunDetail)
    assert isinstance(refused, ErrorReply) and refused.error == "validation_failed"
    assert [d["path"] for d in refused.details] == ["run_id"]
    assert registry.asked == []
    # what the gateway makes of it for a client: a 422 naming the field
    with pytest.raises(HTTPException) as http:
        await ask(gateway, subjects.QRY_RUN_GET, Consistency(min_seq=1), RunDetail)
    assert http.value.status_code == 422 and http.value.detail["errors"][0]["path"] == "run_id"


async def test_a_query_nobody_answers_is_a_503(wired):
    client = wired[2]
    answer = await client.get("/plans")
    assert answer.status_code == 503 and "no answer on scpln.qry.registry.plans.list" in answer.json()["detail"]


async def test_every_services_storage_report_reaches_healthz_and_one_that_is_no_report_is_dropped_and_counted(wired):
    gateway, registry, client = wired
    gateway._identities_ready.set()  # the identity facts are followed on the connection, not the broker
    assert (await client.get("/healthz")).json()["storage"] == []
    await reporter(registry.broker, "run_registry").publish(report("run_registry", failing=True).model_dump_json().encode())
    health = await client.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "storage_trouble"
    assert [s["service"] for s in health.json()["storage"]] == ["run_registry"]

    before = REGISTRY.get_sample_value(UNREADABLE) or 0.0
    await registry.broker.publish(b"not a report", subjects.storage_status("simulator"))
    await registry.broker.publish(b'{"service": "simulator"}', subjects.storage_status("simulator"))
    assert REGISTRY.get_sample_value(UNREADABLE) == before + 2
    assert [s.service for s in gateway.storage_board.statuses()] == ["run_registry"]

    await reporter(registry.broker, "run_registry").publish(report("run_registry").model_dump_json().encode())
    assert (await client.get("/healthz")).status_code == 200


def test_the_asyncapi_broker_is_wired_as_the_gateways_own():
    def described(broker) -> tuple[list, list]:  # type: ignore[no-untyped-def]
        return sorted(s.subject.template for s in broker.subscribers), sorted(p.subject.template for p in broker.publishers)

    documented, running = described(asyncapi_broker()), described(NatsBus("nats://127.0.0.1:4222").broker)
    assert documented == running
    assert documented == ([subjects.STORAGE_STATUS_ALL], [subjects.storage_status("ui_gateway")])
