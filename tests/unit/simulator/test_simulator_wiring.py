"""The simulator's broker as ``main`` wires it (``wire``), driven through faststream's
``TestNatsBroker`` (no server) with in-memory ports: triggers decoded by the contracts reach the
handler typed, poison is dropped and counted, a bus that stalls has its trigger handed back with a
delay until its last delivery, and the registry is asked through the broker."""

import json
import logging
from datetime import UTC, datetime, timedelta
from functools import partial

from faststream.nats import TestNatsBroker
from prometheus_client import REGISTRY

from contracts import subjects
from contracts.events import JobCancelled, JobType, RunRequested, ScenarioCreated, encode, subject_for
from contracts.queries import JobRow, JobsPage, ListJobs
from runtime import bus, rpc
from runtime.deadlines import fail_overdue
from runtime.outage import OutageLog
from runtime.publisher import InMemoryPublisher
from services.simulator.app import ask_registry, asyncapi_broker, deadlines, wire
from services.simulator.cancellations import Cancellations
from services.simulator.handlers import run_id_for
from services.simulator.ports import Ports
from services.simulator.settings import Settings
from tests.unit.simulator.test_service_handler import SMALL, StallingStore, ports_with_config, trigger

SETTINGS = Settings(nats_url="nats://127.0.0.1:4222", max_deliver=3)


def delivery(durable: str, delivered: int, seq: int = 7) -> str:
    """The reply subject JetStream gives a message of ``durable`` delivered for the ``delivered``-th time."""
    return f"$JS.ACK.{subjects.STREAM_NAME}.{durable}.{delivered}.{seq}.{seq}.1700000000000000000.0"


PLANS, RERUNS = subjects.SIMULATOR_DURABLES[subjects.PLAN_CREATED], subjects.SIMULATOR_DURABLES[subjects.RUN_REQUESTED]


def dropped(durable: str) -> float:
    return REGISTRY.get_sample_value("subscriber_messages_undecodable_total", {"subscriber": durable}) or 0.0


def wired(ports: Ports):  # type: ignore[no-untyped-def]
    broker = bus.broker(SETTINGS.nats_url, OutageLog(logging.getLogger("test")), name="simulator")
    return broker, wire(broker, SETTINGS, lambda _service_publisher: ports)


async def send(br, event_or_body, subject: str, durable: str = PLANS, delivered: int = 1) -> None:  # type: ignore[no-untyped-def]
    body = event_or_body if isinstance(event_or_body, bytes) else encode(event_or_body)
    await br.publish(body, subject, stream=subjects.STREAM_NAME, reply_to=delivery(durable, delivered))


async def test_a_plan_and_a_rerun_are_simulated_from_their_typed_triggers(settled) -> None:
    ports, ref = await ports_with_config(stub=True)
    plan = trigger(ref)
    rerun = RunRequested(correlation_id="job_r", producer="plan_service", plan_version_id="plan_1",
                         config_version_id="cfg_1", base_scenario_id="scn_1", scenario_name="Base", job_id="job_r",
                         seed=5, config=ref, replication=2)
    broker, _ = wired(ports)
    async with TestNatsBroker(broker) as br:
        await send(br, plan, subject_for(plan))
        await send(br, rerun, subject_for(rerun), RERUNS)
    runs = ports.publisher.of_type("RunCompleted")
    assert [(r.run_id, r.replication) for r in runs] == [(run_id_for(plan), 0), (run_id_for(rerun), 2)]
    assert [e.state for e in ports.publisher.of_type("JobProgress") if e.job_id == "job_r"] == ["running", "succeeded"]
    assert settled == [("ack",), ("ack",)]


async def test_an_old_version_of_a_trigger_is_upcast_before_the_handler_sees_it(settled) -> None:
    ports, ref = await ports_with_config(stub=True)
    current = RunRequested(correlation_id="job_v1", producer="plan_service", plan_version_id="plan_1",
                           config_version_id="cfg_1", base_scenario_id="scn_1", scenario_name="Base", job_id="job_v1",
                           seed=5, config=ref)
    v1 = json.loads(current.model_dump_json())
    for newer in ("replication", "execution", "supply_plan"):
        del v1[newer]
    v1["schema_version"] = 1
    broker, _ = wired(ports)
    async with TestNatsBroker(broker) as br:
        await send(br, json.dumps(v1).encode(), subjects.RUN_REQUESTED, RERUNS)
    [run] = ports.publisher.of_type("RunCompleted")
    assert run.run_id == run_id_for(current) and run.replication is None and run.execution == "policy"


async def test_poison_is_dropped_counted_and_acknowledged_without_reaching_the_handler(settled) -> None:
    ports, ref = await ports_with_config(stub=True)
    misplaced = ScenarioCreated(correlation_id="scn_x", producer="elsewhere", scenario_id="scn_x", name="X")
    before = dropped(PLANS)
    broker, _ = wired(ports)
    async with TestNatsBroker(broker) as br:
        await send(br, b"\x00 not an event", subjects.PLAN_CREATED)
        await send(br, b'{"event_type": "PlanCreated"}', subjects.PLAN_CREATED)
        await send(br, misplaced, subjects.PLAN_CREATED)  # a valid event, on another's subject
        await send(br, trigger(ref), subjects.PLAN_CREATED)  # the queue goes on
    assert dropped(PLANS) - before == 3
    assert [e.event_type for e in ports.publisher.events] == ["JobProgress", "RunCompleted", "JobProgress"]
    assert settled == [("ack",)] * 4


async def test_a_job_cancelled_in_the_log_is_skipped(settled) -> None:
    cancellations = Cancellations()
    cancellations.fold(encode(JobCancelled(correlation_id="job_s", producer="plan_service", job_id="job_s",
                                           job_type="simulation")), subjects.JOB_CANCELLED, 3)
    ports, ref = await ports_with_config(stub=True, cancelled=cancellations)
    broker, _ = wired(ports)
    async with TestNatsBroker(broker) as br:
        await send(br, trigger(ref), subjects.PLAN_CREATED)
    assert ports.publisher.events == [] and settled == [("ack",)]


async def test_a_stalled_bus_hands_the_trigger_back_with_a_delay_until_its_last_delivery(settled) -> None:
    objects = StallingStore(stalls=5)
    ref = await objects.put("config", subjects.CONFIGS_BUCKET, "small.json", SMALL)
    ports = Ports(publisher=InMemoryPublisher(), objects=objects, stub=True)
    broker, _ = wired(ports)
    async with TestNatsBroker(broker) as br:
        for delivered in (1, 2):
            await send(br, trigger(ref), subjects.PLAN_CREATED, delivered=delivered)
        assert settled == [("nak", 2.0), ("nak", 4.0)]
        assert not ports.publisher.of_type("RunFailed") and not ports.publisher.of_type("RunCompleted")
        await send(br, trigger(ref), subjects.PLAN_CREATED, delivered=SETTINGS.max_deliver)
    [failed] = ports.publisher.of_type("RunFailed")
    assert failed.reason.startswith("the message bus did not answer") and settled[-1] == ("ack",)


async def test_the_deadline_watch_asks_the_registry_through_the_broker_and_fails_the_stuck_job() -> None:
    ports, _ = await ports_with_config(stub=True)
    broker, _ = wired(ports)
    asked: list[ListJobs] = []
    stale = datetime.now(UTC) - timedelta(hours=1)

    async def registry(query: ListJobs) -> JobsPage:
        asked.append(query)
        return JobsPage(last_seq=9, total=1, jobs=[JobRow(
            job_id="job_lost", job_type=JobType.simulation, state="running", progress=0.3, step="day 3/9", message="",
            created_at=stale, updated_at=stale)])

    broker.subscriber(subjects.QRY_JOBS_LIST)(rpc.responder(ListJobs, registry, reply=JobsPage))
    published = InMemoryPublisher()
    async with TestNatsBroker(broker) as br:
        failed = await fail_overdue(deadlines(SETTINGS), partial(ask_registry, br), published.publish, min_seq=9)
        refused = await rpc.ask(br, subjects.QRY_JOBS_LIST, ListJobs.model_construct(limit=0), JobsPage)
    assert failed == ["job_lost"] and asked[0].job_type == JobType.simulation and asked[0].min_seq == 9
    [progress] = published.of_type("JobProgress")
    assert progress.state == "failed" and "the simulator did not finish it" in progress.message
    assert refused.error == "validation_failed"  # type: ignore[union-attr]


def test_the_asyncapi_broker_is_wired_as_the_service_typed_by_the_contracts() -> None:
    from faststream.specification import AsyncAPI

    document = AsyncAPI(asyncapi_broker(), title="simulator").to_specification().to_jsonable()
    payloads = {name: message["payload"]["$ref"].rsplit("/", 1)[1]
                for name, message in document["components"]["messages"].items()}
    received = sorted(schema for name, schema in payloads.items() if name.endswith("SubscribeMessage"))
    sent = sorted(schema for name, schema in payloads.items() if not name.endswith("SubscribeMessage"))
    assert received == ["PlanCreated", "RunRequested"]
    assert sent == ["JobProgress", "RunCompleted", "RunFailed", "StorageStatus"]
