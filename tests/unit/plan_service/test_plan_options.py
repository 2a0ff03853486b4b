"""Plan options are a typed model: plan_service refuses an unknown option or a value out of
range with a typed ``validation_failed`` (commands come from any client, not only the gateway),
records the options it planned with in full, and still reads requests recorded before options
were checked (``PlanOptions.recorded``)."""

import json
from types import SimpleNamespace

import pytest
from test_plan_commands import SAMPLES, Tasks

from contracts.canonical import CanonicalConfig
from contracts.commands import CreatePlan, ErrorReply, PlanAccepted, RetryJob
from contracts.events import PlanRequested
from contracts.plan_options import PlanOptions
from contracts.queries import JobDetail, JobRow
from runtime.objects import InMemoryObjectStore
from runtime.publisher import InMemoryPublisher
from runtime.rpc import answer
from services.plan_service import jobs, plans
from services.plan_service.domain.pipeline import run_pipeline
from services.plan_service.ports import Ports
from services.plan_service.sample_data import load_samples


@pytest.fixture()
async def ports() -> Ports:
    ports = Ports(publisher=InMemoryPublisher(), objects=InMemoryObjectStore(), spawn=Tasks())
    await load_samples(ports, SAMPLES)
    return ports


def small_config(ports: Ports) -> str:
    return min(ports.state.configs.values(), key=lambda c: c.planning_days).config_version_id


def planned_with(seen: list):  # type: ignore[no-untyped-def]
    def pipeline(config, *, options, on_step):  # type: ignore[no-untyped-def]
        seen.append(options)
        return SimpleNamespace(artifacts={}, kpis={})

    return pipeline


def a_failed_job(job_id: str) -> object:
    async def registry(subject, request, reply):  # type: ignore[no-untyped-def]
        return JobDetail(job=JobRow(job_id=job_id, job_type="planning", state="failed", progress=1.0, step="options",
                                    message="", created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z"))

    return registry


def recorded_request(ports: Ports, job_id: str, options: dict) -> PlanRequested:
    """A plan request as the log holds it from before options were checked."""
    request = PlanRequested(correlation_id="plan_old", producer="plan_service", plan_version_id="plan_old",
                            config_version_id=small_config(ports), base_scenario_id="scn_baseline",
                            scenario_name="Baseline", job_id=job_id, seed=3, options=options)
    ports.state.apply(request)
    return request


@pytest.mark.parametrize(("options", "named"), [
    ({"tolerance": 5}, "options.tolerance"), ({"tolerance": -0.1}, "options.tolerance"),
    ({"ignore_capacity": "sometimes"}, "options.ignore_capacity"), ({"horizon_weeks": 13}, "options.horizon_weeks"),
    ({"tolerance": "NaN"}, "options.tolerance"), ([1, 2], "options"),
])
async def test_plan_service_refuses_bad_options_with_a_typed_error_naming_them(ports, options, named):
    body = json.dumps({"base_scenario_id": "scn_baseline", "config_version_id": small_config(ports), "options": options})
    before = len(ports.publisher.events)
    reply = ErrorReply.model_validate_json(await answer(CreatePlan, lambda cmd: plans.create_plan(cmd, ports),
                                                        body.encode()))
    assert reply.error == "validation_failed" and named in reply.message
    assert [d["path"] for d in reply.details] == [named]
    assert len(ports.publisher.events) == before, "nothing recorded, no job started"


async def test_the_options_planned_with_are_recorded_in_full(ports):
    seen: list = []
    accepted = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports),
                                                  options=PlanOptions(ignore_capacity=True)), ports,
                                       pipeline=planned_with(seen))
    await ports.spawn.done()  # type: ignore[attr-defined]
    assert ports.state.plan_requests[accepted.job_id].options == {"tolerance": 0.01, "ignore_capacity": True,
                                                                     "execution": "plan"}
    assert seen == [PlanOptions(ignore_capacity=True)]


async def test_a_request_recorded_with_keys_no_pipeline_read_is_retried_without_them(ports):
    recorded_request(ports, "job_old", {"note": "what-if", "tolerance": 0.02})
    ports.ask_registry = a_failed_job("job_old")
    retried = await jobs.retry_job(RetryJob(job_id="job_old"), ports)
    await ports.spawn.done()  # type: ignore[attr-defined]
    assert ports.state.plan_requests[retried.job_id].options == {"tolerance": 0.02, "ignore_capacity": False,
                                                                    "execution": "plan"}


async def test_a_request_recorded_with_a_value_now_refused_is_not_retried_and_says_why(ports):
    recorded_request(ports, "job_bad", {"tolerance": 5})
    ports.ask_registry = a_failed_job("job_bad")
    refused = await jobs.retry_job(RetryJob(job_id="job_bad"), ports)
    assert refused.error == "validation_failed" and "tolerance" in refused.message and "new plan" in refused.message


async def test_an_interrupted_request_with_a_value_now_refused_fails_at_the_options_step(ports):
    recorded_request(ports, "job_cut", {"tolerance": 5})

    async def running(subject, request, reply):  # type: ignore[no-untyped-def]
        return JobDetail(job=JobRow(job_id="job_cut", job_type="planning", state="running", progress=0.2, step="mrp",
                                    message="", created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z"))

    ports.ask_registry = running
    assert await plans.resume_interrupted(ports, 0, wait_s=0) == []
    failed = ports.publisher.events[-1]
    assert (failed.job_id, failed.state, failed.step) == ("job_cut", "failed", "options") and "tolerance" in failed.message


async def test_the_same_request_id_with_options_recorded_the_old_way_is_the_same_request(ports):
    old = recorded_request(ports, "job_keyed", {})
    ports.state.requests_by_client_id["key-1"] = old
    again = await plans.create_plan(CreatePlan(base_scenario_id="scn_baseline", config_version_id=small_config(ports),
                                               seed=3, request_id="key-1"), ports)
    assert again == PlanAccepted(plan_version_id="plan_old", job_id="job_keyed")


@pytest.mark.parametrize(("changed", "steps"), [
    ({"ignore_capacity": True}, ["aggregate", "reconcile", "plan_final"]), ({"tolerance": 0.5}, ["reconcile"]),
    ({"execution": "policy"}, []),  # how the plan's runs execute it: the plan is the same
])
def test_the_pipeline_reads_each_option_and_nothing_else(changed, steps):
    """The model holds what the pipeline reads: each option changes the plan; a key it has no
    field for (as recorded in old requests) changes nothing."""
    config = CanonicalConfig.model_validate(json.loads((SAMPLES / "small.json").read_text()))
    standard = run_pipeline(config, options=PlanOptions()).artifacts
    other = run_pipeline(config, options=PlanOptions(**changed)).artifacts
    assert [step for step in standard if standard[step] != other[step]] == steps
    assert run_pipeline(config, options={"note": "what-if"}).artifacts == standard
