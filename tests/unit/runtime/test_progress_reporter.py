"""A job's progress reporter: coalesced to at most one publish per interval (the first offer at
once and as offered, then the newest of each interval), never waited for by the work, and closed
so that the job's final state comes last. Time is a fake clock the test moves."""

import asyncio
from itertools import pairwise

import pytest

from contracts.events import JobProgress
from runtime.progress import ProgressReporter


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self._moved = asyncio.Condition()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        async with self._moved:
            await self._moved.wait_for(lambda: self.now >= until)

    async def advance(self, seconds: float) -> None:
        for _ in range(5):  # what is due now happens now
            await asyncio.sleep(0)
        self.now += seconds
        async with self._moved:
            self._moved.notify_all()
        for _ in range(5):  # let the woken sender publish
            await asyncio.sleep(0)


def progress(value: float) -> JobProgress:
    return JobProgress(correlation_id="job_s", producer="test", job_id="job_s", job_type="simulation",
                       state="running", progress=value, step=f"{value:.2f}")


class Recorder:
    def __init__(self, clock: FakeTime) -> None:
        self.clock, self.sent = clock, []
        self.gate: asyncio.Event | None = None

    async def __call__(self, event: JobProgress) -> int:
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append((self.clock.now, event.progress))
        return len(self.sent)


async def test_offers_are_coalesced_to_one_publish_per_interval_the_first_at_once_then_the_newest():
    clock = FakeTime()
    recorder = Recorder(clock)
    reporter = ProgressReporter(recorder, 0.5, clock=clock, sleep=clock.sleep)
    offered = []
    for step in range(200):  # an offer every 10 ms for 2 s
        reporter.offer(progress(step / 200))
        offered.append((clock.now, step / 200))
        await clock.advance(0.01)
    await reporter.close()
    times = [at for at, _ in recorder.sent]
    assert recorder.sent[0] == (0.0, 0.0)
    assert all(b - a >= 0.5 - 1e-9 for a, b in pairwise(times))
    assert 3 <= len(recorder.sent) <= 2 * 2 + 1
    for at, value in recorder.sent[1:]:  # each later publish carries the newest offer made before it
        assert value == max(v for t, v in offered if t < at - 1e-9)


async def test_close_drops_what_is_pending_and_returns_after_the_publish_under_way():
    clock = FakeTime()
    recorder = Recorder(clock)
    recorder.gate = asyncio.Event()
    reporter = ProgressReporter(recorder, 0.5, clock=clock, sleep=clock.sleep)
    reporter.offer(progress(0.0))
    await clock.advance(0.01)  # the first publish is under way, held at the gate
    reporter.offer(progress(0.5))
    closing = asyncio.create_task(reporter.close())
    await clock.advance(0.01)
    assert not closing.done()
    recorder.gate.set()
    await closing
    await clock.advance(1.0)
    assert [value for _, value in recorder.sent] == [0.0]


async def test_a_run_closed_before_its_first_progress_went_out_still_says_it_started():
    clock = FakeTime()
    recorder = Recorder(clock)
    reporter = ProgressReporter(recorder, 0.5, clock=clock, sleep=clock.sleep)
    reporter.offer(progress(0.0))
    await reporter.close()
    assert [value for _, value in recorder.sent] == [0.0]


async def test_offers_from_the_simulation_thread_return_at_once_and_a_failed_publish_is_dropped():
    published = []

    async def flaky(event: JobProgress) -> int:
        published.append(event.progress)
        if len(published) == 1:
            raise TimeoutError("the bus did not answer")
        return len(published)

    loop = asyncio.get_running_loop()
    reporter = ProgressReporter(flaky, 0.0)
    await asyncio.to_thread(reporter.offer_threadsafe, loop, progress(0.0))
    while not published:
        await asyncio.sleep(0.001)
    await asyncio.to_thread(reporter.offer_threadsafe, loop, progress(0.5))
    while len(published) < 2:
        await asyncio.sleep(0.001)
    await reporter.close()
    assert published == [0.0, 0.5] and reporter.published == 1


async def test_the_first_offer_goes_out_as_offered_even_when_later_ones_come_before_the_sender_runs():
    clock = FakeTime()
    recorder = Recorder(clock)
    reporter = ProgressReporter(recorder, 0.5, clock=clock, sleep=clock.sleep)
    loop = asyncio.get_running_loop()
    for value in (0.0, 0.2, 0.4):  # from the work's thread, before the event loop runs the sender at all
        reporter.offer_threadsafe(loop, progress(value))
    await clock.advance(0.0)
    assert [value for _, value in recorder.sent] == [0.0]
    await clock.advance(0.5)
    assert [value for _, value in recorder.sent] == [0.0, 0.4]


async def test_closed_before_its_wake_up_ran_the_first_offer_is_published_before_close_returns():
    clock = FakeTime()
    recorder = Recorder(clock)
    reporter = ProgressReporter(recorder, 0.5, clock=clock, sleep=clock.sleep)
    loop = asyncio.get_running_loop()
    reporter.offer_threadsafe(loop, progress(0.0))
    reporter.offer_threadsafe(loop, progress(0.9))
    await reporter.close()
    assert [value for _, value in recorder.sent] == [0.0]
    await clock.advance(1.0)  # the wake-up that was on its way publishes nothing more
    assert [value for _, value in recorder.sent] == [0.0]


async def test_a_closer_cancelled_while_it_waits_for_the_publish_under_way_is_cancelled():
    clock = FakeTime()
    recorder = Recorder(clock)
    recorder.gate = asyncio.Event()
    reporter = ProgressReporter(recorder, 0.5, clock=clock, sleep=clock.sleep)
    reporter.offer(progress(0.0))
    await clock.advance(0.0)  # the first publish is under way, held at the gate
    closing = asyncio.create_task(reporter.close())
    await clock.advance(0.0)
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
