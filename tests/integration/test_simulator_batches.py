"""A simulator takes triggers a fetch at a time, up to its bound, and never works on more at once."""

import asyncio
import json
import logging
from pathlib import Path

from runtime import bus
from runtime.objects import NatsObjectStore
from runtime.outage import OutageLog
from runtime.publisher import JetStreamPublisher
from services.simulator.app import subscribe
from services.simulator.ports import Ports
from services.simulator.settings import Settings
from tests.integration.conftest import wait_events
from tests.integration.test_simulator_bus import plan_event, runs_of, store_config

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


class CountingObjects:
    """The object store, counting the runs reading their config at once (each read held a little,
    so that runs started together overlap)."""

    def __init__(self, inner: NatsObjectStore) -> None:
        self.inner, self.active, self.most = inner, 0, 0

    async def get(self, bucket: str, key: str) -> bytes:
        self.active += 1
        self.most = max(self.most, self.active)
        try:
            await asyncio.sleep(0.05)
            return await self.inner.get(bucket, key)
        finally:
            self.active -= 1

    async def put(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await self.inner.put(*args, **kwargs)


async def test_a_simulator_works_on_at_most_its_bound_of_triggers_at_once(fresh_nats, js):
    config = await store_config(js, "small", json.loads((SAMPLES / "small.json").read_text()))
    publisher = JetStreamPublisher(js)
    for n in range(7):  # all waiting before the simulator takes any
        await publisher.publish(plan_event(n, config))
    objects = CountingObjects(NatsObjectStore(js))
    broker = bus.broker(fresh_nats, OutageLog(logging.getLogger("test")))
    subscribe(broker, Ports(publisher=publisher, objects=objects, stub=True),
              Settings(nats_url=fresh_nats, max_concurrent_runs=3))
    await broker.start()
    try:
        events = await wait_events(js, lambda evts: all(runs_of(evts, f"plan_{n}") for n in range(7)))
    finally:
        await broker.stop()
    assert all(len(runs_of(events, f"plan_{n}")) == 1 for n in range(7))
    assert objects.most == 3
