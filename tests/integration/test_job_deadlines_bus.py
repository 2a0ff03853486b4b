"""Job deadlines over a real nats-server: the owner of a job type fails its jobs left without
progress (asking the registry, publishing to the log), replicas publish one fact between them,
and a job that fails first stays failed while what its slow worker made is recorded."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nats.errors import NoRespondersError

from contracts import subjects
from contracts.commands import parse_reply
from contracts.events import AggregateRequested, JobProgress, JobType, PlanCreated
from contracts.queries import GetJob, JobDetail
from runtime.deadlines import Deadlines, fail_overdue
from runtime.objects import NatsObjectStore
from runtime.publisher import JetStreamPublisher
from services.plan_service.app import main as plan_service_main
from services.plan_service.settings import Settings as PlanServiceSettings
from services.run_registry.app import main as registry_main
from services.run_registry.settings import Settings as RegistrySettings
from services.simulator.app import main as simulator_main
from services.simulator.settings import Settings as SimulatorSettings
from tests.integration.conftest import Running, log_events, wait_events

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
LONG_AGO = datetime.now(UTC) - timedelta(hours=1)


async def ask(js, subject: str, request, model):  # type: ignore[no-untyped-def]
    """Request, waiting for the service to subscribe (it may be starting)."""
    for _ in range(100):
        try:
            reply = await js._nc.request(subject, request.model_dump_json().encode(), timeout=10)
            return parse_reply(reply.data, model)
        except NoRespondersError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"nobody answers {subject}")


def lost(job_id: str, job_type: str = "simulation") -> JobProgress:
    """A job queued an hour ago whose worker never came (its trigger lost)."""
    return JobProgress(correlation_id=job_id, producer="test", job_id=job_id, job_type=job_type, state="queued",
                       progress=0.0, step="queued", plan_version_id="plan_lost", occurred_at=LONG_AGO)


def failures(events: list, job_id: str) -> list[JobProgress]:
    return [e for e in events if isinstance(e, JobProgress) and e.job_id == job_id and e.state == "failed"]


async def registry_state(js, job_id: str) -> str:  # type: ignore[no-untyped-def]
    reply = await ask(js, subjects.QRY_JOB_GET, GetJob(job_id=job_id, min_seq=await last_seq(js)), JobDetail)
    return reply.job.state if isinstance(reply, JobDetail) else reply.error


async def last_seq(js) -> int:  # type: ignore[no-untyped-def]
    return (await js.stream_info(subjects.STREAM_NAME)).state.last_seq


@pytest.fixture()
async def registry(fresh_nats, js):  # type: ignore[no-untyped-def]
    service = Running(registry_main, RegistrySettings(nats_url=fresh_nats, registry_backend="memory"))
    yield service
    await service.stop()


async def test_replicas_that_see_the_same_stuck_job_store_one_failure(registry, js):
    await JetStreamPublisher(js).publish(lost("job_stuck"))
    watch = Deadlines("the simulator", "simulator", {JobType.simulation: 60.0})

    both_saw_it = asyncio.Barrier(2)

    async def publish(event):  # type: ignore[no-untyped-def]
        await both_saw_it.wait()  # each replica has read the stuck job before either writes its failure
        return await JetStreamPublisher(js).publish(event)

    async def replica() -> list[str]:
        return await fail_overdue(watch, lambda s, q, r: ask(js, s, q, r), publish, await last_seq(js))

    assert await asyncio.wait_for(asyncio.gather(replica(), replica()), 20) == [["job_stuck"], ["job_stuck"]]
    [failed] = failures(await log_events(js), "job_stuck")
    assert failed.message == "no progress for 60 s: the simulator did not finish it" and failed.producer == "simulator"
    assert await registry_state(js, "job_stuck") == "failed"
    assert await fail_overdue(watch, lambda s, q, r: ask(js, s, q, r), JetStreamPublisher(js).publish,
                              await last_seq(js)) == []


async def test_the_simulator_fails_a_lost_simulation_job_and_still_runs_its_other_plans(registry, fresh_nats, js):
    simulator = Running(simulator_main, SimulatorSettings(nats_url=fresh_nats, scpln_skip_simulation_api=True,
                                                          simulation_deadline_s=5, deadline_check_s=0.2))
    try:
        publish = JetStreamPublisher(js).publish
        await publish(lost("job_lost"))
        events = await wait_events(js, lambda evts: failures(evts, "job_lost"), timeout=20)
        assert failures(events, "job_lost")[0].message == "no progress for 5 s: the simulator did not finish it"
        document = json.dumps(json.loads((SAMPLES / "small.json").read_text())).encode()
        config = await NatsObjectStore(js).put("config", subjects.CONFIGS_BUCKET, "small.json", document)
        await publish(PlanCreated(correlation_id="plan_ok", producer="test", plan_version_id="plan_ok",
                                  config_version_id="cfg", base_scenario_id="scn", scenario_name="S", job_id="job_p",
                                  seed=1, config=config, simulation_job_id="job_ok"))
        events = await wait_events(js, lambda evts: any(
            isinstance(e, JobProgress) and e.job_id == "job_ok" and e.state == "succeeded" for e in evts))
        assert not failures(events, "job_ok") and len(failures(events, "job_lost")) == 1
    finally:
        await simulator.stop()


async def test_plan_service_fails_an_aggregate_job_nobody_works_on(registry, fresh_nats, js):
    await JetStreamPublisher(js).publish(AggregateRequested(
        correlation_id="plan_x", producer="plan_service", job_id="job_agg", run_id="run_x", plan_version_id="plan_x",
        bucket="week", group_by="item", occurred_at=LONG_AGO))
    service = Running(plan_service_main, PlanServiceSettings(nats_url=fresh_nats, load_samples=False,
                                                             aggregate_deadline_s=5, deadline_check_s=0.2))
    try:
        events = await wait_events(js, lambda evts: failures(evts, "job_agg"), timeout=20)
        [failed] = failures(events, "job_agg")
        assert (failed.job_type, failed.producer) == ("aggregate", "plan_service")
        assert failed.message == "no progress for 5 s: plan_service did not finish it"
        assert await registry_state(js, "job_agg") == "failed"
    finally:
        await service.stop()
