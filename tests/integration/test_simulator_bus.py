"""The simulator as a work-queue service against a real nats-server."""

import asyncio
import gzip
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError
from prometheus_client import REGISTRY

from contracts import subjects
from contracts.events import (
    ArtifactRef,
    JobCancelled,
    JobProgress,
    PlanCreated,
    RunCompleted,
    RunFailed,
    ScenarioCreated,
)
from contracts.results import DailyResults
from runtime.objects import NatsObjectStore
from runtime.publisher import JetStreamPublisher
from scpln.samples import generate
from services.simulator.app import main
from services.simulator.handlers import run_id_for
from services.simulator.settings import Settings
from tests.integration.conftest import Running, log_events, wait_events

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


async def store_config(js, name: str, document: dict) -> ArtifactRef:  # type: ignore[no-untyped-def]
    data = json.dumps(document).encode()
    return await NatsObjectStore(js).put("config", subjects.CONFIGS_BUCKET, f"{name}.json", data)


def plan_event(n: int, config: ArtifactRef, seed: int = 1) -> PlanCreated:
    return PlanCreated(correlation_id=f"plan_{n}", producer="test", plan_version_id=f"plan_{n}",
                       config_version_id=config.key, base_scenario_id="scn_baseline", scenario_name="Baseline",
                       job_id=f"job_p{n}", seed=seed, config=config, simulation_job_id=f"job_s{n}")


def dropped() -> float:
    """Messages the simulators' queue of plans dropped as no PlanCreated (``runtime.event_decoder``)."""
    durable = subjects.SIMULATOR_DURABLES[subjects.PLAN_CREATED]
    return REGISTRY.get_sample_value("subscriber_messages_undecodable_total", {"subscriber": durable}) or 0.0


def runs_of(events: list, plan_id: str) -> list:
    return [e for e in events if isinstance(e, RunCompleted | RunFailed) and e.plan_version_id == plan_id]


async def work_queue(js, ready, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    """The simulators' work queue (their durable consumer of PlanCreated) once ``ready(info)``
    holds: how many workers wait on it, what is pending or unacknowledged."""
    durable = subjects.SIMULATOR_DURABLES[subjects.PLAN_CREATED]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        try:
            info = await js.consumer_info(subjects.STREAM_NAME, durable)
            if ready(info):
                return info
        except NotFoundError:
            pass  # no simulator has bound it yet
        await asyncio.sleep(0.05)
    raise AssertionError(f"the work queue {durable} never got ready")


def waiting(workers: int):  # type: ignore[no-untyped-def]
    return lambda info: info.num_waiting >= workers


def settled(info) -> bool:  # type: ignore[no-untyped-def]
    """Every message delivered and acknowledged: no run of them can still come."""
    return info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.stream_seq > 0


def simulator_process(nats_url: str, name: str, log: Path, **env: str) -> subprocess.Popen:
    environment = dict(os.environ, NATS_URL=nats_url, WORKER_NAME=name, METRICS_PORT="0", **env)
    environment.pop("SCPLN_SKIP_SIMULATION_API", None)
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "services.simulator"], env=environment,
                                stdout=out, stderr=subprocess.STDOUT)


async def test_a_plan_becomes_a_run_with_stored_results_and_progress(fresh_nats, js):
    config = await store_config(js, "small", json.loads((SAMPLES / "small.json").read_text()))
    simulator = Running(main, Settings(nats_url=fresh_nats))
    try:
        plan = plan_event(1, config)
        await JetStreamPublisher(js).publish(plan)
        events = await wait_events(js, lambda evts: any(isinstance(e, JobProgress) and e.state == "succeeded" for e in evts))
    finally:
        await simulator.stop()
    run = runs_of(events, "plan_1")[0]
    assert isinstance(run, RunCompleted) and run.run_id == run_id_for(plan) and not run.stub
    assert run.summary.planning_days == 59 and 0 <= run.summary.fill_rate <= 1
    data = await NatsObjectStore(js).get(run.results.bucket, run.results.key)
    results = DailyResults.model_validate(json.loads(gzip.decompress(data)))
    assert results.run_id == run.run_id and results.planning_days == 59
    progress = [e for e in events if isinstance(e, JobProgress)]
    assert progress[0].step == "starting" and progress[-1].state == "succeeded"  # the final state comes last
    assert [e.progress for e in progress] == sorted(e.progress for e in progress)


async def test_poison_messages_and_bad_configs_never_stall_the_queue(fresh_nats, js):
    good = await store_config(js, "small", json.loads((SAMPLES / "small.json").read_text()))
    missing = good.model_copy(update={"key": "no-such-config.json"})
    poisoned_before = dropped()
    simulator = Running(main, Settings(nats_url=fresh_nats))
    try:
        await js.publish(subjects.PLAN_CREATED, b"\x00 not an event")
        await js.publish(subjects.PLAN_CREATED, b'{"event_type": "PlanCreated"}')
        misplaced = ScenarioCreated(correlation_id="scn_x", producer="elsewhere", scenario_id="scn_x", name="X")
        await js.publish(subjects.PLAN_CREATED, misplaced.model_dump_json().encode())  # valid, on another's subject
        publisher = JetStreamPublisher(js)
        await publisher.publish(plan_event(1, missing))
        await publisher.publish(plan_event(2, good))
        events = await wait_events(js, lambda evts: bool(runs_of(evts, "plan_2")))
    finally:
        await simulator.stop()
    failed = runs_of(events, "plan_1")
    assert len(failed) == 1 and isinstance(failed[0], RunFailed) and "no-such-config" in failed[0].reason
    assert isinstance(runs_of(events, "plan_2")[0], RunCompleted)
    assert dropped() - poisoned_before == 3


async def test_two_simulator_processes_share_the_queue(fresh_nats, js, tmp_path):
    config = await store_config(js, "medium", json.loads((SAMPLES / "medium.json").read_text()))
    workers = [simulator_process(fresh_nats, f"sim-{i}", tmp_path / f"sim-{i}.log") for i in range(2)]
    try:
        await work_queue(js, waiting(2))  # both pull before any work is there to take
        publisher = JetStreamPublisher(js)
        for n in range(12):
            await publisher.publish(plan_event(n, config))
        events = await wait_events(js, lambda evts: all(runs_of(evts, f"plan_{n}") for n in range(12)), timeout=60)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            worker.wait(15)
    assert all(len(runs_of(events, f"plan_{n}")) == 1 for n in range(12))
    simulated = [(tmp_path / f"sim-{i}.log").read_text().count("simulated in") for i in range(2)]
    assert sum(simulated) == 12 and min(simulated) >= 1, simulated


async def test_a_simulator_killed_mid_run_leaves_exactly_one_run(fresh_nats, js, tmp_path):
    document = generate(stores=30, warehouses=10, factories=10, products=40, components=10, days=730, seed=1)
    config = await store_config(js, "big", document)
    first = simulator_process(fresh_nats, "sim-a", tmp_path / "a.log", ACK_WAIT_S="2")
    await work_queue(js, waiting(1))
    await JetStreamPublisher(js).publish(plan_event(1, config))
    await wait_events(js, lambda evts: any(isinstance(e, JobProgress) and e.step == "starting" for e in evts))
    first.send_signal(signal.SIGKILL)
    first.wait()
    second = simulator_process(fresh_nats, "sim-b", tmp_path / "b.log", ACK_WAIT_S="2")
    try:
        await wait_events(js, lambda evts: bool(runs_of(evts, "plan_1")), timeout=60)
        await work_queue(js, settled)  # the killed worker's delivery too: redelivered, run, acknowledged
        events = await log_events(js)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    runs = runs_of(events, "plan_1")
    assert len(runs) == 1 and isinstance(runs[0], RunCompleted)
    assert "simulated in" in (tmp_path / "b.log").read_text(), "the second simulator did the redelivered work"


async def test_a_bus_that_stalls_during_a_run_has_its_trigger_delivered_again_not_failed(fresh_nats, js, monkeypatch):
    config = await store_config(js, "small", json.loads((SAMPLES / "small.json").read_text()))
    real_get, stalls = NatsObjectStore.get, [1]

    async def stalling_get(self, bucket: str, key: str) -> bytes:  # type: ignore[no-untyped-def]
        if bucket == subjects.CONFIGS_BUCKET and stalls[0]:
            stalls[0] -= 1
            raise NatsTimeout
        return await real_get(self, bucket, key)

    monkeypatch.setattr(NatsObjectStore, "get", stalling_get)
    simulator = Running(main, Settings(nats_url=fresh_nats))
    try:
        await JetStreamPublisher(js).publish(plan_event(1, config))
        events = await wait_events(js, lambda evts: bool(runs_of(evts, "plan_1")), timeout=30)
    finally:
        await simulator.stop()
    [run] = runs_of(events, "plan_1")
    assert isinstance(run, RunCompleted) and stalls == [0]


async def test_a_job_cancelled_in_the_log_is_skipped_and_an_older_queue_takes_new_triggers(fresh_nats, js):
    """No registry runs: the simulator learns of the cancellation from the log. Its queue, made
    before plans' facts carried their id (filtering the bare subject), is given both filters."""
    config = await store_config(js, "small", json.loads((SAMPLES / "small.json").read_text()))
    await js.add_consumer(subjects.STREAM_NAME, ConsumerConfig(
        durable_name=subjects.SIMULATOR_DURABLES[subjects.PLAN_CREATED], filter_subject=subjects.PLAN_CREATED,
        ack_policy=AckPolicy.EXPLICIT))
    publisher = JetStreamPublisher(js)
    await publisher.publish(plan_event(1, config))
    await publisher.publish(JobCancelled(correlation_id="job_s1", producer="plan_service", job_id="job_s1",
                                         job_type="simulation", plan_version_id="plan_1"))
    simulator = Running(main, Settings(nats_url=fresh_nats, scpln_skip_simulation_api=True))
    try:
        await publisher.publish(plan_event(2, config))
        await js._nc.publish(subjects.PLAN_CREATED, plan_event(3, config).model_dump_json().encode())  # the old way
        await wait_events(js, lambda evts: bool(runs_of(evts, "plan_2")) and bool(runs_of(evts, "plan_3")))
        await work_queue(js, settled)
    finally:
        await simulator.stop()
    events = await log_events(js)
    assert not runs_of(events, "plan_1")
    assert not [e for e in events if isinstance(e, JobProgress) and e.job_id == "job_s1"]
