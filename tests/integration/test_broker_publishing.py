"""The services' messaging layer against a real nats-server: events published through a
service's faststream broker are stored in the log on their subjects, what a publish expects is
checked by the server, and the broker's one connection serves everything else too."""

import logging

import pytest

from contracts import subjects
from contracts.commands import ErrorReply
from contracts.events import JobProgress, JobState, JobType, RunDeleted, subject_for
from contracts.queries import GetRun, RunDetail
from runtime import bus, rpc
from runtime.nats_permissions import events_published_by
from runtime.outage import OutageLog
from runtime.publisher import BrokerPublisher, Conflict, Expected, UndeclaredEvent, event_publishers
from tests.integration.conftest import log_events


def _progress(job: str, step: str) -> JobProgress:
    return JobProgress(correlation_id=job, producer="simulator", job_id=job, job_type=JobType.simulation,
                       state=JobState.running, progress=0.5, step=step)


@pytest.fixture()
async def broker(fresh_nats: str):  # type: ignore[no-untyped-def]
    made = bus.broker(fresh_nats, OutageLog(logging.getLogger("test")), name="simulator")
    made.publishers_ = event_publishers(made, events_published_by("simulator"))
    nc = await bus.connect_broker(made, OutageLog(logging.getLogger("test")), attempts=3)
    await bus.declare_stream(nc.jetstream(), max_bytes=256 * 1024**2)
    await made.start()
    yield made
    await made.stop()


async def test_events_are_stored_through_the_broker_in_order_and_once(broker) -> None:  # type: ignore[no-untyped-def]
    publisher = BrokerPublisher(broker, broker.publishers_)
    first, second = _progress("j1", "a"), _progress("j1", "b")
    seqs = [await publisher.publish(first), await publisher.publish(second), await publisher.publish(first)]
    assert seqs[0] < seqs[1] and seqs[2] == seqs[0]  # a second publish of an event id is the first one
    stored = await log_events(broker.connection.jetstream())
    assert stored == [first, second]
    with pytest.raises(UndeclaredEvent):
        await publisher.publish(RunDeleted(correlation_id="r", producer="simulator", run_id="r", deleted_by="x"))


async def test_a_publish_expecting_an_older_fact_is_a_conflict(broker) -> None:  # type: ignore[no-untyped-def]
    publisher = BrokerPublisher(broker, broker.publishers_)
    seq = await publisher.publish(_progress("j2", "a"))
    subject = subject_for(_progress("j2", "a"))
    with pytest.raises(Conflict) as refused:
        await publisher.publish(_progress("j2", "b"), Expected(subject, seq - 1 if seq > 1 else 99))
    assert refused.value.stored_seq == seq
    assert await publisher.publish(_progress("j2", "c"), Expected(subject, seq)) == seq + 1


async def test_asking_where_nobody_answers_is_an_unavailable_reply(broker) -> None:  # type: ignore[no-untyped-def]
    reply = await rpc.ask(broker, subjects.QRY_RUN_GET, GetRun(run_id="r"), RunDetail, who="the run registry",
                          timeout=0.5)
    assert isinstance(reply, ErrorReply) and reply.error == "unavailable" and "the run registry" in reply.message
