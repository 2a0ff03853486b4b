"""The simulator holds one NATS connection, its broker's: triggers, events, objects, the
cancellations it follows, its queues, its storage reports and its questions to the registry all
go through it. Counted by the server itself (``/connz`` on its monitoring port, closed
connections included, so one opened for a moment counts too)."""

import asyncio
import json
from pathlib import Path

import nats

from contracts.events import JobCancelled, RunCompleted
from runtime import bus
from runtime.publisher import JetStreamPublisher
from services.simulator.app import main
from services.simulator.settings import Settings
from tests.integration.conftest import Running, all_closed, wait_events
from tests.integration.conftest import clients as every_client
from tests.integration.test_simulator_bus import plan_event, runs_of, store_config

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
OBSERVER = "test-observer"


def clients(monitor_url: str) -> list[dict]:
    """Every client the server has had but the test's own, connected or gone."""
    return every_client(monitor_url, every=True, leave_out=OBSERVER)


async def test_the_simulator_does_all_its_work_on_one_connection(monitored_nats) -> None:
    url, monitor = monitored_nats
    nc = await nats.connect(url, name=OBSERVER)
    js = nc.jetstream()
    await bus.declare_stream(js, max_bytes=256 * 1024**2)
    config = await store_config(js, "small", json.loads((SAMPLES / "small.json").read_text()))
    publisher = JetStreamPublisher(js)
    await publisher.publish(JobCancelled(correlation_id="job_s1", producer="plan_service", job_id="job_s1",
                                         job_type="simulation", plan_version_id="plan_1"))
    simulator = Running(main, Settings(nats_url=url, metrics_port=0, scpln_skip_simulation_api=True,
                                       deadline_check_s=0.2))
    try:
        await publisher.publish(plan_event(1, config))  # cancelled: skipped, as the log says
        await publisher.publish(plan_event(2, config))
        events = await wait_events(js, lambda evts: bool(runs_of(evts, "plan_2")))
        during = await asyncio.to_thread(clients, monitor)
    finally:
        await simulator.stop()
        after = await all_closed(monitor, leave_out=OBSERVER)
        await nc.drain()
    assert isinstance(runs_of(events, "plan_2")[0], RunCompleted) and not runs_of(events, "plan_1")
    assert [(c.get("name"), c.get("subscriptions", 0) > 0) for c in during] == [("simulator", True)], during
    assert [(c["cid"], c.get("reason")) for c in after] == [(during[0]["cid"], "Client Closed")], after
