"""The simulator's handler with in-memory fakes: run ids, stub runs, failures, cancelled jobs, a bus
that does not answer for a while."""

import json
from pathlib import Path

import pytest
from faststream.exceptions import NackMessage
from nats.errors import TimeoutError as NatsTimeout

from contracts import subjects
from contracts.events import ArtifactRef, JobCancelled, PlanCreated, RunCompleted, RunFailed, encode
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.simulator.app import on_trigger
from services.simulator.cancellations import Cancellations
from services.simulator.handlers import run_id_for, simulate_plan
from services.simulator.ports import Ports

SMALL = (Path(__file__).resolve().parents[3] / "samples" / "small.json").read_bytes()


async def ports_with_config(**options) -> tuple[Ports, ArtifactRef]:  # type: ignore[no-untyped-def]
    objects = InMemoryObjectStore()
    ref = await objects.put("config", subjects.CONFIGS_BUCKET, "small.json", SMALL)
    return Ports(publisher=InMemoryPublisher(), objects=objects, **options), ref


def trigger(config: ArtifactRef) -> PlanCreated:
    return PlanCreated(correlation_id="plan_1", producer="test", plan_version_id="plan_1", config_version_id="cfg_1",
                       base_scenario_id="scn_1", scenario_name="Base", job_id="job_p", seed=4, config=config,
                       simulation_job_id="job_s")


async def test_the_run_id_comes_from_the_trigger_so_a_redelivery_repeats_the_same_run():
    ports, ref = await ports_with_config(stub=True)
    event = trigger(ref)
    await simulate_plan(event, ports)
    await simulate_plan(event, ports)
    runs = ports.publisher.of_type("RunCompleted")
    assert len(runs) == 1 and runs[0].run_id == run_id_for(event) and runs[0].stub
    assert json.loads(runs[0].model_dump_json())["summary"]["planning_days"] == 59


async def test_the_full_engine_stores_results_and_a_missing_config_fails_the_run():
    ports, ref = await ports_with_config()
    await simulate_plan(trigger(ref), ports)
    run = ports.publisher.of_type("RunCompleted")[0]
    assert isinstance(run, RunCompleted) and not run.stub and run.results is not None
    assert await ports.objects.get(run.results.bucket, run.results.key)
    await simulate_plan(trigger(ref.model_copy(update={"key": "gone.json"})), ports)
    failed = ports.publisher.of_type("RunFailed")
    assert len(failed) == 1 and isinstance(failed[0], RunFailed) and "gone.json" in failed[0].reason
    assert ports.publisher.events[-1].state == "failed"


async def test_a_job_the_log_says_was_cancelled_is_skipped_without_asking_anyone():
    cancellations = Cancellations()
    cancelled = JobCancelled(correlation_id="job_s", producer="plan_service", job_id="job_s", job_type="simulation")
    cancellations.fold(encode(cancelled), subjects.JOB_CANCELLED, 7)
    cancellations.fold(b"not an event", subjects.JOB_CANCELLED, 8)  # a poison message is passed over
    ports, ref = await ports_with_config(stub=True, cancelled=cancellations)
    await simulate_plan(trigger(ref), ports)
    assert ports.publisher.events == [] and cancellations.position == 8
    await simulate_plan(trigger(ref).model_copy(update={"simulation_job_id": "job_other"}), ports)
    assert len(ports.publisher.of_type("RunCompleted")) == 1


class StallingStore(InMemoryObjectStore):
    """An object store whose bus does not answer for the first ``stalls`` reads."""

    def __init__(self, stalls: int) -> None:
        super().__init__()
        self.stalls = stalls

    async def get(self, bucket: str, key: str) -> bytes:
        if self.stalls:
            self.stalls -= 1
            raise NatsTimeout
        return await super().get(bucket, key)


async def test_a_bus_that_does_not_answer_has_the_trigger_delivered_again_until_its_last_delivery():
    objects = StallingStore(stalls=3)
    ref = await objects.put("config", subjects.CONFIGS_BUCKET, "small.json", SMALL)
    ports = Ports(publisher=InMemoryPublisher(), objects=objects, stub=True)
    event = trigger(ref)
    for delivery in (1, 2):
        with pytest.raises(NackMessage) as again:
            await on_trigger(event, ports, delivery=delivery, max_deliver=3)
        assert again.value.extra_options == {"delay": 2.0**delivery}
    assert ports.publisher.of_type("RunFailed") == []
    await on_trigger(event, ports, delivery=3, max_deliver=3)  # the last delivery: the run fails, saying why
    [failed] = ports.publisher.of_type("RunFailed")
    assert failed.reason.startswith("the message bus did not answer")
    assert ports.publisher.events[-1].state == "failed"


async def test_a_bus_that_answers_again_before_the_last_delivery_completes_the_run():
    objects = StallingStore(stalls=1)
    ref = await objects.put("config", subjects.CONFIGS_BUCKET, "small.json", SMALL)
    ports = Ports(publisher=InMemoryPublisher(), objects=objects, stub=True)
    event = trigger(ref)
    with pytest.raises(NackMessage):
        await on_trigger(event, ports, delivery=1, max_deliver=5)
    await on_trigger(event, ports, delivery=2, max_deliver=5)
    assert len(ports.publisher.of_type("RunCompleted")) == 1 and ports.publisher.of_type("RunFailed") == []
