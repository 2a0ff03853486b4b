"""The planning queue's work on one request taken, with in-memory fakes: planned once, finished
when its plan exists, dropped when cancelled, failed the last time it is taken."""

from pathlib import Path

import pytest

from contracts.commands import CreatePlan
from contracts.events import JobCancelled, JobState, PlanRequested
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from services.plan_service import plans
from services.plan_service.planning_queue import take
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples
from services.plan_service.settings import Settings
from tests.unit.plan_service.test_plan_commands import fake_pipeline

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
SETTINGS = Settings(planning_max_deliver=3, load_samples=False)


@pytest.fixture()
async def recorded() -> tuple[Ports, PlanRequested]:
    """A plan request recorded by a replica of the queue: nothing plans it until it is taken."""
    ports = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), planning_queue=True)
    await load_samples(ports, SAMPLES)
    config = min(ports.state.configs.values(), key=lambda c: c.planning_days).config_version_id
    await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=config), ports)
    return ports, ports.publisher.of_type("PlanRequested")[-1]


def states(ports: Ports, job_id: str) -> list[JobState]:
    return [e.state for e in ports.publisher.of_type("JobProgress") if e.job_id == job_id]


async def give(ports: Ports, request: PlanRequested, taken: int) -> None:
    await take(request, 1, taken, ports, SETTINGS, fake_pipeline)


async def test_a_request_is_planned_by_the_replica_that_takes_it_and_once_only(recorded):
    ports, request = recorded
    assert states(ports, request.job_id) == [JobState.queued] and not ports.publisher.of_type("PlanCreated")
    await give(ports, request, 1)
    await give(ports, request, 2)  # taken again after its planner "died" past PlanCreated
    assert [e.plan_version_id for e in ports.publisher.of_type("PlanCreated")] == [request.plan_version_id]
    assert states(ports, request.job_id)[-1] == JobState.succeeded


async def test_a_request_taken_again_is_planned_again_and_the_last_time_fails_its_job(recorded):
    ports, request = recorded
    await give(ports, request, 3)
    assert not ports.publisher.of_type("PlanCreated")
    failed = ports.publisher.of_type("JobProgress")[-1]
    assert failed.state == JobState.failed and "started 2 times" in failed.message
    await give(ports, request, 2)
    assert ports.publisher.of_type("PlanCreated") and "planning again" in " ".join(
        e.message for e in ports.publisher.of_type("JobProgress"))


async def test_a_cancelled_request_is_not_planned(recorded):
    ports, request = recorded
    ports.state.apply(JobCancelled(correlation_id=request.job_id, producer="test", job_id=request.job_id,
                                   job_type="planning"))
    await give(ports, request, 1)
    assert not ports.publisher.of_type("PlanCreated")
