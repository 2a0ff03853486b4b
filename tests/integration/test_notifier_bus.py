"""The notifier against a real nats-server and loopback receivers: every event of the chosen
kinds, signed, in log order per receiver; a receiver that fails or is down gets what it missed
once it is back, without holding up the other; a notifier restarted resumes where it was; a
delivery under way when it stops is finished first; all of it on one NATS connection."""

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nats
import pytest

from contracts import subjects
from contracts.notifications import NotifierStatus, NotifierStatusQuery
from contracts.run_meta import BaselinePromoted, RunApproved
from runtime import bus
from runtime.publisher import JetStreamPublisher
from services.notifier.app import main
from services.notifier.settings import Settings
from tests.integration.conftest import Running, names_connected
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


async def test_the_notifier_does_everything_on_one_connection(monitored_nats, receivers):  # type: ignore[no-untyped-def]
    url, monitor_url = monitored_nats
    steady, flaky = receivers
    nc = await nats.connect(url, name="test")
    js = nc.jetstream()
    await bus.declare_stream(js, max_bytes=256 * 1024**2)
    notifier = Running(main, settings_for(url, steady, flaky))
    try:
        status = await until(lambda: ask(js, subjects.QRY_NOTIFIER_STATUS, NotifierStatusQuery(), NotifierStatus))
        assert [r.pending for r in status.receivers] == [0, 0]  # its durables asked on that connection too
        await JetStreamPublisher(js).publish(approved(1))
        for receiver in (steady, flaky):
            await asyncio.to_thread(receiver.wait_for, 1)
        assert await asyncio.to_thread(names_connected, monitor_url) == ["notifier", "test"]
    finally:
        await notifier.stop()
        await nc.drain()
    await until(lambda: asyncio.to_thread(lambda: names_connected(monitor_url) == []))  # it closed on stop


class SlowReceiver:
    """A receiver that takes ``answer_after_s`` to answer each POST (204), saying when one arrived."""

    def __init__(self, answer_after_s: float) -> None:
        self.answer_after_s, self.arrived, self.posts = answer_after_s, threading.Event(), 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.posts += 1
                receiver.arrived.set()
                time.sleep(receiver.answer_after_s)  # the receiver is slow: the notifier waits
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_a_delivery_under_way_when_the_notifier_stops_is_finished_and_acknowledged(fresh_nats, js):  # type: ignore[no-untyped-def]
    slow = SlowReceiver(answer_after_s=1.0)
    notifier = Running(main, Settings(nats_url=fresh_nats, notify_webhook_urls=slow.url, notify_timeout_s=5))
    try:
        await until(lambda: ask(js, subjects.QRY_NOTIFIER_STATUS, NotifierStatusQuery(), NotifierStatus))
        seq = await JetStreamPublisher(js).publish(approved(1))
        assert await asyncio.to_thread(slow.arrived.wait, 20)
        await notifier.stop()  # asked while the receiver has the POST in hand
        info = await js.consumer_info(subjects.STREAM_NAME, "notifier_1")
        assert (info.ack_floor.stream_seq, info.num_ack_pending, info.num_pending) == (seq, 0, 0)
        assert slow.posts == 1
    finally:
        await notifier.stop()
        slow.close()
