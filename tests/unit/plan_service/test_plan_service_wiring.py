"""plan_service's broker as ``main`` wires it (``wire``), driven through faststream's
``TestNatsBroker`` (no server) with in-memory ports: commands answered with their typed replies, a
body the contract refuses answered ``validation_failed``, a plan request taken from the planning
queue planned and acknowledged, poison dropped and counted, a request in hand handed back when
the replica stops, the registry asked through the broker, and the AsyncAPI broker wired the same."""

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from faststream.nats import TestNatsBroker
from prometheus_client import REGISTRY

from contracts import subjects
from contracts.commands import (
    CancelJob,
    CreatePlan,
    CreateScenario,
    ErrorReply,
    JobAccepted,
    PlanAccepted,
    ScenarioAccepted,
)
from contracts.events import JobState, JobType, PlanRequested, ScenarioCreated, encode, subject_for
from contracts.queries import GetJob, JobDetail, JobRow
from runtime import bus, rpc
from runtime.objects import InMemoryObjectStore
from runtime.outage import OutageLog
from runtime.publisher import InMemoryPublisher
from services.plan_service import plans
from services.plan_service.app import asyncapi_broker, registry_client, wire
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples
from services.plan_service.settings import Settings
from tests.unit.plan_service.test_plan_commands import Tasks, fake_pipeline, small_config

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
SETTINGS = Settings(nats_url="nats://127.0.0.1:4222", load_samples=False, planning_max_deliver=3)


def delivery(delivered: int = 1, seq: int = 7) -> str:
    """The reply subject JetStream gives a message of the planning queue delivered the ``delivered``-th time."""
    return f"$JS.ACK.{subjects.STREAM_NAME}.{subjects.PLANNING_DURABLE}.{delivered}.{seq}.{seq}.1700000000000000000.0"


@pytest.fixture()
async def ports() -> Ports:
    """In-memory ports holding the samples, planning through the queue as main's do."""
    made = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=Tasks(), planning_queue=True)
    await load_samples(made, SAMPLES)
    return made


@pytest.fixture()
def planned_by_fake(monkeypatch):  # type: ignore[no-untyped-def]
    """The queue plans with the fake pipeline (the real one is tested on its own)."""
    plan_request = plans.plan_request

    async def with_fake_pipeline(request, ports, pipeline=None):  # type: ignore[no-untyped-def]
        await plan_request(request, ports, fake_pipeline)

    monkeypatch.setattr(plans, "plan_request", with_fake_pipeline)


def wired(ports: Ports):  # type: ignore[no-untyped-def]
    broker = bus.broker(SETTINGS.nats_url, OutageLog(logging.getLogger("test")), name="plan_service")
    return broker, wire(broker, SETTINGS, None, lambda _service_publisher: ports)


async def test_a_command_is_answered_with_its_typed_reply_and_records_its_fact(ports) -> None:  # type: ignore[no-untyped-def]
    broker, wiring = wired(ports)
    async with TestNatsBroker(broker) as br:
        reply = await rpc.ask(br, subjects.CMD_SCENARIO_CREATE, CreateScenario(name="Wired"), ScenarioAccepted)
    assert isinstance(reply, ScenarioAccepted) and wiring.ports is ports
    [created] = [e for e in ports.publisher.of_type("ScenarioCreated") if e.name == "Wired"]
    assert created.scenario_id == reply.scenario_id and ports.state.scenarios[reply.scenario_id].name == "Wired"


@pytest.mark.parametrize("body", [b'{"config_version_id": "c"}', b"not json",
                                  b'{"base_scenario_id": "s", "config_version_id": "c", "seed": "many"}'])
async def test_a_body_the_contract_refuses_is_a_typed_validation_reply_and_records_nothing(ports, body) -> None:  # type: ignore[no-untyped-def]
    broker, _ = wired(ports)
    before = len(ports.publisher.events)
    async with TestNatsBroker(broker) as br:
        answer = await br.request(body, subjects.CMD_PLAN_CREATE)
    reply = ErrorReply.model_validate_json(answer.body)
    assert reply.error == "validation_failed" and reply.details
    assert len(ports.publisher.events) == before


async def test_a_plan_request_from_the_queue_is_planned_and_acknowledged(ports, settled, planned_by_fake) -> None:  # type: ignore[no-untyped-def]
    broker, _ = wired(ports)
    async with TestNatsBroker(broker) as br:
        accepted = await rpc.ask(br, subjects.CMD_PLAN_CREATE, CreatePlan(base_scenario_id="scn_baseline",
                                                                         config_version_id=small_config(ports)),
                                 PlanAccepted)
        assert isinstance(accepted, PlanAccepted) and not ports.publisher.of_type("PlanCreated")  # only recorded
        [request] = ports.publisher.of_type("PlanRequested")
        await br.publish(encode(request), subject_for(request), stream=subjects.STREAM_NAME, reply_to=delivery())
    [created] = ports.publisher.of_type("PlanCreated")
    assert created.plan_version_id == accepted.plan_version_id
    assert [e.state for e in ports.publisher.of_type("JobProgress") if e.job_id == accepted.job_id][-1] == "succeeded"
    assert settled == [("ack",)]


async def test_poison_on_the_queue_is_dropped_counted_and_acknowledged_and_the_queue_goes_on(
        ports, settled, planned_by_fake) -> None:  # type: ignore[no-untyped-def]
    def dropped() -> float:
        return REGISTRY.get_sample_value("subscriber_messages_undecodable_total",
                                         {"subscriber": subjects.PLANNING_DURABLE}) or 0.0

    misplaced = ScenarioCreated(correlation_id="scn_x", producer="elsewhere", scenario_id="scn_x", name="X")
    on_the_queue = subjects.aggregate_subject(subjects.PLAN_REQUESTED, "plan_p")
    before = dropped()
    broker, _ = wired(ports)
    async with TestNatsBroker(broker) as br:
        await rpc.ask(br, subjects.CMD_PLAN_CREATE, CreatePlan(base_scenario_id="scn_baseline",
                                                              config_version_id=small_config(ports)), PlanAccepted)
        [request] = ports.publisher.of_type("PlanRequested")
        for poison in (b"\x00 not an event", b'{"event_type": "PlanRequested"}', encode(misplaced)):
            await br.publish(poison, on_the_queue, stream=subjects.STREAM_NAME, reply_to=delivery())
        await br.publish(encode(request), subject_for(request), stream=subjects.STREAM_NAME, reply_to=delivery())
    assert dropped() - before == 3
    assert len(ports.publisher.of_type("PlanCreated")) == 1 and settled == [("ack",)] * 4


async def test_a_replica_that_stops_while_planning_hands_the_request_back_at_once(ports, settled, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    planning = asyncio.Event()

    async def never_done(request, ports, pipeline=None):  # type: ignore[no-untyped-def]
        planning.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(plans, "plan_request", never_done)
    broker, _ = wired(ports)
    async with TestNatsBroker(broker) as br:
        await rpc.ask(br, subjects.CMD_PLAN_CREATE, CreatePlan(base_scenario_id="scn_baseline",
                                                              config_version_id=small_config(ports)), PlanAccepted)
        [request] = ports.publisher.of_type("PlanRequested")
        taking = asyncio.create_task(br.publish(encode(request), subject_for(request), stream=subjects.STREAM_NAME,
                                                reply_to=delivery()))
        await planning.wait()
        taking.cancel()
        await asyncio.gather(taking, return_exceptions=True)
    assert settled == [("nak", None)]


async def test_the_registry_is_asked_through_the_broker(ports) -> None:  # type: ignore[no-untyped-def]
    asked: list[GetJob] = []
    now = datetime.now(UTC)

    async def registry(query: GetJob) -> JobDetail:
        asked.append(query)
        return JobDetail(last_seq=1, job=JobRow(job_id=query.job_id, job_type=JobType.planning, state=JobState.queued,
                                                progress=0.0, step="", message="", created_at=now, updated_at=now))

    broker, _ = wired(ports)
    ports.ask_registry = registry_client(broker)
    broker.subscriber(subjects.QRY_JOB_GET)(rpc.responder(GetJob, registry, reply=JobDetail))
    async with TestNatsBroker(broker) as br:
        reply = await rpc.ask(br, subjects.CMD_JOB_CANCEL, CancelJob(job_id="job_q", by="ann"), JobAccepted)
    assert reply == JobAccepted(job_id="job_q") and [q.job_id for q in asked] == ["job_q"]
    assert [e.cancelled_by for e in ports.publisher.of_type("JobCancelled")] == ["ann"]


def test_the_asyncapi_broker_is_wired_as_the_service_typed_by_the_contracts() -> None:
    from faststream.specification import AsyncAPI

    document = AsyncAPI(asyncapi_broker(), title="plan_service").to_specification().to_jsonable()
    payloads = {name: message["payload"]["$ref"].rsplit("/", 1)[1]
                for name, message in document["components"]["messages"].items()}
    received = {schema for name, schema in payloads.items() if name.endswith("SubscribeMessage")}
    sent = {schema for name, schema in payloads.items() if not name.endswith("SubscribeMessage")}
    assert {"CreatePlan", "ImportConfig", "CreateScenario", "CancelJob", "EditPsi", PlanRequested.__name__} <= received
    assert {"PlanRequested", "PlanCreated", "JobProgress", "ScenarioCreated", "StorageStatus"} <= sent
    assert "RunCompleted" not in sent
