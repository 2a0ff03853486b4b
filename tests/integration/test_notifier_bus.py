"""The notifier against a real nats-server and loopback receivers: every event of the chosen
kinds, signed, in log order per receiver; a receiver that fails or is down gets what it missed
once it is back, without holding up the other; a notifier restarted resumes where it was."""

import asyncio
import time

import pytest

from contracts import subjects
from contracts.notifications import NotifierStatus, NotifierStatusQuery
from contracts.run_meta import BaselinePromoted, RunApproved
from runtime.publisher import JetStreamPublisher
from services.notifier.app import main
from services.notifier.settings import Settings
from tests.integration.conftest import Running
from tests.integration.test_registry_bus import ask, run
from tests.webhooks import Receiver

SECRET = "integration-secret"


def approved(n: int) -> RunApproved:
    return RunApproved(run_id=f"run_{n:03d}", scenario_id="scn_1", approved_by="ann", correlation_id="t", producer="t")


async def until(check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


@pytest.fixture()
def receivers():  # type: ignore[no-untyped-def]
    pair = Receiver(SECRET).start(), Receiver(SECRET).start()
    yield pair
    for receiver in pair:
        receiver.stop()


def settings_for(nats_url: str, *receivers: Receiver) -> Settings:
    return Settings(nats_url=nats_url, notify_webhook_urls=",".join(r.url for r in receivers),
                    notify_webhook_secret=SECRET, notify_retry_base_s=0.05, notify_retry_max_delay_s=0.3)


async def test_each_receiver_gets_every_event_in_order_and_one_outage_holds_up_only_its_receiver(
        fresh_nats, js, receivers):
    steady, flaky = receivers
    notifier = Running(main, settings_for(fresh_nats, steady, flaky))
    publisher = JetStreamPublisher(js)
    try:
        status = await until(lambda: ask(js, subjects.QRY_NOTIFIER_STATUS, NotifierStatusQuery(), NotifierStatus))
        assert [r.durable for r in status.receivers] == ["notifier_1", "notifier_2"] and status.signed
        sent = [await publisher.publish(approved(1))]
        await publisher.publish(run(0))  # RunCompleted: a webhook event too
        flaky.failing = True
        sent += [await publisher.publish(approved(n)) for n in range(2, 5)]
        await asyncio.to_thread(steady.wait_for, 5)
        await until(lambda: _failed(js, "notifier_2"))
        flaky.stop()
        sent.append(await publisher.publish(BaselinePromoted(run_id="run_004", scenario_id="scn_1", promoted_by="ann",
                                                             correlation_id="t", producer="t")))
        await notifier.stop()  # the notifier goes down too: its consumers keep their place
        sent.append(await publisher.publish(approved(5)))
        flaky.failing = False
        flaky.start()
        notifier = Running(main, settings_for(fresh_nats, steady, flaky))
        for receiver in (steady, flaky):
            got = await asyncio.to_thread(receiver.wait_for, 7)
            assert [g.json["sequence"] for g in got] == sorted(g.json["sequence"] for g in got)
            assert [g.event for g in got] == ["run_approved", "run_completed", *["run_approved"] * 3,
                                              "run_promoted_baseline", "run_approved"]
            assert [g.json["run_id"] for g in got if g.event == "run_approved"] == [f"run_{n:03d}" for n in
                                                                                   (1, 2, 3, 4, 5)]
        status = await ask(js, subjects.QRY_NOTIFIER_STATUS, NotifierStatusQuery(), NotifierStatus)
        assert {r.durable: r.pending for r in status.receivers} == {"notifier_1": 0, "notifier_2": 0}
    finally:
        await notifier.stop()


async def _failed(js, durable: str) -> bool:  # type: ignore[no-untyped-def]
    status = await ask(js, subjects.QRY_NOTIFIER_STATUS, NotifierStatusQuery(), NotifierStatus)
    return any(r.durable == durable and r.failed_attempts > 0 for r in status.receivers)
